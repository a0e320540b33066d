#pragma once
// Builders for the AMI events Asterisk broadcasts, with the header names and order of the
// recorded transcripts. Each returns one message; the simulator decides which and when.
#include <string>
#include <string_view>
#include <vector>

#include "ami-sim/sim_state.hpp"
#include "ami/message.hpp"

namespace amisim {

using Events = std::vector<ami::Message>;

ami::Message device_state_change_event(std::string_view device, DeviceState state);
ami::Message extension_status_event(const Hint& hint, int status);
// chan_sip: Registered (with Address) / Unregistered (Cause: Expired). PJSIP: Reachable / Unreachable.
ami::Message peer_status_event(std::string_view tech, std::string_view peer, std::string_view status,
                               std::string_view address = {}, std::string_view cause = {});
ami::Message contact_status_event(const Contact& contact, std::string_view status, std::string_view roundtrip_usec);
ami::Message queue_member_status_event(const QueueMember& member, DeviceState state);
// QueueMemberStatus/Added/Removed/Pause/Penalty: the member's QueueMember headers renamed as the
// events name them (Name -> MemberName, Location -> Interface), Ringinuse before Wrapuptime.
// `pause_reason`: Asterisk 13 repeats a pause reason in a trailing Reason header.
ami::Message queue_member_event(std::string_view event, const QueueMember& member, DeviceState state,
                                bool pause_reason = false);

// Channel events: "Event", "Privilege: call,all", the channel snapshot, then `extra`.
ami::Message channel_event(std::string_view event, const Channel& channel, const std::vector<ami::Header>& extra = {},
                           std::string_view privilege = "call,all");
// Dial events: the caller's snapshot, the callee's as Dest*, then `extra`.
ami::Message dial_event(std::string_view event, const Channel& caller, const Channel& callee,
                        const std::vector<ami::Header>& extra = {}, std::string_view privilege = "call,all");
// Bridge events with BridgeNumChannels `channels`; BridgeEnter/BridgeLeave also carry the channel.
ami::Message bridge_event(std::string_view event, const Bridge& bridge, int channels, const Channel* channel = nullptr);
// ConfbridgeStart/End/Join/Leave/Mute/Unmute/Talking: Conference, the bridge, the channel, `extra`.
ami::Message confbridge_event(std::string_view event, std::string_view conference, const Bridge& bridge, int channels,
                              const Channel* channel = nullptr, const std::vector<ami::Header>& extra = {});
// ParkedCall/UnParkedCall/ParkedCallGiveUp/ParkedCallTimeOut (and ParkedCalls items when
// `privilege` is empty): the parkee as Parkee*, the retriever as Retriever*, the lot values.
ami::Message parked_call_event(std::string_view event, const ParkedCall& parked, const Channel& parkee, double now,
                               const Channel* retriever = nullptr, std::string_view privilege = "call,all");
// Registry (outbound registrations): ChannelType, Username, Domain, Status.
ami::Message registry_event(std::string_view channel_type, std::string_view username, std::string_view domain,
                            std::string_view status);
// MessageWaiting without a channel (a box changed outside a call, as after VoicemailMove).
ami::Message message_waiting_event(const Mailbox& mailbox);

ami::Message fully_booted_event(bool with_uptime, long uptime_seconds);
ami::Message shutdown_event();

// The channel snapshot headers (Channel ... Linkedid), optionally prefixed ("Dest").
void append_channel_snapshot(std::vector<ami::Header>& out, const Channel& channel, std::string_view prefix = {});
// The bridge snapshot headers (BridgeUniqueid ... BridgeVideoSourceMode).
void append_bridge_snapshot(std::vector<ami::Header>& out, const Bridge& bridge, int channels);

}  // namespace amisim
