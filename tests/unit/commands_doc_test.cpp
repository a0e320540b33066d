// docs/topics.md "Commands" is the contract of every command: for each documented command, its
// request example is run through the real plan builder against a model in the middle of a
// recorded call (asterisk20-chansip/05, 2001 talking to 2002), and the AMI actions it would send
// must equal the documented ones byte for byte (ActionID aside); the reply built from successful
// answers must have exactly the documented reply's fields. Every command has a section, and every
// documented error code exists.
//
// PBX2MQTT_PRINT_COMMANDS=1 prints what the code produces, to write the documentation from.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include "commands/call_commands.hpp"
#include "commands/names.hpp"
#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace {

using nlohmann::json;

std::string read_doc() {
    std::ifstream in(std::string(PBX2MQTT_SOURCE_DIR) + "/docs/topics.md");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct DocumentedCommand {
    std::string request, ami, reply;
};

// "### `name`" sections of "## Commands": the ```json block after "Request", the ```text block
// after "AMI", the ```json block after "Reply".
std::map<std::string, DocumentedCommand> documented_commands(const std::string& doc) {
    std::map<std::string, DocumentedCommand> out;
    const auto start = doc.find("\n## Commands");
    if (start == std::string::npos) return out;
    const auto end = doc.find("\n## ", start + 5);
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::regex heading("\\n### `([a-z_]+)`");
    std::vector<std::pair<std::string, std::size_t>> heads;
    for (auto it = std::sregex_iterator(section.begin(), section.end(), heading); it != std::sregex_iterator(); ++it)
        heads.emplace_back((*it)[1].str(), static_cast<std::size_t>(it->position()));
    for (std::size_t i = 0; i < heads.size(); ++i) {
        const std::size_t from = heads[i].second;
        const std::size_t to = i + 1 < heads.size() ? heads[i + 1].second : section.size();
        const std::string body = section.substr(from, to - from);
        auto block = [&](const std::string& label, const std::string& lang) {
            const auto at = body.find("\n" + label);
            if (at == std::string::npos) return std::string();
            const auto open = body.find("```" + lang + "\n", at);
            if (open == std::string::npos) return std::string();
            const auto first = open + 4 + lang.size();
            const auto close = body.find("\n```", first);
            return body.substr(first, close - first);
        };
        out[heads[i].first] = {block("Request", "json"), block("AMI", "text"), block("Reply", "json")};
    }
    return out;
}

// Objects whose keys are ids, not field names.
std::set<std::string> fields(const json& j, const std::string& prefix = "") {
    std::set<std::string> out;
    if (!j.is_object()) return out;
    for (auto& [key, value] : j.items()) {
        out.insert(prefix + key);
        if (value.is_object() && key != "response") for (const auto& f : fields(value, prefix + key + ".")) out.insert(f);
    }
    return out;
}

// The model during the recorded call 2001 -> 2002: while 2002 rings (`ringing`), or once it is
// answered and bridged.
struct MidCall {
    testsupport::RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    explicit MidCall(bool ringing = false) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.trunks = {"trunk1"};
        core = std::make_unique<core::BridgeCore>(o, port);
        testsupport::FixturePbx pbx(testsupport::fixture("asterisk20-chansip/01-snapshot-actions.txt"));
        const auto now = ami::Clock::now();
        auto pump = [&](std::string bytes) {
            for (int i = 0; i < 100 && !bytes.empty(); ++i) {
                core->ami_received(bytes, now);
                bytes = pbx.answer(core->take_ami_output());
            }
        };
        core->start();
        core->ami_connected(now);
        pump(pbx.banner() + "\r\n");
        for (const auto& e : testsupport::transcript_events(testsupport::fixture("asterisk20-chansip/05-call-2001-2002.txt"))) {
            pump(e.serialize());
            const auto* a = core->state().calls().channel_by_name("SIP/2001-00000000");
            const auto* b = core->state().calls().channel_by_name("SIP/2002-00000001");
            if (ringing && b && b->state == 5) break;
            if (!ringing && a && a->state == 6 && core->state().calls().counterpart(*a)) break;
        }
    }
};

std::string serialize_without_id(const ami::Action& a) {
    std::string out = "Action: " + a.name + "\n";
    for (const auto& h : a.headers) out += h.name + ": " + h.value + "\n";
    return out;
}

// A successful answer to each step (with OriginateResponse for the asynchronous ones).
ami::ActionResult success_for(const ami::Action& a) {
    ami::ActionResult r;
    r.status = ami::ActionResult::Status::Success;
    r.response.add("Response", "Success");
    r.response.add("Message", "Success");
    if (!a.completion_event.empty()) {
        ami::Message e;
        e.add("Event", a.completion_event);
        e.add("Response", "Success");
        e.add("Channel", "SIP/2001-00000007");
        e.add("Uniqueid", "1795801290.20");
        r.events.push_back(e);
    }
    return r;
}

TEST(CommandsDoc, EveryCommandIsDocumentedWithItsExactAmiActionsAndReplyFields) {
    const std::string doc = read_doc();
    ASSERT_FALSE(doc.empty());
    const auto documented = documented_commands(doc);
    const bool print = std::getenv("PBX2MQTT_PRINT_COMMANDS") != nullptr;
    MidCall mid, ringing(true);
    ASSERT_TRUE(mid.core->state().calls().channel_by_name("SIP/2001-00000000"));

    config::CommandsConfig config;
    config.raw_ami = true;
    config.raw_ami_allow = {"CoreStatus"};
    config.allowed_contexts = {"from-internal"};
    const std::regex pattern(config.dial_pattern);
    commands::Env env{mid.core->state(), config, "", std::chrono::milliseconds(10000), pattern};
    commands::Env ringing_env{ringing.core->state(), config, "", std::chrono::milliseconds(10000), pattern};

    for (std::string_view name : commands::kCommandNames) {
        auto it = documented.find(std::string(name));
        if (!print) {
            ASSERT_NE(it, documented.end()) << "command " << name << " has no section in docs/topics.md";
        }
        const DocumentedCommand d = it == documented.end() ? DocumentedCommand{} : it->second;
        if (d.request.empty() && !print) {
            ADD_FAILURE() << name << ": no Request example";
            continue;
        }
        json request = json::parse(d.request.empty() ? "{}" : d.request);
        request.erase("transaction");
        commands::Fields f(request);
        commands::Plan plan;
        try {
            plan = commands::builder_for(name)(f, name == "answer" ? ringing_env : env);
        } catch (const commands::Refusal& r) {
            ADD_FAILURE() << name << ": the documented request is refused: " << r.code() << ": " << r.what();
            continue;
        }
        std::string ami;
        std::vector<ami::ActionResult> results;
        for (const auto& step : plan.steps) {
            ami += (ami.empty() ? "" : "\n") + serialize_without_id(step.action);
            results.push_back(success_for(step.action));
        }
        if (!ami.empty()) ami.pop_back();  // the last newline: the block ends there
        json reply;
        if (plan.finish) reply = json::parse(plan.finish(results).envelope(nullptr));
        if (print) {
            const std::string envelope = plan.finish ? plan.finish(results).envelope(nullptr) : "";
            std::cout << "### " << name << "\nAMI:\n" << ami << "\nReply data: " << envelope << "\n\n";
            continue;
        }
        EXPECT_EQ(d.ami, ami) << name;
        if (plan.special != commands::Special::None) continue;  // resync/health_check: the core answers
        ASSERT_FALSE(d.reply.empty()) << name << ": no Reply example";
        const json documented_reply = json::parse(d.reply);
        EXPECT_EQ(documented_reply["status"], "ok") << name;
        EXPECT_EQ(fields(documented_reply["data"]), fields(reply["data"])) << name;
    }
    for (const auto& [name, d] : documented)
        EXPECT_NE(std::find(commands::kCommandNames.begin(), commands::kCommandNames.end(), name), commands::kCommandNames.end())
            << "documented command " << name << " does not exist";
}

TEST(CommandsDoc, EveryErrorCodeIsDocumented) {
    const std::string doc = read_doc();
    for (const char* code : {commands::code::kBadRequest, commands::code::kUnknownCommand, commands::code::kDisabled,
                             commands::code::kForbidden, commands::code::kNotFound, commands::code::kNotInCall,
                             commands::code::kUnsupported, commands::code::kBusy, commands::code::kPbxUnavailable,
                             commands::code::kPbxError, commands::code::kPermissionDenied, commands::code::kCallFailed,
                             commands::code::kTimeout})
        EXPECT_NE(doc.find(std::string("| `") + code + "` |"), std::string::npos) << code;
}

}  // namespace
