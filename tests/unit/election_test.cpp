// The failover election as a state machine (src/failover/election.hpp): what a standby, a
// claimant and an active instance do on each MQTT event and timer, without a broker. The
// integration test (tests/integration/failover_test.cpp) runs the same logic against mosquitto.
#include <gtest/gtest.h>

#include "failover/election.hpp"

namespace election_test {  // named: the unity build compiles several test files as one

using failover::Clock;
using failover::Effects;
using failover::Election;
using failover::Role;
using failover::Timing;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

Timing timing() {
    Timing t;
    t.jitter_max = 200ms;
    t.claim_window = 300ms;
    t.confirm_wait = 1000ms;
    t.after_lost = 1000ms;
    t.claim_quiet = 10000ms;
    return t;
}

// Jitter fixed per instance, so the tests know every timer's length.
Election make(const std::string& id, milliseconds jitter = 50ms) {
    return Election(id, timing(), [jitter](milliseconds max) { return std::min(jitter, max); });
}

// Drives a fresh instance to active the way a first start against an empty broker does.
void win_alone(Election& e, Clock::time_point& now) {
    EXPECT_TRUE(e.connected().standby_ready);
    e.state_message("offline");  // the retained state of a bridge that stopped
    const Effects claim = e.timer_fired(now += 100ms);
    ASSERT_TRUE(claim.publish_claim);
    e.leader_message(e.instance_id(), false, now);  // our own claim comes back
    ASSERT_TRUE(e.timer_fired(now += 300ms).become_active);
    ASSERT_TRUE(e.connected().confirm);  // the reconnect with the will
    ASSERT_EQ(e.role(), Role::active);
}

TEST(Election, AStandbyWaitsForTheRetainedTopicsThenClaimsAVacancyAndWinsAlone) {
    Election e = make("a");
    const auto t0 = Clock::now();
    const Effects on_connect = e.connected();
    EXPECT_TRUE(on_connect.standby_ready);  // subscribes the command topics, nothing retained goes out
    EXPECT_EQ(on_connect.arm_timer, 1050ms);  // confirm_wait + jitter: the retained messages arrive first
    EXPECT_FALSE(e.publishing());
    EXPECT_FALSE(e.active());

    // No bridge state at all (first start): the timer itself claims.
    const Effects claim = e.timer_fired(t0 + 1050ms);
    EXPECT_TRUE(claim.publish_claim);
    EXPECT_EQ(claim.arm_timer, 300ms);
    EXPECT_EQ(e.role(), Role::claiming);
    EXPECT_TRUE(e.leader_message("a", false, t0 + 1060ms).arm_timer == std::nullopt);
    const Effects won = e.timer_fired(t0 + 1350ms);
    EXPECT_TRUE(won.become_active);
    EXPECT_EQ(e.role(), Role::winning);
    EXPECT_TRUE(e.active());
    EXPECT_FALSE(e.publishing());  // not before the connection with the will

    e.disconnected();  // the reconnect with the will
    EXPECT_EQ(e.role(), Role::winning);
    const Effects confirmed = e.connected();
    EXPECT_TRUE(confirmed.confirm);
    EXPECT_FALSE(confirmed.standby_ready);
    EXPECT_EQ(e.role(), Role::active);
    EXPECT_TRUE(e.publishing());
    EXPECT_TRUE(e.handles_commands());
}

TEST(Election, AStandbyStaysIdleAndSilentOnCommandsWhileABridgeIsOnline) {
    Election e = make("b");
    const auto now = Clock::now();
    e.connected();
    e.leader_message("a", true, now);
    EXPECT_EQ(e.state_message("online").arm_timer, std::nullopt);
    EXPECT_FALSE(e.handles_commands());  // the active one answers; two replies would be wrong
    const Effects fired = e.timer_fired(now + 1050ms);
    EXPECT_FALSE(fired.publish_claim);
    EXPECT_EQ(fired.arm_timer, std::nullopt);
    EXPECT_EQ(e.role(), Role::standby);
}

TEST(Election, TheWillOfTheActiveOneStartsATakeoverAfterJitterAndClaimWindow) {
    Election e = make("b", 120ms);
    auto now = Clock::now();
    e.connected();
    e.leader_message("a", true, now);
    e.state_message("online");
    EXPECT_FALSE(e.timer_fired(now += 1s).publish_claim);

    // SIGKILL of the active one: the broker publishes its will (live, not retained).
    const Effects will = e.state_message("offline");
    EXPECT_EQ(will.arm_timer, 120ms);  // at once, plus the jitter
    EXPECT_TRUE(e.handles_commands());  // pbx_unavailable while nobody is online
    const Effects claim = e.timer_fired(now += 120ms);
    EXPECT_TRUE(claim.publish_claim);
    e.leader_message("b", false, now += 1ms);
    EXPECT_TRUE(e.timer_fired(now += 300ms).become_active);
}

TEST(Election, OfSimultaneousClaimsTheLastOneTheBrokerDeliveredWinsEverywhere) {
    Election a = make("a", 0ms);
    Election b = make("b", 0ms);
    auto now = Clock::now();
    for (Election* e : {&a, &b}) {
        e->connected();
        e->state_message("offline");
        ASSERT_TRUE(e->timer_fired(now).publish_claim);
    }
    // The broker orders the two claims once, for every subscriber: a's, then b's.
    for (Election* e : {&a, &b}) {
        e->leader_message("a", false, now + 2ms);
        e->leader_message("b", false, now + 3ms);
    }
    now += 300ms;
    const Effects ea = a.timer_fired(now);
    const Effects eb = b.timer_fired(now);
    EXPECT_FALSE(ea.become_active);
    EXPECT_TRUE(eb.become_active);
    EXPECT_EQ(a.role(), Role::standby);
    // The loser looks again later, and then holds off while the winner reconnects.
    ASSERT_EQ(ea.arm_timer, 1000ms);
    const Effects again = a.timer_fired(now += 1000ms);
    EXPECT_FALSE(again.publish_claim);
    EXPECT_EQ(again.arm_timer, 10000ms - 1000ms - 300ms + 3ms);  // the rest of claim_quiet after b's claim
    // b's online ends the hold-off for good.
    b.connected();
    a.state_message("online");
    EXPECT_FALSE(a.timer_fired(now += 9s).publish_claim);
}

// MQTT 5: the bridge subscribes with No Local, so its own claim never comes back.
TEST(Election, WithNoLocalSimultaneousClaimantsBothLoseAndNeitherWins) {
    Election a = make("a", 0ms);
    Election b = make("b", 0ms);
    const auto now = Clock::now();
    for (Election* e : {&a, &b}) {
        e->connected();
        e->state_message("offline");
        ASSERT_TRUE(e->timer_fired(now).publish_claim);
    }
    a.leader_message("b", false, now + 2ms);
    b.leader_message("a", false, now + 2ms);
    EXPECT_FALSE(a.timer_fired(now + 300ms).become_active);
    EXPECT_FALSE(b.timer_fired(now + 300ms).become_active);
    EXPECT_EQ(a.role(), Role::standby);
    EXPECT_EQ(b.role(), Role::standby);
}

TEST(Election, WithNoLocalALoneClaimantWinsWithoutItsEcho) {
    Election e = make("a", 0ms);
    const auto now = Clock::now();
    e.connected();
    e.state_message("offline");
    ASSERT_TRUE(e.timer_fired(now).publish_claim);
    EXPECT_TRUE(e.timer_fired(now + 300ms).become_active);
}

TEST(Election, AStaleRetainedLeaderDoesNotHoldOffAStandby) {
    Election e = make("b", 0ms);
    const auto now = Clock::now();
    e.connected();
    e.leader_message("a", true, now);  // the id of an instance that died long ago
    e.state_message("offline");
    EXPECT_TRUE(e.timer_fired(now + 1ms).publish_claim);
}

TEST(Election, ALiveForeignClaimHoldsAStandbyOffForTheQuietPeriod) {
    Election e = make("c", 0ms);
    const auto now = Clock::now();
    e.connected();
    e.state_message("offline");
    e.leader_message("a", false, now);  // a claimed a moment ago and is reconnecting
    const Effects held = e.timer_fired(now + 4s);
    EXPECT_FALSE(held.publish_claim);
    EXPECT_EQ(held.arm_timer, 6000ms);
    // a never came online (it died while reconnecting): c claims after the quiet period.
    EXPECT_TRUE(e.timer_fired(now + 10s).publish_claim);
}

TEST(Election, TheActiveOneStepsDownWhenAnotherIdTakesTheLeaderTopic) {
    Election e = make("a");
    auto now = Clock::now();
    win_alone(e, now);
    EXPECT_EQ(e.leader_message("a", false, now).step_down, false);  // our own confirmation
    const Effects down = e.leader_message("b", false, now);
    EXPECT_TRUE(down.step_down);
    EXPECT_TRUE(down.cancel_timer);
    EXPECT_EQ(e.role(), Role::stepped_down);
    EXPECT_FALSE(e.publishing());
    EXPECT_FALSE(e.active());
    // Nothing brings a stepped-down instance back: the supervisor restarts it as a standby.
    EXPECT_FALSE(e.connected().standby_ready);
    EXPECT_FALSE(e.timer_fired(now + 1h).publish_claim);
}

TEST(Election, AnActiveOneBackOnMqttConfirmsOnlyIfNobodyTookOver) {
    Election e = make("a");
    auto now = Clock::now();
    win_alone(e, now);

    // Lost connection (broker restart): our will said offline; nothing of ours goes out.
    const Effects lost = e.disconnected();
    EXPECT_TRUE(lost.cancel_timer);
    EXPECT_FALSE(e.publishing());
    EXPECT_TRUE(e.active());  // it keeps AMI and the model: the resync is a republish
    const Effects back = e.connected();
    EXPECT_EQ(back.arm_timer, 1000ms);
    EXPECT_FALSE(back.confirm);
    e.leader_message("a", true, now);  // still ours
    EXPECT_TRUE(e.timer_fired(now += 1s).confirm);
    EXPECT_TRUE(e.publishing());

    // A partition: a standby took over meanwhile. The retained leader says so: step down.
    e.disconnected();
    e.connected();
    EXPECT_TRUE(e.leader_message("b", true, now).step_down);
    EXPECT_FALSE(e.timer_fired(now += 1s).confirm);
}

TEST(Election, TheActiveOneAssertsOnlineAgainOverAnOldLeadersLateWill) {
    Election e = make("b");
    auto now = Clock::now();
    win_alone(e, now);
    EXPECT_FALSE(e.state_message("online").reassert_online);  // its own (3.1.1 echoes it)
    EXPECT_TRUE(e.state_message("offline").reassert_online);  // a frozen old leader's will, published late
    EXPECT_FALSE(e.state_message("offline", true).reassert_online);  // history, older than what it just asserted
    e.disconnected();
    EXPECT_FALSE(e.state_message("offline").reassert_online);  // not while it is unsure itself
}

TEST(Election, AStandbyCutOffFromTheBrokerNeverClaimsNorWins) {
    Election e = make("b", 0ms);
    const auto now = Clock::now();
    e.connected();
    e.state_message("offline");
    ASSERT_TRUE(e.timer_fired(now).publish_claim);
    e.leader_message("b", false, now);
    EXPECT_TRUE(e.disconnected().cancel_timer);  // during the claim window
    EXPECT_EQ(e.role(), Role::standby);
    EXPECT_FALSE(e.timer_fired(now + 300ms).become_active);  // a stray timer does nothing
    // Back: it starts over from the retained topics.
    const Effects back = e.connected();
    EXPECT_TRUE(back.standby_ready);
    EXPECT_EQ(back.arm_timer, 1000ms);
    e.state_message("online");  // somebody else made it meanwhile
    EXPECT_FALSE(e.timer_fired(now + 2s).publish_claim);
}

TEST(Election, AClaimLostBecauseABridgeCameOnlineDuringTheWindow) {
    Election e = make("b", 0ms);
    const auto now = Clock::now();
    e.connected();
    e.state_message("offline");
    ASSERT_TRUE(e.timer_fired(now).publish_claim);
    e.leader_message("b", false, now);
    e.state_message("online");  // the old active one came back before the window closed
    const Effects end = e.timer_fired(now + 300ms);
    EXPECT_FALSE(end.become_active);
    EXPECT_EQ(e.role(), Role::standby);
}

TEST(Election, JitterNeverExceedsItsBound) {
    Election e("x", timing(), [](milliseconds) { return 5s; });  // a broken random source
    e.connected();
    EXPECT_EQ(e.state_message("offline").arm_timer, 200ms);
}

// The design rule behind "takeover within 2 x keepalive": the broker publishes the will at once
// when the active one's socket closes, and after 1.5 x keepalive when it goes silent; jitter and
// claim window must fit in what is left, with room for the reconnect.
TEST(Election, TimingScalesWithKeepaliveAndLeavesRoomWithinTwoKeepalives) {
    EXPECT_EQ(Timing::for_keepalive(2s).jitter_max, 250ms);
    EXPECT_EQ(Timing::for_keepalive(2s).claim_window, 250ms);
    EXPECT_EQ(Timing::for_keepalive(1s).claim_window, 200ms);   // a floor: a claim's round trip on a slow link
    EXPECT_EQ(Timing::for_keepalive(60s).claim_window, 1000ms);  // a ceiling: takeovers stay quick
    for (int k = 1; k <= 300; ++k) {
        const Timing t = Timing::for_keepalive(std::chrono::seconds(k));
        const milliseconds silent_peer = std::chrono::seconds(k) * 3 / 2;
        EXPECT_LT(silent_peer + t.jitter_max + t.claim_window, std::chrono::seconds(2 * k)) << "keepalive " << k;
    }
}

}  // namespace election_test
