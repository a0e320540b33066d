// Home Assistant MQTT discovery: every config the bridge publishes is checked against HA's
// documented schema of its component (required keys, known keys only, the availability and
// device every entity must have), and its topics are wired to what the bridge really publishes
// and subscribes to. Driven by the recorded Asterisk 20 PBX through the real core.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>

#include "core/bridge_core.hpp"
#include "core_rig.hpp"
#include "homeassistant/discovery.hpp"

namespace homeassistant_test {  // named: the unity build compiles several test files as one

using nlohmann::json;

core::CoreOptions options(bool enabled) {
    core::CoreOptions o;
    o.session.username = "bridge";
    o.session.secret = "bridgepass";
    o.trunks = {"trunk1"};
    o.version = "1.2.3";
    o.homeassistant.enabled = enabled;
    return o;
}

struct Harness : testsupport::CoreRig {
    explicit Harness(bool enabled = true) : CoreRig(options(enabled), "asterisk20-chansip/01-snapshot-actions.txt") {}
    // Discovery topic -> config, as a broker holds them now.
    std::map<std::string, json> configs() const {
        std::map<std::string, json> out;
        for (const auto& [topic, payload] : port.retained())
            if (topic.rfind("homeassistant/", 0) == 0 && !payload.empty()) out[topic] = json::parse(payload);
        return out;
    }
};

// HA's documented configuration keys of each component used (MQTT sensor, switch, event), plus
// the keys common to all MQTT entities.
const std::set<std::string> kCommon = {"name", "unique_id", "object_id", "availability", "availability_mode", "device",
                                       "origin", "icon", "entity_category", "enabled_by_default", "qos",
                                       "json_attributes_topic", "json_attributes_template"};
const std::map<std::string, std::set<std::string>> kComponentKeys = {
    {"sensor", {"state_topic", "value_template", "device_class", "options", "state_class", "unit_of_measurement",
                "expire_after", "force_update", "last_reset_value_template", "suggested_display_precision"}},
    {"switch", {"command_topic", "state_topic", "payload_on", "payload_off", "state_on", "state_off", "optimistic",
                "retain", "value_template", "device_class", "command_template"}},
    {"event", {"state_topic", "event_types", "value_template", "device_class"}},
};
const std::map<std::string, std::vector<std::string>> kRequired = {
    {"sensor", {"state_topic"}}, {"switch", {"command_topic"}}, {"event", {"state_topic", "event_types"}}};

// An MQTT filter matches a topic (+ and # wildcards).
bool matches(const std::string& filter, const std::string& topic) {
    std::string pattern;
    for (char c : filter) {
        if (c == '+') pattern += "[^/]+";
        else if (c == '#') pattern += ".*";
        else if (std::string("\\^$.|?*()[]{}").find(c) != std::string::npos) pattern += std::string("\\") + c;
        else pattern += c;
    }
    return std::regex_match(topic, std::regex(pattern));
}

TEST(HomeAssistant, EveryDiscoveryConfigFollowsTheSchemaOfItsComponentAndIsWiredToRealTopics) {
    Harness h;
    const auto configs = h.configs();
    const auto retained = h.port.retained();
    std::map<std::string, int> per_component;
    std::set<std::string> unique_ids;
    for (const auto& [topic, c] : configs) {
        // <prefix>/<component>/<node id>/<object id>/config
        const std::regex shape("homeassistant/(sensor|switch|event)/pbx2mqtt_pbx/([a-zA-Z0-9_-]+)/config");
        std::smatch m;
        ASSERT_TRUE(std::regex_match(topic, m, shape)) << topic;
        const std::string component = m[1];
        ++per_component[component];
        for (const auto& key : kRequired.at(component)) EXPECT_TRUE(c.contains(key)) << topic << " lacks " << key;
        for (const auto& [key, value] : c.items())
            EXPECT_TRUE(kCommon.count(key) || kComponentKeys.at(component).count(key)) << topic << ": unknown key " << key;
        EXPECT_TRUE(unique_ids.insert(c["unique_id"].get<std::string>()).second) << "duplicate unique_id " << c["unique_id"];
        EXPECT_EQ(c["object_id"], m[2].str()) << topic;
        ASSERT_TRUE(c["availability"].is_array()) << topic;
        EXPECT_EQ(c["availability"][0]["topic"], "pbx/bridge/state");
        EXPECT_EQ(c["availability"][0]["payload_available"], "online");
        EXPECT_EQ(c["availability"][0]["payload_not_available"], "offline");
        EXPECT_EQ(retained.at("pbx/bridge/state"), "online");
        EXPECT_EQ(c["device"]["identifiers"], json::array({"pbx2mqtt_pbx"}));
        EXPECT_EQ(c["device"]["manufacturer"], "Asterisk");
        EXPECT_FALSE(c["device"]["model"].get<std::string>().empty());
        EXPECT_EQ(c["device"]["sw_version"], "20.20.1") << "the PBX's version";
        EXPECT_EQ(c["origin"]["name"], "pbx2mqtt");
        EXPECT_EQ(c["origin"]["sw_version"], "1.2.3");
        // State topics: retained topics the bridge publishes (the event topic is news, not state).
        if (component != "event") {
            ASSERT_TRUE(retained.count(c["state_topic"])) << topic << ": " << c["state_topic"] << " is not published";
        } else {
            EXPECT_TRUE(std::regex_match(c["state_topic"].get<std::string>(), std::regex("pbx/extensions/[^/]+/event")));
        }
        if (c.contains("options")) {
            EXPECT_EQ(c["device_class"], "enum");
            const std::string state = retained.at(c["state_topic"]);
            EXPECT_NE(std::find(c["options"].begin(), c["options"].end(), state), c["options"].end())
                << "the published state '" << state << "' is not among the options of " << topic;
        }
        // Command topics: topics the bridge subscribes to, taking the payloads HA sends.
        if (c.contains("command_topic")) {
            const std::string command = c["command_topic"];
            bool subscribed = false;
            for (const auto& filter : h.port.subscriptions) subscribed = subscribed || matches(filter, command);
            EXPECT_TRUE(subscribed) << command << " is not subscribed";
            EXPECT_EQ(c["payload_on"], "ON");
            EXPECT_EQ(c["payload_off"], "OFF");
            const std::string state = retained.at(c["state_topic"]);
            EXPECT_TRUE(state == c["state_on"] || state == c["state_off"]) << state;
        }
    }
    // Extensions 2001-2006 (trunk1 is a trunk): status, DND, active calls, call events; queues 401,
    // 402, 403: two sensors each; the default parking lot: one.
    const std::size_t extensions = h.core->state().extensions().extensions().size();
    const std::size_t queues = h.core->state().queues().queues().size();
    const std::size_t lots = h.core->state().parkings().lots().size();
    EXPECT_GE(extensions, 6u);
    EXPECT_GE(queues, 1u);
    EXPECT_GE(lots, 1u);
    EXPECT_EQ(per_component["switch"], static_cast<int>(extensions));
    EXPECT_EQ(per_component["event"], static_cast<int>(extensions));
    EXPECT_EQ(per_component["sensor"], static_cast<int>(2 * extensions + 2 * queues + lots));
    EXPECT_TRUE(configs.count("homeassistant/sensor/pbx2mqtt_pbx/pbx2mqtt_pbx_ext_2001_status/config"));
    EXPECT_TRUE(std::count(h.port.subscriptions.begin(), h.port.subscriptions.end(), "homeassistant/status"));
}

TEST(HomeAssistant, AnEntityThatDisappearsGetsAnEmptyRetainedConfig) {
    Harness h;
    const std::string config = "homeassistant/switch/pbx2mqtt_pbx/pbx2mqtt_pbx_ext_2006_dnd/config";
    ASSERT_TRUE(h.configs().count(config));
    // 2006 is now configured as a trunk: no longer an extension.
    h.core->reconfigure_trunks({"trunk1", "2006"});
    h.pump(h.pbx->answer(h.core->take_ami_output()));
    EXPECT_FALSE(h.core->state().extensions().extensions().count("2006"));
    const auto values = h.port.values(config);
    ASSERT_FALSE(values.empty());
    EXPECT_EQ(values.back(), "") << "the entity must be removed from Home Assistant";
    EXPECT_FALSE(h.configs().count(config));
    EXPECT_TRUE(h.configs().count("homeassistant/switch/pbx2mqtt_pbx/pbx2mqtt_pbx_ext_2005_dnd/config"));
}

TEST(HomeAssistant, BirthMessageRepublishesEveryConfigAndStatusChangesPublishNone) {
    Harness h;
    const std::size_t configs = h.configs().size();
    ASSERT_GT(configs, 20u);
    h.port.published.clear();
    // A live status change: configs stay as they are, nothing republished.
    h.events("asterisk20-chansip/05-call-2001-2002.txt");
    for (const auto& m : h.port.published) EXPECT_NE(m.topic.rfind("homeassistant/", 0), 0u) << m.topic;
    h.port.published.clear();
    h.core->mqtt_message({"homeassistant/status", "online", false, std::nullopt, std::nullopt}, h.now);
    std::size_t republished = 0;
    for (const auto& m : h.port.published)
        if (m.topic.rfind("homeassistant/", 0) == 0) {
            ++republished;
            EXPECT_TRUE(m.retain);
            EXPECT_FALSE(m.payload.empty());
        }
    EXPECT_EQ(republished, configs);
    h.port.published.clear();
    h.core->mqtt_message({"homeassistant/status", "offline", false, std::nullopt, std::nullopt}, h.now);
    EXPECT_TRUE(h.port.published.empty());
}

// With [pbx] node_id the bridge's base is "<base_topic>/<node_id>": two PBXs on one Home Assistant
// get two devices, distinct unique ids and config topics, each wired to its own node's topics.
TEST(HomeAssistant, NodeIdsKeepDevicesAndUniqueIdsApart) {
    Harness h;
    homeassistant::DiscoveryOptions a, b;
    a.base_topic = "pbx/site-a";
    b.base_topic = "pbx/site-b";
    const auto configs_a = homeassistant::discovery_configs(h.core->state(), a);
    const auto configs_b = homeassistant::discovery_configs(h.core->state(), b);
    ASSERT_FALSE(configs_a.empty());
    ASSERT_EQ(configs_a.size(), configs_b.size());
    std::set<std::string> unique_ids;
    for (const auto* configs : {&configs_a, &configs_b}) {
        for (const auto& [topic, payload] : *configs) {
            const auto j = nlohmann::json::parse(payload);
            EXPECT_TRUE(unique_ids.insert(j["unique_id"].get<std::string>()).second) << j["unique_id"];
            EXPECT_FALSE(configs_a.count(topic) && configs_b.count(topic)) << topic;
        }
    }
    const auto status = configs_a.at("homeassistant/sensor/pbx2mqtt_pbx_site-a/pbx2mqtt_pbx_site-a_ext_2001_status/config");
    const auto j = nlohmann::json::parse(status);
    EXPECT_EQ(j["state_topic"], "pbx/site-a/extensions/2001/status");
    EXPECT_EQ(j["availability"][0]["topic"], "pbx/site-a/bridge/state");
    EXPECT_EQ(j["device"]["identifiers"][0], "pbx2mqtt_pbx_site-a");
}

TEST(HomeAssistant, OffByDefault) {
    Harness h(false);
    EXPECT_TRUE(h.configs().empty());
    EXPECT_FALSE(std::count(h.port.subscriptions.begin(), h.port.subscriptions.end(), "homeassistant/status"));
}

}  // namespace homeassistant_test
