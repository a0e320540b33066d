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
#include "command_corpus.hpp"
#include "mid_call.hpp"

namespace commands_doc_test {  // named: the unity build compiles several test files as one

using nlohmann::json;
using testsupport::DocumentedCommand;
using testsupport::documented_commands;
using testsupport::MidCall;
using testsupport::success_for;

std::string read_doc() {
    std::ifstream in(std::string(PBX2MQTT_SOURCE_DIR) + "/docs/topics.md");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
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

std::string serialize_without_id(const ami::Action& a) {
    std::string out = "Action: " + a.name + "\n";
    for (const auto& h : a.headers) out += h.name + ": " + h.value + "\n";
    return out;
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
