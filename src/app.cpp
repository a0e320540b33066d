#include "app.hpp"

#include <utility>  // before Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>
#include <algorithm>
#include <csignal>
#include <optional>
#include <set>
#include <cctype>
#include <cstring>
#include <ctime>
#include <random>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include "ami/client.hpp"
#include "config/reload.hpp"
#include "core/bridge_core.hpp"
#include "failover/election.hpp"
#include "mqtt/paho_client.hpp"
#include "mqtt/log_mirror.hpp"
#include "mqtt/stale_sweep.hpp"
#include "mqtt/stale_topics.hpp"
#include "version.hpp"

namespace pbx2mqtt {

namespace asio = boost::asio;

namespace {
std::string iso8601_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

ami::SessionOptions session_options(const config::Config& c) {
    ami::SessionOptions o;
    o.username = c.ami.username;
    o.secret = c.ami.password.reveal();
    o.keepalive = c.ami.keepalive;
    o.login_timeout = c.ami.action_timeout;
    return o;
}

ami::ClientOptions client_options(const config::Config& c) {
    ami::ClientOptions o;
    o.host = c.ami.host;
    o.port = c.ami.port;
    o.reconnect = c.ami.reconnect;
    o.reconnect_after = c.ami.reconnect_after;
    o.reconnect_max = c.ami.reconnect_max;
    return o;
}

// Debug lines reach the log as they happen when the level asks for them.
void set_log_level(const std::string& level) {
    const auto l = spdlog::level::from_str(level);
    spdlog::set_level(l);
    spdlog::flush_on(std::min(l, spdlog::level::info));
}

core::CoreOptions core_options(const config::Config& c) {
    core::CoreOptions o;
    o.session = session_options(c);
    o.trunks = std::set<std::string>(c.pbx.trunks.begin(), c.pbx.trunks.end());
    o.base_topic = c.topic_root();  // with [pbx] node_id, every topic lives under <base>/<node_id>
    o.node_id = c.pbx.node_id;
    o.failover = c.failover.enabled;
    o.qos = c.mqtt.qos;
    o.version = kVersion;
    o.started_at = iso8601_now();
    o.ami_host = c.ami.host;
    o.ami_port = c.ami.port;
    o.commands = c.commands;
    o.dial_prefix = c.ami.prefix;
    o.action_timeout = c.ami.action_timeout;
    o.homeassistant = c.homeassistant;
    o.set_log_level = [](const std::string& level) {
        set_log_level(level);
        return true;
    };
    return o;
}

// With [failover] on, what the core publishes reaches the broker only while this instance is the
// confirmed leader, except command replies: a standby answers pbx_unavailable while no bridge is
// online.
class FailoverGate final : public mqtt::Port {
public:
    FailoverGate(mqtt::PahoClient& client, const mqtt::Topics& topics, const failover::Election* election)
        : client_(client), stats_(topics.bridge_stats()), log_(topics.bridge_log()), election_(election) {}
    void publish(mqtt::OutgoingMessage m) override {
        // A standby asserts no state (retained) and none of the bridge's own reports.
        if (election_ && !election_->publishing() && (m.retain || m.topic == stats_ || m.topic == log_)) return;
        client_.publish(std::move(m));
    }
    void subscribe(const std::string& filter, int qos) override { client_.subscribe(filter, qos); }
    void unsubscribe(const std::string& filter) override { client_.unsubscribe(filter); }
    bool connected() const override { return client_.connected(); }
    bool takes_references() const override { return client_.takes_references(); }
    bool waiting(const std::string& topic) const override { return client_.waiting(topic); }

private:
    mqtt::PahoClient& client_;
    std::string stats_;
    std::string log_;
    const failover::Election* election_;  // null: [failover] off, everything goes out
};

std::string default_instance_id() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "host");
    std::string id;
    for (const char* c = host; *c; ++c)  // a node id's alphabet: it goes into the client id and a payload
        id += (std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '_') ? *c : '-';
    return id + "-" + std::to_string(::getpid());
}

}  // namespace

struct App::Impl {
    config::Config config;
    asio::io_context io{1};
    asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
    // Clears retained topics left by earlier runs, once the tree is complete (mqtt/stale_sweep.hpp).
    mqtt::StaleSweep stale_sweep{io, [this](const std::vector<std::string>& topics) {
                                     if (!stopping) core->clear_stale(topics);
                                 }};
    asio::steady_timer stats_timer{io};
    const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    // [failover] (docs/scaling.md "Failover"): the election on <base>/bridge/leader and
    // <base>/bridge/state (failover/election.hpp); absent when [failover] is off. Declared
    // before mqtt and gate: the gate points at it.
    const bool failover = config.failover.enabled;
    const std::string instance_id = config.failover.instance_id.empty() ? default_instance_id() : config.failover.instance_id;
    std::mt19937 rng{std::random_device{}()};
    std::optional<failover::Election> election;
    const std::string state_topic = mqtt::Topics(config.topic_root()).bridge_state();
    const std::string leader_topic = config.topic_root() + "/bridge/leader";
    asio::steady_timer election_timer{io};
    std::uint64_t election_timer_armed = 0;  // a completion already queued when re-armed is stale
    bool active() const { return !election || election->active(); }
    bool publishing() const { return !election || election->publishing(); }
    std::unique_ptr<mqtt::PahoClient> mqtt;
    std::unique_ptr<mqtt::Port> gate;  // a FailoverGate between the core and mqtt: outlives the core
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<ami::Client> ami;
    std::unique_ptr<mqtt::LogMirror> log_mirror;  // [log] mqtt; destroyed first (it calls into core)
    int exit_code = 0;
    bool stopping = false;

    // Two instances share one config: their MQTT client ids must differ.
    config::MqttConfig mqtt_config() const {
        config::MqttConfig m = config.mqtt;
        if (failover) m.client_id += "-" + instance_id;
        return m;
    }

    explicit Impl(config::Config c) : config(std::move(c)) {
        if (failover)
            election.emplace(instance_id, failover::Timing::for_keepalive(config.mqtt.keepalive),
                             [this](std::chrono::milliseconds max) {
                                 return std::chrono::milliseconds(std::uniform_int_distribution<long>(0, max.count())(rng));
                             });
        mqtt = std::make_unique<mqtt::PahoClient>(
            io, mqtt_config(), failover ? std::string() : state_topic,  // a standby has no will
            mqtt::PahoCallbacks{[this] {
                                    if (election) apply(election->connected());
                                    else core->mqtt_connected();
                                },
                                [this] {
                                    if (election) apply(election->disconnected());
                                },
                                [this](const mqtt::IncomingMessage& m) {
                                    if (election && m.topic == state_topic) {
                                        apply(election->state_message(m.payload, m.retained));
                                        return;
                                    } else if (election && m.topic == leader_topic) {
                                        apply(election->leader_message(m.payload, m.retained, std::chrono::steady_clock::now()));
                                        return;
                                    }
                                    // A standby answers commands (pbx_unavailable) only while no bridge is online.
                                    if (election && !election->handles_commands()) return;
                                    core->mqtt_message(m, std::chrono::steady_clock::now());
                                    if (active()) ami->poke();  // a command may have queued AMI actions
                                },
                                [this](const std::string& topic) {
                                    if (topic == leader_topic) {  // the election's, not the core's store
                                        if (publishing())
                                            publish_leader();
                                        return;
                                    }
                                    core->mqtt_publish_failed(topic);
                                }});
        gate = std::make_unique<FailoverGate>(*mqtt, mqtt::Topics(config.topic_root()), election ? &*election : nullptr);
        if (failover) {
            // Retain As Published off: a live claim is told from the retained one of an old leader.
            mqtt->subscribe_state(leader_topic, 1);
            mqtt->subscribe_state(state_topic, 1);
        }
        core = std::make_unique<core::BridgeCore>(core_options(config), *gate);
        // Retained updates wait in the client's queue as topics; their payloads are read from the
        // core's retained store when sent (mqtt::OutgoingMessage::by_reference).
        mqtt->set_payload_source([this](const std::string& topic) { return core->retained_payload(topic); });
        // The winner reconnects (with its will): commands published meanwhile wait in its session.
        if (failover) mqtt->keep_session(std::max(std::chrono::seconds(10), 2 * config.mqtt.keepalive));
        ami = std::make_unique<ami::Client>(io, *core, client_options(config));
        ami->on_gave_up = [this] {
            exit_code = 1;
            stop("AMI connection lost with reconnect off");
        };
        // Retained topics an earlier run (or a broker restored from an old persistence file) left
        // behind are cleared once the tree is complete (see mqtt/stale_topics.hpp).
        mirror_log(config.log.mqtt);
        core->on_tree_complete = [this] {
            if (!stopping) stale_sweep.start(mqtt_config(), mqtt::owned_filters(core->topics().base()));
        };
    }

    // <base>/bridge/leader = this instance (retained, QoS 1): a claim, or the leader asserting itself.
    void publish_leader() { mqtt->publish(mqtt::OutgoingMessage{leader_topic, instance_id, true, 1, std::nullopt}); }

    // --- failover: carries out what the election decided ---
    void apply(const failover::Effects& e) {
        if (stopping) return;
        if (e.cancel_timer) {
            ++election_timer_armed;
            election_timer.cancel();
        }
        if (e.standby_ready) core->mqtt_connected();  // subscribes the command topics; the gate drops its state
        if (e.publish_claim) {
            spdlog::info("failover: no bridge online, instance {} claims the leadership", instance_id);
            publish_leader();
        }
        if (e.become_active) {
            spdlog::info("failover: instance {} is now active", instance_id);
            mqtt->set_will_topic(state_topic);
            mqtt->reconfigure(mqtt_config(), std::nullopt);  // the connection gets the will; the core republishes all
            ami->start();  // login, then the full snapshot; the stale sweep makes the tree exact
        }
        if (e.confirm) {
            // Retained, QoS 1: standbys and operators see who is active; asserted again after a
            // broker restart that lost it.
            publish_leader();
            core->mqtt_connected();  // bridge/state online and the whole tree
        }
        if (e.reassert_leader) {
            spdlog::info("failover: another instance claimed while {} leads; asserting the leadership", instance_id);
            publish_leader();
        }
        if (e.reassert_online) {
            spdlog::warn("failover: bridge/state said offline while {} is active (an old leader's will); online again", instance_id);
            mqtt->publish(mqtt::OutgoingMessage{state_topic, "online", true, 1, std::nullopt});
        }
        if (e.step_down) {
            spdlog::warn("failover: another instance took the leadership; {} steps down", instance_id);
            exit_code = 3;
            stop("leadership lost");
            return;
        }
        if (e.arm_timer) {
            spdlog::debug("failover: {} ({}), next look in {} ms", instance_id, failover::to_string(election->role()),
                          e.arm_timer->count());
            election_timer.expires_after(*e.arm_timer);
            const std::uint64_t armed = ++election_timer_armed;
            election_timer.async_wait([this, armed](boost::system::error_code ec) {
                if (ec || stopping || armed != election_timer_armed) return;
                apply(election->timer_fired(std::chrono::steady_clock::now()));
            });
        }
    }

    // [log] mqtt: warnings and errors also on <base>/bridge/log.
    void mirror_log(bool on) {
        if (!on) {
            log_mirror.reset();
            return;
        }
        if (log_mirror) return;
        log_mirror = std::make_unique<mqtt::LogMirror>(io, [this](const std::string& level, const std::string& message,
                                                                  const std::string& time) {
            if (!stopping) core->publish_log(level, message, time);
        });
    }

    // <base>/bridge/stats every [mqtt] stats_interval (0: never).
    void schedule_stats() {
        stats_timer.cancel();
        if (stopping || config.mqtt.stats_interval.count() == 0) return;
        stats_timer.expires_after(config.mqtt.stats_interval);
        stats_timer.async_wait([this](boost::system::error_code ec) {
            if (ec || stopping) return;
            core->publish_stats(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started),
                                mqtt->stats());
            schedule_stats();
        });
    }

    void wait_signal() {
        signals.async_wait([this](boost::system::error_code ec, int signo) {
            if (ec) return;
            if (signo == SIGHUP) {
                asio::post(io, [this] { reload(); });
                wait_signal();
                return;
            }
            stop(signo == SIGTERM ? "SIGTERM" : "SIGINT");
        });
    }

    // SIGHUP: reads the file again and applies what changed; an invalid file changes nothing.
    void reload() {
        if (stopping) return;
        spdlog::info("SIGHUP: reloading {}", config.source);
        auto loaded = config::load_file(config.source, config::process_environment());
        if (!loaded.ok()) {
            for (const auto& e : loaded.errors) spdlog::error("{}", e.to_string());
            spdlog::error("reload failed, keeping the running configuration ({} error(s) in {})", loaded.errors.size(),
                          config.source);
            return;
        }
        const config::ReloadPlan plan = config::plan_reload(config, *loaded.config);
        if (plan.unchanged()) {
            spdlog::info("reload: no change");
            return;
        }
        for (const auto& warning : plan.refused) spdlog::warn("reload: {}", warning);
        for (const auto& name : plan.applied) spdlog::info("reload: {} changed", name);
        const config::Config old = std::move(config);
        config = config::reloaded_config(old, *loaded.config);

        if (plan.log_level) set_log_level(config.log.level);
        if (plan.stats) schedule_stats();
        if (plan.log_mirror) mirror_log(config.log.mqtt);
        if (plan.commands)
            core->reconfigure_commands(config.commands, config.ami.prefix, config.ami.action_timeout);
        if (plan.ami_reconnect || plan.ami_live)
            core->reconfigure_ami(session_options(config), config.ami.host, config.ami.port);
        if (plan.ami_reconnect || plan.ami_live) ami->reconfigure(client_options(config), plan.ami_reconnect);
        // After an AMI reconnect was started this only stores them: the next login reads everything.
        if (plan.trunks) core->reconfigure_trunks(std::set<std::string>(config.pbx.trunks.begin(), config.pbx.trunks.end()));
        if (plan.mqtt_reconnect) {
            std::optional<mqtt::OutgoingMessage> farewell;
            if (old.mqtt.uri != config.mqtt.uri)  // the broker being left must not keep "online"
                farewell = mqtt::OutgoingMessage{core->topics().bridge_state(), "offline", true, 1, std::nullopt};
            if (!publishing()) farewell.reset();
            mqtt->reconfigure(mqtt_config(), farewell);
        }
        ami->poke();  // a resync may have queued actions
        spdlog::info("reload: {} change(s) applied{}{}{}", plan.applied.size(), plan.ami_reconnect ? ", AMI reconnecting" : "",
                     plan.mqtt_reconnect ? ", MQTT reconnecting" : "",
                     plan.refused.empty() ? "" : ", " + std::to_string(plan.refused.size()) + " refused (restart needed)");
    }

    void stop(const std::string& why) {
        if (stopping) return;
        stopping = true;
        spdlog::info("stopping ({})", why);
        core->shutdown(std::chrono::steady_clock::now());  // Logoff queued, bridge/state offline asserted
        ami->stop();
        election_timer.cancel();
        std::optional<mqtt::OutgoingMessage> farewell;
        if (publishing()) farewell = mqtt::OutgoingMessage{core->topics().bridge_state(), "offline", true, 1, std::nullopt};
        signals.cancel();
        stale_sweep.cancel();
        stats_timer.cancel();
        // What still waits goes out through the publish window first, then "offline" and
        // DISCONNECT, within 2 s; a standby or a leader stepping down sends nothing retained still
        // waiting in the queue.
        mqtt->stop_after_drain(farewell, std::chrono::milliseconds(2000), publishing(), [this] { io.stop(); });
    }

    int run() {
        spdlog::info("pbx2mqtt {} starting: AMI {}@{}:{}, MQTT {} base '{}'", kVersion, config.ami.username, config.ami.host,
                     config.ami.port, config.mqtt.uri, config.topic_root());
        wait_signal();
        core->start();
        schedule_stats();
        mqtt->start();
        if (active()) ami->start();  // a standby logs in to AMI when it becomes active
        io.run();
        spdlog::info("stopped");
        return exit_code;
    }
};

App::App(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
App::~App() = default;
int App::run() { return impl_->run(); }

}  // namespace pbx2mqtt
