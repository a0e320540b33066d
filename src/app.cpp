#include "app.hpp"

#include <utility>  // before Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>
#include <algorithm>
#include <csignal>
#include <optional>
#include <set>
#include <ctime>
#include <spdlog/spdlog.h>

#include "ami/client.hpp"
#include "config/reload.hpp"
#include "core/bridge_core.hpp"
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
    std::unique_ptr<mqtt::PahoClient> mqtt;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<ami::Client> ami;
    std::unique_ptr<mqtt::LogMirror> log_mirror;  // [log] mqtt; destroyed first (it calls into core)
    int exit_code = 0;
    bool stopping = false;

    explicit Impl(config::Config c) : config(std::move(c)) {
        mqtt = std::make_unique<mqtt::PahoClient>(
            io, config.mqtt, mqtt::Topics(config.topic_root()).bridge_state(),
            mqtt::PahoCallbacks{[this] { core->mqtt_connected(); }, [] {},
                                [this](const mqtt::IncomingMessage& m) {
                                    core->mqtt_message(m, std::chrono::steady_clock::now());
                                    ami->poke();  // a command may have queued AMI actions
                                },
                                [this](const std::string& topic) { core->mqtt_publish_failed(topic); }});
        core = std::make_unique<core::BridgeCore>(core_options(config), *mqtt);
        ami = std::make_unique<ami::Client>(io, *core, client_options(config));
        ami->on_gave_up = [this] {
            exit_code = 1;
            stop("AMI connection lost with reconnect off");
        };
        // Retained topics an earlier run (or a broker restored from an old persistence file) left
        // behind are cleared once the tree is complete (see mqtt/stale_topics.hpp).
        mirror_log(config.log.mqtt);
        core->on_tree_complete = [this] {
            if (!stopping) stale_sweep.start(config.mqtt, mqtt::owned_filters(core->topics().base()));
        };
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
            mqtt->reconfigure(config.mqtt, farewell);
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
        mqtt->stop(mqtt::OutgoingMessage{core->topics().bridge_state(), "offline", true, 1, std::nullopt},
                   std::chrono::milliseconds(2000));
        signals.cancel();
        stale_sweep.cancel();
        stats_timer.cancel();
        io.stop();
    }

    int run() {
        spdlog::info("pbx2mqtt {} starting: AMI {}@{}:{}, MQTT {} base '{}'", kVersion, config.ami.username, config.ami.host,
                     config.ami.port, config.mqtt.uri, config.topic_root());
        wait_signal();
        core->start();
        schedule_stats();
        mqtt->start();
        ami->start();
        io.run();
        spdlog::info("stopped");
        return exit_code;
    }
};

App::App(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
App::~App() = default;
int App::run() { return impl_->run(); }

}  // namespace pbx2mqtt
