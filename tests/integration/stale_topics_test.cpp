// Retained topics left on the broker by an earlier run (a bridge killed before it could clear
// them, a PBX that changed while no bridge ran) are cleared once the new tree is complete; the
// topics of other clients under the same base are left alone.
#include <gtest/gtest.h>

#include <csignal>

#include "harness.hpp"

namespace stale_topics_test {  // named: the unity build compiles several test files as one

using namespace harness;
constexpr auto kWait = 15s;

TEST(StaleTopics, LeftoversOfAnEarlierRunAreClearedAndNothingElse) {
    Mosquitto broker;
    Simulator sim;
    MqttProbe other;  // someone else on the same broker, before the bridge starts
    other.connect(broker.uri());
    // An earlier run's tree: an extension the PBX no longer has, a call that ended, a parked call.
    other.publish("pbx/extensions/2999", R"({"exten":"2999"})", true);
    other.publish("pbx/extensions/2999/status", "online", true);
    other.publish("pbx/calls/1795801243.2", R"({"id":"1795801243.2"})", true);
    other.publish("pbx/parkings/default/71", R"({"slot":"71"})", true);
    other.publish("pbx/extensions/2001/status", "busy", true);  // stale value of a topic that lives on
    // Not the bridge's: a retained request, another node's tree, another base.
    other.publish("pbx/extensions/2001/dnd/set", "true", true);
    other.publish("pbx/site-b/extensions/5001/status", "online", true);
    other.publish("pbxlab/extensions/2999/status", "online", true);

    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = broker.uri();
    Bridge bridge(c);
    // The sweep reads for 10 s at most and is tried 3 times.
    ASSERT_TRUE(bridge.process().wait_for_log("cleared 4 stale retained topic(s)", 40s)) << bridge.log();

    other.subscribe("#");  // now a late subscriber: what the broker holds
    ASSERT_EQ(other.wait_for_value("pbx/extensions/2001/status", "online", kWait), "online");
    const std::vector<std::string> gone = {"pbx/extensions/2999", "pbx/extensions/2999/status", "pbx/calls/1795801243.2",
                                           "pbx/parkings/default/71"};
    const std::vector<std::string> kept = {"pbx/extensions/2001", "pbx/extensions/2001/dnd/set",
                                           "pbx/site-b/extensions/5001/status", "pbxlab/extensions/2999/status"};
    // The clears may still be on their way when 2001's status arrives: wait for the final tree.
    EXPECT_TRUE(other.wait_for([&](const Snapshot& s) {
        for (const auto& t : gone)
            if (s.retained.count(t)) return false;
        for (const auto& t : kept)
            if (!s.retained.count(t)) return false;
        return true;
    }, kWait));
    const auto tree = other.retained_tree("");
    for (const auto& t : gone) EXPECT_EQ(tree.count(t), 0u) << t;
    for (const auto& t : kept) EXPECT_EQ(tree.count(t), 1u) << t;
    // The retained request was not executed either (retained requests never are).
    EXPECT_EQ(sim.control("last-action DBPut").substr(0, 3), "ERR");
}

TEST(StaleTopics, ACallThatEndedWhileTheBridgeWasDeadIsClearedByTheNextRun) {
    Mosquitto broker;
    Simulator sim;
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = broker.uri();
    MqttProbe probe;
    probe.connect(broker.uri());
    probe.subscribe("pbx/#");
    std::string call_id;
    {
        Bridge first(c);
        const std::string reply = sim.control("call 2001 2002");
        ASSERT_EQ(reply.substr(0, 2), "OK") << reply;
        const std::string id = reply.substr(3);
        ASSERT_EQ(sim.control("answer " + id), "OK");
        ASSERT_TRUE(probe.wait_for([&](const Snapshot& s) {
            for (const auto& [topic, payload] : s.retained)
                if (topic.rfind("pbx/calls/", 0) == 0) { call_id = topic; return true; }
            return false;
        }, kWait)) << first.log();
        ASSERT_TRUE(first.process().signal(SIGKILL));  // no chance to clear anything
        ASSERT_TRUE(first.process().wait_exit(5s));
        ASSERT_EQ(sim.control("hangup " + id), "OK");
    }
    EXPECT_EQ(probe.retained_tree("pbx").count(call_id), 1u) << "the dead bridge's call is still retained";
    Bridge second(c);
    ASSERT_TRUE(probe.wait_for([&](const Snapshot& s) { return s.retained.count(call_id) == 0; }, 40s)) << second.log();
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2001/status", "online", kWait), "online");
}

}  // namespace
