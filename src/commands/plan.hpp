#pragma once
// What a command does, decided before anything is sent: the AMI actions to run in order and how
// their answers become the reply. Building a plan is pure (payload + model + config in, plan
// out), so each command is unit-tested without a socket, and a refused request provably sends
// nothing: validation happens while the plan is built, execution only starts after.
#include <chrono>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "ami/action.hpp"
#include "ami/session.hpp"
#include "commands/reply.hpp"
#include "commands/request.hpp"
#include "config/config.hpp"
#include "model/pbx_state.hpp"

namespace commands {

struct Step {
    ami::Action action;
    // Whether an answer lets the plan go on (default: Success). DBDel of a missing key, for
    // example, is fine for "DND off".
    std::function<bool(const ami::ActionResult&)> accept;
    // A specific error reply for an answer that is not accepted (default: from_result()).
    std::function<Reply(const ami::ActionResult&)> fail;
};

enum class Special {
    None,
    Resync,       // the core reads the whole PBX again; the reply comes when it is done
    HealthCheck,  // answered even when AMI is down
    LogLevel,     // the bridge's own log level; answered even when AMI is down
};

struct Plan {
    std::vector<Step> steps;  // run one after the other; the first answer not accepted ends it
    // The reply once every step was accepted; gets every step's result in order.
    std::function<Reply(const std::vector<ami::ActionResult>&)> finish;
    Special special = Special::None;
    // After success: read this extension's AstDB keys (DND/CF/CFB/CFU) again, because AMI's
    // DBPut/DBDel raise no event and the retained topics must show the change now.
    std::string refresh_astdb_of;
    // Special::LogLevel: the level to set (trace, debug, info, warn, error, critical, off).
    std::string log_level;
};

// What commands may read while building a plan.
struct Env {
    const model::PbxState& state;
    const config::CommandsConfig& config;
    std::string dial_prefix;                      // [ami] prefix
    std::chrono::milliseconds action_timeout{10000};
    const std::regex& dial_pattern;
};

// The error reply for an AMI answer: timeout, pbx_unavailable (connection lost), permission_denied,
// or pbx_error with Asterisk's own text.
Reply from_result(const ami::ActionResult& result);

// One action whose success is the reply `data` (a failure: from_result).
Plan single_action(ami::Action action, const Env& env, nlohmann::ordered_json data);

using Builder = Plan (*)(Fields& fields, const Env& env);

// The builder of a command name (nullptr when unknown). Builders call fields.finish() themselves
// once they have read every field, and throw Refusal for anything they refuse.
Builder builder_for(std::string_view command);

}  // namespace commands
