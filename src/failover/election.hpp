#pragma once
// The active/standby election of [failover] (docs/scaling.md, "Failover"), as a pure state
// machine: no sockets, no timers, no clock of its own. The edge (app.cpp) feeds it what happens
// on the MQTT connection and when its one timer fires, and carries out the Effects it returns.
//
// Over MQTT only: <base>/bridge/state (the active instance's last will says "offline") and
// <base>/bridge/leader (retained, the instance id of the last claimant or leader). A standby
// that sees no bridge online and no recent live claim by another instance waits a random
// jitter, claims the leadership, and after a claim window becomes active unless a claim of a
// smaller instance id arrived meanwhile. Conflicts (simultaneous claims, a claim crossing the
// leader's confirmation, two leaders after a partition) are settled by one total order that
// needs no clock and no message order: the smallest instance id wins. A leader that sees a
// smaller id steps down; one that sees a larger id asserts itself again, so the other learns.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace failover {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Timing {
    milliseconds jitter_max{250};     // a standby waits 0..jitter_max before claiming
    milliseconds claim_window{250};   // after a claim (and after winning), listen this long
    milliseconds confirm_wait{1000};  // an active one back on MQTT waits this long for the retained leader
    milliseconds after_lost{1000};    // after losing a claim, look again this much later
    milliseconds claim_quiet{10000};  // a live foreign claim holds standbys off this long (its owner is reconnecting)

    // Scaled to the MQTT keepalive so that a takeover fits in 2 x keepalive after the broker
    // publishes the will (at once on a closed socket, 1.5 x keepalive after a silent peer):
    // jitter and claim window keepalive/8 each, between 200 ms and 1 s.
    static Timing for_keepalive(std::chrono::seconds keepalive);
};

// What the edge must do after an input. Several may be set; the edge does them in this order.
struct Effects {
    std::optional<milliseconds> arm_timer;  // (re)arm the one election timer; replaces a pending one
    bool cancel_timer = false;
    bool standby_ready = false;   // connected as standby: subscribe the command topics (nothing retained goes out)
    bool publish_claim = false;   // publish <base>/bridge/leader = instance id (retained, QoS 1)
    bool become_active = false;   // reconnect with the will on bridge/state, log in to AMI
    bool confirm = false;         // assert the leader topic, then bridge/state online and the whole tree
    bool reassert_leader = false; // a larger id claims while we lead: publish the leader topic again
    bool reassert_online = false; // a stale will said "offline" about us: publish bridge/state online again
    bool step_down = false;       // a smaller id leads or claims: stop without "offline" (exit 3)
};

enum class Role {
    standby,    // connected (or not) and idle
    claiming,   // claimed, waiting out the claim window
    winning,    // won; reconnecting with the will, then reading the retained leader for a claim window
    confirming, // active, back on MQTT after a lost connection: reading the retained leader
    active,     // publishing state, executing commands
    stepped_down,
};

const char* to_string(Role r);

class Election {
public:
    // `jitter` returns a value in [0, max] (random in the daemon, fixed in tests).
    Election(std::string instance_id, Timing timing, std::function<milliseconds(milliseconds max)> jitter);

    Effects connected();
    Effects disconnected();
    // <base>/bridge/state; `retained`: delivered because we subscribed, not published live.
    Effects state_message(std::string_view payload, bool retained = false);
    // <base>/bridge/leader; `retained` as above (old news, not a claim on its way up).
    Effects leader_message(std::string_view payload, bool retained, Clock::time_point now);
    Effects timer_fired(Clock::time_point now);

    Role role() const { return role_; }
    const std::string& instance_id() const { return id_; }
    // Has won (AMI, will): winning, confirming, active.
    bool active() const { return role_ == Role::winning || role_ == Role::confirming || role_ == Role::active; }
    // Only then does anything retained (and the bridge's own reports) reach the broker.
    bool publishing() const { return role_ == Role::active && connected_; }
    // Commands: the leader executes them (winning: it is logging in, the core answers
    // pbx_unavailable until the PBX is read); a standby answers (pbx_unavailable) only while no
    // bridge is online, so a request is never answered twice. An old leader back on MQTT
    // (confirming) may have been replaced: it drops them until it knows.
    bool handles_commands() const {
        return role_ == Role::active || role_ == Role::winning ||
               ((role_ == Role::standby || role_ == Role::claiming) && bridge_state_ != "online");
    }

private:
    enum class Timer { none, election, claim, confirm };
    Effects arm_election(milliseconds after);
    bool beats_me(std::string_view other) const { return other < id_; }

    std::string id_;
    Timing timing_;
    std::function<milliseconds(milliseconds)> jitter_;
    Role role_ = Role::standby;
    bool connected_ = false;
    Timer timer_ = Timer::none;
    std::string bridge_state_;  // last <base>/bridge/state seen on this connection ("" none)
    bool claim_beaten_ = false;  // a smaller id claimed during our claim window
    std::optional<Clock::time_point> last_foreign_claim_;
};

}  // namespace failover
