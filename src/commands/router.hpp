#pragma once
// The command side of the bridge, pure: MQTT messages on the command topics in, AMI actions and
// MQTT replies out. No socket and no clock of its own; the core wires it to the session.
//
// Topics (docs/topics.md "Commands"):
//   <base>/cmd/<command>                          JSON request
//   <base>/extensions/<ext>/dnd/set               ON/OFF/true/false, or JSON
//   <base>/extensions/<ext>/cf/set                JSON
//   <base>/queues/<queue>/members/<member>/paused/set   true/false/ON/OFF, or JSON
// Replies go to the MQTT 5 Response Topic with the request's Correlation Data when given;
// otherwise commands reply on <base>/cmd/<command>/result and setters on <topic>/result (only
// when the request carried a `transaction`).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ami/session.hpp"
#include "commands/plan.hpp"
#include "config/config.hpp"
#include "model/pbx_state.hpp"
#include "mqtt/port.hpp"
#include "mqtt/topics.hpp"

namespace commands {

struct RouterDeps {
    mqtt::Port& port;
    const mqtt::Topics& topics;
    const model::PbxState& state;
    config::CommandsConfig config;
    std::string dial_prefix;
    std::chrono::milliseconds action_timeout{10000};
    int qos = 1;
    // Sends one action; false (and no callback ever) when AMI is not logged in.
    std::function<bool(const ami::Action&, ami::ActionCallback)> send;
    // AMI is logged in (commands are refused with pbx_unavailable otherwise).
    std::function<bool()> ami_ready;
    // Reads the whole PBX again; calls back once with the outcome.
    std::function<void(std::function<void(bool ok, const std::string& error)>)> resync;
    // The bridge's own view of its health (bridge, AMI, MQTT, model counts).
    std::function<nlohmann::ordered_json()> health;
    std::function<ami::Clock::time_point()> now;
    // Reads an extension's DND/CF/CFB/CFU keys again (after dnd and call_forward).
    std::function<void(const std::string& exten)> refresh_astdb;
    // Sets the bridge's log level (log_level command); false when it cannot.
    std::function<bool(const std::string& level)> set_log_level;
};

class Router {
public:
    explicit Router(RouterDeps deps);
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    // Commands answered with status ok / with an error, since start (bridge/stats).
    std::uint64_t served() const noexcept { return served_; }
    std::uint64_t failed() const noexcept { return failed_; }

    // The filters to subscribe to (none when [commands] enabled = false).
    std::vector<std::string> subscriptions() const;
    // One incoming MQTT message; false when the topic is not a command topic.
    bool handle(const mqtt::IncomingMessage& message);
    std::size_t in_flight() const noexcept { return in_flight_; }
    // Configuration reload: these rules apply to the requests that arrive from now on; those in
    // flight finish under the rules they started with. The caller (un)subscribes when `enabled` flips.
    void reconfigure(config::CommandsConfig config, std::string dial_prefix, std::chrono::milliseconds action_timeout);
    const config::CommandsConfig& config() const noexcept { return deps_.config; }

private:
    struct Target;
    struct Running;
    void run(const std::string& command, const nlohmann::json& request, Target target);
    void next_step(const std::shared_ptr<Running>& running);
    void reply(const Target& target, const Reply& reply);
    void health_check(Target target);

    RouterDeps deps_;
    std::regex dial_pattern_;
    std::size_t in_flight_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::uint64_t served_ = 0;
    std::uint64_t failed_ = 0;
};

}  // namespace commands
