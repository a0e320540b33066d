// Home Assistant discovery against the real bridge, simulator and mosquitto: the configs reach a
// subscriber retained, the discovered DND switch works (its payload_on on its command_topic sets
// DND in the PBX, and its state_topic follows), HA's birth message brings every config again, and
// an extension that disappears from the PBX gets an empty retained config.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>

#include "harness.hpp"

namespace homeassistant_it {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;

constexpr auto kWait = 10s;
const std::string kDnd2004 = "homeassistant/switch/pbx2mqtt_pbx/pbx2mqtt_pbx_ext_2004_dnd/config";

struct Stack {
    Mosquitto broker;
    Simulator sim;
    std::unique_ptr<Bridge> bridge;
    MqttProbe probe;
    Stack() {
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = broker.uri();
        c.set("homeassistant", "enabled", "true");
        bridge = std::make_unique<Bridge>(c);
        probe.connect(broker.uri());
        probe.subscribe("pbx/#");
        probe.subscribe("homeassistant/#");
    }
    json config(const std::string& topic) {
        const auto v = probe.snapshot().value(topic);
        return v && !v->empty() ? json::parse(*v) : json();
    }
};

TEST(HomeAssistantDiscovery, TheDiscoveredDndSwitchTogglesDndInThePbx) {
    Stack s;
    ASSERT_TRUE(s.probe.wait_for([](const Snapshot& snap) { return snap.value(kDnd2004).has_value(); }, kWait)) << s.bridge->log();
    const json sw = s.config(kDnd2004);
    ASSERT_TRUE(sw.is_object());
    EXPECT_EQ(sw["availability"][0]["topic"], "pbx/bridge/state");
    EXPECT_EQ(s.probe.wait_for_value(sw["availability"][0]["topic"], sw["availability"][0]["payload_available"], kWait), "online");
    EXPECT_EQ(s.probe.wait_for_value(sw["state_topic"], sw["state_off"], kWait), sw["state_off"].get<std::string>());

    // What Home Assistant does when the switch is turned on, then off.
    s.probe.publish(sw["command_topic"], sw["payload_on"]);
    EXPECT_EQ(s.probe.wait_for_value(sw["state_topic"], sw["state_on"], kWait), sw["state_on"].get<std::string>());
    EXPECT_EQ(s.probe.wait_for_value("pbx/extensions/2004/status", "dnd", kWait), "dnd");
    const json pbx = json::parse(s.sim.control("state").substr(3));
    EXPECT_EQ(pbx["db"].value("/DND/2004", std::string("(none)")), "YES") << "the PBX's AstDB";
    s.probe.publish(sw["command_topic"], sw["payload_off"]);
    EXPECT_EQ(s.probe.wait_for_value(sw["state_topic"], sw["state_off"], kWait), sw["state_off"].get<std::string>());
    EXPECT_EQ(s.probe.wait_for_value("pbx/extensions/2004/status", "online", kWait), "online");
}

TEST(HomeAssistantDiscovery, BirthMessageRepublishesAndAVanishedExtensionIsRemoved) {
    Stack s;
    ASSERT_TRUE(s.probe.wait_for([](const Snapshot& snap) { return snap.value(kDnd2004).has_value(); }, kWait)) << s.bridge->log();
    const std::size_t before = s.probe.snapshot().count(kDnd2004);
    s.probe.publish("homeassistant/status", "online");
    EXPECT_TRUE(s.probe.wait_for([&](const Snapshot& snap) { return snap.count(kDnd2004) > before; }, kWait))
        << "HA's birth message must bring the configs again";

    // 2004 is no longer an extension: the configuration now names it a trunk (SIGHUP).
    const std::string status = "homeassistant/sensor/pbx2mqtt_pbx/pbx2mqtt_pbx_ext_2004_status/config";
    ASSERT_TRUE(s.config(status).is_object());
    {
        // The bridge's own file, with 2004 added to the trunks and nothing else changed.
        std::ifstream in(s.bridge->config_path());
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string before = "trunks = [\"trunk1\"]";
        const auto at = text.find(before);
        ASSERT_NE(at, std::string::npos) << text;
        text.replace(at, before.size(), "trunks = [\"trunk1\", \"2004\"]");
        std::ofstream out(s.bridge->config_path(), std::ios::trunc);
        out << text;
    }
    ASSERT_TRUE(s.bridge->process().signal(SIGHUP));
    EXPECT_TRUE(s.probe.wait_for([&](const Snapshot& snap) {
        return snap.value(status) == std::string();  // the last message: an empty retained config
    }, kWait)) << "the removed extension's entities must get an empty retained config\n" << s.bridge->log();
    EXPECT_TRUE(s.probe.wait_for([&](const Snapshot& snap) {
        return snap.value(kDnd2004) == std::string();
    }, kWait));
    EXPECT_TRUE(s.config("homeassistant/sensor/pbx2mqtt_pbx/pbx2mqtt_pbx_ext_2003_status/config").is_object());
}

}  // namespace homeassistant_it
