// res_parking as recorded (20: 07-parking, 22/13: 05-parking): the AMI Park action on a
// bridged channel, retrieval by dialling the space, the parked caller giving up, and the
// timeout (ParkedCallTimeOut, not recorded: the same headers as ParkedCallGiveUp) after which
// comebacktoorigin=yes rings the parker again.
#include <algorithm>
#include <cmath>

#include "ami-sim/simulator.hpp"

namespace amisim {

namespace {

std::string park_device(const ParkingLot& lot, int space) {
    return "park:" + std::to_string(space) + "@" + lot.context;
}

}  // namespace

void Simulator::remove_parked(int space) {
    for (const auto& parked : state_.parked_calls)
        if (parked.space == space)
            if (const ParkingLot* lot = state_.find_parking_lot(parked.lot))
                state_.provider_states[park_device(*lot, space)] = DeviceState::NotInUse;
    std::erase_if(state_.parked_calls, [&](const ParkedCall& p) { return p.space == space; });
}

Outcome Simulator::park(const ParkRequest& request, double now) {
    now = clock(now);
    if (request.channel.empty()) return {"Channel not specified", {}, {}};
    Channel* parkee = state_.find_channel(request.channel);
    if (!parkee) return {"Channel does not exist: " + request.channel, {}, {}};
    ParkingLot* lot = state_.find_parking_lot(request.lot.empty() ? "default" : request.lot);
    if (!lot) return {"Failed to park: no parking lot " + request.lot, {}, {}};
    if (state_.find_parked_channel(parkee->name)) return {"Channel is already parked", {}, {}};
    // The simulator parks channels of answered two-party calls only.
    const Call* call = state_.find_call_of_channel(parkee->name);
    if (!call || !call->answered || call->callee.empty()) return {"Park action failed", {}, {}};
    std::string parker = state_.tech + "/" + parkee->peer;
    if (!request.timeout_channel.empty()) {
        const Channel* timeout_channel = state_.find_channel(request.timeout_channel);
        if (!timeout_channel) return {"Channel does not exist: " + request.timeout_channel, {}, {}};
        parker = state_.tech + "/" + timeout_channel->peer;
    }
    const int timeout = request.timeout_ms > 0 ? (request.timeout_ms + 999) / 1000 : lot->timeout;
    return park_channel(*parkee, parker, timeout, *lot, now);
}

Outcome Simulator::park_call(std::string_view call_id, HangupSide who, double now) {
    now = clock(now);
    const Call* call = state_.find_call(call_id);
    if (!call) return {"unknown call " + std::string(call_id), {}, {}};
    if (!call->answered || call->callee.empty()) return {"call " + std::string(call_id) + " is not answered", {}, {}};
    ParkRequest request;
    request.channel = who == HangupSide::Callee ? call->callee : call->caller;
    request.timeout_channel = who == HangupSide::Callee ? call->caller : call->callee;
    return park(request, now);
}

Outcome Simulator::park_channel(Channel& parkee_ref, std::string parker_dial_string, int timeout, ParkingLot& lot,
                                double now) {
    int space = 0;
    for (int s = lot.start; s <= lot.stop && space == 0; ++s)
        if (!state_.find_parked_call(s)) space = s;
    if (space == 0) return {"Park action failed: parking lot " + lot.name + " is full", {}, {}};
    Outcome result;
    Events& out = result.events;
    Channel* parkee = &parkee_ref;
    Call* call = state_.find_call_of_channel(parkee->name);
    // The other party of a two-party call is hung up once it is alone.
    std::string other_name;
    std::string old_bridge = parkee->bridge_id;
    if (call && call->answered) other_name = call->caller == parkee->name ? call->callee : call->caller;
    if (call) state_.calls.erase(call->id);
    parkee->call_id.clear();

    if (lot.bridge_id.empty() || !state_.bridges.find(lot.bridge_id)) {
        Bridge holding;
        holding.type = "parking";
        holding.technology = "holding_bridge";
        holding.creator = "Parking";
        holding.name = lot.name;
        lot.bridge_id = create_bridge(out, holding).id;
    }
    if (!parkee->bridge_id.empty()) leave_bridge(*parkee, out);
    ParkedCall parked;
    parked.space = space;
    parked.lot = lot.name;
    parked.channel = parkee->name;
    parked.parker_dial_string = std::move(parker_dial_string);
    parked.timeout = timeout;
    parked.parked_at = now;
    state_.parked_calls.push_back(parked);
    out.push_back(parked_call_event("ParkedCall", parked, *parkee, now));
    enter_bridge(*state_.bridges.find(lot.bridge_id), *parkee, out);
    parkee->application = "Park";
    parkee->application_data = lot.name;
    out.push_back(channel_event("MusicOnHoldStart", *parkee, {{"Class", "default"}}));
    report_provider_device(park_device(lot, space), "ed", out);
    if (Channel* other = state_.find_channel(other_name)) {
        leave_bridge(*other, out);
        destroy_bridge(old_bridge, out);
        const Channel gone = *other;
        out.push_back(channel_event("SoftHangupRequest", gone, {{"Cause", "16"}}));
        remove_channel(gone.name);
        hangup_events(out, gone, 16);
        refresh_peer_device(gone.peer, device_order(), out);
    } else if (!old_bridge.empty()) {
        if (const Bridge* bridge = state_.bridges.find(old_bridge); bridge && bridge->channels.empty())
            destroy_bridge(old_bridge, out);
    }
    result.detail = std::to_string(space);
    return result;
}

Outcome Simulator::unpark(int space, std::string_view by, double now) {
    now = clock(now);
    ParkedCall* found = state_.find_parked_call(space);
    if (!found) return {"no call is parked in " + std::to_string(space), {}, {}};
    const Peer* peer = state_.find_peer(by);
    if (!peer) return {"unknown peer " + std::string(by), {}, {}};
    if (!peer->registered) return {std::string(by) + " is not registered", {}, {}};
    const ParkedCall parked = *found;
    ParkingLot* lot = state_.find_parking_lot(parked.lot);
    Channel* parkee = state_.find_channel(parked.channel);
    if (!lot || !parkee) return {"the parked call is gone", {}, {}};
    Outcome result;
    Events& out = result.events;

    Call call;
    call.id = next_call_id();
    call.kind = CallKind::Unpark;
    Channel r = new_channel(*peer, now);
    r.exten = std::to_string(space);
    r.dnid = r.exten;
    r.application = "ParkedCall";
    r.application_data = lot->name + "," + r.exten;
    r.call_id = call.id;
    if (flavor_traits().newchannel_rings) r.state = 4;
    state_.add_channel(r);
    out.push_back(channel_event("Newchannel", r));
    refresh_peer_device(r.peer, device_order(), out);
    if (r.state != 4) {
        r.state = 4;
        *state_.find_channel(r.name) = r;
        out.push_back(channel_event("Newstate", r));
    }
    r.state = 6;
    *state_.find_channel(r.name) = r;
    out.push_back(channel_event("Newstate", r));
    Bridge& bridge = create_bridge(out, {});
    const std::string bridge_id = bridge.id;
    out.push_back(channel_event("MusicOnHoldStop", *parkee));
    out.push_back(parked_call_event("UnParkedCall", parked, *parkee, now, state_.find_channel(r.name)));
    remove_parked(space);
    report_provider_device(park_device(*lot, space), "ed", out);
    leave_bridge(*parkee, out);
    enter_bridge(*state_.bridges.find(bridge_id), *parkee, out);
    Channel* retriever = state_.find_channel(r.name);
    retriever->linkedid = parkee->linkedid;  // a bridge takes the oldest linkedid of its channels
    enter_bridge(*state_.bridges.find(bridge_id), *retriever, out);
    retriever->connected = parkee->callerid;
    out.push_back(channel_event("NewConnectedLine", *retriever));
    parkee->connected = retriever->callerid;
    parkee->call_id = call.id;
    parkee->application = "AppDial";
    parkee->application_data = "(Outgoing Line)";
    out.push_back(channel_event("NewConnectedLine", *parkee));

    call.caller = r.name;
    call.callee = parkee->name;
    call.bridge_id = bridge_id;
    call.answered = true;
    call.answered_at = now;
    state_.calls.insert(call.id, call);
    result.detail = call.id;
    return result;
}

Outcome Simulator::park_giveup(int space, double now) {
    now = clock(now);
    ParkedCall* found = state_.find_parked_call(space);
    if (!found) return {"no call is parked in " + std::to_string(space), {}, {}};
    const ParkedCall parked = *found;
    ParkingLot* lot = state_.find_parking_lot(parked.lot);
    Channel* parkee = state_.find_channel(parked.channel);
    if (!lot || !parkee) return {"the parked call is gone", {}, {}};
    Outcome result;
    Events& out = result.events;
    std::vector<ami::Header> request;
    if (flavor_traits().hangup_request_cause) request.push_back({"Cause", "16"});
    out.push_back(channel_event("HangupRequest", *parkee, request));
    out.push_back(channel_event("MusicOnHoldStop", *parkee));
    out.push_back(parked_call_event("ParkedCallGiveUp", parked, *parkee, now));
    remove_parked(space);
    report_provider_device(park_device(*lot, space), "ed", out);
    leave_bridge(*parkee, out);
    const Channel gone = *parkee;
    remove_channel(gone.name);
    hangup_events(out, gone, 16);
    refresh_peer_device(gone.peer, device_order(), out);
    return result;
}

Outcome Simulator::park_timeout(int space, double now) {
    now = clock(now);
    ParkedCall* found = state_.find_parked_call(space);
    if (!found) return {"no call is parked in " + std::to_string(space), {}, {}};
    const ParkedCall parked = *found;
    ParkingLot* lot = state_.find_parking_lot(parked.lot);
    Channel* parkee = state_.find_channel(parked.channel);
    if (!lot || !parkee) return {"the parked call is gone", {}, {}};
    Outcome result;
    Events& out = result.events;
    out.push_back(parked_call_event("ParkedCallTimeOut", parked, *parkee, now));
    remove_parked(space);
    report_provider_device(park_device(*lot, space), "ed", out);
    out.push_back(channel_event("MusicOnHoldStop", *parkee));
    leave_bridge(*parkee, out);

    // comebacktoorigin=yes: park-dial,<parker device with / as _>,1 -> Dial(<parker>).
    const std::string prefix = state_.tech + "/";
    const std::string parker = parked.parker_dial_string.rfind(prefix, 0) == 0
                                   ? parked.parker_dial_string.substr(prefix.size())
                                   : std::string();
    const Peer* back = state_.find_peer(parker);
    if (!back || !back->registered || back->name == parkee->peer || !state_.channels_of_peer(back->name).empty()) {
        const Channel gone = *parkee;
        out.push_back(channel_event("SoftHangupRequest", gone, {{"Cause", "16"}}));
        remove_channel(gone.name);
        hangup_events(out, gone, 16);
        refresh_peer_device(gone.peer, device_order(), out);
        return result;
    }
    Channel a = *parkee;
    a.context = "park-dial";
    a.exten = parked.parker_dial_string;
    std::replace(a.exten.begin(), a.exten.end(), '/', '_');
    a.priority = 1;
    a.dialed = false;
    a.application = "Dial";
    a.application_data = parked.parker_dial_string + ",20";
    Call call;
    call.id = next_call_id();
    a.call_id = call.id;
    *parkee = a;
    ring(a, *back, back->name, call, now, out);
    state_.calls.insert(call.id, call);
    result.detail = call.id;
    return result;
}

}  // namespace amisim
