// libFuzzer target: the MQTT command decoder and the plan builders (src/commands), on hostile
// payloads. Input: byte 0 picks the command (kCommandNames[b % 32]) and the model (v = b / 32:
// v & 1: 2002 ringing, else 2001 talking to 2002; v & 4: [ami] prefix "0"; v & 2: router mode,
// below); the rest is the MQTT payload. The model is the recorded Asterisk 20 call of
// tests/support/mid_call.hpp, built once.
//
// Router mode: the whole path of an MQTT message (commands::Router::handle), setter topics
// included. Byte 0 % 8 picks the topic: <base>/extensions/<L1>/dnd/set, .../cf/set,
// <base>/queues/<L1>/members/<L2>/paused/set, <base>/cmd/<L1>, <base>/bridge/request/log_level,
// or <base>/<L1> as it is; byte 1: bit 0 retained, bit 1 a response topic, bit 2 correlation
// data; then NUL-separated: L1, L2, the response topic, and the payload (the rest). Every action
// sent is answered with success, so multi-step plans run to the end.
//
// Invariants (a violation aborts, libFuzzer saves the input):
//  - no crash, leak, undefined behaviour, and no exception other than commands::Refusal (the
//    router catches only Refusal: anything else would take the bridge down);
//  - a refusal has a code and a message, and its reply envelope is valid JSON;
//  - every AMI action of a built plan passes Action::unsafe_field(), has no control character in
//    any name or value (the documented promise), and its wire bytes are exactly well-formed:
//    parsed back they are one message with exactly Action, ActionID and the plan's headers, in
//    order (nothing injected, nothing lost);
//  - the plan's reply built from successful answers is valid JSON;
//  - router mode: every MQTT message the router publishes is a non-retained reply with valid JSON
//    on a topic without wildcards or NUL.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "ami/parser.hpp"
#include "commands/names.hpp"
#include "commands/plan.hpp"
#include "commands/router.hpp"
#include "fixture_pbx.hpp"
#include "core/bridge_core.hpp"
#include "mid_call.hpp"

namespace {

[[noreturn]] void fail(const std::string& what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_command_decoder: invariant violated: %s %.*s\n", what.c_str(),
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

struct World {
    testsupport::MidCall mid{false};
    testsupport::MidCall ringing{true};
    config::CommandsConfig config;
    std::regex pattern;
    World() {
        config.raw_ami = true;
        config.raw_ami_allow = {"CoreStatus", "Command", "QueueStatus"};
        config.allowed_contexts = {"from-internal", "ext-local"};
        pattern = std::regex(config.dial_pattern, std::regex::ECMAScript);
    }
};

World& world() {
    static World* w = [] {
        spdlog::set_level(spdlog::level::off);
        return new World();  // never destroyed: LeakSanitizer ignores reachable globals
    }();
    return *w;
}

bool has_control(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

void check_json(const std::string& text, const char* what) {
    if (!nlohmann::json::accept(text)) fail(std::string(what) + " is not valid JSON:", text.substr(0, 300));
}

void check_action(const ami::Action& a) {
    if (auto bad = a.unsafe_field()) fail("a plan's action has an unsafe field:", *bad);
    if (has_control(a.name)) fail("control character in the action name:", a.name);
    for (const auto& h : a.headers)
        if (has_control(h.name) || has_control(h.value)) fail("control character in header", h.name + ": " + h.value);
    const std::string id = "fz-1";
    const std::string wire = a.serialize(id);
    ami::Parser parser(false);
    const auto items = parser.feed(wire);
    if (items.size() != 1 || !std::holds_alternative<ami::Message>(items[0]) || parser.buffered_bytes() != 0)
        fail("the action's wire bytes are not exactly one message:", wire.substr(0, 400));
    std::vector<ami::Header> expected{{"Action", a.name}, {"ActionID", id}};
    expected.insert(expected.end(), a.headers.begin(), a.headers.end());
    if (std::get<ami::Message>(items[0]).headers() != expected)
        fail("the action's wire bytes carry other headers than the plan set:", wire.substr(0, 400));
}

// Router mode (see the header).
int fuzz_router(const std::uint8_t* data, std::size_t size, const model::PbxState& state, const std::string& prefix) {
    World& w = world();
    if (size < 2) return 0;
    const unsigned topic_kind = data[0] % 8;
    const unsigned flags = data[1];
    std::vector<std::string> parts;
    std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
    for (int i = 0; i < 3; ++i) {
        const auto nul = rest.find('\0');
        parts.emplace_back(rest.substr(0, nul));
        rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
    }
    const std::string& l1 = parts[0];
    const std::string& l2 = parts[1];
    mqtt::IncomingMessage m;
    switch (topic_kind) {
        case 0: case 6: m.topic = "pbx/extensions/" + l1 + "/dnd/set"; break;
        case 1: m.topic = "pbx/extensions/" + l1 + "/cf/set"; break;
        case 2: case 7: m.topic = "pbx/queues/" + l1 + "/members/" + l2 + "/paused/set"; break;
        case 3: m.topic = "pbx/cmd/" + l1; break;
        case 4: m.topic = "pbx/bridge/request/log_level"; break;
        default: m.topic = "pbx/" + l1; break;
    }
    m.payload = std::string(rest);
    m.retained = flags & 1;
    if (flags & 2) m.response_topic = parts[2];
    if (flags & 4) m.correlation_data = l2;

    testsupport::RecordingPort port;
    const mqtt::Topics topics("pbx");
    struct Pending {
        ami::Action action;
        ami::ActionCallback done;
    };
    std::vector<Pending> pending;
    commands::RouterDeps deps{
        port,
        topics,
        state,
        w.config,
        prefix,
        std::chrono::milliseconds(10000),
        1,
        [&](const ami::Action& a, ami::ActionCallback done) {
            check_action(a);
            pending.push_back({a, std::move(done)});
            return true;
        },
        [] { return true; },
        [](std::function<void(bool, const std::string&)> done) { done(true, {}); },
        [] { return nlohmann::ordered_json::object(); },
        [] { return ami::Clock::time_point(std::chrono::seconds(1000)); },
        [](const std::string&) {},
        [](const std::string&) { return true; },
    };
    commands::Router router(std::move(deps));
    router.handle(m);
    for (int round = 0; round < 64 && !pending.empty(); ++round) {
        auto now = std::move(pending);
        pending.clear();
        for (auto& p : now) p.done(testsupport::success_for(p.action));
    }
    for (const auto& out : port.published) {
        if (out.topic.empty() || out.topic.find_first_of(std::string_view("+#\0", 3)) != std::string::npos)
            fail("a reply on a topic nobody may publish to:", out.topic);
        if (out.retain) fail("a retained reply on", out.topic);
        check_json(out.payload, "a router reply");
    }
    return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    world();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    World& w = world();
    const std::string_view command = commands::kCommandNames[data[0] % commands::kCommandNames.size()];
    const unsigned variant = data[0] / commands::kCommandNames.size();
    const model::PbxState& state = (variant & 1) ? w.ringing.core->state() : w.mid.core->state();
    const std::string prefix = (variant & 4) ? "0" : "";
    if (variant & 2) return fuzz_router(data, size, state, prefix);
    const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);

    const commands::Builder builder = commands::builder_for(command);
    if (!builder) fail("no builder for a listed command:", command);
    commands::Env env{state, w.config, prefix, std::chrono::milliseconds(10000), w.pattern};
    commands::Plan plan;
    try {
        // As Router::run: parse, a Fields over the object ("transaction" is the router's), build.
        const nlohmann::json request = commands::parse_payload(payload, w.config.max_payload_bytes);
        commands::Fields fields(request);
        fields.ignore("transaction");
        plan = builder(fields, env);
    } catch (const commands::Refusal& r) {
        if (r.code().empty() || std::string_view(r.what()).empty()) fail("a refusal without code or message");
        check_json(commands::Reply::error(r.code(), r.what()).envelope(nullptr), "a refusal's reply");
        return 0;
    }
    std::vector<ami::ActionResult> results;
    for (const auto& step : plan.steps) {
        check_action(step.action);
        results.push_back(testsupport::success_for(step.action));
    }
    if (plan.finish) check_json(plan.finish(results).envelope(nullptr), "the reply");
    return 0;
}
