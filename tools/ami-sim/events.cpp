#include "ami-sim/events.hpp"

#include <algorithm>
#include <cmath>

namespace amisim {

namespace {

ami::Message event(std::string_view name, std::string_view privilege) {
    ami::Message m;
    m.headers().reserve(40);  // a dial event has 32 headers; thousands are built for "calls"
    m.add("Event", std::string(name));
    m.add("Privilege", std::string(privilege));
    return m;
}

}  // namespace

ami::Message device_state_change_event(std::string_view device, DeviceState state) {
    ami::Message m = event("DeviceStateChange", "call,all");
    m.add("Device", std::string(device));
    m.add("State", std::string(device_state_name(state)));
    return m;
}

ami::Message extension_status_event(const Hint& hint, int status) {
    ami::Message m = event("ExtensionStatus", "call,all");
    m.add("Exten", hint.exten);
    m.add("Context", hint.context);
    m.add("Hint", hint.hint);
    m.add("Status", std::to_string(status));
    m.add("StatusText", std::string(extension_status_text(status)));
    return m;
}

ami::Message peer_status_event(std::string_view tech, std::string_view peer, std::string_view status,
                               std::string_view address, std::string_view cause) {
    ami::Message m = event("PeerStatus", "system,all");
    m.add("ChannelType", std::string(tech));
    m.add("Peer", std::string(tech) + "/" + std::string(peer));
    m.add("PeerStatus", std::string(status));
    if (!address.empty()) m.add("Address", std::string(address));
    if (!cause.empty()) m.add("Cause", std::string(cause));
    return m;
}

ami::Message contact_status_event(const Contact& contact, std::string_view status, std::string_view roundtrip_usec) {
    ami::Message m = event("ContactStatus", "system,all");
    m.add("URI", contact.uri);
    m.add("ContactStatus", std::string(status));
    m.add("AOR", contact.aor);
    m.add("EndpointName", contact.endpoint);
    m.add("RoundtripUsec", std::string(roundtrip_usec));
    return m;
}

ami::Message queue_member_event(std::string_view name, const QueueMember& member, DeviceState state,
                                bool pause_reason) {
    ami::Message m = event(name, "agent,all");
    bool ringinuse = false;
    for (const auto& h : member.headers) {
        if (h.name == "Wrapuptime" && !ringinuse) {
            m.add("Ringinuse", "0");
            ringinuse = true;
        }
        if (h.name == "Name") m.add("MemberName", h.value);
        else if (h.name == "Location") m.add("Interface", h.value);
        else if (h.name == "Status") m.add("Status", std::to_string(queue_member_status(state)));
        else m.add(h.name, h.value);
    }
    if (!ringinuse) m.add("Ringinuse", "0");
    if (pause_reason && member.paused() && !member.get("PausedReason").empty()) m.add("Reason", member.get("PausedReason"));
    return m;
}

ami::Message queue_member_status_event(const QueueMember& member, DeviceState state) {
    return queue_member_event("QueueMemberStatus", member, state);
}

void append_channel_snapshot(std::vector<ami::Header>& out, const Channel& c, std::string_view prefix) {
    auto add = [&](std::string_view name, std::string value) {
        out.push_back({std::string(prefix) + std::string(name), std::move(value)});
    };
    add("Channel", c.name);
    add("ChannelState", std::to_string(c.state));
    add("ChannelStateDesc", std::string(channel_state_text(c.state)));
    add("CallerIDNum", c.callerid.number);
    add("CallerIDName", c.callerid.name);
    add("ConnectedLineNum", c.connected.number);
    add("ConnectedLineName", c.connected.name);
    add("Language", "en");
    add("AccountCode", "");
    add("Context", c.context);
    add("Exten", c.exten);
    add("Priority", std::to_string(c.priority));
    add("Uniqueid", c.uniqueid);
    add("Linkedid", c.linkedid);
}

void append_bridge_snapshot(std::vector<ami::Header>& out, const Bridge& bridge, int channels) {
    out.push_back({"BridgeUniqueid", bridge.id});
    out.push_back({"BridgeType", bridge.type});
    out.push_back({"BridgeTechnology", bridge.technology});
    out.push_back({"BridgeCreator", bridge.creator});
    out.push_back({"BridgeName", bridge.name});
    out.push_back({"BridgeNumChannels", std::to_string(channels)});
    out.push_back({"BridgeVideoSourceMode", "none"});
}

ami::Message channel_event(std::string_view name, const Channel& channel, const std::vector<ami::Header>& extra,
                           std::string_view privilege) {
    ami::Message m = event(name, privilege);
    append_channel_snapshot(m.headers(), channel);
    for (const auto& h : extra) m.headers().push_back(h);
    return m;
}

ami::Message dial_event(std::string_view name, const Channel& caller, const Channel& callee,
                        const std::vector<ami::Header>& extra, std::string_view privilege) {
    ami::Message m = event(name, privilege);
    append_channel_snapshot(m.headers(), caller);
    append_channel_snapshot(m.headers(), callee, "Dest");
    for (const auto& h : extra) m.headers().push_back(h);
    return m;
}

ami::Message bridge_event(std::string_view name, const Bridge& bridge, int channels, const Channel* channel) {
    ami::Message m = event(name, "call,all");
    append_bridge_snapshot(m.headers(), bridge, channels);
    if (channel) append_channel_snapshot(m.headers(), *channel);
    return m;
}

ami::Message confbridge_event(std::string_view name, std::string_view conference, const Bridge& bridge, int channels,
                              const Channel* channel, const std::vector<ami::Header>& extra) {
    ami::Message m = event(name, "call,all");
    m.add("Conference", std::string(conference));
    append_bridge_snapshot(m.headers(), bridge, channels);
    if (channel) append_channel_snapshot(m.headers(), *channel);
    for (const auto& h : extra) m.headers().push_back(h);
    return m;
}

ami::Message parked_call_event(std::string_view name, const ParkedCall& parked, const Channel& parkee, double now,
                               const Channel* retriever, std::string_view privilege) {
    ami::Message m;
    m.add("Event", std::string(name));
    if (!privilege.empty()) m.add("Privilege", std::string(privilege));
    append_channel_snapshot(m.headers(), parkee, "Parkee");
    if (retriever) append_channel_snapshot(m.headers(), *retriever, "Retriever");
    const long duration = std::max(0L, static_cast<long>(std::floor(now - parked.parked_at)));
    m.add("ParkerDialString", parked.parker_dial_string);
    m.add("Parkinglot", parked.lot);
    m.add("ParkingSpace", std::to_string(parked.space));
    m.add("ParkingTimeout", std::to_string(std::max(0L, parked.timeout - duration)));
    m.add("ParkingDuration", std::to_string(duration));
    return m;
}

ami::Message registry_event(std::string_view channel_type, std::string_view username, std::string_view domain,
                            std::string_view status) {
    ami::Message m = event("Registry", "system,all");
    m.add("ChannelType", std::string(channel_type));
    m.add("Username", std::string(username));
    m.add("Domain", std::string(domain));
    m.add("Status", std::string(status));
    return m;
}

ami::Message message_waiting_event(const Mailbox& mailbox) {
    ami::Message m = event("MessageWaiting", "call,all");
    m.add("Mailbox", mailbox.id);
    m.add("Waiting", mailbox.new_messages > 0 ? "1" : "0");
    m.add("New", std::to_string(mailbox.new_messages));
    m.add("Old", std::to_string(mailbox.old_messages));
    return m;
}

ami::Message fully_booted_event(bool with_uptime, long uptime_seconds) {
    ami::Message m = event("FullyBooted", "system,all");
    if (with_uptime) {
        m.add("Uptime", std::to_string(uptime_seconds));
        m.add("LastReload", std::to_string(uptime_seconds));
    }
    m.add("Status", "Fully Booted");
    return m;
}

ami::Message shutdown_event() {
    ami::Message m = event("Shutdown", "system,all");
    m.add("Shutdown", "Cleanly");
    m.add("Restart", "True");
    return m;
}

}  // namespace amisim
