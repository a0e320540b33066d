// Conferences: the recorded ConfBridge transcripts of the three Asterisk versions replayed
// through the pure core (snapshot of fixture 01, then the live events), asserting the retained
// conference topic a subscriber sees; and ConferencesState alone for what no transcript shows.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

#include "conferences/conferences_module.hpp"
#include "conferences/conferences_state.hpp"
#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace conferences_test {  // named: the unity build compiles several test files as one

using nlohmann::json;
using testsupport::FixturePbx;
using testsupport::RecordingPort;
using namespace std::chrono_literals;

// The pure bridge fed by a FixturePbx, with the wall clock at each event's recorded time.
struct Harness {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));
    std::chrono::system_clock::time_point wall{};

    // `snapshot`: the transcript whose recorded answers the FixturePbx gives to the snapshot actions.
    Harness(const std::string& flavor, std::set<std::string> trunks, std::chrono::system_clock::time_point start,
            const std::string& snapshot = "01-snapshot-actions.txt")
        : wall(start) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.session.secret = "bridgepass";
        o.trunks = std::move(trunks);
        o.version = "test";
        o.started_at = "2026-11-27T00:00:00Z";
        o.wall_clock = [this] { return wall; };
        core = std::make_unique<core::BridgeCore>(o, port);
        pbx = std::make_unique<FixturePbx>(testsupport::fixture(flavor + "/" + snapshot));
        core->start();
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
    // Replays the recorded events at or after `from`; `after` runs after each one.
    void events(const std::vector<testsupport::TimedEvent>& recorded, std::chrono::system_clock::time_point from = {},
                const std::function<void(const ami::Message&)>& after = {}) {
        for (const auto& e : recorded) {
            if (e.at < from) continue;
            wall = e.at;
            pump(e.event.serialize());
            if (after) after(e.event);
        }
    }
    json retained(const std::string& topic) const {
        const auto tree = port.retained();
        auto it = tree.find(topic);
        return it == tree.end() ? json() : json::parse(it->second);
    }
    // Every payload published on `topic` (retained or not), "" for a clear.
    std::vector<std::string> values(const std::string& topic) const { return port.values(topic); }
    std::vector<mqtt::OutgoingMessage> on(const std::string& topic) const {
        std::vector<mqtt::OutgoingMessage> out;
        for (const auto& m : port.published)
            if (m.topic == topic) out.push_back(m);
        return out;
    }
};

std::vector<testsupport::TimedEvent> recorded(const std::string& transcript) {
    return testsupport::timed_transcript_events(testsupport::fixture(transcript));
}

std::chrono::system_clock::time_point at(const std::string& iso) { return testsupport::parse_iso8601(iso); }

struct Version {
    std::string flavor;
    std::set<std::string> trunks;
    std::string transcript;
    std::string room;
    char ext;          // the first digit of the extensions: 2001, 3001, 4001
    std::string tech;  // SIP, PJSIP
};

void PrintTo(const Version& v, std::ostream* os) { *os << v.flavor << "/" << v.transcript; }

std::string exten(const Version& v, int n) { return std::string(1, v.ext) + "00" + std::to_string(n); }

// The user of `conference` whose number is `number` (null when absent).
json user_numbered(const json& conference, const std::string& number) {
    if (!conference.is_object()) return json();
    for (const auto& [channel, u] : conference["users"].items())
        if (u["number"] == number) return u;
    return json();
}

class ConferencesReplay : public ::testing::TestWithParam<Version> {};

TEST_P(ConferencesReplay, ConferenceLivesFromStartToEndWithItsUsers) {
    const Version& v = GetParam();
    const auto events = recorded(v.flavor + "/" + v.transcript);
    ASSERT_FALSE(events.empty());
    Harness h(v.flavor, v.trunks, events.front().at);
    const std::string topic = "pbx/conferences/" + v.room;
    EXPECT_TRUE(h.retained(topic).is_null()) << "no conference at snapshot (Asterisk: No active conferences.)";

    // The conference as it was after each Confbridge event.
    std::vector<std::pair<std::string, json>> after;
    std::string alice_channel;
    bool alice_in_conference_mid = false;
    h.events(events, {}, [&](const ami::Message& e) {
        if (e.event().rfind("Confbridge", 0) != 0) return;
        after.emplace_back(std::string(e.event()), h.retained(topic));
        if (e.event() == "ConfbridgeJoin" && e.get("CallerIDNum") == exten(v, 1)) {
            alice_channel = std::string(e.get("Channel"));
            alice_in_conference_mid = h.core->state().conferences().channel_in_conference(alice_channel);
        }
    });
    std::vector<std::string> names;
    for (const auto& [name, c] : after) names.push_back(name);
    ASSERT_EQ(names, (std::vector<std::string>{"ConfbridgeStart", "ConfbridgeJoin", "ConfbridgeJoin", "ConfbridgeMute",
                                               "ConfbridgeUnmute", "ConfbridgeLeave", "ConfbridgeLeave", "ConfbridgeEnd"}));

    // Start: the room exists, unlocked, nobody in it yet.
    const json& started = after[0].second;
    ASSERT_TRUE(started.is_object());
    EXPECT_EQ(started["room"], v.room);
    EXPECT_EQ(started["locked"], false);
    EXPECT_EQ(started["count"], 0);
    EXPECT_EQ(started["users"], json::object());
    EXPECT_FALSE(started["started_at"].get<std::string>().empty());

    // Two joins: 2001 then 2002, keyed by channel.
    const json& both = after[2].second;
    EXPECT_EQ(both["count"], 2);
    ASSERT_EQ(both["users"].size(), 2u);
    const json alice = user_numbered(both, exten(v, 1));
    const json bob = user_numbered(both, exten(v, 2));
    ASSERT_TRUE(alice.is_object());
    ASSERT_TRUE(bob.is_object());
    EXPECT_EQ(alice["name"], "Alice Anderson");
    EXPECT_EQ(bob["name"], "Bob Brown");
    EXPECT_EQ(both["users"][alice["channel"].get<std::string>()], alice);
    EXPECT_EQ(alice["channel"], alice_channel);
    EXPECT_EQ(alice["channel"].get<std::string>().rfind(v.tech + "/" + exten(v, 1) + "-", 0), 0u);
    EXPECT_EQ(alice["admin"], false);
    EXPECT_TRUE(alice["marked"].is_null());  // ConfbridgeJoin does not say
    EXPECT_EQ(alice["muted"], false);
    EXPECT_EQ(alice["talking"], false);
    EXPECT_TRUE(alice_in_conference_mid);

    // Mute and unmute flip Bob's muted, nobody else's.
    EXPECT_EQ(user_numbered(after[3].second, exten(v, 2))["muted"], true);
    EXPECT_EQ(user_numbered(after[3].second, exten(v, 1))["muted"], false);
    EXPECT_EQ(user_numbered(after[4].second, exten(v, 2))["muted"], false);

    // 2001 hangs up: only Bob is left. Bob is kicked: the room is empty, then ends.
    EXPECT_EQ(after[5].second["count"], 1);
    EXPECT_TRUE(user_numbered(after[5].second, exten(v, 1)).is_null());
    EXPECT_TRUE(user_numbered(after[5].second, exten(v, 2)).is_object());
    EXPECT_EQ(after[6].second["count"], 0);
    EXPECT_TRUE(after[7].second.is_null()) << "conference still retained after ConfbridgeEnd";

    // The end cleared the topic (an empty retained payload), and nothing remains.
    const auto published = h.on(topic);
    ASSERT_FALSE(published.empty());
    EXPECT_TRUE(published.back().retain);
    EXPECT_TRUE(published.back().payload.empty());
    for (const auto& [t, payload] : h.port.retained()) EXPECT_NE(t.rfind("pbx/conferences/", 0), 0u) << "still retained: " << t;
    EXPECT_FALSE(h.core->state().conferences().channel_in_conference(alice_channel));
    EXPECT_TRUE(h.core->state().conferences().conferences().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Conferences, ConferencesReplay,
    ::testing::Values(Version{"asterisk20-chansip", {"trunk1"}, "08-confbridge-800.txt", "800", '2', "SIP"},
                      Version{"asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"}, "06-confbridge-801.txt", "801", '3', "PJSIP"},
                      Version{"asterisk13-chansip", {}, "06-confbridge-802.txt", "802", '4', "SIP"}),
    [](const auto& info) {
        std::string name = info.param.flavor;
        for (char& c : name)
            if (!isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

TEST(ConferencesBridge, StartedDuringAConferencePublishesItFromTheSnapshot) {
    // The ConfbridgeListRooms/ConfbridgeList answers recorded mid-conference serve as the
    // snapshot (2001 answered 2 s before, 2002 1 s before); then the rest is replayed.
    const auto snapshot_at = at("2026-11-27T17:41:51.290Z");
    Harness h("asterisk20-chansip", {"trunk1"}, snapshot_at, "08-confbridge-800.txt");
    const json c = h.retained("pbx/conferences/800");
    ASSERT_TRUE(c.is_object());
    EXPECT_EQ(c["locked"], false);
    EXPECT_EQ(c["count"], 2);
    const json alice = c["users"]["SIP/2001-0000000e"];
    const json bob = c["users"]["SIP/2002-0000000f"];
    EXPECT_EQ(alice["number"], "2001");
    EXPECT_EQ(alice["marked"], false);  // ConfbridgeList says MarkedUser: No
    EXPECT_EQ(alice["joined_at"], "2026-11-27T17:41:49.290Z");
    EXPECT_EQ(bob["joined_at"], "2026-11-27T17:41:50.290Z");
    EXPECT_EQ(c["started_at"], alice["joined_at"]);  // the earliest user
    EXPECT_TRUE(h.core->state().conferences().channel_in_conference("SIP/2002-0000000f"));

    h.events(recorded("asterisk20-chansip/08-confbridge-800.txt"), snapshot_at);
    std::vector<bool> bob_muted;
    for (const auto& p : h.values("pbx/conferences/800")) {
        if (p.empty()) continue;
        const json conf = json::parse(p);
        if (conf["users"].contains("SIP/2002-0000000f")) bob_muted.push_back(conf["users"]["SIP/2002-0000000f"]["muted"]);
    }
    EXPECT_EQ(bob_muted, (std::vector<bool>{false, true, false, false}));  // snapshot, mute, unmute, 2001 left
    EXPECT_TRUE(h.retained("pbx/conferences/800").is_null());
}

// --- ConferencesState alone ---

ami::Message event(std::vector<ami::Header> headers) { return ami::Message(std::move(headers)); }

ami::Message user_event(const std::string& name, const std::string& room, const std::string& channel,
                        std::vector<ami::Header> extra = {}) {
    std::vector<ami::Header> h{{"Event", name}, {"Conference", room}, {"Channel", channel}, {"CallerIDNum", "2001"},
                               {"CallerIDName", "<unknown>"}, {"Uniqueid", "1.1"}};
    h.insert(h.end(), extra.begin(), extra.end());
    return event(std::move(h));
}

const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795801000));

TEST(ConferencesState, TalkingFollowsConfbridgeTalking) {
    conferences::ConferencesState s;
    model::ChangeSet changes;
    s.apply_event(event({{"Event", "ConfbridgeStart"}, {"Conference", "900"}}), t0, changes);
    s.apply_event(user_event("ConfbridgeJoin", "900", "SIP/2001-1", {{"Admin", "Yes"}, {"Muted", "Yes"}}), t0 + 1s, changes);
    const auto* c = s.conference("900");
    ASSERT_NE(c, nullptr);
    const auto& u = c->users.at("SIP/2001-1");
    EXPECT_TRUE(u.admin);
    EXPECT_TRUE(u.muted);  // joined muted
    EXPECT_EQ(u.name, "");  // <unknown>
    EXPECT_EQ(u.joined_at, t0 + 1s);
    EXPECT_EQ(c->started_at, t0);

    model::ChangeSet talking;
    s.apply_event(user_event("ConfbridgeTalking", "900", "SIP/2001-1", {{"TalkingStatus", "on"}}), t0 + 2s, talking);
    EXPECT_EQ(talking.conferences, (std::set<std::string>{"900"}));
    EXPECT_TRUE(s.conference("900")->users.at("SIP/2001-1").talking);
    s.apply_event(user_event("ConfbridgeTalking", "900", "SIP/2001-1", {{"TalkingStatus", "off"}}), t0 + 3s, talking);
    EXPECT_FALSE(s.conference("900")->users.at("SIP/2001-1").talking);
    EXPECT_EQ(conferences::ConferencesModule::render(*s.conference("900")),
              R"({"room":"900","locked":false,"started_at":"2026-11-27T17:36:40.000Z","count":1,"users":{"SIP/2001-1":{"channel":"SIP/2001-1","number":"2001","name":"","admin":true,"marked":null,"muted":true,"talking":false,"joined_at":"2026-11-27T17:36:41.000Z"}}})");
}

TEST(ConferencesState, AJoinWithoutStartCreatesTheRoomWithLockUnknown) {
    conferences::ConferencesState s;
    model::ChangeSet changes;
    s.apply_event(user_event("ConfbridgeJoin", "901", "PJSIP/3001-1"), t0, changes);
    ASSERT_NE(s.conference("901"), nullptr);
    EXPECT_FALSE(s.conference("901")->locked.has_value());
    EXPECT_EQ(s.conference_of("PJSIP/3001-1"), s.conference("901"));
    // Events for other rooms, unknown users and other event families change nothing.
    model::ChangeSet none;
    s.apply_event(user_event("ConfbridgeMute", "901", "PJSIP/9999-1"), t0, none);
    s.apply_event(user_event("ConfbridgeMute", "999", "PJSIP/3001-1"), t0, none);
    s.apply_event(event({{"Event", "ConfbridgeEnd"}, {"Conference", "999"}}), t0, none);
    s.apply_event(event({{"Event", "Hangup"}, {"Channel", "PJSIP/3001-1"}}), t0, none);
    EXPECT_TRUE(none.empty());
    EXPECT_TRUE(s.channel_in_conference("PJSIP/3001-1"));
}

TEST(ConferencesState, AReplayedStartOrJoinKeepsWhatTheSnapshotSaid) {
    // Events that arrived while the snapshot was read are replayed on it.
    conferences::ConferencesState s;
    s.add_room(event({{"Event", "ConfbridgeListRooms"}, {"Conference", "800"}, {"Locked", "Yes"}}));
    s.add_user(event({{"Event", "ConfbridgeList"}, {"Conference", "800"}, {"Channel", "SIP/2001-1"}, {"CallerIDNum", "2001"},
                      {"MarkedUser", "Yes"}, {"Muted", "No"}, {"AnsweredTime", "10"}}),
               t0);
    model::ChangeSet changes;
    s.apply_event(event({{"Event", "ConfbridgeStart"}, {"Conference", "800"}}), t0 + 1s, changes);
    s.apply_event(user_event("ConfbridgeJoin", "800", "SIP/2001-1", {{"Admin", "No"}, {"Muted", "No"}}), t0 + 1s, changes);
    const auto* c = s.conference("800");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->locked, true);
    EXPECT_EQ(c->started_at, t0 - 10s);
    EXPECT_EQ(c->users.at("SIP/2001-1").joined_at, t0 - 10s);
    EXPECT_EQ(c->users.at("SIP/2001-1").marked, true);
}

}  // namespace
