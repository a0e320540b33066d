// docs/mosquitto.acl, the example ACL the docs recommend, on a real mosquitto with a password
// file: operators command the PBX, dashboards only read, the bridge does its job.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace acl_test {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;
constexpr auto kWait = 15s;

TEST(Acl, ExampleFileLetsOperatorsCommandAndKeepsDashboardsReadOnly) {
    const auto dir = test_output_dir();
    const std::string passwd = (dir / "acl.passwd").string();
    sh("rm -f " + passwd + " && mosquitto_passwd -b -c " + passwd + " pbx2mqtt bridge-Pw1 && mosquitto_passwd -b " + passwd +
       " operator operator-Pw2 && mosquitto_passwd -b " + passwd + " dashboard dashboard-Pw3 && chmod 0644 " + passwd);
    const std::string acl = std::string(PBX2MQTT_SOURCE_DIR) + "/docs/mosquitto.acl";
    const std::uint16_t port = free_tcp_port();
    Mosquitto broker(MosquittoOptions{"per_listener_settings true", "listener " + std::to_string(port) +
                                                                    " 127.0.0.1\nallow_anonymous false\npassword_file " +
                                                                    passwd + "\nacl_file " + acl + "\n"});
    ASSERT_TRUE(wait_for_port(port, kWait));
    const std::string uri = "tcp://127.0.0.1:" + std::to_string(port);
    Simulator sim;
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = uri;
    c.set("mqtt", "username", "\"pbx2mqtt\"");
    c.set("mqtt", "password", "\"bridge-Pw1\"");
    Bridge bridge(c);
    ASSERT_TRUE(bridge.process().wait_for_log("PBX snapshot:", kWait)) << bridge.log();

    // A dashboard reads the tree...
    MqttProbe dashboard;
    dashboard.set_credentials("dashboard", "dashboard-Pw3");
    dashboard.connect(uri);
    dashboard.subscribe("pbx/#");
    dashboard.subscribe("replies/dashboard/#");
    ASSERT_EQ(dashboard.wait_for_value("pbx/extensions/2001/status", "online", kWait), "online") << bridge.log();
    // ...but can neither place a call nor fake a state: the broker drops its publishes.
    try {
        dashboard.request("pbx/cmd/call", R"({"from":"2003","to":"2004"})", "replies/dashboard/1", "d1");
    } catch (const std::exception&) {
        // An MQTT 5 broker may refuse the PUBLISH outright (reason code "not authorized").
    }
    try {
        dashboard.publish("pbx/extensions/2004/status", "busy", true);
    } catch (const std::exception&) {
    }

    // An operator's call goes through and is answered on the operator's own reply topic.
    MqttProbe op;
    op.set_credentials("operator", "operator-Pw2");
    op.connect(uri);
    op.subscribe("replies/operator/#");
    op.request("pbx/cmd/call", R"({"from":"2001","to":"2002"})", "replies/operator/1", "o1");
    ASSERT_TRUE(op.wait_for([](const Snapshot& s) { return s.count("replies/operator/1") == 1; }, kWait)) << bridge.log();
    EXPECT_EQ(json::parse(*op.snapshot().value("replies/operator/1"))["status"], "ok") << *op.snapshot().value("replies/operator/1");
    EXPECT_NE(sim.control("last-action Originate").find("2001"), std::string::npos);
    // The dashboard sees the call it could not have placed itself.
    EXPECT_TRUE(dashboard.wait_for([](const Snapshot& s) { return s.value("pbx/extensions/2001/status") != "online"; }, kWait));

    // The dashboard's request, sent before the operator's, was never executed: no reply, and
    // 2003 never rang; its fake status never reached the tree. (Given a second to show up.)
    EXPECT_FALSE(dashboard.wait_for([](const Snapshot& s) {
        return s.count("replies/dashboard/1") > 0 || s.value("pbx/extensions/2003/status") != "online" ||
               s.value("pbx/extensions/2004/status") != "online";
    }, 1s)) << "dashboard reply: " << dashboard.snapshot().count("replies/dashboard/1")
            << ", 2003: " << dashboard.snapshot().value("pbx/extensions/2003/status").value_or("-")
            << ", 2004: " << dashboard.snapshot().value("pbx/extensions/2004/status").value_or("-");
    EXPECT_EQ(bridge.log().find("bridge-Pw1"), std::string::npos);
}

}  // namespace
