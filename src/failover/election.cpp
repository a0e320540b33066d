#include "failover/election.hpp"

#include <algorithm>

namespace failover {

Timing Timing::for_keepalive(std::chrono::seconds keepalive) {
    Timing t;
    const auto eighth = std::clamp<milliseconds>(std::chrono::duration_cast<milliseconds>(keepalive) / 8,
                                                 milliseconds(200), milliseconds(1000));
    t.jitter_max = eighth;
    t.claim_window = eighth;
    return t;
}

const char* to_string(Role r) {
    switch (r) {
        case Role::standby: return "standby";
        case Role::claiming: return "claiming";
        case Role::winning: return "winning";
        case Role::confirming: return "confirming";
        case Role::active: return "active";
        case Role::stepped_down: return "stepped_down";
    }
    return "?";
}

Election::Election(std::string instance_id, Timing timing, std::function<milliseconds(milliseconds)> jitter)
    : id_(std::move(instance_id)), timing_(timing), jitter_(std::move(jitter)) {}

Effects Election::arm_election(milliseconds after) {
    Effects e;
    timer_ = Timer::election;
    e.arm_timer = after + std::clamp(jitter_(timing_.jitter_max), milliseconds(0), timing_.jitter_max);
    return e;
}

Effects Election::connected() {
    connected_ = true;
    leader_since_connect_.clear();
    Effects e;
    switch (role_) {
        case Role::standby:
        case Role::claiming:  // a claim made on the lost connection may not have gone out: start over
            role_ = Role::standby;
            e = arm_election(timing_.confirm_wait);  // after the retained leader and state have arrived
            e.standby_ready = true;
            return e;
        case Role::winning:  // the reconnect with the will: ours
            role_ = Role::active;
            timer_ = Timer::none;
            e.cancel_timer = true;
            e.confirm = true;
            return e;
        case Role::confirming:  // back after a lost connection: a standby may have taken over meanwhile
            timer_ = Timer::confirm;
            e.arm_timer = timing_.confirm_wait;
            return e;
        case Role::active:  // (disconnected() moves active to confirming)
        case Role::stepped_down:
            return e;
    }
    return e;
}

Effects Election::disconnected() {
    connected_ = false;
    Effects e;
    if (role_ == Role::active) role_ = Role::confirming;  // our will said offline: not sure of it any more
    if (role_ == Role::standby || role_ == Role::claiming || role_ == Role::confirming) {
        // A standby cut off from the broker must not claim: it cannot know who is online.
        role_ = role_ == Role::claiming ? Role::standby : role_;
        timer_ = Timer::none;
        e.cancel_timer = true;
    }
    return e;
}

Effects Election::state_message(std::string_view payload, bool retained) {
    if (role_ == Role::stepped_down) return {};
    if (active()) {
        // Ours is "online" (3.1.1 echoes it). Anything else is the will of an old leader whose
        // connection the broker dropped only now (it froze, then woke up and reconnected with its
        // will before stepping down): the tree must not say offline while we are active.
        Effects e;
        // (A retained one delivered on our own reconnect is older than the tree we just asserted.)
        e.reassert_online = role_ == Role::active && connected_ && !retained && payload != "online";
        return e;
    }
    bridge_state_ = std::string(payload);
    if (bridge_state_ == "online") {
        last_foreign_claim_.reset();  // that claimant made it
        return {};
    }
    if (role_ == Role::standby && connected_) return arm_election(milliseconds(0));
    return {};
}

Effects Election::leader_message(std::string_view payload, bool retained, Clock::time_point now) {
    leader_since_connect_ = std::string(payload);
    if (payload.empty() || payload == id_ || role_ == Role::stepped_down) return {};
    Effects e;
    if (active()) {  // another instance claims or holds the leadership
        role_ = Role::stepped_down;
        timer_ = Timer::none;
        e.cancel_timer = true;
        e.step_down = true;
        return e;
    }
    // A live claim: its owner is reconnecting with its will; hold off while it does.
    if (!retained) last_foreign_claim_ = now;
    return e;
}

Effects Election::timer_fired(Clock::time_point now) {
    const Timer t = timer_;
    timer_ = Timer::none;
    Effects e;
    switch (t) {
        case Timer::none:
            return e;
        case Timer::election:
            if (role_ != Role::standby || !connected_ || bridge_state_ == "online") return e;
            if (last_foreign_claim_ && now - *last_foreign_claim_ < timing_.claim_quiet)
                return arm_election(std::chrono::duration_cast<milliseconds>(timing_.claim_quiet - (now - *last_foreign_claim_)));
            role_ = Role::claiming;
            // Our claim is the last one as far as we know; with MQTT 5's No Local it never comes
            // back, so only a foreign claim delivered after it (or, in 3.1.1, before its echo) beats it.
            leader_since_connect_ = id_;
            e.publish_claim = true;
            timer_ = Timer::claim;
            e.arm_timer = timing_.claim_window;
            return e;
        case Timer::claim:
            if (role_ != Role::claiming) return e;
            // The last claim delivered is ours. With 3.1.1 (own claims echoed) every claimant sees
            // the broker's one order, so exactly the last one wins; with 5 (No Local) simultaneous
            // claimants may all lose and try again after their jitter, never both win.
            if (connected_ && leader_since_connect_ == id_ && bridge_state_ != "online") {
                role_ = Role::winning;
                e.become_active = true;
                return e;
            }
            role_ = Role::standby;
            return arm_election(timing_.after_lost);
        case Timer::confirm:
            if (role_ != Role::confirming || !connected_) return e;
            role_ = Role::active;  // (a foreign leader would have made us step down already)
            e.confirm = true;
            return e;
    }
    return e;
}

}  // namespace failover
