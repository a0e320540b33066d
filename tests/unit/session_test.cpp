// The AMI session protocol, pure: login, correlation, lists, timeouts, keepalive.
#include <gtest/gtest.h>

#include "ami/md5.hpp"
#include "ami/parser.hpp"
#include "ami/session.hpp"

namespace session_test {  // named: the unity build compiles several test files as one

using ami::Action;
using ami::ActionResult;
using ami::Clock;
using ami::Session;

struct Fixture {
    std::vector<std::string> events;
    std::vector<std::string> failures;
    std::vector<std::string> closes;
    bool logged_in = false;
    Clock::time_point now = Clock::time_point(std::chrono::seconds(100));
    Session session;

    explicit Fixture(ami::SessionOptions o = options())
        : session(o, ami::SessionCallbacks{[this](std::string_view) { logged_in = true; },
                                           [this](const std::string& r) { failures.push_back(r); },
                                           [this](const ami::Message& e) { events.emplace_back(e.event()); }, nullptr,
                                           [this](const std::string& r) { closes.push_back(r); }}) {}
    static ami::SessionOptions options() {
        ami::SessionOptions o;
        o.username = "bridge";
        o.secret = "bridgepass";
        o.keepalive = std::chrono::milliseconds(1000);
        return o;
    }
    // The actions the session wrote since the last call.
    std::vector<ami::Message> sent() {
        ami::Parser p(false);
        std::vector<ami::Message> out;
        for (auto& i : p.feed(session.take_output())) out.push_back(std::get<ami::Message>(i));
        return out;
    }
    void feed(const std::string& s) { session.received(s, now); }
    void login() {
        session.connected(now);
        feed("Asterisk Call Manager/9.0.0\r\n");
        auto challenge = sent().at(0);
        feed("Response: Success\r\nActionID: " + std::string(challenge.action_id()) + "\r\nChallenge: 12345\r\n\r\n");
        auto login = sent().at(0);
        feed("Response: Success\r\nActionID: " + std::string(login.action_id()) + "\r\nMessage: Authentication accepted\r\n\r\n");
    }
};

TEST(Session, LogsInWithTheMd5Challenge) {
    Fixture f;
    f.session.connected(f.now);
    f.feed("Asterisk Call Manager/9.0.0\r\n");
    auto out = f.sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].get("Action"), "Challenge");
    EXPECT_EQ(out[0].get("AuthType"), "MD5");
    f.feed("Response: Success\r\nActionID: " + std::string(out[0].action_id()) + "\r\nChallenge: 840371602\r\n\r\n");
    out = f.sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].get("Action"), "Login");
    EXPECT_EQ(out[0].get("AuthType"), "MD5");
    EXPECT_EQ(out[0].get("Username"), "bridge");
    EXPECT_EQ(out[0].get("Key"), ami::md5_hex("840371602bridgepass"));
    EXPECT_FALSE(out[0].has("Secret"));  // the secret never travels
    EXPECT_EQ(out[0].get("Events"), "on");
    f.feed("Response: Success\r\nActionID: " + std::string(out[0].action_id()) + "\r\nMessage: Authentication accepted\r\n\r\n");
    EXPECT_TRUE(f.logged_in);
    EXPECT_TRUE(f.session.logged_in());
}

TEST(Session, FallsBackToPlainLoginWithoutChallenge) {
    Fixture f;
    f.session.connected(f.now);
    f.feed("Asterisk Call Manager/9.0.0\r\n");
    auto challenge = f.sent().at(0);
    f.feed("Response: Error\r\nActionID: " + std::string(challenge.action_id()) + "\r\nMessage: Must specify AuthType\r\n\r\n");
    auto login = f.sent().at(0);
    EXPECT_EQ(login.get("Secret"), "bridgepass");
    f.feed("Response: Success\r\nActionID: " + std::string(login.action_id()) + "\r\nMessage: Authentication accepted\r\n\r\n");
    EXPECT_TRUE(f.logged_in);
}

TEST(Session, RefusedLoginIsReportedAndClosesWithAsterisksText) {
    Fixture f;
    f.session.connected(f.now);
    f.feed("Asterisk Call Manager/9.0.0\r\n");
    auto challenge = f.sent().at(0);
    f.feed("Response: Success\r\nActionID: " + std::string(challenge.action_id()) + "\r\nChallenge: 1\r\n\r\n");
    auto login = f.sent().at(0);
    f.feed("Response: Error\r\nActionID: " + std::string(login.action_id()) + "\r\nMessage: Authentication failed\r\n\r\n");
    EXPECT_FALSE(f.logged_in);
    ASSERT_EQ(f.failures.size(), 1u);
    EXPECT_NE(f.failures[0].find("Authentication failed"), std::string::npos);
    EXPECT_EQ(f.closes.size(), 1u);
    EXPECT_EQ(f.session.state(), Session::State::Failed);
}

TEST(Session, NoGreetingIsALoginTimeout) {
    Fixture f;
    f.session.connected(f.now);
    f.session.tick(f.now + std::chrono::seconds(11));
    EXPECT_EQ(f.closes.size(), 1u);
}

TEST(Session, ConcurrentListsAreNeverMixed) {
    // astproxy gathered list items in shared buffers; two lists in flight mixed up. Here each
    // result holds exactly the items carrying its own ActionID, whatever the interleaving.
    Fixture f;
    f.login();
    std::vector<ami::Message> a_items, b_items;
    const auto a = f.session.send(Action("SIPpeers"), [&](ActionResult&& r) { EXPECT_TRUE(r.ok()); a_items = r.events; }, f.now);
    const auto b = f.session.send(Action("DeviceStateList"), [&](ActionResult&& r) { EXPECT_TRUE(r.ok()); b_items = r.events; }, f.now);
    ASSERT_TRUE(a && b);
    f.feed("Response: Success\r\nActionID: " + *a + "\r\nEventList: start\r\n\r\n");
    f.feed("Response: Success\r\nActionID: " + *b + "\r\nEventList: start\r\n\r\n");
    f.feed("Event: PeerEntry\r\nActionID: " + *a + "\r\nObjectName: 2001\r\n\r\n");
    f.feed("Event: DeviceStateChange\r\nActionID: " + *b + "\r\nDevice: SIP/2001\r\n\r\n");
    f.feed("Event: DeviceStateChange\r\nDevice: SIP/2002\r\nState: INUSE\r\n\r\n");  // a live event
    f.feed("Event: PeerEntry\r\nActionID: " + *a + "\r\nObjectName: 2002\r\n\r\n");
    f.feed("Event: DeviceStateListComplete\r\nActionID: " + *b + "\r\nEventList: Complete\r\nListItems: 1\r\n\r\n");
    f.feed("Event: PeerlistComplete\r\nActionID: " + *a + "\r\nEventList: Complete\r\nListItems: 2\r\n\r\n");
    ASSERT_EQ(a_items.size(), 2u);
    EXPECT_EQ(a_items[1].get("ObjectName"), "2002");
    ASSERT_EQ(b_items.size(), 1u);
    EXPECT_EQ(f.events, std::vector<std::string>{"DeviceStateChange"});  // list items are not live events
}

TEST(Session, ErrorsTimeoutsAndCompletionEvents) {
    Fixture f;
    f.login();
    ActionResult::Status s1{}, s2{}, s3{};
    std::string reason;
    auto a = f.session.send(Action("Hangup"), [&](ActionResult&& r) { s1 = r.status; reason = r.message(); }, f.now);
    Action originate("Originate");
    originate.completion_event = "OriginateResponse";
    auto b = f.session.send(originate, [&](ActionResult&& r) { s2 = r.status; }, f.now);
    Action slow("Ping");
    slow.timeout = std::chrono::milliseconds(500);
    f.session.send(slow, [&](ActionResult&& r) { s3 = r.status; }, f.now);
    f.feed("Response: Error\r\nActionID: " + *a + "\r\nMessage: No such channel\r\n\r\n");
    EXPECT_EQ(s1, ActionResult::Status::Error);
    EXPECT_EQ(reason, "No such channel");
    f.feed("Response: Success\r\nActionID: " + *b + "\r\nMessage: Originate successfully queued\r\n\r\n");
    EXPECT_EQ(s2, ActionResult::Status{});  // still waiting for the outcome
    f.feed("Event: OriginateResponse\r\nActionID: " + *b + "\r\nResponse: Failure\r\nReason: 0\r\n\r\n");
    EXPECT_EQ(s2, ActionResult::Status::Error);
    f.session.tick(f.now + std::chrono::milliseconds(600));
    EXPECT_EQ(s3, ActionResult::Status::Timeout);
}

TEST(Session, TheNearestActionDeadlineIsTheNextOneAndActionsExpireInDeadlineOrder) {
    ami::SessionOptions o = Fixture::options();
    o.keepalive = std::chrono::milliseconds(60000);
    Fixture f(o);
    f.login();
    std::vector<int> expired;
    // 10,000 in flight, as in a large snapshot, with 10 s to answer; then one with 300 ms and one
    // with 200 ms, sent last.
    for (int i = 0; i < 10000; ++i) f.session.send(Action("SIPshowpeer"), [&, i](ActionResult&& r) {
        if (r.status == ActionResult::Status::Timeout) expired.push_back(i);
    }, f.now);
    Action medium("Ping"), shortest("Ping");
    medium.timeout = std::chrono::milliseconds(300);
    shortest.timeout = std::chrono::milliseconds(200);
    f.session.send(medium, [&](ActionResult&& r) { if (r.status == ActionResult::Status::Timeout) expired.push_back(-300); }, f.now);
    f.session.send(shortest, [&](ActionResult&& r) { if (r.status == ActionResult::Status::Timeout) expired.push_back(-200); }, f.now);
    EXPECT_EQ(f.session.next_deadline(), f.now + std::chrono::milliseconds(200));
    f.session.tick(f.now + std::chrono::milliseconds(300));
    EXPECT_EQ(expired, (std::vector<int>{-200, -300}));
    EXPECT_EQ(f.session.next_deadline(), f.now + std::chrono::milliseconds(10000));
    // The answered ones leave the index: the rest expire together, in the order they were sent.
    const auto sent = f.sent();
    f.feed("Response: Success\r\nActionID: " + std::string(sent.at(0).action_id()) + "\r\n\r\n");
    EXPECT_EQ(f.session.pending_actions(), 9999u);
    f.session.tick(f.now + std::chrono::milliseconds(10000));
    ASSERT_EQ(expired.size(), 2u + 9999u);
    EXPECT_EQ(expired[2], 1);
    EXPECT_EQ(expired.back(), 9999);
    EXPECT_EQ(f.session.pending_actions(), 0u);
    EXPECT_EQ(f.session.next_deadline(), f.now + std::chrono::milliseconds(60000));  // only the keepalive is left
}

TEST(Session, RefusesHeaderInjection) {
    Fixture f;
    f.login();
    Action evil("Originate");
    evil.set("Exten", "2002\r\nAction: Command\r\nCommand: core stop now");
    bool called = false;
    EXPECT_FALSE(f.session.send(evil, [&](ActionResult&&) { called = true; }, f.now));
    EXPECT_TRUE(f.session.take_output().empty());
    EXPECT_FALSE(called);
    Action nul("Ping");
    nul.set("X", std::string("a\0b", 3));
    EXPECT_FALSE(f.session.send(nul, nullptr, f.now));
}

TEST(Session, KeepalivePingsAndNoticesADeadPeerWithinTwiceTheInterval) {
    Fixture f;  // keepalive 1 s
    f.login();
    f.sent();
    f.session.tick(f.now + std::chrono::milliseconds(999));
    EXPECT_TRUE(f.sent().empty());
    f.session.tick(f.now + std::chrono::milliseconds(1000));
    auto ping = f.sent();
    ASSERT_EQ(ping.size(), 1u);
    EXPECT_EQ(ping[0].get("Action"), "Ping");
    EXPECT_EQ(f.session.next_deadline(), f.now + std::chrono::milliseconds(2000));
    f.session.tick(f.now + std::chrono::milliseconds(2000));
    ASSERT_EQ(f.closes.size(), 1u);
    EXPECT_NE(f.closes[0].find("no data"), std::string::npos);
}

TEST(Session, AnsweredPingKeepsTheLinkUp) {
    Fixture f;
    f.login();
    f.sent();
    f.session.tick(f.now + std::chrono::milliseconds(1000));
    auto ping = f.sent().at(0);
    f.now += std::chrono::milliseconds(1100);
    f.feed("Response: Success\r\nActionID: " + std::string(ping.action_id()) + "\r\nPing: Pong\r\n\r\n");
    f.session.tick(f.now + std::chrono::milliseconds(900));
    EXPECT_TRUE(f.closes.empty());
}

TEST(Session, DisconnectCompletesEveryPendingAction) {
    Fixture f;
    f.login();
    int disconnected = 0;
    for (int i = 0; i < 3; ++i)
        f.session.send(Action("Ping"), [&](ActionResult&& r) { disconnected += r.status == ActionResult::Status::Disconnected; }, f.now);
    f.session.disconnected();
    EXPECT_EQ(disconnected, 3);
    EXPECT_EQ(f.session.pending_actions(), 0u);
    EXPECT_FALSE(f.session.send(Action("Ping"), nullptr, f.now));  // not logged in: refused, never queued
}

}  // namespace
