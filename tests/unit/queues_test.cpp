// Queues end to end in the pure core: the snapshot of fixture 01 and the recorded queue
// transcript of each Asterisk version (20 chan_sip, 22 PJSIP, 13 chan_sip) through session,
// model and the queues module; asserts the retained topics a subscriber would see.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"
#include "queues/queues_module.hpp"
#include "queues/queues_state.hpp"

namespace queues_test {  // named: the unity build compiles several test files as one

using nlohmann::json;
using testsupport::FixturePbx;
using testsupport::RecordingPort;

// The harness of bridge_core_test.cpp, with the wall clock set to each event's recorded time.
struct Harness {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));
    model::Timestamp wall = testsupport::parse_iso8601("2026-11-27T17:40:00.000Z");

    Harness(const std::string& flavor, std::set<std::string> trunks) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.session.secret = "bridgepass";
        o.trunks = std::move(trunks);
        o.version = "test";
        o.started_at = "2026-11-27T00:00:00Z";
        o.wall_clock = [this] { return wall; };
        core = std::make_unique<core::BridgeCore>(o, port);
        pbx = std::make_unique<FixturePbx>(testsupport::fixture(flavor + "/01-snapshot-actions.txt"));
        core->start();
        connect();
    }
    void connect() {
        core->ami_connected(now);
        pump(pbx->banner() + "\r\n");
    }
    // Feeds bytes and answers whatever the core sends until it is quiet.
    void pump(std::string bytes) {
        for (int i = 0; i < 100 && !bytes.empty(); ++i) {
            core->ami_received(bytes, now);
            bytes = pbx->answer(core->take_ami_output());
        }
    }
    void events(const std::string& transcript) {
        for (const auto& e : testsupport::timed_transcript_events(testsupport::fixture(transcript))) {
            wall = e.at;
            pump(e.event.serialize());
        }
    }
    json retained(const std::string& topic) const {
        const auto tree = port.retained();
        auto it = tree.find(topic);
        return it == tree.end() ? json() : json::parse(it->second);
    }
    // Every payload published on a topic, parsed ("" = cleared -> null).
    std::vector<json> history(const std::string& topic) const {
        std::vector<json> out;
        for (const auto& v : port.values(topic)) out.push_back(v.empty() ? json() : json::parse(v));
        return out;
    }
    std::vector<std::string> queue_topics() const {
        std::vector<std::string> out;
        for (const auto& [topic, payload] : port.retained())
            if (topic.rfind("pbx/queues/", 0) == 0) out.push_back(topic);
        return out;
    }
};

struct Version {
    std::string flavor;
    std::set<std::string> trunks;
    std::string transcript;
    std::string queue;         // 401, 402, 403
    std::string tech;          // SIP, PJSIP
    char digit;                // extensions 2xxx, 3xxx, 4xxx
    std::string caller_channel, caller_uniqueid, joined_at;
    std::string last_call;     // ISO 8601 of the answering member's LastCall
    bool records_abandon;      // the 22 transcript has no abandoned call
    std::string ext(int n) const { return std::string(1, digit) + "00" + std::to_string(n); }
    std::string member(int n) const { return tech + "_" + ext(n); }
    std::string dynamic_member() const { return "Local_" + ext(2) + "@from-queue_n"; }
    std::string queue_topic() const { return "pbx/queues/" + queue; }
    std::string member_topic(const std::string& id) const { return queue_topic() + "/members/" + id; }
};

std::vector<Version> versions() {
    return {
        {"asterisk20-chansip", {"trunk1"}, "asterisk20-chansip/06-queue-401.txt", "401", "SIP", '2', "SIP/2001-00000005",
         "1795801270.7", "2026-11-27T17:41:10.325Z", "2026-11-27T17:41:18.000Z", true},
        {"asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"}, "asterisk22-pjsip/04-queue-402.txt", "402", "PJSIP", '3',
         "PJSIP/3001-00000005", "1795802485.8", "2026-11-27T18:01:25.018Z", "2026-11-27T18:01:33.000Z", false},
        {"asterisk13-chansip", {}, "asterisk13-chansip/04-queue-403.txt", "403", "SIP", '4', "SIP/4001-00000005",
         "1795804846.7", "2026-11-27T18:40:46.161Z", "2026-11-27T18:40:54.000Z", true},
    };
}

void PrintTo(const Version& v, std::ostream* os) { *os << v.flavor; }

std::string version_name(const ::testing::TestParamInfo<Version>& info) {
    return info.param.flavor.substr(0, info.param.flavor.find('-'));
}

json static_member(const Version& v, int n, const std::string& name) {
    return json{{"name", name},
                {"interface", v.tech + "/" + v.ext(n)},
                {"state_interface", v.tech + "/" + v.ext(n)},
                {"type", "static"},
                {"logged_in", true},
                {"paused", false},
                {"paused_reason", ""},
                {"status", "not_in_use"},
                {"in_call", false},
                {"calls_taken", 0},
                {"last_call", nullptr},
                {"penalty", 0}};
}

// --- snapshot ---

class QueueSnapshot : public ::testing::TestWithParam<Version> {};

TEST_P(QueueSnapshot, PublishesTheQueueAndItsStaticMembers) {
    const Version& v = GetParam();
    Harness h(v.flavor, v.trunks);
    EXPECT_EQ(h.queue_topics(), (std::vector<std::string>{v.queue_topic(), v.member_topic(v.member(3)), v.member_topic(v.member(4))}));
    EXPECT_EQ(h.retained(v.queue_topic()),
              json::parse(R"({"name":")" + v.queue +
                          R"(","strategy":"ringall","calls_waiting":0,"callers":[],"members":{"available":2,"busy":0,"paused":0,"total":2},)"
                          R"("completed":0,"abandoned":0,"holdtime":0,"talktime":0,"service_level":60,"service_level_perf":0.0})"));
    EXPECT_EQ(h.retained(v.member_topic(v.member(3))), static_member(v, 3, "Carol Clark"));
    EXPECT_EQ(h.retained(v.member_topic(v.member(4))), static_member(v, 4, "Dave Davis"));
    // Field order is part of the contract (docs/topics.md).
    EXPECT_EQ(h.port.retained()[v.member_topic(v.member(3))],
              R"({"name":"Carol Clark","interface":")" + v.tech + "/" + v.ext(3) + R"(","state_interface":")" + v.tech + "/" +
                  v.ext(3) +
                  R"(","type":"static","logged_in":true,"paused":false,"paused_reason":"","status":"not_in_use","in_call":false,"calls_taken":0,"last_call":null,"penalty":0})");
}

INSTANTIATE_TEST_SUITE_P(QueueVersions, QueueSnapshot, ::testing::ValuesIn(versions()), version_name);

// --- the recorded queue transcript ---

class QueueTranscript : public ::testing::TestWithParam<Version> {
protected:
    void SetUp() override {
        h = std::make_unique<Harness>(GetParam().flavor, GetParam().trunks);
        h->events(GetParam().transcript);
    }
    std::unique_ptr<Harness> h;
};

TEST_P(QueueTranscript, DynamicMemberIsAddedPausedForLunchUnpausedAndRemoved) {
    const Version& v = GetParam();
    const std::string topic = v.member_topic(v.dynamic_member());
    const auto seen = h->history(topic);
    ASSERT_GE(seen.size(), 5u);
    // QueueAdd (Penalty 1), QueuePause Lunch, unpause, QueuePenalty 0, ..., QueueRemove.
    EXPECT_EQ(seen[0]["name"], "Bob Brown");
    EXPECT_EQ(seen[0]["interface"], "Local/" + v.ext(2) + "@from-queue/n");
    EXPECT_EQ(seen[0]["state_interface"], v.tech + "/" + v.ext(2));
    EXPECT_EQ(seen[0]["type"], "dynamic");
    EXPECT_EQ(seen[0]["penalty"], 1);
    EXPECT_EQ(seen[0]["paused"], false);
    EXPECT_EQ(seen[1]["paused"], true);
    EXPECT_EQ(seen[1]["paused_reason"], "Lunch");
    EXPECT_EQ(seen[2]["paused"], false);
    EXPECT_EQ(seen[2]["paused_reason"], "");
    EXPECT_EQ(seen[3]["penalty"], 0);
    // Rung during the call, then removed: the retained topic is cleared.
    bool rang = false;
    for (const auto& s : seen) rang |= s.is_object() && s["status"] == "ringing";
    EXPECT_TRUE(rang);
    EXPECT_TRUE(seen.back().is_null()) << "the removed member's topic must be cleared";
    EXPECT_FALSE(h->port.retained().count(topic));
    // The queue counted it while it was a member.
    std::vector<int> totals;
    for (const auto& q : h->history(v.queue_topic()))
        if (totals.empty() || totals.back() != q["members"]["total"]) totals.push_back(q["members"]["total"]);
    EXPECT_EQ(totals, (std::vector<int>{2, 3, 2}));
}

TEST_P(QueueTranscript, StaticMemberPausedForABreakAndUnpaused) {
    const Version& v = GetParam();
    std::vector<std::string> reasons;
    for (const auto& s : h->history(v.member_topic(v.member(4))))
        if (s["paused"] == true) reasons.push_back(s["paused_reason"]);
    ASSERT_FALSE(reasons.empty());
    EXPECT_EQ(reasons.front(), "Break");
    EXPECT_EQ(h->retained(v.member_topic(v.member(4)))["paused"], false);
}

TEST_P(QueueTranscript, CallerJoinsWaitsAndLeaves) {
    const Version& v = GetParam();
    const auto seen = h->history(v.queue_topic());
    auto waiting = std::find_if(seen.begin(), seen.end(), [](const json& q) { return q["calls_waiting"] == 1; });
    ASSERT_NE(waiting, seen.end());
    EXPECT_EQ((*waiting)["callers"], json::parse(R"([{"position":1,"number":")" + v.ext(1) + R"(","name":"Alice Anderson","channel":")" +
                                                 v.caller_channel + R"(","uniqueid":")" + v.caller_uniqueid +
                                                 R"(","joined_at":")" + v.joined_at + R"("}])"));
    // While 2003 and the Local member ring and 2004 is paused, nobody is available.
    auto ringing = std::find_if(waiting, seen.end(), [](const json& q) { return q["members"]["busy"] == 2; });
    ASSERT_NE(ringing, seen.end());
    EXPECT_EQ((*ringing)["members"], json::parse(R"({"available":0,"busy":2,"paused":1,"total":3})"));
    EXPECT_EQ((*ringing)["calls_waiting"], 1);
    // The caller leaves the queue when the member answers.
    EXPECT_NE(std::find_if(waiting, seen.end(), [](const json& q) { return q["calls_waiting"] == 0; }), seen.end());
    // At the end of the transcript nobody waits.
    const json last = h->retained(v.queue_topic());
    EXPECT_EQ(last["calls_waiting"], 0);
    EXPECT_EQ(last["callers"], json::array());
}

TEST_P(QueueTranscript, AnsweringMemberIsInCallDuringTheCall) {
    // Asterisk 13 keeps InCall: 0 in its member events during the call: AgentConnect says it.
    const Version& v = GetParam();
    const std::string topic = v.member_topic(v.member(3));
    const auto seen = h->history(topic);
    // (On 20 and 22 AgentConnect comes just before the QueueMemberStatus that says "in use".)
    auto talking = std::find_if(seen.begin(), seen.end(), [](const json& m) { return m["in_call"] == true && m["status"] == "in_use"; });
    ASSERT_NE(talking, seen.end());
    EXPECT_EQ((*talking)["calls_taken"], 0);
    // Not in a call before it was answered, nor after it ended.
    EXPECT_EQ(seen.front()["in_call"], false);
    for (auto it = seen.begin(); it != talking; ++it) {
        if ((*it)["status"] != "ringing") {
            EXPECT_EQ((*it)["in_call"], false) << it->dump();
        }
    }
    const json last = h->retained(topic);
    EXPECT_EQ(last["in_call"], false);
    EXPECT_EQ(last["status"], "not_in_use");
    EXPECT_EQ(last["calls_taken"], 1);
    EXPECT_EQ(last["last_call"], v.last_call);
    EXPECT_EQ(last["paused"], false);
}

TEST_P(QueueTranscript, CompletedAndAbandonedCounts) {
    const Version& v = GetParam();
    std::vector<std::pair<int, int>> counts;  // (completed, abandoned), each change once
    for (const auto& q : h->history(v.queue_topic())) {
        std::pair<int, int> c{q["completed"], q["abandoned"]};
        if (counts.empty() || counts.back() != c) counts.push_back(c);
    }
    const std::vector<std::pair<int, int>> expected =
        v.records_abandon ? std::vector<std::pair<int, int>>{{0, 0}, {1, 0}, {1, 1}} : std::vector<std::pair<int, int>>{{0, 0}, {1, 0}};
    EXPECT_EQ(counts, expected);
    // Averages are app_queue's own; events do not carry them: the snapshot's values stay.
    const json last = h->retained(v.queue_topic());
    EXPECT_EQ(last["holdtime"], 0);
    EXPECT_EQ(last["talktime"], 0);
    EXPECT_EQ(last["strategy"], "ringall");
}

TEST_P(QueueTranscript, HappeningsAreNotRetained) {
    const Version& v = GetParam();
    std::vector<std::string> types;
    for (const auto& m : h->port.published) {
        if (m.topic.rfind("pbx/events/queue_", 0) != 0) continue;
        EXPECT_FALSE(m.retain) << m.topic;
        types.push_back(m.topic.substr(std::string("pbx/events/").size()));
    }
    // Published by the events module once it is part of the core; the model's happenings are checked below.
    if (types.empty()) GTEST_SKIP() << "no events module publishing happenings in this build";
    std::vector<std::string> expected{"queue_caller_join", "queue_caller_leave", "queue_agent_connect", "queue_agent_complete"};
    if (v.records_abandon)
        for (const char* t : {"queue_caller_join", "queue_caller_abandon", "queue_caller_leave"}) expected.push_back(t);
    EXPECT_EQ(types, expected);
}

INSTANTIATE_TEST_SUITE_P(QueueVersions, QueueTranscript, ::testing::ValuesIn(versions()), version_name);

// --- the model alone ---

class QueueHappenings : public ::testing::TestWithParam<Version> {};

TEST_P(QueueHappenings, CallerAndAgentHappeningsInTranscriptOrder) {
    const Version& v = GetParam();
    queues::QueuesState state;
    std::vector<model::Happening> happenings;
    for (const auto& e : testsupport::timed_transcript_events(testsupport::fixture(v.transcript))) {
        model::ChangeSet changes;
        state.apply_event(e.event, e.at, changes);
        happenings.insert(happenings.end(), changes.happenings.begin(), changes.happenings.end());
    }
    std::vector<std::string> types;
    for (const auto& hp : happenings) {
        EXPECT_EQ(hp.topic_kind, "events");
        types.push_back(hp.id);
    }
    std::vector<std::string> expected{"queue_caller_join", "queue_caller_leave", "queue_agent_connect", "queue_agent_complete"};
    if (v.records_abandon)
        for (const char* t : {"queue_caller_join", "queue_caller_abandon", "queue_caller_leave"}) expected.push_back(t);
    ASSERT_EQ(types, expected);
    EXPECT_EQ(happenings[0].payload.dump(), R"({"queue":")" + v.queue + R"(","position":1,"number":")" + v.ext(1) +
                                                R"(","name":"Alice Anderson","channel":")" + v.caller_channel +
                                                R"(","uniqueid":")" + v.caller_uniqueid + R"(","calls_waiting":1})");
    EXPECT_EQ(happenings[1].payload["calls_waiting"], 0);
    const auto& complete = happenings[3].payload;
    EXPECT_EQ(complete["member"], v.member(3));
    EXPECT_EQ(complete["interface"], v.tech + "/" + v.ext(3));
    EXPECT_EQ(complete["member_name"], "Carol Clark");
    EXPECT_EQ(complete["number"], v.ext(1));
    EXPECT_EQ(complete["hold_time"], 4);
    EXPECT_EQ(complete["talk_time"], 4);
    EXPECT_EQ(complete["reason"], "caller");
    EXPECT_EQ(happenings[2].payload["ring_time"], 4);
    if (v.records_abandon) {
        EXPECT_EQ(happenings[5].payload["hold_time"], 5);
        EXPECT_EQ(happenings[5].payload["original_position"], 1);
    }
    // Nobody waits at the end, and the queue never gained a phantom member.
    const queues::Queue* q = state.find(v.queue);
    ASSERT_NE(q, nullptr);
    EXPECT_TRUE(q->callers.empty());
}

INSTANTIATE_TEST_SUITE_P(QueueVersions, QueueHappenings, ::testing::ValuesIn(versions()), version_name);

ami::Message message(std::initializer_list<std::pair<const char*, const char*>> headers) {
    ami::Message m;
    for (const auto& [name, value] : headers) m.add(name, value);
    return m;
}

TEST(QueueModel, MemberIdsAndStatusNames) {
    EXPECT_EQ(queues::member_id("SIP/2003"), "SIP_2003");
    EXPECT_EQ(queues::member_id("Local/2002@from-queue/n"), "Local_2002@from-queue_n");
    EXPECT_EQ(queues::member_id("PJSIP/3003"), "PJSIP_3003");
    const char* names[] = {"unknown", "not_in_use", "in_use", "busy", "invalid", "unavailable", "ringing", "ring_in_use", "on_hold"};
    for (int s = 0; s <= 8; ++s) EXPECT_EQ(queues::member_status_name(s), names[s]) << s;
    EXPECT_EQ(queues::member_status_name(42), "unknown");
}

TEST(QueueModel, SnapshotCallerJoinedWaitSecondsAgoAndAReplayedJoinKeepsIt) {
    // QueueStatus while a caller waits (06-queue-401), then the buffered QueueCallerJoin replayed.
    queues::QueuesState state;
    const auto snapshot_at = testsupport::parse_iso8601("2026-11-27T17:41:13.400Z");
    state.add_queue_params(message({{"Event", "QueueParams"}, {"Queue", "401"}, {"Strategy", "ringall"}, {"Calls", "1"},
                                    {"Holdtime", "0"}, {"TalkTime", "0"}, {"Completed", "0"}, {"Abandoned", "0"},
                                    {"ServiceLevel", "60"}, {"ServicelevelPerf", "0.0"}}));
    state.add_queue_entry(message({{"Event", "QueueEntry"}, {"Queue", "401"}, {"Position", "1"}, {"Channel", "SIP/2001-00000005"},
                                   {"Uniqueid", "1795801270.7"}, {"CallerIDNum", "2001"}, {"CallerIDName", "Alice Anderson"},
                                   {"ConnectedLineNum", "unknown"}, {"Wait", "3"}}),
                          snapshot_at);
    model::ChangeSet changes;
    state.apply_event(message({{"Event", "QueueCallerJoin"}, {"Channel", "SIP/2001-00000005"}, {"CallerIDNum", "2001"},
                               {"CallerIDName", "Alice Anderson"}, {"Uniqueid", "1795801270.7"}, {"Queue", "401"},
                               {"Position", "1"}, {"Count", "1"}}),
                      snapshot_at + std::chrono::seconds(1), changes);
    const queues::Queue* q = state.find("401");
    ASSERT_NE(q, nullptr);
    ASSERT_EQ(q->callers.size(), 1u);
    EXPECT_EQ(model::iso8601(q->callers[0].joined_at), "2026-11-27T17:41:10.400Z");
    EXPECT_EQ(json::parse(queues::QueuesModule::render(*q))["calls_waiting"], 1);
}

TEST(QueueModel, PositionsStayContiguousAsCallersComeAndGo) {
    queues::QueuesState state;
    const auto t = testsupport::parse_iso8601("2026-11-27T17:41:00.000Z");
    auto join = [&](const char* uid, const char* pos) {
        model::ChangeSet c;
        state.apply_event(message({{"Event", "QueueCallerJoin"}, {"Queue", "401"}, {"Uniqueid", uid}, {"Channel", uid},
                                   {"CallerIDNum", "<unknown>"}, {"Position", pos}}),
                          t, c);
    };
    join("a", "1");
    join("b", "2");
    join("c", "2");  // a higher priority caller lands before b
    model::ChangeSet c;
    state.apply_event(message({{"Event", "QueueCallerLeave"}, {"Queue", "401"}, {"Uniqueid", "a"}, {"Position", "1"}}), t, c);
    const auto& callers = state.find("401")->callers;
    ASSERT_EQ(callers.size(), 2u);
    EXPECT_EQ(callers[0].uniqueid, "c");
    EXPECT_EQ(callers[0].position, 1);
    EXPECT_EQ(callers[1].uniqueid, "b");
    EXPECT_EQ(callers[1].position, 2);
    EXPECT_EQ(callers[0].number, "");  // "<unknown>" is no number
}

// --- the module against the retained tree ---

TEST(QueueModule, AQueueGoneAtResyncIsClearedWithItsMembers) {
    Harness h("asterisk20-chansip", {"trunk1"});
    h.pump("Event: QueueMemberAdded\r\nQueue: 999\r\nMemberName: Temp\r\nInterface: SIP/2005\r\nStateInterface: SIP/2005\r\n"
           "Membership: dynamic\r\nPenalty: 0\r\nCallsTaken: 0\r\nLastCall: 0\r\nInCall: 0\r\nStatus: 5\r\nPaused: 0\r\nPausedReason: \r\n\r\n");
    EXPECT_EQ(h.retained("pbx/queues/999/members/SIP_2005")["logged_in"], false);
    EXPECT_EQ(h.retained("pbx/queues/999")["strategy"], "");  // never read from QueueParams
    // Reconnect: the fresh snapshot (fixture 01) has no queue 999.
    h.core->ami_disconnected("test");
    h.connect();
    EXPECT_FALSE(h.port.retained().count("pbx/queues/999"));
    EXPECT_FALSE(h.port.retained().count("pbx/queues/999/members/SIP_2005"));
    EXPECT_TRUE(h.port.retained().count("pbx/queues/401"));
}

TEST(QueueModule, MemberThatCannotBeATopicLevelIsSkipped) {
    Harness h("asterisk20-chansip", {"trunk1"});
    h.pump("Event: QueueMemberAdded\r\nQueue: 401\r\nMemberName: Odd\r\nInterface: Local/+1#@x\r\nMembership: dynamic\r\nStatus: 1\r\n"
           "Paused: 0\r\n\r\n");
    for (const auto& topic : h.queue_topics()) EXPECT_EQ(topic.find('+'), std::string::npos) << topic;
    EXPECT_EQ(h.retained("pbx/queues/401")["members"]["total"], 3);  // still a member of the queue
}

TEST(QueueModule, UnchangedMemberIsNotRepublished) {
    Harness h("asterisk20-chansip", {"trunk1"});
    const auto before = h.port.published.size();
    // A QueueMemberStatus repeating what the snapshot said changes nothing.
    h.pump("Event: QueueMemberStatus\r\nQueue: 401\r\nMemberName: Carol Clark\r\nInterface: SIP/2003\r\nStateInterface: SIP/2003\r\n"
           "Membership: static\r\nPenalty: 0\r\nCallsTaken: 0\r\nLastCall: 0\r\nInCall: 0\r\nStatus: 1\r\nPaused: 0\r\nPausedReason: \r\n\r\n");
    EXPECT_EQ(h.port.published.size(), before);
    h.pump("Event: QueueMemberStatus\r\nQueue: 401\r\nInterface: SIP/2003\r\nStatus: 5\r\n\r\n");
    EXPECT_EQ(h.port.published.size(), before + 2);  // the member (unavailable) and the queue's counts
    EXPECT_EQ(h.retained("pbx/queues/401/members/SIP_2003")["status"], "unavailable");
    EXPECT_EQ(h.retained("pbx/queues/401/members/SIP_2003")["name"], "Carol Clark");  // kept: absent from the event
    EXPECT_EQ(h.retained("pbx/queues/401")["members"], json::parse(R"({"available":1,"busy":0,"paused":0,"total":2})"));
}

TEST(QueueModel, ServiceLevelPerformanceFollowsCompletedCallsAsAFreshSnapshotWouldShowIt) {
    // A bridge that stayed up must show what QueueParams would say now (a fresh bridge reads that):
    // 2 of 3 calls within 60 s ("66.7"), then one answered after 10 s, then one after 90 s.
    queues::QueuesState state;
    state.add_queue_params(message({{"Event", "QueueParams"}, {"Queue", "401"}, {"Strategy", "ringall"}, {"Calls", "0"},
                                    {"Holdtime", "4"}, {"TalkTime", "30"}, {"Completed", "3"}, {"Abandoned", "0"},
                                    {"ServiceLevel", "60"}, {"ServicelevelPerf", "66.7"}}));
    const auto t = testsupport::parse_iso8601("2026-11-27T17:41:13.400Z");
    auto complete = [&](const char* hold) {
        model::ChangeSet c;
        state.apply_event(message({{"Event", "AgentComplete"}, {"Queue", "401"}, {"Interface", "SIP/2003"}, {"MemberName", "Carol"},
                                   {"HoldTime", hold}, {"TalkTime", "12"}, {"Reason", "caller"}}),
                          t, c);
        EXPECT_EQ(c.queues.count("401"), 1u);
        return json::parse(queues::QueuesModule::render(*state.find("401")));
    };
    auto j = complete("10");
    EXPECT_EQ(j["completed"], 4);
    EXPECT_EQ(j["service_level_perf"], 75.0);
    j = complete("90");
    EXPECT_EQ(j["completed"], 5);
    EXPECT_EQ(j["service_level_perf"], 60.0);
    j = complete("60");  // at the threshold: within
    EXPECT_EQ(j["service_level_perf"], 66.7);
    EXPECT_EQ(j.dump().find("\"service_level_perf\":66.7"), j.dump().find("service_level_perf") - 1);
}

}  // namespace
