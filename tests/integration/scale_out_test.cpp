// Many PBXs on one MQTT fabric (docs/scaling.md): two simulated PBXs, each with its own bridge
// ([pbx] node_id site-a / site-b) and its own mosquitto (edge), and a core mosquitto that both
// edges bridge to with mosquitto's own bridge feature, configured as docs/scaling.md shows.
// The core is persistent, as in production: after a restart it comes back with the retained
// tree it had, and must still end up with what changed or vanished while it was down.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "harness.hpp"

namespace scale_out_test {  // named: the unity build compiles several test files as one

using namespace harness;
using Tree = std::map<std::string, std::string>;

constexpr auto kWait = 15s;
// An edge notices the core is back within restart_timeout, then replays its retained tree and
// the messages it queued meanwhile.
constexpr auto kLinkBack = 30s;

// The edge side of the bridge (docs/scaling.md, "Edge broker"): the site's tree goes out, its
// command and setter topics come in; MQTT 5 keeps Response Topic and Correlation Data; a
// persistent session (cleansession false) makes the edge queue what changes while the link is down.
std::string edge_bridge_config(const std::string& node, std::uint16_t core_port) {
    const std::string root = "pbx/" + node;
    return "connection core-" + node + "\n" +
           "address 127.0.0.1:" + std::to_string(core_port) + "\n" +
           "remote_clientid edge-" + node + "\n" +
           "bridge_protocol_version mqttv50\n"
           "cleansession false\n"
           "try_private true\n"
           "restart_timeout 1\n"
           "keepalive_interval 5\n"
           "topic " + root + "/# out 1\n" +
           "topic " + root + "/cmd/+ in 1\n" +
           "topic " + root + "/extensions/+/dnd/set in 1\n" +
           "topic " + root + "/extensions/+/cf/set in 1\n" +
           "topic " + root + "/queues/+/members/+/paused/set in 1\n" +
           "topic " + root + "/bridge/request/+ in 1\n";
}

SimulatorOptions flavor_options(const std::string& flavor) {
    SimulatorOptions o;
    o.flavor = flavor;
    return o;
}

MosquittoOptions broker_options(std::string global, std::string extra) {
    MosquittoOptions o;
    o.global = std::move(global);
    o.extra = std::move(extra);
    return o;
}

// One site: its PBX, its edge broker (bridged to the core) and its bridge with a node id.
struct Site {
    std::string node;
    Simulator sim;
    Mosquitto edge;
    std::unique_ptr<Bridge> bridge;
    MqttProbe probe;  // on the edge: the site's truth

    Site(std::string node_id, const std::string& flavor, std::uint16_t core_port)
        : node(std::move(node_id)),
          sim(flavor_options(flavor)),
          edge(broker_options("max_queued_messages 100000\n", edge_bridge_config(node, core_port))) {
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = edge.uri();
        c.trunks = {"trunk1"};
        c.set("pbx", "node_id", toml_string(node));
        bridge = std::make_unique<Bridge>(c);
        probe.connect(edge.uri());
        probe.subscribe("#");
    }
    std::string root() const { return "pbx/" + node; }
    bool synced() { return bridge->process().wait_for_log("PBX snapshot:", kWait); }
    void ok(const std::string& line) {
        const std::string reply = sim.control(line);
        ASSERT_EQ(reply.substr(0, 2), "OK") << line << ": " << reply;
    }
};

std::string describe(const Tree& tree) {
    std::string out;
    for (const auto& [topic, payload] : tree) out += "  " + topic + " = " + payload.substr(0, 120) + "\n";
    return out;
}

// Topics in one tree and not the other, or with another payload.
std::string tree_difference(const Tree& core, const Tree& truth) {
    std::string out;
    for (const auto& [topic, payload] : core) {
        const auto it = truth.find(topic);
        if (it == truth.end()) out += "  only on the core: " + topic + " = " + payload.substr(0, 120) + "\n";
        else if (it->second != payload) out += "  differs: " + topic + ": core " + payload.substr(0, 120) + " vs edge " + it->second.substr(0, 120) + "\n";
    }
    for (const auto& [topic, payload] : truth)
        if (!core.count(topic)) out += "  missing on the core: " + topic + " = " + payload.substr(0, 120) + "\n";
    return out;
}

// What the core must hold: each edge's retained tree, each under its own node id.
Tree truth(const Site& a, const Site& b) {
    Tree all = a.probe.retained_tree(a.root());
    const Tree other = b.probe.retained_tree(b.root());
    all.insert(other.begin(), other.end());
    return all;
}

// Waits until the core's retained tree (as `core` sees it) equals the two edges' trees.
std::string core_equals_edges(const MqttProbe& core, const Site& a, const Site& b, std::chrono::milliseconds timeout) {
    std::string diff;
    const bool equal = eventually([&] {
        diff = tree_difference(core.retained_tree("pbx"), truth(a, b));
        return diff.empty();
    }, timeout, 50ms);
    return equal ? std::string() : "core vs edges:\n" + diff;
}

TEST(ScaleOut, TwoSitesThroughBridgedBrokersCommandsRouteByNodeAndTheCoreCatchesUpAfterALinkCut) {
    const std::filesystem::path core_db = test_output_dir() / "core-db";
    std::filesystem::create_directories(core_db);
    Mosquitto core(broker_options("", "persistence true\npersistence_location " + core_db.string() + "/\n"));
    Site a("site-a", "asterisk20-chansip", core.port());
    Site b("site-b", "asterisk22-pjsip", core.port());
    ASSERT_TRUE(a.synced()) << a.bridge->log();
    ASSERT_TRUE(b.synced()) << b.bridge->log();
    MqttProbe observer;  // a dashboard on the core
    observer.connect(core.uri());
    observer.subscribe("pbx/#");

    // --- Both trees on the core, each under its node id, nothing mixed.
    ASSERT_EQ(a.probe.wait_for_value("pbx/site-a/ami/state", "connected", kWait), "connected");
    ASSERT_EQ(b.probe.wait_for_value("pbx/site-b/ami/state", "connected", kWait), "connected");
    std::string diff = core_equals_edges(observer, a, b, kWait);
    ASSERT_TRUE(diff.empty()) << diff << "edge A log:\n" << a.edge.log() << "core log:\n" << core.log();
    for (const auto& [topic, payload] : observer.retained_tree("pbx"))
        EXPECT_TRUE(topic.rfind("pbx/site-a/", 0) == 0 || topic.rfind("pbx/site-b/", 0) == 0) << topic;
    EXPECT_TRUE(a.probe.retained_tree("pbx/site-b").empty()) << describe(a.probe.retained_tree("pbx/site-b"));
    EXPECT_TRUE(b.probe.retained_tree("pbx/site-a").empty()) << describe(b.probe.retained_tree("pbx/site-a"));
    EXPECT_TRUE(a.probe.retained_tree("pbx/extensions").empty());
    const Tree on_core = observer.retained_tree("pbx");
    EXPECT_EQ(nlohmann::json::parse(on_core.at("pbx/site-a/bridge/info"))["node_id"], "site-a");
    EXPECT_EQ(nlohmann::json::parse(on_core.at("pbx/site-b/bridge/info"))["node_id"], "site-b");
    // Site A is chan_sip with 2001-2006, site B PJSIP with 3001-3006: each under its own node.
    EXPECT_EQ(nlohmann::json::parse(on_core.at("pbx/site-a/extensions/2001"))["tech"], "SIP");
    EXPECT_EQ(nlohmann::json::parse(on_core.at("pbx/site-b/extensions/3001"))["tech"], "PJSIP");
    EXPECT_EQ(on_core.count("pbx/site-a/extensions/3001"), 0u);
    EXPECT_EQ(on_core.count("pbx/site-b/extensions/2001"), 0u);

    // --- A command published on the core for site A: executed by site A's PBX only, and the
    // reply comes back to the core on the requester's MQTT 5 response topic.
    ASSERT_EQ(a.sim.control("last-action DBPut").substr(0, 3), "ERR");
    observer.request("pbx/site-a/cmd/dnd", R"({"extension":"2002","enabled":true})", "pbx/site-a/reply/observer", "corr-7");
    std::optional<Message> reply;
    ASSERT_TRUE(observer.wait_for([&](const Snapshot& s) {
        for (const auto& m : s.messages)
            if (m.topic == "pbx/site-a/reply/observer") reply = m;
        return reply.has_value();
    }, kWait)) << a.bridge->log();
    EXPECT_EQ(reply->correlation_data, "corr-7");
    EXPECT_EQ(nlohmann::json::parse(reply->payload)["status"], "ok") << reply->payload;
    const std::string put = a.sim.control("last-action DBPut");
    EXPECT_EQ(put.substr(0, 2), "OK") << put;
    EXPECT_NE(put.find("2002"), std::string::npos) << put;
    EXPECT_EQ(b.sim.control("last-action DBPut").substr(0, 3), "ERR") << "site B executed site A's command";
    EXPECT_EQ(observer.wait_for_value("pbx/site-a/extensions/2002/status", "dnd", kWait), "dnd");
    EXPECT_EQ(observer.snapshot().count("pbx/site-a/reply/observer"), 1u);

    // --- Things that will vanish while the link is down: a dynamic queue member at site A, a
    // call at site B.
    a.ok("queue-add 401 SIP/2005 Eve");
    const std::string call = b.sim.control("call 3001 3002");
    ASSERT_EQ(call.substr(0, 2), "OK") << call;
    const std::string call_id = call.substr(3);
    b.ok("answer " + call_id);
    std::string b_call_topic;
    ASSERT_TRUE(observer.wait_for([&](const Snapshot& s) {
        for (const auto& [topic, payload] : s.retained)
            if (topic.rfind("pbx/site-b/calls/", 0) == 0) b_call_topic = topic;
        return !b_call_topic.empty() && s.retained.count("pbx/site-a/queues/401/members/SIP_2005");
    }, kWait)) << describe(observer.retained_tree("pbx"));
    diff = core_equals_edges(observer, a, b, kWait);
    ASSERT_TRUE(diff.empty()) << diff;

    // --- Cut the link: the core stops (and saves its retained tree). Meanwhile both PBXs change.
    core.stop();
    a.ok("unregister 2003");
    a.ok("queue-remove 401 SIP/2005");
    b.ok("hangup " + call_id);
    b.ok("unregister 3003");
    ASSERT_EQ(a.probe.wait_for_value("pbx/site-a/extensions/2003/status", "offline", kWait), "offline");
    ASSERT_TRUE(a.probe.wait_for([](const Snapshot& s) { return !s.retained.count("pbx/site-a/queues/401/members/SIP_2005"); }, kWait));
    ASSERT_TRUE(b.probe.wait_for([&](const Snapshot& s) { return !s.retained.count(b_call_topic); }, kWait));
    ASSERT_EQ(b.probe.wait_for_value("pbx/site-b/extensions/3003/status", "offline", kWait), "offline");

    // --- The core comes back on the same port with its old tree (persistence): once the edges
    // are connected again it must hold exactly the edges' trees, the clears included.
    core.start();
    MqttProbe late;  // subscribes only now: it sees exactly what the core retains
    late.connect(core.uri());
    late.subscribe("pbx/#");
    diff = core_equals_edges(late, a, b, kLinkBack);
    EXPECT_TRUE(diff.empty()) << diff << "core log:\n" << core.log() << "edge A log:\n" << a.edge.log();
    const Tree after = late.retained_tree("pbx");
    EXPECT_EQ(after.count("pbx/site-a/queues/401/members/SIP_2005"), 0u);
    EXPECT_EQ(after.count(b_call_topic), 0u);
    EXPECT_EQ(after.count("pbx/site-a/extensions/2003/status") ? after.at("pbx/site-a/extensions/2003/status") : "", "offline");
    EXPECT_EQ(after.count("pbx/site-b/extensions/3003/status") ? after.at("pbx/site-b/extensions/3003/status") : "", "offline");

    // Commands route again after the cut.
    observer.reconnect();
    observer.request("pbx/site-b/cmd/dnd", R"({"extension":"3002","enabled":true})", "pbx/site-b/reply/observer", "corr-8");
    EXPECT_TRUE(observer.wait_for([](const Snapshot& s) {
        for (const auto& m : s.messages)
            if (m.topic == "pbx/site-b/reply/observer" && m.correlation_data == "corr-8") return true;
        return false;
    }, kWait)) << b.bridge->log();
    EXPECT_EQ(b.sim.control("last-action DBPut").substr(0, 2), "OK");
}

}  // namespace
