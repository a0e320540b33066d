// libFuzzer target: the MQTT command decoder and the plan builders (src/commands), on hostile
// payloads. Input: byte 0 picks the command (kCommandNames[b % 32]) and the model (b / 32: even =
// 2001 talking to 2002, odd = 2002 ringing; >= 4: [ami] prefix "0"); the rest is the MQTT payload.
// The model is the recorded Asterisk 20 call of tests/support/mid_call.hpp, built once.
//
// Invariants (a violation aborts, libFuzzer saves the input):
//  - no crash, leak, undefined behaviour, and no exception other than commands::Refusal (the
//    router catches only Refusal: anything else would take the bridge down);
//  - a refusal has a code and a message, and its reply envelope is valid JSON;
//  - every AMI action of a built plan passes Action::unsafe_field(), has no control character in
//    any name or value (the documented promise), and its wire bytes are exactly well-formed:
//    parsed back they are one message with exactly Action, ActionID and the plan's headers, in
//    order (nothing injected, nothing lost);
//  - the plan's reply built from successful answers is valid JSON.
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
