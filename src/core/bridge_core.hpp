#pragma once
// The bridge between the two I/O edges, pure: AMI session + PBX model + modules + retained
// store. The Asio edge feeds it AMI bytes and ticks and writes what it returns; the Paho edge
// implements mqtt::Port and reports connection changes. No sockets, no threads, no clock.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ami/session.hpp"
#include "commands/router.hpp"
#include "config/config.hpp"
#include "core/snapshot_sync.hpp"
#include "model/pbx_state.hpp"
#include "modules/module.hpp"
#include "mqtt/port.hpp"
#include "mqtt/retained_store.hpp"
#include "mqtt/topics.hpp"

namespace homeassistant {
class HomeAssistantModule;
}

namespace core {

struct CoreOptions {
    ami::SessionOptions session;
    std::set<std::string> trunks;
    std::string base_topic = "pbx";  // the root of every topic: [mqtt] base_topic, plus /<node_id> when set
    std::string node_id;             // [pbx] node_id, shown in bridge/info
    bool failover = false;           // [failover] enabled: <base>/bridge/leader is the election's, never stale
    int qos = 1;
    std::string version;
    std::string started_at;  // ISO 8601
    std::string ami_host;
    int ami_port = 0;
    // MQTT commands ([commands], [ami] prefix and action_timeout).
    config::CommandsConfig commands;
    std::string dial_prefix;
    std::chrono::milliseconds action_timeout{10000};
    // Sets the process's log level (the log_level command); unset: the command is unsupported.
    std::function<bool(const std::string& level)> set_log_level;
    // Home Assistant MQTT discovery ([homeassistant]).
    config::HomeAssistantConfig homeassistant;
    // The wall clock (fixed in tests; the system clock in the daemon).
    std::function<model::Timestamp()> wall_clock = [] { return std::chrono::system_clock::now(); };
};

class BridgeCore {
public:
    BridgeCore(CoreOptions options, mqtt::Port& port);
    ~BridgeCore();
    BridgeCore(const BridgeCore&) = delete;
    BridgeCore& operator=(const BridgeCore&) = delete;

    // Publishes the bridge's own topics and the (empty) model; call once.
    void start();

    // --- AMI edge ---
    void ami_connecting();
    void ami_connected(ami::Clock::time_point now);
    void ami_received(std::string_view bytes, ami::Clock::time_point now);
    void ami_disconnected(const std::string& reason);
    void tick(ami::Clock::time_point now);
    std::optional<ami::Clock::time_point> next_deadline() const { return session_.next_deadline(); }
    std::string take_ami_output() { return session_.take_output(); }
    // The core wants the AMI connection closed (dead peer, failed login, broken snapshot).
    std::function<void(const std::string& reason)> on_close_ami;

    // --- MQTT edge ---
    void mqtt_connected();
    // The broker refused or lost a retained publish while the connection stayed up: the topic's
    // current value (or its clear) is published again, so that the broker does not keep an old one.
    void mqtt_publish_failed(const std::string& topic);
    // The value the core asserts now on a retained topic, or null (the MQTT client's PayloadSource).
    // Builds it first when its build was deferred (RetainedStore::defer).
    const std::string* retained_payload(const std::string& topic) { return store_.payload(topic); }
    // <base>/bridge/stats (not retained): uptime, the MQTT client's counters (from the I/O edge)
    // and the core's own (AMI events in, logins, commands served and failed, retained publishes).
    // Nothing when MQTT is down.
    void publish_stats(std::chrono::seconds uptime, const mqtt::ClientStats& mqtt);
    // <base>/bridge/log (not retained): one log record ([log] mqtt mirrors warnings and errors).
    // Nothing when MQTT is down.
    void publish_log(std::string_view level, std::string_view message, std::string_view time);
    // The retained tree is complete (a full PBX snapshot applied while MQTT is connected): the
    // edge then reads the broker's retained topics under the bridge's collections and hands them
    // to clear_stale(). Once per MQTT connection.
    std::function<void()> on_tree_complete;
    // Clears the topics among `seen` that the bridge does not assert; returns how many.
    std::size_t clear_stale(const std::vector<std::string>& seen);
    // A command topic message; `now` dates the AMI actions it may send (their timeouts).
    void mqtt_message(const mqtt::IncomingMessage& message, ami::Clock::time_point now);

    // --- configuration reload (SIGHUP) ---
    // New rules for the commands that arrive from now on; subscribes or unsubscribes the command
    // topics when `enabled` flips. Commands in flight finish under the old rules.
    void reconfigure_commands(const config::CommandsConfig& commands, const std::string& dial_prefix,
                              std::chrono::milliseconds action_timeout);
    // New AMI login settings (they count from the next login) and the address shown in bridge/info.
    void reconfigure_ami(const ami::SessionOptions& session, const std::string& host, int port);
    // Trunks re-classified: the PBX is read again (now if logged in, else at the next login).
    void reconfigure_trunks(const std::set<std::string>& trunks);

    // --- lifecycle ---
    // Clean shutdown: Logoff queued on AMI; bridge/state offline published.
    void shutdown(ami::Clock::time_point now);

    const model::PbxState& state() const noexcept { return state_; }
    const mqtt::RetainedStore& store() const noexcept { return store_; }
    const modules::BridgeStatus& bridge_status() const noexcept { return status_; }
    const mqtt::Topics& topics() const noexcept { return topics_; }
    bool synchronizing() const noexcept { return sync_ != nullptr; }
    const commands::Router& router() const noexcept { return *router_; }
    ami::Session& session() noexcept { return session_; }

private:
    void on_logged_in(std::string_view banner);
    void on_event(const ami::Message& event);
    void start_snapshot();
    void snapshot_done(bool ok, const std::string& error);
    void apply(const model::ChangeSet& changes);
    void refresh_endpoint(const std::string& exten);
    void refresh_astdb(const std::string& exten);
    void set_ami_state(const std::string& state);
    void maybe_sweep();
    bool swept_this_connection_ = false;
    template <typename F>
    void for_each_module(const char* what, F&& f);

    CoreOptions options_;
    mqtt::Port& port_;
    mqtt::Topics topics_;
    mqtt::RetainedStore store_;
    modules::BridgeStatus status_;
    model::PbxState state_;
    ami::Session session_;
    modules::Context context_;
    std::vector<std::unique_ptr<modules::Module>> modules_;
    homeassistant::HomeAssistantModule* homeassistant_ = nullptr;  // one of modules_, when enabled
    std::uint64_t events_in_ = 0;  // AMI events since start
    std::uint64_t events_unchanged_ = 0;  // of those, events that changed nothing in the model
    // While ami_received() works through one read of AMI bytes, the changes of its events are
    // merged here and the modules render them once at the end: an extension changed by the 20
    // events of a call step is rendered and published once, not 20 times (coalescing at the
    // source: under load a read holds hundreds of events).
    bool batching_ = false;
    model::ChangeSet pending_;
    std::uint64_t logins_ = 0;     // AMI logins since start
    std::shared_ptr<SnapshotSync> sync_;
    std::vector<ami::Message> events_during_sync_;
    ami::Clock::time_point now_{};
    ami::Clock::time_point sync_started_{};
    std::size_t events_since_login_ = 0;
    // Names of events that changed nothing in the model (unknown events, or about channels and
    // bridges nobody announced): each is logged once, at most 256 names.
    std::set<std::string, std::less<>> dropped_event_names_;
    bool started_ = false;
    // Commands waiting for the snapshot in progress (the resync command).
    std::vector<std::function<void(bool ok, const std::string& error)>> resync_waiters_;
    void notify_resync_waiters(bool ok, const std::string& error);
    nlohmann::ordered_json health() const;
    // Last: it holds callbacks into the session and the state above.
    std::unique_ptr<commands::Router> router_;
};

}  // namespace core
