// Calls and conversations, replayed from the recorded call transcripts of each version.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace calls_test {  // named: the unity build compiles several test files as one

using nlohmann::json;
using testsupport::FixturePbx;
using testsupport::RecordingPort;

struct Replay {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    std::chrono::system_clock::time_point wall{};
    ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));

    Replay(const std::string& flavor, std::set<std::string> trunks, const std::string& snapshot = "01-snapshot-actions.txt") {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.trunks = std::move(trunks);
        o.wall_clock = [this] { return wall; };
        core = std::make_unique<core::BridgeCore>(o, port);
        pbx = std::make_unique<FixturePbx>(testsupport::fixture(flavor + "/" + snapshot));
        core->start();
        core->ami_connected(now);
        pump(pbx->banner() + "\r\n");
    }
    void pump(std::string bytes) {
        for (int i = 0; i < 100 && !bytes.empty(); ++i) {
            core->ami_received(bytes, now);
            bytes = pbx->answer(core->take_ami_output());
        }
    }
    // Replays events until `stop` returns true (after an event) or the transcript ends.
    void events(const std::string& transcript, const std::function<bool()>& stop = nullptr) {
        for (const auto& e : testsupport::timed_transcript_events(testsupport::fixture(transcript))) {
            wall = e.at;
            pump(e.event.serialize());
            if (stop && stop()) return;
        }
    }
    std::map<std::string, std::string> calls() {
        std::map<std::string, std::string> out;
        for (const auto& [t, p] : port.retained())
            if (t.rfind("pbx/calls/", 0) == 0) out[t] = p;
        return out;
    }
    json ext(const std::string& e) { return json::parse(port.retained()["pbx/extensions/" + e]); }
    std::vector<json> events_of(const std::string& e) {
        std::vector<json> out;
        for (const auto& m : port.published)
            if (m.topic == "pbx/extensions/" + e + "/event") out.push_back(json::parse(m.payload));
        return out;
    }
};

std::vector<std::string> types(const std::vector<json>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e["event_type"]);
    return out;
}

TEST(Calls, AnsweredCallIsPublishedWithBothConversationsAndClearedAtTheEnd) {
    Replay r("asterisk20-chansip", {"trunk1"});
    // Up to the moment both legs are bridged.
    r.events("asterisk20-chansip/05-call-2001-2002.txt", [&] {
        const auto tree = r.port.retained();
        auto it = tree.find("pbx/calls/1795801243.2");
        return it != tree.end() && json::parse(it->second)["state"] == "up" &&
               r.ext("2001")["conversations"].size() == 1 &&
               r.ext("2001")["conversations"].begin().value()["connected"] == true;
    });
    auto call = json::parse(r.port.retained()["pbx/calls/1795801243.2"]);
    EXPECT_EQ(call["direction"], "internal");
    ASSERT_EQ(call["channels"].size(), 2u);
    EXPECT_EQ(call["channels"][0]["extension"], "2001");
    EXPECT_EQ(call["channels"][1]["extension"], "2002");
    EXPECT_FALSE(call["answered_at"].is_null());
    const std::string id = "SIP/2001-00000000>SIP/2002-00000001";
    auto a = r.ext("2001")["conversations"];
    ASSERT_TRUE(a.contains(id)) << a.dump();
    EXPECT_EQ(a[id]["direction"], "out");
    EXPECT_EQ(a[id]["counterpartNum"], "2002");
    EXPECT_EQ(a[id]["counterpartName"], "Bob Brown");
    EXPECT_EQ(a[id]["linkedId"], "1795801243.2");
    auto b = r.ext("2002")["conversations"];
    ASSERT_TRUE(b.contains(id)) << b.dump();  // the same id from both ends, as astproxy had it
    EXPECT_EQ(b[id]["direction"], "in");
    EXPECT_EQ(b[id]["counterpartNum"], "2001");
    EXPECT_EQ(b[id]["connected"], true);

    r.events("asterisk20-chansip/05-call-2001-2002.txt");  // the rest, from the start: replays are idempotent
    EXPECT_TRUE(r.calls().empty());
    EXPECT_TRUE(r.ext("2001")["conversations"].empty());
    EXPECT_TRUE(r.ext("2002")["conversations"].empty());
}

TEST(Calls, CallEventsTellWhatAPhoneDid) {
    Replay r("asterisk20-chansip", {"trunk1"});
    r.events("asterisk20-chansip/05-call-2001-2002.txt");
    const auto bob = r.events_of("2002");
    // Call 1: rings, answers, hangs up (Normal Clearing); call 2: dials 2001, rejected; 
    EXPECT_EQ(types(bob), (std::vector<std::string>{"ringing", "answered", "hangup", "dialing", "hangup"}));
    EXPECT_EQ(bob[0]["caller_number"], "2001");
    EXPECT_EQ(bob[0]["direction"], "in");
    EXPECT_EQ(bob[2]["cause"], 16);
    EXPECT_EQ(bob[2]["cause_txt"], "Normal Clearing");
    const auto alice = r.events_of("2001");
    EXPECT_EQ(types(alice), (std::vector<std::string>{"dialing", "answered", "hold", "unhold", "hangup", "ringing", "hangup",
                                                       "dialing", "hangup"}));
    EXPECT_EQ(alice[6]["cause"], 17);  // she rejected 2002: User busy
    EXPECT_EQ(alice.back()["cause"], 20);  // 2005 is not registered: Subscriber absent
    EXPECT_EQ(alice.back()["callee_number"], "2005");
}

TEST(Calls, RecordingFollowsMixMonitor) {
    Replay r("asterisk20-chansip", {"trunk1"});
    std::vector<std::string> seen;
    r.events("asterisk20-chansip/11-mixmonitor.txt", [&] {
        for (const auto& [t, p] : r.calls()) {
            const std::string rec = json::parse(p)["recording"];
            if (seen.empty() || seen.back() != rec) seen.push_back(rec);
        }
        return false;
    });
    EXPECT_EQ(seen, (std::vector<std::string>{"false", "true", "mute", "true", "false"}));
    EXPECT_TRUE(r.calls().empty());
}

TEST(Calls, QueueCallIsThroughTheQueue) {
    Replay r("asterisk20-chansip", {"trunk1"});
    bool through_queue = false;
    r.events("asterisk20-chansip/06-queue-401.txt", [&] {
        const auto convs = r.ext("2003")["conversations"];
        for (const auto& [k, conv] : convs.items())
            through_queue |= conv["throughQueue"] == true && conv["queueId"] == "401" && conv["counterpartNum"] == "2001";
        return false;
    });
    EXPECT_TRUE(through_queue);
    EXPECT_TRUE(r.calls().empty());
}

TEST(Calls, EveryCallTranscriptEndsWithNoCallLeft) {
    for (const auto& [flavor, file, trunks] : std::vector<std::tuple<std::string, std::string, std::set<std::string>>>{
             {"asterisk22-pjsip", "03-call-3001-3002.txt", {"trunk1", "trunk2", "selftrunk"}},
             {"asterisk22-pjsip", "08-transfers.txt", {"trunk1", "trunk2", "selftrunk"}},
             {"asterisk13-chansip", "03-call-4001-4002.txt", {}},
             {"asterisk13-chansip", "06-confbridge-802.txt", {}},
             {"asterisk20-chansip", "07-parking.txt", {"trunk1"}}}) {
        Replay r(flavor, trunks);
        std::size_t max_calls = 0;
        r.events(flavor + "/" + file, [&] {
            max_calls = std::max(max_calls, r.calls().size());
            return false;
        });
        EXPECT_GT(max_calls, 0u) << file;
        EXPECT_TRUE(r.calls().empty()) << file << ": " << r.calls().begin()->first;
    }
}

TEST(Calls, AResyncMidCallShowsTheCallFromCoreShowChannels) {
    // The 05 transcript recorded CoreShowChannels while 2001 and 2002 talked.
    Replay r("asterisk20-chansip", {"trunk1"}, "05-call-2001-2002.txt");
    auto calls = r.calls();
    ASSERT_EQ(calls.size(), 1u);
    auto call = json::parse(calls.begin()->second);
    EXPECT_EQ(call["state"], "up");
    ASSERT_EQ(call["channels"].size(), 2u);
    EXPECT_EQ(call["channels"][0]["channel"], "SIP/2001-00000000");
}

}  // namespace

namespace calls_test {  // named: the unity build compiles several test files as one

// A resync while a call goes on: the snapshot only knows its channels' age to the second
// (now - Duration) and not when they answered, but the bridge saw both happen: the call keeps
// its payload, times included, and is not published again.
TEST(Calls, AResyncKeepsTheTimesOfAChannelTheBridgeAlreadyKnew) {
    Replay r("asterisk20-chansip", {"trunk1"});
    r.events("asterisk20-chansip/05-call-2001-2002.txt", [&] {
        auto calls = r.calls();
        return calls.size() == 1 && json::parse(calls.begin()->second)["state"] == "up" &&
               r.ext("2001")["conversations"].begin().value()["connected"] == true;
    });
    const auto before = r.port.retained();
    const auto call = r.calls();
    ASSERT_EQ(call.size(), 1u);
    ASSERT_FALSE(json::parse(call.begin()->second)["answered_at"].is_null());

    // The link drops; the PBX answers the next snapshot with the CoreShowChannels it recorded
    // during that call, 7 s later by the wall clock.
    r.core->ami_disconnected("test");
    r.wall += std::chrono::milliseconds(7300);
    r.now += std::chrono::seconds(8);
    r.pbx = std::make_unique<FixturePbx>(testsupport::fixture("asterisk20-chansip/05-call-2001-2002.txt"));
    const std::size_t published = r.port.published.size();
    r.core->ami_connected(r.now);
    r.pump(r.pbx->banner() + "\r\n");
    ASSERT_FALSE(r.core->synchronizing());

    const auto after = r.port.retained();
    // (That transcript's own snapshot lists no peers: the extensions are another test's business.)
    for (const auto& topic : {call.begin()->first}) {
        ASSERT_TRUE(after.count(topic)) << topic;
        EXPECT_EQ(after.at(topic), before.at(topic)) << topic;
        for (std::size_t i = published; i < r.port.published.size(); ++i)
            EXPECT_NE(r.port.published[i].topic, topic) << "published again: " << r.port.published[i].payload;
    }
}

}  // namespace
