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
    bridge_state_.clear();  // read again: a broker restarted without persistence has none (vacancy)
    Effects e;
    switch (role_) {
        case Role::standby:
        case Role::claiming:  // a claim made on the lost connection may not have gone out: start over
            role_ = Role::standby;
            e = arm_election(timing_.confirm_wait);  // the retained state arrives first (an "offline" shortens it)
            e.standby_ready = true;
            return e;
        case Role::winning:  // the reconnect with the will: read the retained leader before asserting anything
            timer_ = Timer::confirm;
            e.arm_timer = timing_.claim_window;
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
    switch (role_) {
        case Role::active:  // our will said offline: not sure of the leadership any more
            role_ = Role::confirming;
            [[fallthrough]];
        case Role::confirming:
        case Role::standby:
        case Role::claiming:  // a standby cut off from the broker must not claim: it cannot know who is online
            if (role_ == Role::claiming) role_ = Role::standby;
            timer_ = Timer::none;
            e.cancel_timer = true;
            return e;
        case Role::winning:  // the reconnect with the will
        case Role::stepped_down:
            return e;
    }
    return e;
}

Effects Election::state_message(std::string_view payload, bool retained) {
    if (role_ == Role::stepped_down) return {};
    if (active()) {
        // Ours is "online" (3.1.1 echoes it). Anything else published live is the will of an old
        // leader whose connection the broker dropped only now (it froze, then woke up and
        // reconnected with its will before stepping down): the tree must not say offline while
        // we are active. (A retained one delivered on our reconnect is older than what we assert.)
        Effects e;
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
    if (payload.empty() || payload == id_ || role_ == Role::stepped_down) return {};
    Effects e;
    if (active()) {
        if (beats_me(payload)) {  // a smaller id leads or claims: it wins the conflict everywhere
            role_ = Role::stepped_down;
            timer_ = Timer::none;
            e.cancel_timer = true;
            e.step_down = true;
        } else if (role_ == Role::active && connected_) {
            e.reassert_leader = true;  // a larger id: tell it (its claim loses, its leadership steps down)
        }
        return e;
    }
    // A live claim: its owner is reconnecting with its will; hold off while it does.
    if (!retained) last_foreign_claim_ = now;
    if (role_ == Role::claiming && beats_me(payload)) claim_beaten_ = true;
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
            claim_beaten_ = false;
            e.publish_claim = true;
            timer_ = Timer::claim;
            e.arm_timer = timing_.claim_window;
            return e;
        case Timer::claim:
            if (role_ != Role::claiming) return e;
            // "online" alone does not beat a claim: a leader publishes its id before it, and a
            // larger one steps down when it reads our claim (leaving "online" retained for us).
            if (connected_ && !claim_beaten_) {
                role_ = Role::winning;
                e.become_active = true;
                return e;
            }
            role_ = Role::standby;
            return arm_election(timing_.after_lost);
        case Timer::confirm:
            if (role_ != Role::confirming && role_ != Role::winning) return e;
            if (!connected_) return e;
            role_ = Role::active;  // (a smaller leader id would have made us step down already)
            e.confirm = true;
            return e;
    }
    return e;
}

}  // namespace failover
