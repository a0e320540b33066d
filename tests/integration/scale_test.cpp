// Scale: 10,000 more extensions and 2,000 answered calls in the simulator. The bridge reads it
// all at start, and again after an AMI drop; a late subscriber checks the whole retained tree by
// counting. Durations are recorded (RecordProperty, stdout), never asserted; every wait is bounded
// generously (AddressSanitizer builds are several times slower).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <thread>

#include "harness.hpp"

namespace scale_test {  // named: the unity build compiles several test files as one

using namespace harness;
using json = nlohmann::json;

constexpr int kExtraExtensions = 10000;
constexpr int kCalls = 2000;
constexpr auto kWait = 120s;

// The fixed part of the simulated PBX (fixture 01 of Asterisk 20): 2001-2006, of which 2001-2004
// are registered; trunk1 is a trunk.
constexpr int kBaseExtensions = 6;
constexpr int kBaseOnline = 4;

struct Counts {
    std::size_t extension_objects = 0, status_topics = 0, busy = 0, online = 0, offline = 0, other_status = 0;
    std::size_t conversations = 0, calls = 0, inventory_extensions = 0;
    std::size_t bad_conversations = 0;  // a conversation whose call has no topic
    std::string to_string() const {
        return "extension objects " + std::to_string(extension_objects) + ", status topics " + std::to_string(status_topics) +
               ", busy " + std::to_string(busy) + ", online " + std::to_string(online) + ", offline " + std::to_string(offline) +
               ", other " + std::to_string(other_status) + ", conversations " + std::to_string(conversations) + " (" +
               std::to_string(bad_conversations) + " without call), calls " + std::to_string(calls) + ", inventory extensions " +
               std::to_string(inventory_extensions);
    }
};

Counts count(const std::map<std::string, std::string>& tree) {
    Counts c;
    std::set<std::string> calls;
    for (auto it = tree.lower_bound("pbx/calls/"); it != tree.end() && it->first.rfind("pbx/calls/", 0) == 0; ++it) {
        calls.insert(it->first.substr(10));
        ++c.calls;
    }
    for (auto it = tree.lower_bound("pbx/extensions/"); it != tree.end() && it->first.rfind("pbx/extensions/", 0) == 0; ++it) {
        const std::string rest = it->first.substr(15);
        if (rest.find('/') == std::string::npos) {
            ++c.extension_objects;
            const json e = json::parse(it->second);
            for (const auto& [id, conv] : e["conversations"].items()) {
                ++c.conversations;
                c.bad_conversations += calls.count(conv["linkedId"].get<std::string>()) == 0;
            }
        } else if (rest.size() > 7 && rest.compare(rest.size() - 7, 7, "/status") == 0) {
            ++c.status_topics;
            (it->second == "busy" ? c.busy : it->second == "online" ? c.online : it->second == "offline" ? c.offline : c.other_status)++;
        }
    }
    if (auto it = tree.find("pbx/bridge/inventory"); it != tree.end()) c.inventory_extensions = json::parse(it->second)["extensions"].size();
    return c;
}

// Polls the probe's retained tree (a copy every half second: the check parses 10,000 payloads)
// until check() holds on its counts or timeout passes; returns the last counts.
Counts wait_for_counts(MqttProbe& probe, const std::function<bool(const Counts&)>& check, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    Counts c;
    while (true) {
        // Cheap gate first: as many topics as the check can need.
        c = count(probe.retained_tree("pbx"));
        if (check(c) || Clock::now() >= deadline) return c;
        std::this_thread::sleep_for(500ms);
    }
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The "<n> ms" the bridge logs at the end of the k-th (1-based) "PBX snapshot:" line.
long long logged_snapshot_ms(const std::string& log, std::size_t k) {
    std::size_t at = std::string::npos;
    for (std::size_t i = 0; i < k; ++i) at = log.find("PBX snapshot:", at == std::string::npos ? 0 : at + 1);
    if (at == std::string::npos) return -1;
    const std::string line = log.substr(at, log.find('\n', at) - at);
    const auto ms = line.rfind(" ms");
    const auto space = line.rfind(' ', ms - 1);
    return ms == std::string::npos || space == std::string::npos ? -1 : std::stoll(line.substr(space + 1, ms - space - 1));
}

TEST(Scale, TenThousandExtensionsAndTwoThousandCallsAtStartAndAfterAnAmiDrop) {
    Mosquitto broker;
    SimulatorOptions so;
    so.extra_args = {"--extensions", std::to_string(kExtraExtensions)};
    Simulator sim(so);
    const std::string calls_reply = sim.control("calls " + std::to_string(kCalls), 60s);
    ASSERT_EQ(calls_reply.substr(0, 3), "OK ") << calls_reply;

    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = broker.uri();
    c.log_level = "info";  // debug would log every one of the ~30,000 snapshot items
    const auto started = Clock::now();
    Bridge bridge(c);
    ASSERT_TRUE(bridge.process().wait_for_log("PBX snapshot:", kWait)) << bridge.log();
    const auto first_sync = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();

    MqttProbe probe;  // late: the whole tree comes as retained messages
    probe.connect(broker.uri());
    // QoS 0: with QoS 1 every one of the ~32,000 retained messages waits for the probe's PUBACK
    // (mosquitto keeps 20 in flight) and Paho C acknowledges slowly under such a burst.
    probe.subscribe("pbx/#", 0);
    const std::size_t total = kBaseExtensions + kExtraExtensions;
    auto full_tree = [&](const Counts& n) {
        return n.extension_objects == total && n.status_topics == total && n.inventory_extensions == total && n.calls == kCalls &&
               n.busy == 2 * kCalls && n.conversations == 2 * kCalls;
    };
    const auto subscribed = Clock::now();
    Counts n = wait_for_counts(probe, full_tree, kWait);
    const auto tree_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - subscribed).count();
    RecordProperty("start_to_snapshot_ms", std::to_string(first_sync));
    RecordProperty("late_subscriber_full_tree_ms", std::to_string(tree_ms));
    std::cout << "[scale] bridge start -> snapshot done: " << first_sync << " ms; late subscriber has the full tree after "
              << tree_ms << " ms" << std::endl;
    ASSERT_TRUE(full_tree(n)) << n.to_string();  // the rest would only wait for the same missing topics
    EXPECT_EQ(n.bad_conversations, 0u) << n.to_string();
    EXPECT_EQ(n.online, total - 2 * kCalls - (kBaseExtensions - kBaseOnline)) << n.to_string();
    EXPECT_EQ(n.offline, static_cast<std::size_t>(kBaseExtensions - kBaseOnline)) << n.to_string();

    // AMI drop: the bridge reconnects and reads everything again; the tree stays the same.
    ASSERT_EQ(sim.control("drop"), "OK");
    const auto dropped = Clock::now();
    ASSERT_TRUE(eventually([&] { return occurrences(bridge.log(), "PBX snapshot:") >= 2; }, kWait, 100ms)) << bridge.log();
    const auto resync = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - dropped).count();
    n = wait_for_counts(probe, full_tree, kWait);
    EXPECT_TRUE(full_tree(n)) << n.to_string();
    EXPECT_EQ(n.bad_conversations, 0u) << n.to_string();

    const long long first_ms = logged_snapshot_ms(bridge.log(), 1), resync_ms = logged_snapshot_ms(bridge.log(), 2);
    RecordProperty("snapshot_ms_logged", std::to_string(first_ms));
    RecordProperty("drop_to_resynced_ms", std::to_string(resync));
    RecordProperty("resync_ms_logged", std::to_string(resync_ms));
    std::cout << "[scale] bridge's own snapshot time: " << first_ms << " ms\n"
              << "[scale] AMI drop -> resync done: " << resync << " ms (bridge: " << resync_ms << " ms)\n";

    // Everything hangs up: no call topic, no conversation, every phone idle again.
    const std::string hung = sim.control("hangup-all", 60s);
    ASSERT_EQ(hung.substr(0, 3), "OK ") << hung;
    auto idle = [&](const Counts& k) {
        return k.calls == 0 && k.conversations == 0 && k.busy == 0 && k.online == total - (kBaseExtensions - kBaseOnline) &&
               k.extension_objects == total;
    };
    n = wait_for_counts(probe, idle, kWait);
    EXPECT_TRUE(idle(n)) << n.to_string();
    EXPECT_TRUE(bridge.process().running());
}

}  // namespace
