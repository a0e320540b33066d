// ami-sim's AMI session: login (plain, MD5 challenge, failures), permissions, the error texts
// and framing of the recorded Asterisk 20 sessions (02 login failure, 03 read-only viewer).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>

#include "ami-sim/actions.hpp"
#include "ami-sim/canned.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/session.hpp"
#include "ami/md5.hpp"
#include "transcript.hpp"

namespace sim_session_test {  // named: the unity build compiles several test files as one

using namespace amisim;

std::vector<RecordedMessage> load(const std::string& relative) {
    return parse_recording(read_text_file(testsupport::fixture(relative)));
}

ami::Message action(std::vector<ami::Header> headers) { return ami::Message(std::move(headers)); }

struct Pbx {
    explicit Pbx(Flavor flavor = Flavor::Asterisk20ChanSip)
        : embedded(parse_recording(embedded_snapshot(flavor))),
          sim(flavor, default_state(flavor), 3, 1795801200.0),
          handler(sim, CannedAnswers(embedded), ActionCatalog(flavor, embedded)) {}
    std::vector<RecordedMessage> embedded;
    Simulator sim;
    ActionHandler handler;
    std::vector<User> users{{"bridge", "bridgepass", false}, {"viewer", "viewerpass", true}};
};

TEST(SimSession, BannersPerFlavor) {
    Pbx a20(Flavor::Asterisk20ChanSip), a22(Flavor::Asterisk22Pjsip), a13(Flavor::Asterisk13ChanSip);
    EXPECT_EQ(AmiSession(a20.sim, a20.handler, a20.users).greeting(), "Asterisk Call Manager/9.0.0\r\n");
    EXPECT_EQ(AmiSession(a22.sim, a22.handler, a22.users).greeting(), "Asterisk Call Manager/11.0.0\r\n");
    EXPECT_EQ(AmiSession(a13.sim, a13.handler, a13.users).greeting(), "Asterisk Call Manager/2.10.6\r\n");
}

// File 02: the three connections, answer for answer. Our challenge is random, so the recorded
// one is swapped for it, and the MD5 login sends the key that goes with ours.
TEST(SimSession, LoginFailuresAndMd5LoginMatchFile02) {
    Pbx pbx;
    std::map<std::string, std::unique_ptr<AmiSession>> sessions;
    std::map<std::string, std::string> challenges;
    int compared = 0;
    const auto recording = load("asterisk20-chansip/02-login-failure.txt");
    for (const Exchange& e : exchanges(recording)) {
        const std::string& connection = e.request->connection;
        auto& session = sessions[connection];
        if (!session) session = std::make_unique<AmiSession>(pbx.sim, pbx.handler, pbx.users);
        ami::Message request = e.request->message;
        std::string expected;
        for (const auto* r : e.replies) expected += r->wire;
        if (request.get("AuthType") == "md5" && request.has("Key"))
            for (auto& h : request.headers())
                if (h.name == "Key") h.value = ami::md5_hex(challenges[connection] + "bridgepass");
        const SessionStep step = session->on_message(request, 0);
        if (request.get("Action") == "Challenge") {
            const auto ours = step.reply.find("Challenge: ");
            const auto theirs = expected.find("Challenge: ");
            ASSERT_NE(ours, std::string::npos);
            ASSERT_NE(theirs, std::string::npos);
            challenges[connection] = step.reply.substr(ours + 11, step.reply.find('\r', ours) - ours - 11);
            expected.replace(theirs + 11, expected.find('\r', theirs) - theirs - 11, challenges[connection]);
        }
        EXPECT_EQ(step.reply, expected) << request.get("Action") << " on " << connection;
        const bool failed = expected.find("Authentication failed") != std::string::npos;
        EXPECT_EQ(step.delayed, failed);
        EXPECT_EQ(step.close, failed || request.get("Action") == "Logoff");
        ++compared;
    }
    EXPECT_EQ(compared, 6);
    EXPECT_TRUE(sessions["noauth"]->authenticated());
    EXPECT_FALSE(sessions["badpw"]->authenticated());
}

TEST(SimSession, Md5LoginUsesTheChallenge) {
    Pbx pbx;
    AmiSession session(pbx.sim, pbx.handler, pbx.users);
    const SessionStep challenge = session.on_message(action({{"Action", "Challenge"}, {"ActionID", "c"}, {"AuthType", "MD5"}}), 0);
    const auto at = challenge.reply.find("Challenge: ");
    ASSERT_NE(at, std::string::npos);
    const std::string value = challenge.reply.substr(at + 11, challenge.reply.find('\r', at) - at - 11);
    EXPECT_EQ(value.size(), 9u);
    const SessionStep wrong = session.on_message(action({{"Action", "Challenge"}, {"AuthType", "plain"}}), 0);
    EXPECT_EQ(wrong.reply, "Response: Error\r\nMessage: Must specify AuthType\r\n\r\n");
    const SessionStep login = session.on_message(
        action({{"Action", "Login"}, {"ActionID", "l"}, {"AuthType", "md5"}, {"Username", "BRIDGE"},
                {"Key", ami::md5_hex(value + "bridgepass")}}),
        1795801210.0);
    EXPECT_TRUE(session.authenticated());
    EXPECT_TRUE(session.events_on());
    EXPECT_TRUE(login.logged_in);
    EXPECT_EQ(login.reply,
              "Response: Success\r\nActionID: l\r\nMessage: Authentication accepted\r\n\r\n"
              "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 10\r\nLastReload: 10\r\nStatus: Fully Booted\r\n\r\n");
    EXPECT_EQ(session.on_message(action({{"Action", "Login"}, {"ActionID", "again"}}), 0).reply,
              "Response: Success\r\nActionID: again\r\nMessage: Already authenticated\r\n\r\n");
}

TEST(SimSession, EventsOffAndAsterisk13FullyBooted) {
    Pbx pbx;
    AmiSession quiet(pbx.sim, pbx.handler, pbx.users);
    const SessionStep step = quiet.on_message(
        action({{"Action", "Login"}, {"Username", "bridge"}, {"Secret", "bridgepass"}, {"Events", "off"}}), 0);
    EXPECT_EQ(step.reply, "Response: Success\r\nMessage: Authentication accepted\r\n\r\n");
    EXPECT_FALSE(quiet.events_on());
    EXPECT_EQ(quiet.on_message(action({{"Action", "Events"}, {"ActionID", "e"}, {"EventMask", "call,system"}}), 0).reply,
              "Response: Success\r\nActionID: e\r\nEvents: On\r\n\r\n");
    EXPECT_TRUE(quiet.events_on());

    Pbx a13(Flavor::Asterisk13ChanSip);
    AmiSession old(a13.sim, a13.handler, a13.users);
    const SessionStep booted =
        old.on_message(action({{"Action", "Login"}, {"Username", "bridge"}, {"Secret", "bridgepass"}}), 0);
    EXPECT_NE(booted.reply.find("Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n"),
              std::string::npos);
}

// File 03: a user without write permissions; Ping and QueueSummary still answer.
TEST(SimSession, ReadOnlyUserMatchesFile03) {
    Pbx pbx;
    AmiSession session(pbx.sim, pbx.handler, pbx.users);
    int compared = 0;
    const auto recording = load("asterisk20-chansip/03-permission-denied-viewer.txt");
    for (const Exchange& e : exchanges(recording)) {
        std::string expected;
        for (const auto* r : e.replies) expected += r->wire;
        double now = 0;
        if (!e.replies.empty() && e.replies[0]->message.has("Timestamp"))
            now = std::strtod(std::string(e.replies[0]->message.get("Timestamp")).c_str(), nullptr);
        EXPECT_EQ(session.on_message(e.request->message, now).reply, expected) << e.request->message.get("Action");
        ++compared;
    }
    EXPECT_EQ(compared, 10);
}

TEST(SimSession, ErrorsAsRecorded) {
    Pbx pbx;
    AmiSession session(pbx.sim, pbx.handler, pbx.users);
    EXPECT_EQ(session.on_message(action({{"Action", "CoreStatus"}, {"ActionID", "x"}}), 0).reply,
              "Response: Error\r\nActionID: x\r\nMessage: Permission denied\r\n\r\n");
    EXPECT_EQ(session.on_message(action({{"ActionID", "no-action-header"}}), 0).reply,
              "Response: Error\r\nActionID: no-action-header\r\nMessage: Missing action in request\r\n\r\n");
    session.on_message(action({{"Action", "Login"}, {"Username", "bridge"}, {"Secret", "bridgepass"}}), 0);
    EXPECT_EQ(session.on_message(action({{"Action", "NoSuchAction"}, {"ActionID", "n"}}), 0).reply,
              "Response: Error\r\nActionID: n\r\nMessage: Invalid/unknown command: NoSuchAction. Use Action: "
              "ListCommands to show available commands.\r\n\r\n");
    // chan_sip actions do not exist on the PJSIP flavor, DBGetTree not on 13.
    Pbx a22(Flavor::Asterisk22Pjsip);
    EXPECT_FALSE(a22.handler.catalog().exists("SIPpeers"));
    EXPECT_TRUE(a22.handler.catalog().exists("PJSIPShowEndpoints"));
    EXPECT_TRUE(a22.handler.catalog().exists("DBGetTree"));
    Pbx a13(Flavor::Asterisk13ChanSip);
    EXPECT_FALSE(a13.handler.catalog().exists("DBGetTree"));
    const SessionStep ping = session.on_message(action({{"Action", "Ping"}}), 1795801225.248552);
    EXPECT_EQ(ping.reply, "Response: Success\r\nPing: Pong\r\nTimestamp: 1795801225.248552\r\n\r\n");
    const SessionStep bye = session.on_message(action({{"Action", "Logoff"}, {"ActionID", "b"}}), 0);
    EXPECT_EQ(bye.reply, "Response: Goodbye\r\nActionID: b\r\nMessage: Thanks for all the fish.\r\n\r\n");
    EXPECT_TRUE(bye.close);
}

TEST(SimSession, StateChangingActionsBroadcastEvents) {
    Pbx pbx;
    AmiSession session(pbx.sim, pbx.handler, pbx.users);
    session.on_message(action({{"Action", "Login"}, {"Username", "bridge"}, {"Secret", "bridgepass"}}), 0);
    // File 09: UserEvent answers and is broadcast with its headers in order.
    const SessionStep user = session.on_message(
        action({{"Action", "UserEvent"}, {"ActionID", "bridge-a-004"}, {"UserEvent", "DNDState"}, {"Extension", "2002"},
                {"State", "ON"}, {"Source", "ami-bridge-test"}}),
        0);
    EXPECT_EQ(user.reply, "Response: Success\r\nActionID: bridge-a-004\r\nMessage: Event Sent\r\n\r\n");
    ASSERT_EQ(user.broadcast.size(), 1u);
    EXPECT_EQ(user.broadcast[0].serialize(),
              "Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: DNDState\r\nActionID: bridge-a-004\r\n"
              "Extension: 2002\r\nState: ON\r\nSource: ami-bridge-test\r\n\r\n");
    const SessionStep dnd = session.on_message(
        action({{"Action", "Setvar"}, {"Variable", "DEVICE_STATE(Custom:DND2002)"}, {"Value", "BUSY"}}), 0);
    EXPECT_EQ(dnd.broadcast.size(), 3u);
    EXPECT_EQ(session.on_message(action({{"Action", "Getvar"}, {"Variable", "DEVICE_STATE(Custom:DND2002)"}}), 0).reply,
              "Response: Success\r\nVariable: DEVICE_STATE(Custom:DND2002)\r\nValue: BUSY\r\n\r\n");
    EXPECT_EQ(session.on_message(action({{"Action", "Getvar"}, {"Variable", "EXTENSION_STATE(2002@ext-local)"}}), 0).reply,
              "Response: Success\r\nVariable: EXTENSION_STATE(2002@ext-local)\r\nValue: BUSY\r\n\r\n");
    // A call, then the AMI Hangup action.
    const std::string id = pbx.sim.start_call("2001", "2003", 0).detail;
    ASSERT_EQ(id, "1");
    const SessionStep hangup = session.on_message(
        action({{"Action", "Hangup"}, {"ActionID", "h"}, {"Channel", "SIP/2001-00000000"}, {"Cause", "16"}}), 0);
    EXPECT_EQ(hangup.reply, "Response: Success\r\nActionID: h\r\nMessage: Channel Hungup\r\n\r\n");
    EXPECT_FALSE(hangup.broadcast.empty());
    EXPECT_EQ(session.on_message(action({{"Action", "Hangup"}, {"ActionID", "h2"}, {"Channel", "SIP/2001-00000000"}}), 0).reply,
              "Response: Error\r\nActionID: h2\r\nMessage: No such channel\r\n\r\n");
    // "core restart now" gets no answer: the connection just ends.
    const SessionStep restart = session.on_message(action({{"Action", "Command"}, {"Command", "core restart now"}}), 0);
    EXPECT_TRUE(restart.reply.empty());
    EXPECT_TRUE(restart.close);
    EXPECT_TRUE(restart.restart);
}

TEST(SimSession, GarbageNeverBreaksTheSession) {
    Pbx pbx;
    AmiSession session(pbx.sim, pbx.handler, pbx.users);
    session.on_message(action({{"Action", "Login"}, {"Username", "bridge"}, {"Secret", "bridgepass"}}), 0);
    const std::vector<std::vector<ami::Header>> garbage{
        {{"Action", std::string("\x01\xff\x7f", 3)}},
        {{"Action", "SIPshowpeer"}, {"Peer", std::string(100000, 'x')}},
        {{"Action", "DBGet"}},
        {{"Action", "DBPut"}, {"Family", "f"}},
        {{"Action", "DBDelTree"}},
        {{"Action", "Setvar"}, {"Variable", "DEVICE_STATE("}, {"Value", "x"}},
        {{"Action", "Setvar"}, {"Variable", "DEVICE_STATE(Custom:X)"}, {"Value", "not a state"}},
        {{"Action", "Getvar"}, {"Variable", "EXTENSION_STATE(@)"}},
        {{"Action", "Getvar"}, {"Variable", "DB()"}},
        {{"Action", "Hangup"}, {"Channel", "x"}, {"Cause", "-99999999999999999999"}},
        {{"Action", "ExtensionState"}},
        {{"Action", "Command"}, {"Command", "database show"}},
        {{"Action", "Command"}, {"Command", "   "}},
        {{"Action", "QueueStatus"}, {"Queue", "\r\n"}},
        {{"Action", "Login"}, {"AuthType", "md5"}},
    };
    for (const auto& headers : garbage) {
        const SessionStep step = session.on_message(action(headers), 0);
        EXPECT_FALSE(step.reply.empty());
    }
}

}  // namespace
