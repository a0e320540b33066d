#include "app.hpp"

#include <utility>  // before Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>
#include <csignal>
#include <ctime>
#include <spdlog/spdlog.h>

#include "ami/client.hpp"
#include "core/bridge_core.hpp"
#include "mqtt/paho_client.hpp"
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

core::CoreOptions core_options(const config::Config& c) {
    core::CoreOptions o;
    o.session.username = c.ami.username;
    o.session.secret = c.ami.password.reveal();
    o.session.keepalive = c.ami.keepalive;
    o.session.login_timeout = c.ami.action_timeout;
    o.trunks = std::set<std::string>(c.pbx.trunks.begin(), c.pbx.trunks.end());
    o.base_topic = c.mqtt.base_topic;
    o.qos = c.mqtt.qos;
    o.version = kVersion;
    o.started_at = iso8601_now();
    o.ami_host = c.ami.host;
    o.ami_port = c.ami.port;
    o.commands = c.commands;
    o.dial_prefix = c.ami.prefix;
    o.action_timeout = c.ami.action_timeout;
    return o;
}
}  // namespace

struct App::Impl {
    config::Config config;
    asio::io_context io{1};
    asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
    std::unique_ptr<mqtt::PahoClient> mqtt;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<ami::Client> ami;
    int exit_code = 0;
    bool stopping = false;

    explicit Impl(config::Config c) : config(std::move(c)) {
        const std::string base = config.mqtt.base_topic;
        mqtt = std::make_unique<mqtt::PahoClient>(
            io, config.mqtt, base + "/bridge/state",
            mqtt::PahoCallbacks{[this] { core->mqtt_connected(); }, [] {},
                                [this](const mqtt::IncomingMessage& m) {
                                    core->mqtt_message(m, std::chrono::steady_clock::now());
                                    ami->poke();  // a command may have queued AMI actions
                                }});
        core = std::make_unique<core::BridgeCore>(core_options(config), *mqtt);
        ami::ClientOptions ao;
        ao.host = config.ami.host;
        ao.port = config.ami.port;
        ao.reconnect = config.ami.reconnect;
        ao.reconnect_after = config.ami.reconnect_after;
        ao.reconnect_max = config.ami.reconnect_max;
        ami = std::make_unique<ami::Client>(io, *core, ao);
        ami->on_gave_up = [this] {
            exit_code = 1;
            stop("AMI connection lost with reconnect off");
        };
    }

    void wait_signal() {
        signals.async_wait([this](boost::system::error_code ec, int signo) {
            if (ec) return;
            if (signo == SIGHUP) {
                spdlog::warn("SIGHUP: configuration reload is not supported yet; restart to apply changes");
                wait_signal();
                return;
            }
            stop(signo == SIGTERM ? "SIGTERM" : "SIGINT");
        });
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
        io.stop();
    }

    int run() {
        spdlog::info("pbx2mqtt {} starting: AMI {}@{}:{}, MQTT {} base '{}'", kVersion, config.ami.username, config.ami.host,
                     config.ami.port, config.mqtt.uri, config.mqtt.base_topic);
        wait_signal();
        core->start();
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
