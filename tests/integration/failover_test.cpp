// Active/standby bridges for one PBX (docs/scaling.md, "Failover"): two pbx2mqtt instances with
// the same configuration and [failover] enabled; the election runs over MQTT on
// <base>/bridge/leader and <base>/bridge/state. The active one is SIGKILLed: the standby must take
// over within 2 x keepalive, the retained tree must be exact afterwards, no command may be executed
// twice and none answered twice, and the killed one, restarted, must come back as standby.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <iostream>

#include "harness.hpp"
#include "oracle.hpp"

namespace failover_test {  // named: the unity build compiles several test files as one

using namespace harness;
using json = nlohmann::json;

constexpr auto kWait = 15s;
constexpr int kKeepaliveSeconds = 2;
// mosquitto publishes the will at once when the killed process's socket closes (1.5 x keepalive
// when the peer vanishes without a FIN); the standby then claims after its jitter (up to
// keepalive/8), waits its claim window (keepalive/8) and reconnects with the will.
constexpr auto kTakeoverBound = std::chrono::seconds(2 * kKeepaliveSeconds);

BridgeConfig instance_config(std::uint16_t ami_port, const std::string& broker, const std::string& instance) {
    BridgeConfig c;
    c.ami_port = ami_port;
    c.mqtt_uri = broker;
    c.mqtt_client_id = "pbx2mqtt-fo";  // the same for both: the instance id makes them differ
    c.set("mqtt", "keepalive", std::to_string(kKeepaliveSeconds));
    c.set("failover", "enabled", "true");
    c.set("failover", "instance_id", toml_string(instance));
    return c;
}

// One request on pbx/cmd/device_state with a device of its own, so the simulator's record tells
// how often it was executed.
struct Request {
    std::string device;        // "Custom:fo<N>"
    std::string phase;         // before, during, after
    Clock::time_point sent{};
};

std::size_t occurrences(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
    return n;
}

class Failover : public ::testing::Test {
protected:
    Failover() {
        SimulatorOptions so;
        so.record = unique_output_path("ami-received", ".raw");
        record = *so.record;
        sim = std::make_unique<Simulator>(so);
        probe.connect(broker.uri());
        probe.subscribe("pbx/#");
        probe.subscribe("test/reply/#");
    }

    // Sends request number requests.size() and remembers it.
    void send(const std::string& phase) {
        const std::size_t n = requests.size();
        Request r{"Custom:fo" + std::to_string(n), phase, Clock::now()};
        const json body = {{"device", r.device}, {"state", "INUSE"}};
        probe.request("pbx/cmd/device_state", body.dump(), "test/reply/" + std::to_string(n), std::to_string(n));
        requests.push_back(std::move(r));
    }

    // The replies to request n received so far.
    std::vector<json> replies(std::size_t n) const { return replies(n, probe.snapshot()); }
    static std::vector<json> replies(std::size_t n, const Snapshot& snap) {
        std::vector<json> out;
        for (const auto& m : snap.messages)
            if (m.topic == "test/reply/" + std::to_string(n)) out.push_back(json::parse(m.payload));
        return out;
    }

    // Waits for leader = `id` and bridge/state online after it.
    bool active_is(const std::string& id, std::chrono::milliseconds timeout) {
        return probe.wait_for([&](const Snapshot& snap) {
            auto leader = snap.retained.find("pbx/bridge/leader");
            auto state = snap.retained.find("pbx/bridge/state");
            auto ami = snap.retained.find("pbx/ami/state");
            return leader != snap.retained.end() && leader->second == id && state != snap.retained.end() &&
                   state->second == "online" && ami != snap.retained.end() && ami->second == "connected";
        }, timeout);
    }

    Mosquitto broker;
    std::unique_ptr<Simulator> sim;
    std::filesystem::path record;
    MqttProbe probe;
    std::vector<Request> requests;
    std::map<std::size_t, std::vector<json>> answered_before;  // replies received before probe.clear()
};

TEST_F(Failover, StandbyTakesOverAfterSigkillTreeExactCommandsAnsweredOnceKilledOneReturnsAsStandby) {
    auto a = std::make_unique<Bridge>(instance_config(sim->ami_port(), broker.uri(), "fo-a"));
    auto b = std::make_unique<Bridge>(instance_config(sim->ami_port(), broker.uri(), "fo-b"));

    // --- Exactly one becomes active.
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto leader = snap.retained.find("pbx/bridge/leader");
        return leader != snap.retained.end() && !leader->second.empty() && snap.value("pbx/ami/state") == "connected" &&
               snap.value("pbx/bridge/state") == "online";
    }, kWait)) << "A:\n" << a->log() << "\nB:\n" << b->log();
    std::this_thread::sleep_for(1500ms);  // a second claim, if any, would show now
    const std::string first = *probe.snapshot().value("pbx/bridge/leader");
    ASSERT_TRUE(first == "fo-a" || first == "fo-b") << first;
    Bridge& active = first == "fo-a" ? *a : *b;
    Bridge& standby = first == "fo-a" ? *b : *a;
    const std::string second = first == "fo-a" ? "fo-b" : "fo-a";
    EXPECT_TRUE(active.log().find("failover: instance " + first + " is now active") != std::string::npos);
    EXPECT_EQ(standby.log().find("is now active"), std::string::npos) << standby.log();
    EXPECT_EQ(sim->control("clients"), "OK 1");  // the standby does not log in to AMI
    // Started together, both may claim (the election then lets at most one win, see
    // tests/unit/election_test.cpp); once one is active nobody else claims.
    std::vector<std::string> claims;
    for (const auto& m : probe.snapshot().messages)
        if (m.topic == "pbx/bridge/leader") claims.push_back(m.payload);
    ASSERT_FALSE(claims.empty());
    EXPECT_EQ(claims.back(), first);
    EXPECT_EQ(active.log().find("steps down"), std::string::npos) << active.log();
    EXPECT_EQ(standby.log().find("steps down"), std::string::npos) << standby.log();

    // --- Commands before the failure: answered once, by the active one.
    for (int i = 0; i < 3; ++i) send("before");

    // --- SIGKILL the active one; requests keep coming during the takeover.
    ASSERT_TRUE(probe.wait_for([&](const Snapshot& snap) { return replies(2, snap).size() == 1; }, kWait));
    for (std::size_t n = 0; n < requests.size(); ++n) answered_before[n] = replies(n);
    probe.clear();  // from here: the takeover's messages only (the retained tree of the broker stays)
    const auto killed_at = Clock::now();
    ASSERT_TRUE(active.process().signal(SIGKILL));
    for (int i = 0; i < 15; ++i) {
        send("during");
        std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(active_is(second, kWait)) << "standby log:\n" << standby.log();
    // bridge/state online again: when the new active published it (the probe's arrival time).
    Clock::time_point online_at{};
    for (const auto& m : probe.snapshot().messages)
        if (m.topic == "pbx/bridge/state" && m.payload == "online") online_at = m.arrival;
    ASSERT_NE(online_at, Clock::time_point{});
    const auto takeover = std::chrono::duration_cast<std::chrono::milliseconds>(online_at - killed_at);
    EXPECT_LE(takeover, kTakeoverBound) << "takeover took " << takeover.count() << " ms";
    std::cout << "[ takeover ] " << takeover.count() << " ms from SIGKILL to bridge/state online (bound "
              << std::chrono::duration_cast<std::chrono::milliseconds>(kTakeoverBound).count() << " ms)" << std::endl;
    EXPECT_TRUE(probe.snapshot().count("pbx/bridge/state") >= 1u);  // offline (the will), then online

    // --- Commands after the takeover.
    for (int i = 0; i < 3; ++i) send("after");
    ASSERT_TRUE(probe.wait_for([&](const Snapshot& snap) { return replies(requests.size() - 1, snap).size() == 1; }, kWait))
        << standby.log();

    // --- The retained tree is exact: a fresh bridge reading the same PBX agrees.
    BridgeConfig truth = instance_config(sim->ami_port(), broker.uri(), "truth");
    truth.unset("failover", "enabled").unset("failover", "instance_id");
    truth.mqtt_client_id = "";
    const std::string difference = compare_with_fresh_bridge(probe, truth, kWait);
    EXPECT_TRUE(difference.empty()) << difference;

    // --- Each request: at most one reply; executed at most once, and exactly once when it said ok.
    Clock::time_point will_at{};  // the active one's will ("offline") as the probe saw it
    for (const auto& m : probe.snapshot().messages)
        if (m.topic == "pbx/bridge/state" && m.payload == "offline" && will_at == Clock::time_point{}) will_at = m.arrival;
    ASSERT_NE(will_at, Clock::time_point{});
    int unanswered = 0;
    std::this_thread::sleep_for(500ms);  // a late duplicate reply would show now
    const std::string received = read_file(record);
    for (std::size_t n = 0; n < requests.size(); ++n) {
        SCOPED_TRACE("request " + std::to_string(n) + " (" + requests[n].phase + ")");
        const auto got = answered_before.count(n) ? answered_before.at(n) : replies(n);
        const std::size_t executed = occurrences(received, "DEVICE_STATE(" + requests[n].device + ")");
        EXPECT_LE(got.size(), 1u);
        EXPECT_LE(executed, 1u);
        if (requests[n].phase != "during") {
            EXPECT_EQ(got.size(), 1u);
        }
        if (got.empty()) {
            // Only a request published before the standby could know the active one was gone
            // (its will) goes unanswered: the requester times out. Every later one is answered.
            ++unanswered;
            EXPECT_LT(requests[n].sent, will_at + 100ms) << "unanswered although sent "
                << std::chrono::duration_cast<std::chrono::milliseconds>(requests[n].sent - will_at).count()
                << " ms after the will";
            continue;
        }
        if (got[0]["status"] == "ok") {
            EXPECT_EQ(executed, 1u);
        } else {
            EXPECT_EQ(requests[n].phase, "during") << got[0].dump();
            EXPECT_TRUE(got[0]["error"]["code"] == "pbx_unavailable" || got[0]["error"]["code"] == "timeout") << got[0].dump();
            if (got[0]["error"]["code"] == "pbx_unavailable") {
                EXPECT_EQ(executed, 0u);
            }
        }
    }
    std::cout << "[ unanswered ] " << unanswered << " of " << requests.size()
              << " requests (each published before the will reached the standby)" << std::endl;
    // Requests sent before the kill were answered only by the old active one, after it by the new.
    ASSERT_EQ(answered_before[0].size(), 1u);
    EXPECT_EQ(answered_before[0].at(0)["status"], "ok");
    EXPECT_EQ(replies(requests.size() - 1).at(0)["status"], "ok");

    // --- The killed one, restarted, comes back as standby.
    std::unique_ptr<Bridge>& killed = first == "fo-a" ? a : b;
    killed.reset();
    killed = std::make_unique<Bridge>(instance_config(sim->ami_port(), broker.uri(), first));
    ASSERT_TRUE(killed->process().wait_for_log("MQTT: connected", kWait)) << killed->log();
    std::this_thread::sleep_for(3s);  // its election timer (1-1.5 s) has long fired
    EXPECT_EQ(killed->log().find("is now active"), std::string::npos) << killed->log();
    EXPECT_EQ(probe.snapshot().value("pbx/bridge/leader"), second);
    EXPECT_EQ(probe.snapshot().value("pbx/bridge/state"), "online");
    EXPECT_EQ(sim->control("clients"), "OK 1");
    // It stays silent on commands while the active one answers them.
    send("after");
    ASSERT_TRUE(probe.wait_for([&](const Snapshot& snap) { return replies(requests.size() - 1, snap).size() == 1; }, kWait));
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(replies(requests.size() - 1).size(), 1u);
    EXPECT_EQ(replies(requests.size() - 1).at(0)["status"], "ok");
}

// A silent failure (the active one frozen by SIGSTOP: no FIN, its TCP connections stay open)
// and a split brain when it wakes: the broker drops it after 1.5 x keepalive and publishes its
// will; the standby takes over; when the old one resumes there are two leaders for a moment, and
// the one with the larger instance id must step down (exit 3) without leaving anything wrong in
// the tree (a late will of the old one is answered by the survivor).
TEST_F(Failover, FrozenActiveIsReplacedAndTheLargerIdStepsDownWhenItWakes) {
    auto a = std::make_unique<Bridge>(instance_config(sim->ami_port(), broker.uri(), "fo-a"));
    auto b = std::make_unique<Bridge>(instance_config(sim->ami_port(), broker.uri(), "fo-b"));
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        return !snap.value("pbx/bridge/leader").value_or("").empty() && snap.value("pbx/ami/state") == "connected" &&
               snap.value("pbx/bridge/state") == "online";
    }, kWait)) << "A:\n" << a->log() << "\nB:\n" << b->log();
    std::this_thread::sleep_for(1500ms);
    const std::string first = *probe.snapshot().value("pbx/bridge/leader");
    ASSERT_TRUE(first == "fo-a" || first == "fo-b") << first;
    Bridge& old = first == "fo-a" ? *a : *b;
    Bridge& standby = first == "fo-a" ? *b : *a;
    const std::string second = first == "fo-a" ? "fo-b" : "fo-a";

    probe.clear();
    const auto frozen_at = Clock::now();
    ASSERT_TRUE(old.process().signal(SIGSTOP));
    ASSERT_TRUE(active_is(second, kWait)) << "standby log:\n" << standby.log();
    Clock::time_point online_at{};
    for (const auto& m : probe.snapshot().messages)
        if (m.topic == "pbx/bridge/state" && m.payload == "online") online_at = m.arrival;
    const auto takeover = std::chrono::duration_cast<std::chrono::milliseconds>(online_at - frozen_at);
    // mosquitto notices the silence after 1.5 x keepalive, in whole seconds ("now - last_msg_in >
    // keepalive * 3 / 2": up to 1 s more), and 2.0 checks keepalives only every 6 s
    // (keepalive__check: "last_keepalive_check + 5 < now"); then jitter + claim window (0.5 s) and
    // the reconnect (~1 s): 1.5 x keepalive + 1 s + 6 s + 2 s at worst.
    constexpr auto kSilentBound = std::chrono::milliseconds(kKeepaliveSeconds * 1500) + 1s + 6s + 2s;
    EXPECT_LE(takeover, kSilentBound) << "takeover took " << takeover.count() << " ms; standby:\n" << standby.log() << "\nold:\n" << old.log();
    std::cout << "[ takeover ] " << takeover.count() << " ms from SIGSTOP to bridge/state online" << std::endl;

    // The PBX changes under the new leader while the old one sleeps.
    send("after");
    ASSERT_TRUE(probe.wait_for([&](const Snapshot& snap) { return replies(requests.size() - 1, snap).size() == 1; }, kWait));

    // Wake the old one: it finds its MQTT connection gone, reconnects with its will and reads the
    // leader topic. Two leaders now: the smaller instance id keeps the leadership, the other
    // steps down (exit 3) — the old one when its id is larger, else the new one.
    const bool old_keeps = first < second;
    Bridge& loser = old_keeps ? standby : old;
    const std::string survivor = old_keeps ? first : second;
    const std::size_t woke_at = probe.snapshot().messages.size();
    ASSERT_TRUE(old.process().signal(SIGCONT));
    int status = 0;
    ASSERT_TRUE(loser.process().wait_exit(15s, &status)) << "old:\n" << old.log() << "\nnew:\n" << standby.log();
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 3) << loser.log();
    EXPECT_NE(loser.log().find("steps down"), std::string::npos) << loser.log();
    ASSERT_TRUE(active_is(survivor, kWait)) << "old:\n" << old.log() << "\nnew:\n" << standby.log();
    std::this_thread::sleep_for(1s);  // a late will or a stray publish would show now
    EXPECT_EQ(probe.snapshot().value("pbx/bridge/leader"), survivor);
    EXPECT_EQ(probe.snapshot().value("pbx/bridge/state"), "online");
    // After the wake only the survivor's id is published on the leader topic: the loser steps
    // down on reading the survivor's, before it asserts anything.
    const auto after_wake = probe.snapshot().messages;
    for (std::size_t i = woke_at; i < after_wake.size(); ++i)
        if (after_wake[i].topic == "pbx/bridge/leader") {
            EXPECT_EQ(after_wake[i].payload, survivor);
        }
    EXPECT_TRUE(loser.process().exit_status().has_value());

    // The tree is exact.
    BridgeConfig truth = instance_config(sim->ami_port(), broker.uri(), "truth");
    truth.unset("failover", "enabled").unset("failover", "instance_id");
    truth.mqtt_client_id = "";
    const std::string difference = compare_with_fresh_bridge(probe, truth, kWait);
    EXPECT_TRUE(difference.empty()) << difference;
    EXPECT_EQ(sim->control("clients"), "OK 1") << "the loser's AMI session must be gone";
}

}  // namespace failover_test
