#pragma once
// The simulated PBX's behaviour: state changes (registrations, device states, DND, calls) and
// the events Asterisk broadcasts for each, in the order the recorded transcripts show them.
// Pure: time comes in as `now` (epoch seconds), randomness from a seeded generator.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "ami-sim/events.hpp"
#include "ami-sim/flavor.hpp"
#include "ami-sim/sim_state.hpp"

namespace amisim {

struct Outcome {
    std::string error;   // empty when the change was made
    std::string detail;  // e.g. the id of a new call
    Events events;       // to broadcast to every session with events on
    bool ok() const { return error.empty(); }
};

struct RegisterOptions {
    std::string ip;    // empty: the peer's last address, else 127.0.0.1
    int port = 0;      // 0: the peer's last port, else 5060
    // Generated when empty (tests pass the recorded values to compare events byte for byte).
    std::string contact_uri;   // PJSIP contact / chan_sip Reg-Contact
    std::string contact_id;    // PJSIP: "3004;@102276bbfdb578db99f579b6b3092ec8"
    std::string call_id;       // PJSIP
    std::string user_agent;
    std::string roundtrip_usec;  // PJSIP: the qualify result
};

enum class HangupSide { Callee, Caller };

class Simulator {
public:
    Simulator(Flavor flavor, SimState state, std::uint32_t seed = 1, double boot_time = 0);

    Flavor flavor() const { return flavor_; }
    const FlavorTraits& flavor_traits() const { return traits(flavor_); }
    const SimState& state() const { return state_; }
    SimState& state() { return state_; }
    double boot_time() const { return boot_time_; }

    Outcome register_peer(std::string_view peer, const RegisterOptions& options, double now);
    Outcome unregister_peer(std::string_view peer);
    // Any device; Custom: devices are also stored in AstDB (CustomDevstate/<name>) as Asterisk does.
    Outcome set_device_state(std::string_view device, std::string_view state_name);
    // FreePBX DND: AstDB DND/<ext>=YES (or deleted) and Custom:DND<ext> BUSY / NOT_INUSE.
    Outcome set_dnd(std::string_view extension, bool on);

    // A rings B; detail = the call id. A call to an unregistered peer or one in DND fails at once.
    Outcome start_call(std::string_view from, std::string_view to, double now);
    Outcome answer_call(std::string_view call_id);
    // Ringing: the callee rejects (Busy) or the caller cancels; answered: that side hangs up.
    Outcome hangup_call(std::string_view call_id, HangupSide side, int cause = 16);
    Outcome hold_call(std::string_view call_id, bool hold);
    // The AMI Hangup action.
    Outcome hangup_channel(std::string_view channel, int cause);

    // --replay: a recorded event changes the state silently where it is understood
    // (DeviceStateChange, PeerStatus, ContactStatus, ExtensionStatus).
    void apply_recorded_event(const ami::Message& event);

    std::string random_digits(std::size_t count);
    std::string random_hex(std::size_t count);
    std::mt19937& rng() { return rng_; }

private:
    // Order letters for the events of one device change: d DeviceStateChange,
    // q QueueMemberStatus, e ExtensionStatus (only hints whose status really changed).
    void report_device(std::string_view device, DeviceState state, std::string_view order, Events& out);
    void refresh_peer_device(std::string_view peer, std::string_view order, Events& out);
    std::string device_order() const;
    Channel new_channel(const Peer& peer, double now);
    void remove_channel(std::string_view name);
    std::string bridge_uuid();
    void hangup_events(Events& out, const Channel& channel, int cause, bool tech_cause = false);

    Flavor flavor_;
    SimState state_;
    std::mt19937 rng_;
    double boot_time_;
    unsigned channel_counter_ = 0;
    unsigned uniqueid_counter_ = 0;
    unsigned call_counter_ = 0;
};

}  // namespace amisim
