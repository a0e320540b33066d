// Configuration reload on SIGHUP, read-only mode and clean shutdown on SIGINT: the real bridge
// binary, the AMI simulator and a real mosquitto. The config file is rewritten in place (the
// bridge's --config path) and the bridge is sent SIGHUP, as an operator would.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>

#include "harness.hpp"
#include "oracle.hpp"

namespace reload_test {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;

constexpr auto kWait = 10s;

void write_config(const Bridge& bridge, const BridgeConfig& config) {
    std::ofstream out(bridge.config_path(), std::ios::trunc);
    out << config.render();
    ASSERT_TRUE(out.good()) << bridge.config_path();
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
    return n;
}

struct Stack {
    Mosquitto broker;
    Simulator sim;
    BridgeConfig config;
    std::unique_ptr<Bridge> bridge;
    MqttProbe probe;

    explicit Stack(const std::function<void(BridgeConfig&)>& tweak = {}, MosquittoOptions broker_options = {})
        : broker(std::move(broker_options)) {
        config.ami_port = sim.ami_port();
        config.mqtt_uri = broker.uri();
        config.mqtt_client_id = "reload-bridge";  // render() would make up a new one each time
        if (tweak) tweak(config);
        bridge = std::make_unique<Bridge>(config);
        probe.connect(broker.uri());
        probe.subscribe("pbx/#");
    }
    std::string log() const { return bridge->log(); }
    // The snapshot is done and bridge/info says AMI is connected: the bridge subscribed to its
    // command topics before it published that (one client's packets are handled in order).
    bool ready() {
        return bridge->process().wait_for_log("PBX snapshot:", kWait) && probe.wait_for([](const Snapshot& snap) {
            auto it = snap.retained.find("pbx/bridge/info");
            return it != snap.retained.end() && json::parse(it->second)["ami"]["connected"] == true;
        }, kWait);
    }
    // Rewrites the file, sends SIGHUP and waits for the reload's last log line (`done`, the n-th one).
    bool reload(const BridgeConfig& c, const std::string& done = "reload: ") {
        const std::size_t before = occurrences(log(), done);
        write_config(*bridge, c);
        if (!bridge->process().signal(SIGHUP)) return false;
        return eventually([&] { return occurrences(log(), done) > before; }, kWait);
    }
    // One request on <base>/cmd/<command>; the reply from <base>/cmd/<command>/result (null if none within timeout).
    json send(const std::string& command, const json& request, std::chrono::milliseconds timeout = kWait) {
        const std::string reply_topic = "pbx/cmd/" + command + "/result";
        const std::size_t before = probe.snapshot().count(reply_topic);
        probe.publish("pbx/cmd/" + command, request.dump());
        std::optional<std::string> got;
        probe.wait_for([&](const Snapshot& s) {
            std::size_t n = 0;
            for (const auto& m : s.messages)
                if (m.topic == reply_topic && ++n > before) {
                    got = m.payload;
                    return true;
                }
            return false;
        }, timeout);
        return got ? json::parse(*got) : json();
    }
    std::string error_code(const json& reply) { return reply.is_object() && reply.contains("error") ? reply["error"].value("code", "") : ""; }
};

TEST(Reload, DisablingACommandRefusesItAndKeepsEverythingElse) {
    Stack s;
    ASSERT_TRUE(s.ready()) << s.log();
    const json before = s.send("hangup", json::object());
    ASSERT_TRUE(before.is_object()) << "no reply to hangup";
    EXPECT_NE(s.error_code(before), "disabled") << before.dump();
    const std::string actions_before = s.sim.control("actions");

    s.probe.clear();
    BridgeConfig c = s.config;
    c.set("commands", "disabled", "[\"hangup\"]");
    ASSERT_TRUE(s.reload(c, "reload: 1 change(s) applied")) << s.log();
    EXPECT_NE(s.log().find("reload: commands.disabled changed"), std::string::npos) << s.log();

    const json refused = s.send("hangup", json::object());
    EXPECT_EQ(s.error_code(refused), "disabled") << refused.dump();
    const json health = s.send("health_check", json::object());
    ASSERT_TRUE(health.is_object()) << "no reply to health_check";
    EXPECT_EQ(health.value("status", ""), "ok") << health.dump();
    EXPECT_EQ(health["data"].value("healthy", false), true) << health.dump();

    // AMI was not dropped: one session, one login, and only the health check's Ping was sent since.
    EXPECT_EQ(s.sim.control("clients"), "OK 1");
    EXPECT_EQ(occurrences(s.log(), "AMI logged in"), 1u) << s.log();
    EXPECT_EQ(std::stoul(s.sim.control("actions").substr(3)), std::stoul(actions_before.substr(3)) + 1);
    // Nothing retained was republished (bridge/* aside).
    for (const auto& m : s.probe.snapshot().messages) {
        if (m.retained) {
            EXPECT_EQ(m.topic.rfind("pbx/bridge/", 0), 0u) << m.topic << " republished";
        }
    }
}

TEST(Reload, AnUnchangedFileLogsNoChange) {
    Stack s;
    ASSERT_TRUE(s.ready()) << s.log();
    ASSERT_TRUE(s.reload(s.config, "reload: no change")) << s.log();
}

TEST(Reload, AnInvalidFileIsReportedWithPositionsAndTheOldConfigurationKeepsRunning) {
    Stack s([](BridgeConfig& c) { c.set("commands", "disabled", "[\"hangup\"]"); });
    ASSERT_TRUE(s.ready()) << s.log();
    const std::string path = s.bridge->config_path().string();

    // A syntax error.
    write_config(*s.bridge, s.config);
    {
        std::ofstream out(s.bridge->config_path(), std::ios::app);
        out << "\n[log\nlevel = \"info\"\n";
    }
    std::size_t keeping = occurrences(s.log(), "reload failed, keeping the running configuration");
    ASSERT_TRUE(s.bridge->process().signal(SIGHUP));
    ASSERT_TRUE(eventually([&] { return occurrences(s.log(), "reload failed, keeping the running configuration") > keeping; }, kWait))
        << s.log();
    const std::string rendered = s.config.render();
    const auto header_line = std::count(rendered.begin(), rendered.end(), '\n') + (rendered.ends_with('\n') ? 2 : 1);
    EXPECT_NE(s.log().find(path + ":" + std::to_string(header_line) + ":5: "), std::string::npos) << s.log();

    // Wrong types, two of them: both reported with line and column.
    BridgeConfig bad = s.config;
    bad.set("ami", "port", "\"five\"");
    bad.set("log", "level", "5");
    const std::string text = bad.render();
    const auto line_of = [&](const std::string& start) {
        std::size_t line = 1;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text.compare(i, start.size(), start) == 0 && (i == 0 || text[i - 1] == '\n')) return line;
            if (text[i] == '\n') ++line;
        }
        return std::size_t{0};
    };
    const std::size_t port_line = line_of("port = \"five\"");
    const std::size_t level_line = line_of("level = 5");
    ASSERT_GT(port_line, 0u) << text;
    ASSERT_GT(level_line, 0u) << text;
    write_config(*s.bridge, bad);
    keeping = occurrences(s.log(), "reload failed, keeping the running configuration");
    ASSERT_TRUE(s.bridge->process().signal(SIGHUP));
    ASSERT_TRUE(eventually([&] { return occurrences(s.log(), "reload failed, keeping the running configuration") > keeping; }, kWait))
        << s.log();
    const std::string log = s.log();
    EXPECT_NE(log.find(path + ":" + std::to_string(port_line) + ":8: 'ami.port' must be an integer"), std::string::npos) << log;
    EXPECT_NE(log.find(path + ":" + std::to_string(level_line) + ":9: 'log.level' must be a string"), std::string::npos) << log;

    // The old configuration still runs: hangup still disabled, others answered, AMI untouched.
    EXPECT_EQ(s.error_code(s.send("hangup", json::object())), "disabled");
    const json health = s.send("health_check", json::object());
    EXPECT_EQ(health.is_object() ? health["data"].value("healthy", false) : false, true) << health.dump();
    EXPECT_EQ(occurrences(s.log(), "AMI logged in"), 1u);
    EXPECT_EQ(s.log().find("reload: no change"), std::string::npos);
}

TEST(Reload, AmiMovedToAnotherPbxReconnectsAndConvergesOnItsTruth) {
    Stack s;
    ASSERT_TRUE(s.ready()) << s.log();
    Simulator second;
    // The second PBX differs from the first: 2004 on DND, 2003 unregistered.
    ASSERT_EQ(second.control("dnd 2004 on"), "OK");
    ASSERT_EQ(second.control("unregister 2003"), "OK");

    BridgeConfig c = s.config;
    c.ami_port = second.ami_port();
    ASSERT_TRUE(s.reload(c, "reload: 1 change(s) applied, AMI reconnecting")) << s.log();
    ASSERT_TRUE(eventually([&] { return occurrences(s.log(), "PBX snapshot:") >= 2; }, kWait)) << s.log();
    EXPECT_EQ(second.control("clients"), "OK 1");

    // A fresh bridge on another base topic against the second PBX: the truth to compare with.
    const std::string difference = compare_with_fresh_bridge(s.probe, c, kWait);
    EXPECT_TRUE(difference.empty()) << difference;
    EXPECT_NE(s.probe.snapshot().value("pbx/bridge/info").value_or("").find(std::to_string(second.ami_port())), std::string::npos);
}

TEST(Reload, MqttMovedToAnotherBrokerRepublishesTheTreeThereAndLeavesOffline) {
    Stack s;
    ASSERT_TRUE(s.ready()) << s.log();
    Mosquitto second;
    BridgeConfig c = s.config;
    c.mqtt_uri = second.uri();
    ASSERT_TRUE(s.reload(c, "reload: 1 change(s) applied, MQTT reconnecting")) << s.log();
    EXPECT_NE(s.log().find("reload: mqtt.uri changed"), std::string::npos);
    // The broker left keeps "offline" (not a stale "online").
    EXPECT_EQ(s.probe.wait_for_value("pbx/bridge/state", "offline", kWait), "offline");

    MqttProbe there;
    there.connect(second.uri());
    there.subscribe("pbx/#");
    EXPECT_EQ(there.wait_for_value("pbx/bridge/state", "online", kWait), "online");
    const auto strip = [](std::map<std::string, std::string> tree) {
        std::erase_if(tree, [](const auto& kv) { return kv.first.rfind("pbx/bridge/", 0) == 0; });
        return tree;
    };
    const auto before = strip(s.probe.retained_tree("pbx"));
    ASSERT_FALSE(before.empty());
    EXPECT_TRUE(eventually([&] { return strip(there.retained_tree("pbx")) == before; }, kWait, 50ms));
    // Commands are subscribed on the new broker.
    there.publish("pbx/cmd/health_check", "{}");
    EXPECT_TRUE(there.wait_for([](const Snapshot& snap) { return snap.count("pbx/cmd/health_check/result") > 0; }, kWait));
}

TEST(Reload, LogLevelChangeTakesEffect) {
    Stack s([](BridgeConfig& c) { c.log_level = "info"; });
    ASSERT_TRUE(s.ready()) << s.log();
    ASSERT_TRUE(s.send("health_check", json::object()).is_object());
    EXPECT_EQ(s.log().find("command topic pbx/cmd/health_check"), std::string::npos) << "a debug line at level info";

    BridgeConfig c = s.config;
    c.log_level = "debug";
    ASSERT_TRUE(s.reload(c, "reload: 1 change(s) applied")) << s.log();
    EXPECT_NE(s.log().find("reload: log.level changed"), std::string::npos);
    ASSERT_TRUE(s.send("health_check", json::object()).is_object());
    EXPECT_TRUE(s.bridge->process().wait_for_log("command topic pbx/cmd/health_check", kWait)) << s.log();
}

// Issue 5 "Authorization": with [commands] enabled = false the bridge subscribes to nothing.
TEST(Reload, ReadOnlyModeSubscribesToNothingAndSendsNothing) {
    Stack s([](BridgeConfig& c) {
        c.mqtt_client_id = "readonly-bridge";
        c.set("commands", "enabled", "false");
    }, MosquittoOptions{.global = "log_type all", .extra = {}});
    ASSERT_TRUE(s.ready()) << s.log();
    const std::string originate_before = s.sim.control("last-action Originate");
    s.probe.publish("pbx/cmd/call", json{{"from", "2001"}, {"to", "2002"}}.dump());
    s.probe.publish("pbx/cmd/health_check", "{}");
    // A message of ours through the same broker after them: once it is back, the requests had their chance.
    s.probe.publish("pbx/zz-barrier", "1");
    ASSERT_EQ(s.probe.wait_for_value("pbx/zz-barrier", "1", kWait), "1");
    EXPECT_FALSE(s.probe.wait_for([](const Snapshot& snap) {
        return snap.count("pbx/cmd/call/result") + snap.count("pbx/cmd/health_check/result") > 0;
    }, 500ms));
    EXPECT_EQ(s.sim.control("last-action Originate"), originate_before);
    const std::string broker_log = s.broker.log();
    EXPECT_NE(broker_log.find("Received SUBSCRIBE from " + s.probe.client_id()), std::string::npos) << broker_log;
    EXPECT_NE(broker_log.find("readonly-bridge"), std::string::npos) << broker_log;
    EXPECT_EQ(broker_log.find("Received SUBSCRIBE from readonly-bridge\n"), std::string::npos) << broker_log;

    // Enabled by reload: subscribed, answered; disabled again: unsubscribed.
    BridgeConfig c = s.config;
    c.set("commands", "enabled", "true");
    ASSERT_TRUE(s.reload(c, "reload: 1 change(s) applied")) << s.log();
    ASSERT_TRUE(eventually([&] { return s.broker.log().find("Received SUBSCRIBE from readonly-bridge\n") != std::string::npos; }, kWait));
    const json health = s.send("health_check", json::object());
    EXPECT_EQ(health.is_object() ? health["data"].value("healthy", false) : false, true) << health.dump();
    c.set("commands", "enabled", "false");
    ASSERT_TRUE(s.reload(c, "reload: 1 change(s) applied")) << s.log();
    ASSERT_TRUE(eventually([&] { return s.broker.log().find("Received UNSUBSCRIBE from readonly-bridge\n") != std::string::npos; }, kWait))
        << s.broker.log();
}

TEST(Reload, SigintPublishesOfflineLogsOffAndExitsZero) {
    Stack s;
    ASSERT_TRUE(s.ready()) << s.log();
    ASSERT_EQ(s.probe.wait_for_value("pbx/bridge/state", "online", kWait), "online");
    const auto t0 = Clock::now();
    ASSERT_TRUE(s.bridge->process().signal(SIGINT));
    int status = -1;
    ASSERT_TRUE(s.bridge->process().wait_exit(5s, &status));
    EXPECT_LT(Clock::now() - t0, 5s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(s.probe.wait_for_value("pbx/bridge/state", "offline", kWait), "offline");
    EXPECT_EQ(s.sim.control("last-action Logoff").substr(0, 2), "OK");
    EXPECT_NE(s.log().find("stopping (SIGINT)"), std::string::npos);
}

}  // namespace
