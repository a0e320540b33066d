// The command protocol through the real bridge, the simulator and a real mosquitto: MQTT 5
// response topic + correlation data, MQTT 3.1.1 `transaction`, 100 concurrent calls each answered
// and matched, retained requests never executed, and a hostile corpus that must be refused with
// zero bytes reaching AMI (the simulator records every byte it receives).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "command_corpus.hpp"
#include "harness.hpp"

namespace commands_protocol_test {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;

constexpr auto kWait = 10s;

struct Stack {
    Mosquitto broker;
    Simulator sim;
    std::unique_ptr<Bridge> bridge;
    explicit Stack(SimulatorOptions sim_options = {}, std::function<void(BridgeConfig&)> tweak = {}) : sim(std::move(sim_options)) {
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = broker.uri();
        if (tweak) tweak(c);
        bridge = std::make_unique<Bridge>(c);
    }
    // The PBX is read and the bridge is subscribed to the command topics.
    bool synced(std::chrono::milliseconds timeout = kWait) {
        return bridge->process().wait_for_log("PBX snapshot:", timeout) &&
               bridge->process().wait_for_log("MQTT connected", timeout);
    }
};

std::vector<Message> on_topic(const Snapshot& snap, const std::string& topic) {
    std::vector<Message> out;
    for (const auto& m : snap.messages)
        if (m.topic == topic) out.push_back(m);
    return out;
}

TEST(CommandsProtocol, Mqtt5ReplyGoesToTheResponseTopicWithTheCorrelationData) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("test/replies/#");
    probe.subscribe("pbx/cmd/+/result");
    const std::string correlation("\x00\x01req-1", 7);  // binary correlation data is echoed as is
    probe.request("pbx/cmd/health_check", "{}", "test/replies/a", correlation);
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("test/replies/a") == 1; }, kWait));
    const auto reply = on_topic(probe.snapshot(), "test/replies/a").front();
    EXPECT_FALSE(reply.retained);
    EXPECT_EQ(reply.correlation_data, correlation);
    const auto body = json::parse(reply.payload);
    EXPECT_EQ(body["status"], "ok");
    EXPECT_EQ(body["data"]["healthy"], true);
    EXPECT_EQ(body["data"]["ami"]["connected"], true);
    EXPECT_EQ(body["data"]["asterisk"]["version"], "20.20.1");
    EXPECT_FALSE(body.contains("transaction"));
    // Only there: nothing on the default result topic.
    EXPECT_EQ(probe.snapshot().count("pbx/cmd/health_check/result"), 0u);
}

TEST(CommandsProtocol, Mqtt311ClientsMatchRepliesByTransaction) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri(), kWait, 4);
    probe.subscribe("pbx/cmd/+/result");
    probe.subscribe("pbx/extensions/2003/dnd");
    probe.publish("pbx/cmd/dnd", R"({"extension":"2003","enabled":true,"transaction":"tx-77"})");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/cmd/dnd/result") == 1; }, kWait));
    EXPECT_EQ(json::parse(probe.snapshot().value("pbx/cmd/dnd/result").value()),
              json::parse(R"({"status":"ok","data":{"extension":"2003","dnd":true},"transaction":"tx-77"})"));
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2003/dnd", "true", kWait), "true");
    probe.publish("pbx/cmd/dnd", R"({"extension":"2003","enabled":"off","transaction":78})");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/cmd/dnd/result") == 2; }, kWait));
    EXPECT_EQ(json::parse(probe.snapshot().value("pbx/cmd/dnd/result").value()),
              json::parse(R"({"status":"error","error":{"code":"bad_request","message":"field 'enabled' must be true or false"},"transaction":78})"));
}

TEST(CommandsProtocol, HundredConcurrentCallsAreAllAnsweredAndCorrectlyMatched) {
    SimulatorOptions so;
    so.extra_args = {"--extensions", "200", "--originate-answer-ms", "50"};
    Stack s(so);
    ASSERT_TRUE(s.synced(30s)) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("test/calls/#");
    constexpr int kCalls = 100;
    const auto actions_before = std::stoi(s.sim.control("actions").substr(3));
    // All published before the first reply can arrive: they are in flight together.
    for (int i = 0; i < kCalls; ++i) {
        json request{{"from", std::to_string(100000 + i)}, {"to", std::to_string(100100 + i)}, {"transaction", i}};
        probe.request("pbx/cmd/call", request.dump(), "test/calls/" + std::to_string(i % 3), "corr-" + std::to_string(i));
    }
    const bool all = probe.wait_for([&](const Snapshot& snap) {
        std::size_t n = 0;
        for (const auto& m : snap.messages) n += m.topic.rfind("test/calls/", 0) == 0;
        return n >= kCalls;
    }, 60s);
    const auto snap = probe.snapshot();
    std::set<int> answered;
    for (const auto& m : snap.messages) {
        if (m.topic.rfind("test/calls/", 0) != 0) continue;
        const auto body = json::parse(m.payload);
        ASSERT_TRUE(body.contains("transaction")) << m.payload;
        const int i = body["transaction"].get<int>();
        EXPECT_EQ(m.topic, "test/calls/" + std::to_string(i % 3)) << m.payload;
        EXPECT_EQ(m.correlation_data, "corr-" + std::to_string(i)) << m.payload;
        EXPECT_EQ(body["status"], "ok") << m.payload;
        EXPECT_EQ(body["data"]["from"], std::to_string(100000 + i)) << m.payload;
        EXPECT_EQ(body["data"]["to"], std::to_string(100100 + i)) << m.payload;
        // The channel Originate created is the caller's own phone.
        EXPECT_EQ(body["data"]["channel"].get<std::string>().rfind("SIP/" + std::to_string(100000 + i) + "-", 0), 0u) << m.payload;
        EXPECT_TRUE(answered.insert(i).second) << "two replies for " << i;
    }
    EXPECT_TRUE(all) << answered.size() << " replies";
    EXPECT_EQ(answered.size(), static_cast<std::size_t>(kCalls));
    // One Originate per request reached the PBX (plus the bridge's own follow-up queries).
    EXPECT_GE(std::stoi(s.sim.control("actions").substr(3)) - actions_before, kCalls);
}

TEST(CommandsProtocol, RetainedRequestsAreNeverExecuted) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/cmd/+/result");
    probe.publish("pbx/cmd/dnd", R"({"extension":"2003","enabled":true})", true);
    // A later, normal request is answered: the retained one was seen first and ignored.
    probe.publish("pbx/cmd/health_check", "{}");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/cmd/health_check/result") == 1; }, kWait));
    EXPECT_EQ(probe.snapshot().count("pbx/cmd/dnd/result"), 0u);
    EXPECT_NE(s.bridge->log().find("retained message ignored"), std::string::npos);
    probe.publish("pbx/cmd/dnd", "", true);  // clear it from the broker
    // health_check sent a Ping; nothing else.
    EXPECT_EQ(s.sim.control("last-action DBPut").substr(0, 3), "ERR");
}

TEST(CommandsProtocol, HostileCorpusIsRefusedWithZeroBytesToAmi) {
    SimulatorOptions so;
    so.record = unique_output_path("ami-received", ".raw");
    Stack s(so, [](BridgeConfig& c) { c.set("ami", "keepalive", "600000"); });
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/#");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.retained.count("pbx/extensions/2002"); }, kWait));
    // The bridge's snapshot is over; from here on the record must not grow.
    const std::string recorded_before = read_file(*so.record);
    const auto actions_before = s.sim.control("actions");
    const auto corpus = testsupport::hostile_requests();
    ASSERT_GE(corpus.size(), 100u);
    std::size_t replies = 0;
    for (const auto& [suffix, payload] : corpus) {
        SCOPED_TRACE(suffix + " " + payload.substr(0, 120));
        const bool wants_reply = suffix.rfind("cmd/", 0) == 0 || payload.find("transaction") != std::string::npos;
        const std::string topic = "pbx/" + suffix;
        const std::size_t before = probe.snapshot().messages.size();
        probe.publish(topic, payload);
        if (!wants_reply) continue;
        // The reply: on <topic>/result (setters: <topic without /set>/result).
        const std::string result = suffix.rfind("cmd/", 0) == 0 ? topic + "/result" : topic.substr(0, topic.size() - 4) + "/result";
        const bool got = probe.wait_for([&](const Snapshot& snap) {
            for (std::size_t i = before; i < snap.messages.size(); ++i)
                if (snap.messages[i].topic == result) return true;
            return false;
        }, kWait);
        ASSERT_TRUE(got) << "no reply on " << result;
        const auto snap = probe.snapshot();
        for (std::size_t i = before; i < snap.messages.size(); ++i) {
            if (snap.messages[i].topic != result) continue;
            const auto body = json::parse(snap.messages[i].payload);
            EXPECT_EQ(body.value("status", ""), "error") << snap.messages[i].payload;
            const auto error = body.value("error", json::object());
            EXPECT_FALSE(error.value("code", "").empty()) << snap.messages[i].payload;
            EXPECT_FALSE(error.value("message", "").empty()) << snap.messages[i].payload;
            ++replies;
            break;
        }
    }
    // A last harmless request proves the bridge is alive and processed everything before it.
    probe.publish("pbx/cmd/resync", "{\"transaction\":\"end\"}");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/cmd/resync/result");
        return v && json::parse(*v)["transaction"] == "end";
    }, 30s));
    EXPECT_GE(replies, 100u);
    // Zero bytes of the corpus reached AMI: everything the simulator received after the snapshot
    // is the resync's own snapshot actions, none carrying a corpus value.
    const std::string recorded = read_file(*so.record);
    ASSERT_GE(recorded.size(), recorded_before.size());
    const std::string during = recorded.substr(recorded_before.size());
    for (const char* needle : {"Originate", "Hangup", "Logoff", "DBPut", "DBDel", "Setvar", "QueuePause", "QueueAdd",
                               "ConfbridgeKick", "Reload", "PlayDTMF", "MixMonitor", "Variable: x=y", "passwd", "core stop"})
        EXPECT_EQ(during.find(needle), std::string::npos) << needle << " reached AMI:\n" << during.substr(0, 2000);
    EXPECT_TRUE(s.bridge->process().running());
}

}  // namespace
