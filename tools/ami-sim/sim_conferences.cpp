// app_confbridge as recorded (20: 08-confbridge-800, 22: 06-confbridge-801, 13:
// 06-confbridge-802): phones dial the room, are muted, unmuted and kicked, and hang up. The
// bridge counts one hidden announcer channel (CBAnn/<room>), which also takes two uniqueids
// when the conference starts. ConfbridgeTalking is not recorded (quiet=yes); its headers follow
// app_confbridge's confbridge_talking_cb (the ConfbridgeMute layout plus TalkingStatus).
#include <algorithm>

#include "ami-sim/simulator.hpp"

namespace amisim {

namespace {

constexpr std::string_view kNoConference = "No Conference by that name found.";
constexpr std::string_view kNoUser = "No Channel by that name found in Conference.";

std::string yes_no(bool value) { return value ? "Yes" : "No"; }

}  // namespace

// ConfbridgeJoin/ConfbridgeLeave count the announcer on 20 and 22, not on 13 (as recorded).
int Simulator::join_leave_count(const Bridge& bridge) const {
    return bridge.num_channels() - (flavor_ == Flavor::Asterisk13ChanSip ? bridge.hidden_channels : 0);
}

Outcome Simulator::conf_join(std::string_view room, std::string_view ext, double now) {
    now = clock(now);
    if (room.empty()) return {"missing conference", {}, {}};
    const Peer* peer = state_.find_peer(ext);
    if (!peer) return {"unknown peer " + std::string(ext), {}, {}};
    if (!peer->registered) return {std::string(ext) + " is not registered", {}, {}};
    if (Conference* existing = state_.find_conference(room)) {
        if (existing->locked) return {"conference " + std::string(room) + " is locked", {}, {}};
        for (const auto& user : existing->users)
            if (const Channel* c = state_.find_channel(user.channel); c && c->peer == ext)
                return {std::string(ext) + " is already in conference " + std::string(room), {}, {}};
    }
    Outcome result;
    Events& out = result.events;
    Channel c = new_channel(*peer, now);
    c.exten = std::string(room);
    c.dnid = c.exten;
    c.application = "ConfBridge";
    c.application_data = std::string(room) + ",default_bridge,default_user,default_menu";
    if (flavor_traits().newchannel_rings) c.state = 4;
    state_.add_channel(c);
    out.push_back(channel_event("Newchannel", c));
    if (c.state != 4) {
        c.state = 4;
        *state_.find_channel(c.name) = c;
        out.push_back(channel_event("Newstate", c));
    }
    refresh_peer_device(c.peer, device_order(), out);
    c.state = 6;  // Answer()
    c.priority = 2;
    *state_.find_channel(c.name) = c;
    out.push_back(channel_event("Newstate", c));

    Conference* conference = state_.find_conference(room);
    if (!conference) {
        Bridge bridge;
        bridge.type = "base";
        bridge.technology = "softmix";
        bridge.creator = "ConfBridge";
        bridge.name = std::string(room);
        Bridge& created = create_bridge(out, bridge);
        created.hidden_channels = 1;  // the announcer, CBAnn/<room>;1 and ;2
        uniqueid_counter_ += 2;
        state_.conferences.push_back({std::string(room), created.id, false, {}});
        conference = &state_.conferences.back();
        out.push_back(confbridge_event("ConfbridgeStart", room, created, created.num_channels()));
        out.push_back(device_state_change_event("confbridge:" + std::string(room), DeviceState::InUse));
    }
    Bridge* bridge = state_.bridges.find(conference->bridge_id);
    Channel* joined = state_.find_channel(c.name);
    joined->priority = 3;
    enter_bridge(*bridge, *joined, out);
    conference->users.push_back({joined->name, false, false, false, now});
    out.push_back(confbridge_event("ConfbridgeJoin", room, *bridge, join_leave_count(*bridge), joined,
                                   {{"Admin", "No"}, {"Muted", "No"}}));
    result.detail = joined->name;
    return result;
}

namespace {

// The index of a user given by extension or channel name.
std::optional<std::size_t> find_user(const SimState& state, const Conference& conference, std::string_view who) {
    for (std::size_t i = 0; i < conference.users.size(); ++i) {
        if (conference.users[i].channel == who) return i;
        if (const Channel* c = state.find_channel(conference.users[i].channel); c && c->peer == who) return i;
    }
    return std::nullopt;
}

}  // namespace

Outcome Simulator::conf_remove_user(Conference& conference, std::size_t index, bool kicked) {
    Outcome result;
    Events& out = result.events;
    const ConferenceUser user = conference.users[index];
    Channel* c = state_.find_channel(user.channel);
    Bridge* bridge = state_.bridges.find(conference.bridge_id);
    if (!c || !bridge) return {"conference " + conference.name + " lost a user", {}, {}};
    const std::string room = conference.name;
    out.push_back(confbridge_event("ConfbridgeLeave", room, *bridge, join_leave_count(*bridge), c,
                                   {{"Admin", yes_no(user.admin)}}));
    if (!kicked) out.push_back(channel_event("HangupRequest", *c));
    leave_bridge(*c, out);
    conference.users.erase(conference.users.begin() + static_cast<std::ptrdiff_t>(index));
    if (conference.users.empty()) {
        const std::string bridge_id = conference.bridge_id;
        out.push_back(confbridge_event("ConfbridgeEnd", room, *bridge, bridge->num_channels()));
        out.push_back(device_state_change_event("confbridge:" + room, DeviceState::NotInUse));
        destroy_bridge(bridge_id, out);
        out.push_back(device_state_change_event("CBAnn/" + room, DeviceState::Unknown));
        out.push_back(device_state_change_event("CBAnn/" + room, DeviceState::Unknown));
        std::erase_if(state_.conferences, [&](const Conference& other) { return other.name == room; });
    }
    if (kicked) c->priority = 4;  // ConfBridge() returns and the dialplan hangs up
    const Channel gone = *c;
    out.push_back(channel_event("SoftHangupRequest", gone, {{"Cause", "16"}}));
    remove_channel(gone.name);
    hangup_events(out, gone, 16);
    refresh_peer_device(gone.peer, device_order(), out);
    return result;
}

Outcome Simulator::conf_leave(std::string_view room, std::string_view who, bool kicked) {
    Conference* conference = state_.find_conference(room);
    if (!conference) return {std::string(kNoConference), {}, {}};
    const auto index = find_user(state_, *conference, who);
    if (!index) return {std::string(kNoUser), {}, {}};
    return conf_remove_user(*conference, *index, kicked);
}

Outcome Simulator::conf_mute(std::string_view room, std::string_view who, bool muted) {
    Conference* conference = state_.find_conference(room);
    if (!conference) return {std::string(kNoConference), {}, {}};
    const auto index = find_user(state_, *conference, who);
    if (!index) return {std::string(kNoUser), {}, {}};
    ConferenceUser& user = conference->users[*index];
    user.muted = muted;
    const Channel* c = state_.find_channel(user.channel);
    const Bridge* bridge = state_.bridges.find(conference->bridge_id);
    Outcome result;
    if (c && bridge)
        result.events.push_back(confbridge_event(muted ? "ConfbridgeMute" : "ConfbridgeUnmute", room, *bridge,
                                                 bridge->num_channels(), c, {{"Admin", yes_no(user.admin)}}));
    result.detail = user.channel;
    return result;
}

Outcome Simulator::conf_talk(std::string_view room, std::string_view who, bool talking) {
    Conference* conference = state_.find_conference(room);
    if (!conference) return {std::string(kNoConference), {}, {}};
    const auto index = find_user(state_, *conference, who);
    if (!index) return {std::string(kNoUser), {}, {}};
    ConferenceUser& user = conference->users[*index];
    user.talking = talking;
    const Channel* c = state_.find_channel(user.channel);
    const Bridge* bridge = state_.bridges.find(conference->bridge_id);
    Outcome result;
    if (c && bridge)
        result.events.push_back(confbridge_event("ConfbridgeTalking", room, *bridge, bridge->num_channels(), c,
                                                 {{"TalkingStatus", talking ? "on" : "off"},
                                                  {"Admin", yes_no(user.admin)}}));
    result.detail = user.channel;
    return result;
}

Outcome Simulator::conf_lock(std::string_view room, bool locked) {
    Conference* conference = state_.find_conference(room);
    if (!conference) return {std::string(kNoConference), {}, {}};
    conference->locked = locked;
    return {};
}

}  // namespace amisim
