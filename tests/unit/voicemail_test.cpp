// Voicemail (<base>/voicemail/<mailbox>, <base>/events/voicemail) through the pure core: the
// snapshot answers of fixture 01, then recorded live events, asserting what a subscriber sees.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace voicemail_test {  // named: the unity build compiles several test files as one

using testsupport::FixturePbx;
using testsupport::RecordingPort;
using J = nlohmann::json;

// The harness of bridge_core_test.cpp: a FixturePbx answering the core's actions.
struct Harness {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));

    Harness(const std::string& flavor, std::set<std::string> trunks) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.session.secret = "bridgepass";
        o.trunks = std::move(trunks);
        o.version = "test";
        o.started_at = "2026-11-27T00:00:00Z";
        core = std::make_unique<core::BridgeCore>(o, port);
        pbx = std::make_unique<FixturePbx>(testsupport::fixture(flavor + "/01-snapshot-actions.txt"));
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
    void events(const std::string& transcript) {
        for (const auto& e : testsupport::transcript_events(testsupport::fixture(transcript))) pump(e.serialize());
    }
    J mailbox(const std::string& id) {
        auto tree = port.retained();
        auto it = tree.find("pbx/voicemail/" + id);
        return it == tree.end() ? J() : J::parse(it->second);
    }
    std::vector<J> history(const std::string& id) {
        std::vector<J> out;
        for (const auto& payload : port.values("pbx/voicemail/" + id)) out.push_back(payload.empty() ? J() : J::parse(payload));
        return out;
    }
    // The non-retained happenings published on <base>/events/voicemail.
    std::vector<J> happenings() {
        std::vector<J> out;
        for (const auto& m : port.published)
            if (m.topic == "pbx/events/voicemail") {
                EXPECT_FALSE(m.retain);
                out.push_back(J::parse(m.payload));
            }
        return out;
    }
};

const std::set<std::string> kTrunks22 = {"trunk1", "trunk2", "selftrunk"};

TEST(Voicemail, Asterisk22SnapshotListsEveryBox) {
    Harness h("asterisk22-pjsip", kTrunks22);
    EXPECT_EQ(h.mailbox("3001@default"),
              J::parse(R"({"mailbox":"3001@default","context":"default","name":"Alice Anderson","new":0,"old":0,"waiting":false})"));
    EXPECT_EQ(h.mailbox("3002@default"),
              J::parse(R"({"mailbox":"3002@default","context":"default","name":"Bob Brown","new":0,"old":0,"waiting":false})"));
    EXPECT_TRUE(h.mailbox("3003@default").is_null());  // no box
    EXPECT_TRUE(h.happenings().empty());
}

TEST(Voicemail, Asterisk22NewMessageMovedThenRemoved) {
    Harness h("asterisk22-pjsip", kTrunks22);
    h.events("asterisk22-pjsip/09-mwi-voicemail.txt");
    auto box = [](int n, int o, bool w) {
        return J{{"mailbox", "3001@default"}, {"context", "default"}, {"name", "Alice Anderson"}, {"new", n}, {"old", o}, {"waiting", w}};
    };
    // A message is left (New 1), moved to Old by VoicemailMove, then removed.
    EXPECT_EQ(h.history("3001@default"), (std::vector<J>{box(0, 0, false), box(1, 0, true), box(0, 1, false), box(0, 0, false)}));
    // The MessageWaiting raised by the VoiceMail() channel carries Context: vm-leave: not the box's.
    EXPECT_EQ(h.mailbox("3002@default"),
              J::parse(R"({"mailbox":"3002@default","context":"default","name":"Bob Brown","new":1,"old":0,"waiting":true})"));
    // One happening per new message; none for the move nor the removal.
    EXPECT_EQ(h.happenings(), (std::vector<J>{J::parse(R"({"mailbox":"3001@default","new":1,"old":0})"),
                                              J::parse(R"({"mailbox":"3002@default","new":1,"old":0})")}));
}

TEST(Voicemail, BootAnnouncementsOfUnknownBoxesPublishThemWithoutHappening) {
    // Asterisk 20's fixture 01 has no VoicemailUsersList answer: boxes come from MWI events.
    Harness h("asterisk20-chansip", {"trunk1"});
    EXPECT_TRUE(h.history("1234@default").empty());
    h.pump("Event: MessageWaiting\r\nPrivilege: call,all\r\nMailbox: 1234@devices@myaliases\r\nWaiting: 1\r\nNew: 2\r\nOld: 3\r\n\r\n");
    EXPECT_EQ(h.mailbox("1234@devices@myaliases"),
              J::parse(R"({"mailbox":"1234@devices@myaliases","context":"myaliases","name":"","new":2,"old":3,"waiting":true})"));
    EXPECT_TRUE(h.happenings().empty());  // a box seen for the first time: its messages are not news
    h.pump("Event: MessageWaiting\r\nPrivilege: call,all\r\nMailbox: 1234@devices@myaliases\r\nWaiting: 1\r\nNew: 3\r\nOld: 3\r\n\r\n");
    EXPECT_EQ(h.happenings(), (std::vector<J>{J::parse(R"({"mailbox":"1234@devices@myaliases","new":3,"old":3})")}));
}

TEST(Voicemail, WaitingFollowsTheNewCountNotAsterisksWaitingHeader) {
    Harness h("asterisk22-pjsip", kTrunks22);
    // Fixture 12: at boot Asterisk announces 3002@default with "Waiting: 0" and "New: 1".
    h.events("asterisk22-pjsip/12-restart-boot-events.txt");
    const auto history = h.history("3002@default");
    ASSERT_GE(history.size(), 2u);
    EXPECT_EQ(history[1], J::parse(R"({"mailbox":"3002@default","context":"default","name":"Bob Brown","new":1,"old":0,"waiting":true})"));
}

TEST(Voicemail, RepeatedAnnouncementPublishesNothing) {
    Harness h("asterisk22-pjsip", kTrunks22);
    const auto before = h.port.published.size();
    // Asterisk 22 at boot (fixture 12) announces every box again.
    h.pump("Event: MessageWaiting\r\nPrivilege: call,all\r\nMailbox: 3001@default\r\nWaiting: 0\r\nNew: 0\r\nOld: 0\r\n\r\n");
    EXPECT_EQ(h.port.published.size(), before);
}

TEST(Voicemail, ABoxThatCannotBeATopicLevelIsRenamed) {
    Harness h("asterisk22-pjsip", kTrunks22);
    h.pump("Event: MessageWaiting\r\nPrivilege: call,all\r\nMailbox: sales/1@default\r\nWaiting: 0\r\nNew: 0\r\nOld: 1\r\n\r\n");
    EXPECT_EQ(h.mailbox("sales_1@default")["mailbox"], "sales/1@default");
}

}  // namespace
