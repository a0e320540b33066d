// The failover election as a state machine (src/failover/election.hpp): what a standby, a
// claimant and a leader do on each MQTT event and timer, without a broker. The integration test
// (tests/integration/failover_test.cpp) runs the same logic against mosquitto.
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

// A connected standby that has read a vacancy (the retained "offline" of a stopped bridge).
Election vacant(const std::string& id, milliseconds jitter = 0ms) {
    Election e = make(id, jitter);
    e.connected();
    e.state_message("offline", true);
    return e;
}

// Drives a fresh instance to active the way a first start against an empty broker does.
void win_alone(Election& e, Clock::time_point& now) {
    EXPECT_TRUE(e.connected().standby_ready);
    e.state_message("offline", true);
    ASSERT_TRUE(e.timer_fired(now += 100ms).publish_claim);
    ASSERT_TRUE(e.timer_fired(now += 300ms).become_active);
    e.disconnected();  // the reconnect with the will
    ASSERT_EQ(e.connected().arm_timer, 300ms);  // reads the retained leader first
    ASSERT_TRUE(e.timer_fired(now += 300ms).confirm);
    ASSERT_EQ(e.role(), Role::active);
}

TEST(Election, AStandbyReadsTheRetainedTopicsThenClaimsAVacancyAndWinsAlone) {
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
    const Effects larger = e.leader_message("b", false, t0 + 1060ms);  // a larger id claims too
    EXPECT_FALSE(larger.step_down);
    EXPECT_EQ(e.role(), Role::claiming);
    const Effects won = e.timer_fired(t0 + 1350ms);
    EXPECT_TRUE(won.become_active);
    EXPECT_EQ(e.role(), Role::winning);
    EXPECT_TRUE(e.active());
    EXPECT_FALSE(e.publishing());  // not before the connection with the will

    e.disconnected();  // the reconnect with the will
    EXPECT_EQ(e.role(), Role::winning);
    const Effects back = e.connected();
    EXPECT_FALSE(back.confirm);  // first the retained leader, for a claim window
    EXPECT_FALSE(back.standby_ready);
    EXPECT_EQ(back.arm_timer, 300ms);
    EXPECT_FALSE(e.publishing());
    const Effects confirmed = e.timer_fired(t0 + 1700ms);
    EXPECT_TRUE(confirmed.confirm);
    EXPECT_EQ(e.role(), Role::active);
    EXPECT_TRUE(e.publishing());
    EXPECT_TRUE(e.handles_commands());
}

TEST(Election, AStandbyStaysIdleAndSilentOnCommandsWhileABridgeIsOnline) {
    Election e = make("b");
    const auto now = Clock::now();
    e.connected();
    e.leader_message("a", true, now);
    EXPECT_EQ(e.state_message("online", true).arm_timer, std::nullopt);
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
    e.state_message("online", true);
    EXPECT_FALSE(e.timer_fired(now += 1s).publish_claim);

    // SIGKILL of the active one: the broker publishes its will (live, not retained).
    const Effects will = e.state_message("offline");
    EXPECT_EQ(will.arm_timer, 120ms);  // at once, plus the jitter
    EXPECT_TRUE(e.handles_commands());  // pbx_unavailable while nobody is online
    EXPECT_TRUE(e.timer_fired(now += 120ms).publish_claim);
    EXPECT_TRUE(e.timer_fired(now += 300ms).become_active);
}

TEST(Election, OfSimultaneousClaimsTheSmallestIdWinsWhateverTheOrderSeen) {
    for (const bool a_first : {true, false}) {
        SCOPED_TRACE(a_first ? "a's claim delivered first" : "b's claim delivered first");
        Election a = vacant("a");
        Election b = vacant("b");
        auto now = Clock::now();
        ASSERT_TRUE(a.timer_fired(now).publish_claim);
        ASSERT_TRUE(b.timer_fired(now).publish_claim);
        // MQTT 5 (No Local): each sees only the other's claim; 3.1.1 also echoes its own.
        for (Election* e : {&a, &b}) {
            if (a_first) e->leader_message("a", false, now + 2ms);
            e->leader_message("b", false, now + 3ms);
            if (!a_first) e->leader_message("a", false, now + 4ms);
        }
        now += 300ms;
        const Effects ea = a.timer_fired(now);
        const Effects eb = b.timer_fired(now);
        EXPECT_TRUE(ea.become_active);
        EXPECT_FALSE(eb.become_active);
        EXPECT_EQ(b.role(), Role::standby);
        // The loser looks again later, and then holds off while the winner reconnects.
        ASSERT_EQ(eb.arm_timer, 1000ms);
        const Effects again = b.timer_fired(now += 1000ms);
        EXPECT_FALSE(again.publish_claim);
        EXPECT_TRUE(again.arm_timer.has_value());
        EXPECT_GT(*again.arm_timer, 8000ms);  // the rest of claim_quiet after a's live claim
    }
}

// A standby that connected after the leader's claim saw it as retained (no hold-off) and claims
// while the leader reconnects with its will; the two messages cross at the broker.
TEST(Election, AClaimCrossingTheLeadersConfirmationLeavesExactlyOneLeader) {
    for (const std::string& standby_id : {std::string("a"), std::string("c")}) {
        SCOPED_TRACE("standby " + standby_id + ", leader b");
        Election leader = make("b", 0ms);
        auto now = Clock::now();
        win_alone(leader, now);
        Election standby = vacant(standby_id);
        ASSERT_TRUE(standby.timer_fired(now).publish_claim);
        // The leader's confirmation (leader topic, then online) reaches the standby after its
        // claim; the standby's claim reaches the leader after its confirmation.
        const Effects at_standby = standby.leader_message("b", false, now + 1ms);
        standby.state_message("online");
        const Effects at_leader = leader.leader_message(standby_id, false, now + 2ms);
        const Effects end = standby.timer_fired(now + 300ms);
        if (standby_id < "b") {  // the smaller id wins: the leader steps down, the standby takes over
            EXPECT_TRUE(at_leader.step_down);
            EXPECT_FALSE(at_standby.step_down);
            EXPECT_EQ(leader.role(), Role::stepped_down);
            // The "online" it read is the leader's that steps down (without "offline"): the
            // claim still wins, and the new leader asserts "online" itself.
            EXPECT_TRUE(end.become_active);
            EXPECT_EQ(standby.role(), Role::winning);
        } else {  // a larger id: the leader asserts itself, the standby loses
            EXPECT_FALSE(at_leader.step_down);
            EXPECT_TRUE(at_leader.reassert_leader);
            EXPECT_FALSE(end.become_active);
            EXPECT_EQ(standby.role(), Role::standby);
            EXPECT_EQ(leader.role(), Role::active);
        }
    }
}

TEST(Election, WithNoLocalALoneClaimantWinsWithoutItsEcho) {
    Election e = vacant("a");
    const auto now = Clock::now();
    ASSERT_TRUE(e.timer_fired(now).publish_claim);
    EXPECT_TRUE(e.timer_fired(now + 300ms).become_active);
}

TEST(Election, AStaleRetainedLeaderDoesNotHoldOffAStandby) {
    Election e = make("b", 0ms);
    const auto now = Clock::now();
    e.connected();
    e.leader_message("a", true, now);  // the id of an instance that died long ago
    e.state_message("offline", true);
    EXPECT_TRUE(e.timer_fired(now + 1ms).publish_claim);
}

TEST(Election, ALiveForeignClaimHoldsAStandbyOffUntilItsOwnerIsOnline) {
    Election e = vacant("c");
    const auto now = Clock::now();
    e.leader_message("a", false, now);  // a claimed a moment ago and is reconnecting
    const Effects held = e.timer_fired(now + 4s);
    EXPECT_FALSE(held.publish_claim);
    EXPECT_EQ(held.arm_timer, 6000ms);
    // a never came online (it died while reconnecting): c claims after the quiet period.
    EXPECT_TRUE(e.timer_fired(now + 10s).publish_claim);

    // Another claim, and this time its owner comes online: that ends the hold-off, so when it
    // dies right after, the takeover does not wait out the rest of the 10 s.
    Election f = vacant("c");
    f.leader_message("a", false, now);
    f.state_message("online");
    const Effects will = f.state_message("offline");
    ASSERT_EQ(will.arm_timer, 0ms);
    EXPECT_TRUE(f.timer_fired(now + 1s).publish_claim);
}

TEST(Election, ALeaderStepsDownForASmallerIdAndAssertsItselfAgainstALargerOne) {
    Election b = make("b");
    auto now = Clock::now();
    win_alone(b, now);
    EXPECT_FALSE(b.leader_message("b", false, now).step_down);  // its own confirmation (3.1.1)
    const Effects larger = b.leader_message("c", false, now);
    EXPECT_FALSE(larger.step_down);
    EXPECT_TRUE(larger.reassert_leader);
    EXPECT_EQ(b.role(), Role::active);
    const Effects smaller = b.leader_message("a", false, now);
    EXPECT_TRUE(smaller.step_down);
    EXPECT_TRUE(smaller.cancel_timer);
    EXPECT_EQ(b.role(), Role::stepped_down);
    EXPECT_FALSE(b.publishing());
    EXPECT_FALSE(b.active());
    EXPECT_FALSE(b.handles_commands());
    // Nothing brings a stepped-down instance back: the supervisor restarts it as a standby.
    EXPECT_FALSE(b.connected().standby_ready);
    EXPECT_FALSE(b.timer_fired(now + 1h).publish_claim);
}

TEST(Election, ALeaderBackOnMqttConfirmsUnlessASmallerIdTookOver) {
    Election e = make("b");
    auto now = Clock::now();
    win_alone(e, now);

    // Lost connection (broker restart): our will said offline; nothing of ours goes out.
    const Effects lost = e.disconnected();
    EXPECT_TRUE(lost.cancel_timer);
    EXPECT_FALSE(e.publishing());
    EXPECT_TRUE(e.active());  // it keeps AMI and the model: the resync is a republish
    EXPECT_FALSE(e.handles_commands());  // it may have been replaced: it drops commands until it knows
    const Effects back = e.connected();
    EXPECT_EQ(back.arm_timer, 1000ms);
    EXPECT_FALSE(back.confirm);
    e.leader_message("b", true, now);  // still ours
    EXPECT_TRUE(e.timer_fired(now += 1s).confirm);
    EXPECT_TRUE(e.publishing());

    // A larger id took over meanwhile: we confirm (and it steps down when it reads us).
    e.disconnected();
    e.connected();
    EXPECT_FALSE(e.leader_message("c", true, now).step_down);
    EXPECT_TRUE(e.timer_fired(now += 1s).confirm);

    // A smaller id took over meanwhile: step down at once.
    e.disconnected();
    e.connected();
    EXPECT_TRUE(e.leader_message("a", true, now).step_down);
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
    Election e = vacant("b");
    const auto now = Clock::now();
    ASSERT_TRUE(e.timer_fired(now).publish_claim);
    EXPECT_TRUE(e.disconnected().cancel_timer);  // during the claim window
    EXPECT_EQ(e.role(), Role::standby);
    EXPECT_FALSE(e.timer_fired(now + 300ms).become_active);  // a stray timer does nothing
    // Back: it starts over from the retained topics.
    const Effects back = e.connected();
    EXPECT_TRUE(back.standby_ready);
    EXPECT_EQ(back.arm_timer, 1000ms);
    e.state_message("online", true);  // somebody else made it meanwhile
    EXPECT_FALSE(e.timer_fired(now + 2s).publish_claim);
}

// The broker restarted without persistence and the leader never came back: the standby must
// not keep the "online" it read before the restart.
TEST(Election, AfterABrokerRestartWithoutPersistenceAStandbySeesTheVacancy) {
    Election e = make("b", 0ms);
    const auto now = Clock::now();
    e.connected();
    e.state_message("online", true);
    EXPECT_FALSE(e.handles_commands());
    e.disconnected();
    e.connected();  // nothing retained any more: no bridge/state at all
    EXPECT_TRUE(e.handles_commands());  // pbx_unavailable: nobody is known to be online
    EXPECT_TRUE(e.timer_fired(now + 1s).publish_claim);
}

TEST(Election, AnOldLeaderBackDuringTheClaimWindowWinsOnlyWithASmallerId) {
    const auto now = Clock::now();
    Election e = vacant("b");
    ASSERT_TRUE(e.timer_fired(now).publish_claim);
    e.leader_message("a", false, now + 5ms);  // the old leader confirms: its id, then online
    e.state_message("online");
    EXPECT_FALSE(e.timer_fired(now + 300ms).become_active);
    EXPECT_EQ(e.role(), Role::standby);

    Election f = vacant("b");
    ASSERT_TRUE(f.timer_fired(now).publish_claim);
    f.leader_message("c", false, now + 5ms);  // a larger one: it steps down when it reads b's claim
    f.state_message("online");
    EXPECT_TRUE(f.timer_fired(now + 300ms).become_active);
}

TEST(Election, JitterNeverExceedsItsBound) {
    Election e("x", timing(), [](milliseconds) { return 5s; });  // a broken random source
    e.connected();
    EXPECT_EQ(e.state_message("offline", true).arm_timer, 200ms);
}

// The design rule behind "takeover within 2 x keepalive": the broker publishes the will at once
// when the active one's socket closes, and after 1.5 x keepalive when it goes silent; jitter,
// claim window and the winner's read of the leader topic (one more claim window) must fit in
// what is left, with room for the reconnect.
TEST(Election, TimingScalesWithKeepaliveAndLeavesRoomWithinTwoKeepalives) {
    EXPECT_EQ(Timing::for_keepalive(2s).jitter_max, 250ms);
    EXPECT_EQ(Timing::for_keepalive(2s).claim_window, 250ms);
    EXPECT_EQ(Timing::for_keepalive(1s).claim_window, 200ms);   // a floor: a claim's round trip on a slow link
    EXPECT_EQ(Timing::for_keepalive(60s).claim_window, 1000ms);  // a ceiling: takeovers stay quick
    for (int k = 2; k <= 300; ++k) {
        const Timing t = Timing::for_keepalive(std::chrono::seconds(k));
        const milliseconds silent_peer = std::chrono::seconds(k) * 3 / 2;
        EXPECT_LT(silent_peer + t.jitter_max + 2 * t.claim_window, std::chrono::seconds(2 * k)) << "keepalive " << k;
    }
}

}  // namespace election_test
