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

// Channel events: "Event", "Privilege: call,all", the channel snapshot, then `extra`.
ami::Message channel_event(std::string_view event, const Channel& channel, const std::vector<ami::Header>& extra = {});
// Dial events: the caller's snapshot, the callee's as Dest*, then `extra`.
ami::Message dial_event(std::string_view event, const Channel& caller, const Channel& callee,
                        const std::vector<ami::Header>& extra = {});
// Bridge events; BridgeEnter/BridgeLeave also carry the channel.
ami::Message bridge_event(std::string_view event, std::string_view bridge_id, int channels,
                          const Channel* channel = nullptr);

ami::Message fully_booted_event(bool with_uptime, long uptime_seconds);
ami::Message shutdown_event();

// The channel snapshot headers (Channel ... Linkedid), optionally prefixed ("Dest").
void append_channel_snapshot(std::vector<ami::Header>& out, const Channel& channel, std::string_view prefix = {});

}  // namespace amisim
