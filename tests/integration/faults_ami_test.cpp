// AMI-side faults (issue 5): the link to Asterisk drops (the PBX process killed and replaced by
// a different one on the same port, a TCP reset, a half-open peer), the PBX restarts (Event:
// Shutdown, then a new greeting), and Asterisk sends junk. Each test asserts what a subscriber
// sees: the bridge notices, says so, reconnects, and afterwards its retained tree equals the
// tree a fresh bridge reads from the same PBX (the oracle), with nothing republished that did
// not change.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <ctime>
#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "oracle.hpp"

namespace faults_ami_test {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;

constexpr auto kWait = 10s;

std::size_t occurrences(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += "  " + l + "\n";
    return out;
}

// Broker, simulator, the bridge under test ("pbx") and one probe subscribed to everything.
struct Rig {
    Mosquitto broker;
    std::unique_ptr<Simulator> sim;
    BridgeConfig config;
    std::unique_ptr<Bridge> bridge;
    MqttProbe probe;

    explicit Rig(SimulatorOptions so = {}) {
        sim = std::make_unique<Simulator>(so);
        config.ami_port = sim->ami_port();
        config.mqtt_uri = broker.uri();
        config.set("ami", "keepalive", "1000");
        config.ami_reconnect_after_ms = 200;
        config.ami_reconnect_max_ms = 1000;
        probe.connect(broker.uri());
        probe.subscribe("#");
        bridge = std::make_unique<Bridge>(config);
    }

    std::size_t snapshots() const { return occurrences(bridge->log(), "PBX snapshot:"); }
    bool synced(std::size_t count = 1, std::chrono::milliseconds timeout = kWait) const {
        return eventually([&] { return snapshots() >= count; }, timeout);
    }
    bool ami_connected_is(bool want, std::chrono::milliseconds timeout = kWait) {
        return probe.wait_for([want](const Snapshot& snap) {
            auto v = snap.value("pbx/bridge/info");
            return v && json::parse(*v)["ami"]["connected"] == want;
        }, timeout);
    }
    std::string control_ok(const std::string& line) {
        const std::string reply = sim->control(line);
        EXPECT_EQ(reply.substr(0, 2), "OK") << line << " -> " << reply;
        return reply.size() > 3 ? reply.substr(3) : std::string();
    }
    bool wait_value(const std::string& topic, const std::string& payload) {
        return probe.wait_for_value(topic, payload, kWait) == payload;
    }
    bool wait_cleared(const std::string& topic) {
        return probe.wait_for([&](const Snapshot& snap) { return !snap.retained.count(topic) || snap.retained.at(topic).empty(); }, kWait);
    }
    bool wait_present(const std::string& topic) {
        return probe.wait_for([&](const Snapshot& snap) { return snap.retained.count(topic) && !snap.retained.at(topic).empty(); }, kWait);
    }

    // The oracle: a fresh bridge ("truth") reads the same PBX now; both trees must become equal.
    void expect_tree_equals_a_fresh_bridge() {
        const std::string difference = compare_with_fresh_bridge(probe, config, kWait);
        EXPECT_TRUE(difference.empty()) << difference;
    }
};

// What a subscriber connected throughout received from message number `mark` on: every
// retained publication under pbx/ other than bridge/* and ami/state must be on a topic whose
// value differs between `before` and `after` (a cleared topic has the value "").
void expect_only_changed_topics_republished(const Snapshot& record, std::size_t mark, const std::map<std::string, std::string>& before,
                                            const std::map<std::string, std::string>& after) {
    std::map<std::string, std::size_t> extra;
    for (std::size_t i = mark; i < record.messages.size(); ++i) {
        const Message& m = record.messages[i];
        if (!m.retained || m.topic.rfind("pbx/", 0) != 0) continue;
        const std::string t = m.topic.substr(4);
        if (t.rfind("bridge/", 0) == 0 || t == "ami/state") continue;
        auto b = before.find(t), a = after.find(t);
        const std::string was = b == before.end() ? "" : b->second, is = a == after.end() ? "" : a->second;
        if (was == is) ++extra[t + " = " + is];
    }
    // Each such topic's sequence since the mark (payloads abridged), to tell a flap from a repeat.
    std::map<std::string, std::string> sequences;
    for (std::size_t i = mark; i < record.messages.size(); ++i) {
        const Message& m = record.messages[i];
        if (!m.retained || m.topic.rfind("pbx/", 0) != 0) continue;
        sequences[m.topic.substr(4)] += " -> '" + m.payload.substr(0, 60) + "'";
    }
    std::vector<std::string> lines;
    for (const auto& [what, n] : extra)
        lines.push_back(what.substr(0, 120) + " (" + std::to_string(n) + "x):" + sequences[what.substr(0, what.find(" = "))]);
    EXPECT_TRUE(extra.empty()) << "republished although its value did not change:\n" << join(lines);
}

// Topics (under `prefixes`) of what did not change in the PBX during the gap: not one message
// since `mark`, and the same payload, times included (the bridge knew those entities already).
void expect_untouched(const Snapshot& record, std::size_t mark, const std::map<std::string, std::string>& before,
                      const std::map<std::string, std::string>& after, const std::vector<std::string>& prefixes) {
    auto watched = [&](const std::string& t) {
        for (const auto& p : prefixes)
            if (t == p || t.rfind(p + "/", 0) == 0) return true;
        return false;
    };
    std::size_t checked = 0;
    for (const auto& [t, payload] : before) {
        if (!watched(t)) continue;
        ++checked;
        auto it = after.find(t);
        EXPECT_EQ(it == after.end() ? std::string() : it->second, payload) << t;
    }
    EXPECT_GT(checked, 0u);
    for (std::size_t i = mark; i < record.messages.size(); ++i) {
        const Message& m = record.messages[i];
        if (m.topic.rfind("pbx/", 0) == 0 && watched(m.topic.substr(4)))
            ADD_FAILURE() << "republished although nothing changed: " << m.topic << " = " << m.payload;
    }
}

// The tree as the bridge asserts it now, on the "pbx" base, bridge/* excluded.
std::map<std::string, std::string> current(const Rig& rig) { return state_tree(rig.probe, "pbx"); }

std::string call_topic(const std::string& linkedid) { return "pbx/calls/" + linkedid; }

// The linkedid (the bridge's call id) of the newest channel of a SIP extension in the simulator.
std::string linkedid_of(Rig& rig, const std::string& exten) {
    const std::string reply = rig.sim->control("state");
    if (reply.rfind("OK ", 0) != 0) return "?";
    std::string found = "?";
    const json state = json::parse(reply.substr(3));
    for (const auto& c : state["channels"])
        if (c["name"].get<std::string>().rfind("SIP/" + exten + "-", 0) == 0) found = c["linkedid"];
    return found;
}

// A PBX with something of everything that can vanish or change during a gap: two answered
// calls (one will persist, one will end), a parked call, 2004 with DND off, 2005 registered.
struct Before {
    std::string persisting, ending;  // linkedids
    std::string ending_call;         // the simulator's call id
    std::string parked_space;
};

Before set_up_busy_pbx(Rig& rig) {
    Before b;
    rig.control_ok("register 2005 127.0.0.1 5091");
    rig.control_ok("register 2006 127.0.0.1 5093");
    rig.control_ok("answer " + rig.control_ok("call 2001 2002"));
    b.persisting = linkedid_of(rig, "2001");
    b.ending_call = rig.control_ok("call 2005 2006");
    rig.control_ok("answer " + b.ending_call);
    b.ending = linkedid_of(rig, "2005");

    const std::string to_park = rig.control_ok("call 2003 2004");
    rig.control_ok("answer " + to_park);
    b.parked_space = rig.control_ok("park " + to_park);
    EXPECT_TRUE(rig.wait_present(call_topic(b.persisting))) << b.persisting;
    EXPECT_TRUE(rig.wait_present(call_topic(b.ending)));
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2001/status", "busy"));
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2002/status", "busy"));
    EXPECT_TRUE(rig.probe.wait_for([&](const Snapshot& snap) {
        auto v = snap.value("pbx/parkings/default");
        return v && json::parse(*v)["parked"] == 1;
    }, kWait)) << rig.bridge->log();
    // The parker hung up: 2003 is idle again, also as a member of queue 401.
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2003/status", "online"));
    EXPECT_TRUE(rig.probe.wait_for([&](const Snapshot& snap) {
        auto v = snap.value("pbx/queues/401/members/SIP_2003");
        return v && json::parse(*v)["status"] == "not_in_use";
    }, kWait));
    return b;
}

// During the gap: one call ends, the parked call is retrieved by 2003 (a new call), 2004 turns
// DND on, 2006 unregisters.
std::string change_during_gap(Rig& rig, const Before& b) {
    rig.control_ok("hangup " + b.ending_call);
    rig.control_ok("unpark " + b.parked_space + " 2003");
    const std::string retrieved = linkedid_of(rig, "2003");
    rig.control_ok("dnd 2004 on");
    rig.control_ok("unregister 2006");
    return retrieved;
}

void expect_gap_changes_seen(Rig& rig, const Before& b, const std::string& retrieved) {
    EXPECT_TRUE(rig.wait_cleared(call_topic(b.ending))) << "a call hung up during the gap lingers";
    EXPECT_TRUE(rig.wait_present(call_topic(b.persisting)));
    EXPECT_TRUE(rig.wait_present(call_topic(retrieved)));
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2004/dnd", "true"));
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2006/status", "offline"));
    EXPECT_TRUE(rig.probe.wait_for([&](const Snapshot& snap) {
        auto v = snap.value("pbx/parkings/default");
        return v && json::parse(*v)["parked"] == 0;
    }, kWait));
}

// pause-reads holds the reconnecting bridge at its login while the PBX changes; this lets the
// changes go and waits for the resync.
void resume_and_resync(Rig& rig, std::size_t snapshots_before) {
    rig.control_ok("pause-reads off");
    ASSERT_TRUE(rig.synced(snapshots_before + 1)) << rig.bridge->log();
    ASSERT_TRUE(rig.ami_connected_is(true)) << rig.bridge->log();
    EXPECT_EQ(rig.probe.wait_for_value("pbx/ami/state", "connected", kWait), "connected");
}

void expect_disconnection_published(Rig& rig) {
    ASSERT_TRUE(rig.ami_connected_is(false)) << rig.bridge->log();
    EXPECT_EQ(rig.probe.wait_for_value("pbx/ami/state", "disconnected", kWait), "disconnected");
}

// The three drop variants of a live PBX share the rest of the test.
void run_drop_variant(Rig& rig, const std::function<void()>& fault, std::string_view log_needle) {
    ASSERT_TRUE(rig.synced()) << rig.bridge->log();
    ASSERT_TRUE(rig.ami_connected_is(true));
    const Before b = set_up_busy_pbx(rig);
    const auto before = current(rig);
    const std::size_t snapshots = rig.snapshots();
    const std::size_t mark = rig.probe.snapshot().messages.size();

    const auto t0 = Clock::now();
    fault();
    expect_disconnection_published(rig);
    // Noticed within 2 x keepalive (1 s), counting from the fault.
    EXPECT_LT(Clock::now() - t0, 2500ms);
    EXPECT_TRUE(rig.bridge->process().wait_for_log(log_needle, kWait)) << rig.bridge->log();
    // The bridge is back at the door (its TCP connection waits at the paused simulator).
    ASSERT_TRUE(rig.bridge->process().wait_for_log("AMI: reconnecting in", kWait));

    const std::string retrieved = change_during_gap(rig, b);
    resume_and_resync(rig, snapshots);
    expect_gap_changes_seen(rig, b, retrieved);
    rig.expect_tree_equals_a_fresh_bridge();
    expect_only_changed_topics_republished(rig.probe.snapshot(), mark, before, current(rig));
    // The call that went on through the gap, its two phones, the trunk and the mailboxes.
    expect_untouched(rig.probe.snapshot(), mark, before, current(rig),
                     {"calls/" + b.persisting, "extensions/2001", "extensions/2002", "trunks", "voicemail"});
}

TEST(AmiFaults, HalfOpenPeerIsNoticedAndTheResyncRepublishesOnlyWhatChanged) {
    Rig rig;
    // pause-reads: the peer stops answering (no Pong) but keeps the socket open.
    run_drop_variant(rig, [&] { rig.control_ok("pause-reads on"); }, "no data from Asterisk");
}

TEST(AmiFaults, TcpResetIsFollowedByAnExactResync) {
    Rig rig;
    run_drop_variant(rig, [&] {
        rig.control_ok("pause-reads on");  // holds the reconnection at its login
        rig.control_ok("reset");
    }, "AMI disconnected: Connection reset by peer");
}

TEST(AmiFaults, PbxRestartWithShutdownEventLeavesNoEndedCallBehind) {
    Rig rig;
    run_drop_variant(rig, [&] {
        rig.control_ok("pause-reads on");  // the restarting PBX answers nobody until it is back
        rig.control_ok("shutdown");
    }, "Asterisk is shutting down");
}

TEST(AmiFaults, KilledPbxReplacedByADifferentOneOnTheSamePort) {
    Rig rig;
    ASSERT_TRUE(rig.synced()) << rig.bridge->log();
    const Before b = set_up_busy_pbx(rig);
    rig.control_ok("dnd 2002 on");
    ASSERT_TRUE(rig.wait_value("pbx/extensions/2002/dnd", "true"));
    rig.control_ok("unregister 2003");
    ASSERT_TRUE(rig.wait_value("pbx/extensions/2003/status", "offline"));
    ASSERT_TRUE(rig.probe.wait_for([&](const Snapshot& snap) {
        auto v = snap.value("pbx/queues/401/members/SIP_2003");
        return v && json::parse(*v)["status"] == "unavailable";
    }, kWait)) << rig.probe.snapshot().value("pbx/queues/401/members/SIP_2003").value_or("");
    const std::time_t last_call_second = std::time(nullptr);
    const auto before = current(rig);
    const std::size_t snapshots = rig.snapshots();
    const auto ami_port = rig.sim->ami_port(), control_port = rig.sim->control_port();
    const std::size_t mark = rig.probe.snapshot().messages.size();

    ASSERT_TRUE(rig.sim->process().signal(SIGKILL));
    ASSERT_TRUE(rig.sim->process().wait_exit(5s));
    expect_disconnection_published(rig);

    // A new PBX on the same port, with its own state: the default one (no calls, nothing parked,
    // DND off, 2003 registered, 2005/2006 not), plus a new call and DND on for 2004. It holds
    // the bridge at its login until that state is set up.
    SimulatorOptions so;
    so.ami_port = ami_port;
    so.control_port = control_port;
    so.extra_args = {"--pause-reads", "on"};
    rig.sim = std::make_unique<Simulator>(so);
    // Asterisk's uniqueids are "<epoch seconds>.<counter>" and the counter starts again at a
    // restart: a restart takes longer than a second, so a new channel never reuses an old id.
    ASSERT_TRUE(eventually([&] { return std::time(nullptr) > last_call_second; }, 2s));
    rig.control_ok("answer " + rig.control_ok("call 2002 2001"));
    const std::string fresh_call = linkedid_of(rig, "2002");
    rig.control_ok("dnd 2004 on");
    resume_and_resync(rig, snapshots);

    EXPECT_TRUE(rig.wait_present(call_topic(fresh_call)));
    for (const auto& gone : {b.persisting, b.ending}) EXPECT_TRUE(rig.wait_cleared(call_topic(gone))) << gone;
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2002/dnd", "false"));
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2004/dnd", "true"));
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2003/status", "online"));
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2005/status", "offline"));
    rig.expect_tree_equals_a_fresh_bridge();
    expect_only_changed_topics_republished(rig.probe.snapshot(), mark, before, current(rig));
}

long vm_rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

std::string percent(std::string_view bytes) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : bytes) {
        if (std::isalnum(c)) out += static_cast<char>(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

TEST(AmiFaults, JunkFromAsteriskNeitherCrashesNorGrowsAndAResyncRepairsTheTree) {
    Rig rig;
    ASSERT_TRUE(rig.synced()) << rig.bridge->log();
    const Before b = set_up_busy_pbx(rig);
    (void)b;
    const long rss_before = vm_rss_kib(rig.bridge->process().pid());
    ASSERT_GT(rss_before, 0);
    const std::size_t snapshots = rig.snapshots();

    // Garbage bytes and lines without a header name.
    rig.control_ok("raw " + percent(std::string("\x01\x02\xff\xfe garbage without colon\r\n\r\n") + "::::\r\n\r\n"));
    // A truncated message: headers, then a new message starts without the blank line.
    rig.control_ok("raw " + percent("Event: Newchannel\r\nChannel: SIP/2001-0000\r\nUniq"));
    rig.control_ok("raw " + percent("\r\n\r\n"));
    // A 10 MiB line: over the parser's 1 MiB limit, skipped to the next blank line.
    {
        std::string huge = "Event: VarSet\r\nValue: " + std::string(10 * 1024 * 1024, 'x') + "\r\n\r\n";
        rig.control_ok("raw " + percent(huge));
    }
    // Unknown events, and events about channels and bridges nobody announced.
    rig.control_ok("event FutureEventNobodyKnows Foo=bar Uniqueid=1.1 Linkedid=1.1 Channel=SIP/2001-0000ffff");
    rig.control_ok("event Hangup Channel=SIP/2002-0000fffe Uniqueid=999.1 Linkedid=999.1 Cause=16");
    rig.control_ok("event BridgeEnter BridgeUniqueid=no-such-bridge Channel=SIP/2003-0000fffd Uniqueid=999.2 Linkedid=999.2 "
                   "ChannelState=6 ChannelStateDesc=Up CallerIDNum=2003");
    rig.control_ok("event BridgeLeave BridgeUniqueid=no-such-bridge Channel=SIP/2003-0000fffd Uniqueid=999.2 Linkedid=999.2");
    rig.control_ok("event Hangup Channel=SIP/2003-0000fffd Uniqueid=999.2 Linkedid=999.2 Cause=16");
    // Out of order: the Hangup of a channel before its Newchannel.
    rig.control_ok("event Hangup Channel=SIP/2004-0000fffc Uniqueid=999.3 Linkedid=999.3 Cause=16");
    rig.control_ok("event Newchannel Channel=SIP/2004-0000fffc Uniqueid=999.3 Linkedid=999.3 ChannelState=0 "
                   "ChannelStateDesc=Down CallerIDNum=2004 Exten=2001 Context=from-internal");
    // Duplicated events.
    for (int i = 0; i < 3; ++i) rig.control_ok("event DeviceStateChange Device=SIP/2003 State=NOT_INUSE");
    for (int i = 0; i < 2; ++i) rig.control_ok("dnd 2002 on");

    // Still alive, still reading: a change after the junk arrives.
    rig.control_ok("unregister 2005");
    EXPECT_TRUE(rig.wait_value("pbx/extensions/2005/status", "offline")) << rig.bridge->log();
    EXPECT_TRUE(rig.bridge->process().running());
    const std::string log = rig.bridge->log();
    EXPECT_NE(log.find("malformed input: line without a header name"), std::string::npos) << log;
    EXPECT_NE(log.find("malformed input: message exceeds 1048576 bytes"), std::string::npos) << log;
    EXPECT_NE(log.find("AMI event FutureEventNobodyKnows (Uniqueid '1.1') changed nothing; dropped"), std::string::npos) << log;
    EXPECT_NE(log.find("AMI event Hangup (Uniqueid '999.1') changed nothing; dropped"), std::string::npos) << log;
    const long rss_after = vm_rss_kib(rig.bridge->process().pid());
    EXPECT_LT(rss_after - rss_before, 50 * 1024) << "VmRSS " << rss_before << " -> " << rss_after << " KiB";

    // The resync command reads everything again: the tree equals a fresh bridge's.
    rig.probe.publish("pbx/cmd/resync", "{}");
    EXPECT_TRUE(rig.probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/cmd/resync/result");
        return v && json::parse(*v)["status"] == "ok";
    }, kWait)) << rig.bridge->log();
    ASSERT_TRUE(rig.synced(snapshots + 1)) << rig.bridge->log();
    rig.expect_tree_equals_a_fresh_bridge();
}

}  // namespace
