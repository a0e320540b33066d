#pragma once
// The simulated PBX's behaviour: state changes (registrations, device states, DND, calls, queues,
// parking, conferences, trunk registrations, voicemail) and the events Asterisk broadcasts for
// each, in the order the recorded transcripts show them.
// Pure: time comes in as `now` (epoch seconds), randomness from a seeded generator.
//
// The member functions live in simulator.cpp (registrations, devices, two-party calls),
// sim_queues.cpp, sim_parking.cpp, sim_conferences.cpp and sim_trunks.cpp (trunks, voicemail,
// generated load).
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "ami-sim/events.hpp"
#include "ami-sim/flavor.hpp"
#include "ami-sim/sim_state.hpp"

namespace amisim {

struct Outcome {
    std::string error;   // empty when the change was made; for AMI actions, Asterisk's text
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

struct QueueAddRequest {
    std::string queue;
    std::string interface;
    std::string member_name;      // default: the interface
    std::string state_interface;  // default: the interface
    int penalty = 0;
    bool paused = false;
    std::string reason;
};

struct ParkRequest {
    std::string channel;          // the channel to park
    std::string timeout_channel;  // who the call returns to (ParkerDialString); default: itself
    int timeout_ms = 0;           // 0: the lot's parkingtime
    std::string lot;              // default: "default"
};

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

    // --- two-party calls (simulator.cpp) ----------------------------------------------------
    // A rings B; detail = the call id. A call to an unregistered peer or one in DND fails at once.
    Outcome start_call(std::string_view from, std::string_view to, double now);
    // An extension dials an outside number through a trunk peer (SIP/trunk1-...): it rings.
    Outcome start_trunk_call(std::string_view from, std::string_view number, std::string_view trunk, double now);
    // An outside caller reaches an extension through a trunk (context from-trunk): it rings.
    Outcome incoming_call(std::string_view trunk, std::string_view caller_number, std::string_view to, double now);
    Outcome answer_call(std::string_view call_id, double now = 0);
    // Ringing: the callee rejects (Busy) or the caller cancels; answered: that side hangs up.
    // Queue calls: a waiting caller abandons; a connected call completes.
    Outcome hangup_call(std::string_view call_id, HangupSide side, int cause = 16, double now = 0);
    Outcome hold_call(std::string_view call_id, bool hold);
    // The AMI Hangup action (any channel the simulator knows).
    Outcome hangup_channel(std::string_view channel, int cause, double now = 0);
    // `count` answered calls between idle registered extensions (generated ones first);
    // detail = "<first call id> <last call id>".
    Outcome start_answered_calls(int count, double now);
    // Every call and parked call hangs up, every conference empties.
    Outcome hangup_everything(double now);

    // --- queues (sim_queues.cpp); errors are app_queue's AMI texts -----------------------------
    Outcome queue_add(const QueueAddRequest& request, double now);
    Outcome queue_remove(std::string_view queue, std::string_view interface);
    // An empty queue pauses the interface in every queue it is a member of.
    Outcome queue_pause(std::string_view queue, std::string_view interface, bool paused, std::string_view reason,
                        double now);
    Outcome queue_penalty(std::string_view queue, std::string_view interface, int penalty);
    // An extension dials the queue and waits (members ring when it is first in line).
    Outcome queue_join(std::string_view queue, std::string_view caller, double now);
    // The member on extension `member` answers the first waiting caller.
    Outcome queue_answer(std::string_view queue, std::string_view member, double now);
    // The oldest connected call of the queue ends: the caller (or the agent) hangs up.
    Outcome queue_hangup(std::string_view queue, HangupSide side, double now);
    // The first waiting caller hangs up.
    Outcome queue_abandon(std::string_view queue, double now);

    // --- parking (sim_parking.cpp) -----------------------------------------------------------
    // The AMI Park action; detail = the space. Errors are res_parking's texts.
    Outcome park(const ParkRequest& request, double now);
    // The callee (or the caller) of an answered call is parked, the other party hangs up.
    Outcome park_call(std::string_view call_id, HangupSide who, double now);
    // Extension `by` dials the space: a new answered call; detail = its call id.
    Outcome unpark(int space, std::string_view by, double now);
    Outcome park_giveup(int space, double now);
    // The parked call times out and rings back the parker; detail = the new call's id.
    Outcome park_timeout(int space, double now);

    // --- ConfBridge (sim_conferences.cpp); errors are app_confbridge's AMI texts ---------------
    // Extension `ext` dials the room; detail = its channel.
    Outcome conf_join(std::string_view room, std::string_view ext, double now);
    // The user hangs up (`kicked`: ConfbridgeKick). `who` is an extension or a channel name.
    Outcome conf_leave(std::string_view room, std::string_view who, bool kicked);
    Outcome conf_mute(std::string_view room, std::string_view who, bool muted);
    Outcome conf_talk(std::string_view room, std::string_view who, bool talking);
    Outcome conf_lock(std::string_view room, bool locked);

    // --- trunks and voicemail (sim_trunks.cpp) --------------------------------------------------
    // The registration is now `status` (Registered, Unregistered, Rejected; case-insensitive).
    Outcome set_registration(std::string_view name, std::string_view status, double now);
    // PJSIPRegister / PJSIPUnregister: what the recorded PBX did (22/10).
    Outcome pjsip_register(std::string_view name, double now);
    Outcome pjsip_unregister(std::string_view name);
    // A mailbox ("3001" means 3001@default) now holds these messages: MessageWaiting.
    Outcome set_mailbox(std::string_view mailbox, int new_messages, int old_messages);

    // --- call control actions (sim_commands.cpp); errors are Asterisk's AMI texts --------------
    // Originate: the first leg rings (detail = its call id; `answer <id>` answers it). A failure
    // is in `error` (sync: "Originate failed") and, when async, an OriginateResponse in events.
    Outcome originate(const OriginateRequest& request, double now);
    // Redirect (and the ExtraChannel): the channel leaves its call and dials exten@context.
    Outcome redirect(std::string_view channel, std::string_view extra, std::string_view exten,
                     std::string_view context, double now);
    Outcome blind_transfer(std::string_view channel, std::string_view exten, std::string_view context, double now);
    Outcome attended_transfer(std::string_view channel, std::string_view exten, std::string_view context, double now);
    Outcome play_dtmf(std::string_view channel, std::string_view digit, int duration_ms, bool receive);
    Outcome mix_monitor(std::string_view channel, std::string_view file);
    Outcome stop_mix_monitor(std::string_view channel, std::string_view id);
    Outcome mute_mix_monitor(std::string_view channel, std::string_view direction, bool mute);
    // SIPnotify / PJSIPNotify with Event=talk: the phone answers its ringing call (remote answer).
    Outcome notify_peer(std::string_view peer, bool talk, double now);
    Outcome reload(std::string_view module);

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
    // A device the simulator derives and does not cache (park:71@parkedcalls): 'd' and 'e'.
    void report_provider_device(std::string_view device, std::string_view order, Events& out);
    void refresh_peer_device(std::string_view peer, std::string_view order, Events& out);
    void report_hints(std::string_view device, Events& out);
    std::string device_order() const;
    Channel new_channel(const Peer& peer, double now);
    void remove_channel(std::string_view name);
    std::string bridge_uuid();
    std::string next_call_id();
    double clock(double now);
    void hangup_events(Events& out, const Channel& channel, int cause, bool tech_cause = false);

    // The callee leg of a Dial() from `a` to `callee`, ringing; `a` is updated in the state.
    void ring(Channel& a, const Peer& callee, std::string_view dial_string, Call& call, double now, Events& out);
    Outcome dial(Channel a, const Peer& callee, std::string_view dial_string, double now);
    Outcome hangup_two_party(Call call, HangupSide side, int cause);
    void end_bridged_call(const Call& call, HangupSide side, int cause, Events& out,
                          const std::function<void(const Channel&, const Channel&, Events&)>& after_request = {});

    Bridge& create_bridge(Events& out, Bridge bridge);
    void enter_bridge(Bridge& bridge, Channel& channel, Events& out);
    void leave_bridge(Channel& channel, Events& out);
    void destroy_bridge(std::string_view id, Events& out);

    // Queues
    void update_queue_devices(Queue& queue, Events& out);
    void ring_members(Call& call, Queue& queue, double now, Events& out, std::string_view only_member = {});
    void ring_member(Call& call, Queue& queue, QueueMember& member, double now, Events& out);
    Outcome queue_abandon_call(Call call, double now);
    Outcome queue_complete_call(Call call, HangupSide side, double now);
    void queue_caller_leave(Queue& queue, Call& call, Events& out);
    void stop_ringing_agents(Call& call, const std::string& except, int cause, Events& out);
    bool member_available(const QueueMember& member) const;

    // Parking
    Outcome park_channel(Channel& parkee, std::string parker_dial_string, int timeout, ParkingLot& lot, double now);
    void remove_parked(int space);

    // Call control (sim_commands.cpp)
    Outcome answer_originate(Call call, double now);
    Outcome fail_originate(Call call, int reason, int cause);
    // Sends an answered channel that runs the dialplan to exten@context: an extension rings, an
    // outside number goes out through the first trunk, a parking space or ConfBridge room is
    // joined; anything else hangs the channel up.
    void route(Channel a, std::string_view exten, std::string_view context, double now, Outcome& result);
    // The two parties of an answered two-party call leave its bridge, which is destroyed.
    void dissolve_bridge(Call& call, Events& out);
    void hangup_lone(const Channel& channel, int cause, Events& out);
    std::optional<Outcome> complete_transfer(std::string_view hanging_channel, double now);
    void forget_transfers(std::string_view call_id, Events& out);

    // Conferences
    Outcome conf_remove_user(Conference& conference, std::size_t index, bool kicked);
    int join_leave_count(const Bridge& bridge) const;

    Flavor flavor_;
    SimState state_;
    std::mt19937 rng_;
    double boot_time_;
    double clock_ = 0;  // the latest `now` seen, for operations that are not given one
    unsigned channel_counter_ = 0;
    unsigned uniqueid_counter_ = 0;
    unsigned call_counter_ = 0;
};

}  // namespace amisim
