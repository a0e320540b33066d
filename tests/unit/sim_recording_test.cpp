// ami-sim's transcript reader (recording.hpp): the bytes it rebuilds equal the test support
// reader's for every fixture, messages are split where the wire splits them, and the exchanges
// pair each action with its answer.
#include <gtest/gtest.h>

#include "ami-sim/canned.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/replay.hpp"
#include "transcript.hpp"

namespace sim_recording_test {  // named: the unity build compiles several test files as one

using namespace amisim;

TEST(SimRecording, RebuildsTheBytesOfEveryTranscript) {
    const auto files = testsupport::all_transcripts();
    ASSERT_GT(files.size(), 30u);
    for (const auto& path : files) {
        const auto messages = parse_recording(read_text_file(path));
        std::string server, client;
        for (const auto& m : messages) (m.from_server ? server : client) += m.wire;
        const auto transcript = testsupport::read_transcript(path);
        std::string sent;
        for (const auto& c : transcript.connections) sent += c.sent();
        EXPECT_EQ(server, transcript.received()) << path;
        EXPECT_EQ(client, sent) << path;
    }
}

TEST(SimRecording, SplitsMessagesLikeTheWire) {
    const auto messages = parse_recording(read_text_file(testsupport::fixture("asterisk20-chansip/01-snapshot-actions.txt")));
    ASSERT_FALSE(messages.empty());
    EXPECT_EQ(messages[0].wire, "Asterisk Call Manager/9.0.0\r\n");
    EXPECT_EQ(messages[0].message.kind(), ami::Message::Kind::Greeting);
    EXPECT_EQ(messages[0].connection, "bridge");
    EXPECT_DOUBLE_EQ(messages[0].offset, 0.008);
    EXPECT_FALSE(messages[1].from_server);
    EXPECT_EQ(messages[1].message.get("Action"), "Login");
    // The lone CRLF after "Peer nosuchpeer not found." is a message of its own.
    bool lone = false;
    for (const auto& m : messages) lone |= m.from_server && m.wire == "\r\n" && m.message.empty();
    EXPECT_TRUE(lone);
}

TEST(SimRecording, UnescapesBareLineFeeds) {
    const auto messages = parse_recording(read_text_file(testsupport::fixture("asterisk13-chansip/01-snapshot-actions.txt")));
    bool found = false;
    for (const auto& m : messages) {
        if (m.message.action_id() != "bridge-a-040" || !m.from_server) continue;
        EXPECT_EQ(m.wire,
                  "Response: Follows\r\nPrivilege: Command\r\nActionID: bridge-a-040\r\nAsterisk 13.38.3 built by root @ vm "
                  "on a x86_64 running Linux on 2026-11-27 18:26:32 UTC\n--END COMMAND--\r\n\r\n");
        EXPECT_EQ(m.message.get("Output"), "Asterisk 13.38.3 built by root @ vm on a x86_64 running Linux on 2026-11-27 18:26:32 UTC");
        found = true;
    }
    EXPECT_TRUE(found);
}

TEST(SimRecording, ExchangesPairActionsWithTheirAnswers) {
    const auto messages = parse_recording(read_text_file(testsupport::fixture("asterisk20-chansip/02-login-failure.txt")));
    const auto all = exchanges(messages);
    ASSERT_EQ(all.size(), 6u);  // badpw Login, nouser Login, noauth CoreStatus/Challenge/Login/Logoff
    EXPECT_EQ(all[0].request->connection, "badpw");
    ASSERT_EQ(all[0].replies.size(), 1u);
    EXPECT_EQ(all[0].replies[0]->message.get("Message"), "Authentication failed");
    EXPECT_EQ(all[3].replies[0]->message.get("Challenge"), "289307392");
}

TEST(SimRecording, CannedAnswersSwapTheActionId) {
    const auto messages = parse_recording(read_text_file(testsupport::fixture("asterisk20-chansip/01-snapshot-actions.txt")));
    CannedAnswers canned(messages);
    ami::Message action;
    action.add("Action", "Parkinglots");
    action.add("ActionID", "mine");
    const auto answer = canned.find(action, "mine");
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->rfind("Response: Success\r\nActionID: mine\r\nEventList: start\r\n", 0), 0u);
    EXPECT_EQ(answer->find("bridge-a-021"), std::string::npos);
    const auto anonymous = canned.find(action, "");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->find("ActionID"), std::string::npos);
    ami::Message other;
    other.add("Action", "QueueStatus");
    other.add("Queue", "999");
    EXPECT_FALSE(canned.find(other, "x"));
    EXPECT_TRUE(canned.find(other, "x", true));
    EXPECT_EQ(replace_action_id("Response: Success\r\nPing: Pong\r\n\r\n", "", "id"),
              "Response: Success\r\nActionID: id\r\nPing: Pong\r\n\r\n");
}

TEST(SimRecording, ReplayScheduleTakesTheBridgeEventsWithTheirTimes) {
    const auto messages = parse_recording(read_text_file(testsupport::fixture("asterisk20-chansip/04-phone-registration.txt")));
    const auto schedule = replay_schedule(messages, 1.0);
    ASSERT_FALSE(schedule.empty());
    // FullyBooted at login is the simulator's own; SuccessfulAuth follows it at +0.
    EXPECT_EQ(schedule.front().recorded->message.event(), "SuccessfulAuth");
    EXPECT_NEAR(schedule.front().at, 0.0, 1e-9);
    for (const auto& e : schedule) {
        EXPECT_TRUE(e.recorded->message.is_event());
        EXPECT_FALSE(e.recorded->message.has("ActionID"));
    }
    const auto twice = replay_schedule(messages, 2.0);
    ASSERT_EQ(twice.size(), schedule.size());
    EXPECT_NEAR(twice.back().at * 2, schedule.back().at, 1e-9);
    for (const auto& e : replay_schedule(messages, 0)) EXPECT_EQ(e.at, 0.0);
}

}  // namespace
