#include "ami-sim/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace amisim {

namespace {

std::string_view cause_text(int cause) {
    switch (cause) {
        case 0: return "Unknown";
        case 1: return "Unallocated (unassigned) number";
        case 3: return "No route to destination";
        case 16: return "Normal Clearing";
        case 17: return "User busy";
        case 18: return "No user responding";
        case 19: return "User alerting, no answer";
        case 20: return "Subscriber absent";
        case 21: return "Call Rejected";
        case 27: return "Destination out of order";
        case 34: return "No circuit/channel available";
        case 127: return "Interworking, unspecified";
    }
    return "Unknown";
}

std::string registrar_json(const Contact& c) {
    return "{\"via_addr\":\"" + c.via_addr +
           "\",\"qualify_timeout\":\"3.000000\",\"qualify_2xx_only\":\"false\",\"call_id\":\"" + c.call_id +
           "\",\"reg_server\":\"\",\"prune_on_boot\":\"no\",\"path\":\"\",\"endpoint\":\"" + c.endpoint +
           "\",\"via_port\":\"" + std::to_string(c.via_port) + "\",\"authenticate_qualify\":\"no\",\"uri\":\"" +
           c.uri + "\",\"qualify_frequency\":\"" + c.qualify_frequency + "\",\"user_agent\":\"" + c.user_agent +
           "\",\"expiration_time\":\"" + c.expiration_time + "\",\"outbound_proxy\":\"\"}";
}

constexpr std::string_view kDefaultUserAgent = "baresip v1.0.0 (x86_64/linux)";

}  // namespace

Simulator::Simulator(Flavor flavor, SimState state, std::uint32_t seed, double boot_time)
    : flavor_(flavor), state_(std::move(state)), rng_(seed), boot_time_(boot_time) {}

std::string Simulator::random_digits(std::size_t count) {
    std::uniform_int_distribution<int> digit(0, 9);
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += static_cast<char>('0' + digit(rng_));
    if (count > 1 && out[0] == '0') out[0] = '1';
    return out;
}

std::string Simulator::random_hex(std::size_t count) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::uniform_int_distribution<int> nibble(0, 15);
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out += kHex[nibble(rng_)];
    return out;
}

std::string Simulator::bridge_uuid() {
    return random_hex(8) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(12);
}

std::string Simulator::device_order() const {
    // Asterisk 20 sent QueueMemberStatus before DeviceStateChange; 13 and 22 after it.
    return flavor_ == Flavor::Asterisk20ChanSip ? "qde" : "dqe";
}

void Simulator::report_device(std::string_view device, DeviceState state, std::string_view order, Events& out) {
    if (state_.device_state(device) == state) return;
    state_.cache_device_state(device, state);
    for (char step : order) {
        if (step == 'd') {
            out.push_back(device_state_change_event(device, state));
        } else if (step == 'q') {
            for (const auto& member : state_.queue_members)
                if (ami::iequals(member.state_interface, device)) out.push_back(queue_member_status_event(member, state));
        } else if (step == 'e') {
            for (auto& hint : state_.hints) {
                if (!hint_has_device(hint.hint, device)) continue;
                const int status = state_.hint_status(hint);
                if (status == hint.last_status) continue;
                hint.last_status = status;
                out.push_back(extension_status_event(hint, status));
            }
        }
    }
}

void Simulator::refresh_peer_device(std::string_view peer_name, std::string_view order, Events& out) {
    const Peer* peer = state_.find_peer(peer_name);
    if (!peer) return;
    report_device(state_.device_of(*peer), state_.natural_device_state(*peer), order, out);
}

Outcome Simulator::register_peer(std::string_view name, const RegisterOptions& options, double now) {
    Outcome result;
    Peer* peer = state_.find_peer(name);
    if (!peer) return {"unknown peer " + std::string(name), {}, {}};
    if (peer->registered) return {std::string(name) + " is already registered", {}, {}};
    for (const auto& h : peer->peer_entry)
        if (h.name == "Dynamic" && h.value == "no") return {std::string(name) + " is not a dynamic peer", {}, {}};

    peer->ip = !options.ip.empty() ? options.ip : (!peer->ip.empty() ? peer->ip : "127.0.0.1");
    peer->port = options.port != 0 ? options.port : (peer->port != 0 ? peer->port : 5060);
    const std::string address = peer->ip + ":" + std::to_string(peer->port);
    peer->useragent = !options.user_agent.empty() ? options.user_agent : std::string(kDefaultUserAgent);
    const std::string uri = !options.contact_uri.empty()
                                ? options.contact_uri
                                : "sip:" + peer->name + "-0x" + random_hex(12) + "@" + address;
    peer->registered = true;
    Events& out = result.events;

    if (!flavor_traits().pjsip) {
        peer->reg_contact = uri;
        if (peer->default_username.empty()) peer->default_username = uri.substr(4, uri.find('@') - 4);
        peer->reg_expire = "600 seconds";
        if (peer->status == "UNKNOWN" || peer->status.empty()) peer->status = "OK (1 ms)";
        const DeviceState natural = state_.natural_device_state(*peer);
        if (flavor_ == Flavor::Asterisk13ChanSip) {
            out.push_back(peer_status_event("SIP", peer->name, "Registered", address));
            report_device(state_.device_of(*peer), natural, "dqe", out);
        } else {
            report_device(state_.device_of(*peer), natural, "qde", out);
            out.push_back(peer_status_event("SIP", peer->name, "Registered", address));
        }
        return result;
    }

    Contact contact;
    contact.aor = peer->aors.empty() ? peer->name : peer->aors.front();
    contact.id = !options.contact_id.empty() ? options.contact_id : contact.aor + ";@" + random_hex(32);
    contact.endpoint = peer->name;
    contact.uri = uri;
    contact.via_addr = peer->ip;
    contact.via_port = peer->port;
    contact.call_id = !options.call_id.empty() ? options.call_id : random_hex(16);
    contact.user_agent = peer->useragent;
    contact.expiration_time = std::to_string(static_cast<long long>(std::floor(now)) + 600);
    contact.status = "Reachable";
    std::uniform_int_distribution<int> rtt(900, 3500);
    contact.roundtrip_usec = !options.roundtrip_usec.empty() ? options.roundtrip_usec : std::to_string(rtt(rng_));
    state_.contacts[contact.id] = contact;
    state_.db["/registrar/contact/" + contact.id] = registrar_json(contact);

    out.push_back(contact_status_event(contact, "NonQualified", "0"));
    out.push_back(peer_status_event("PJSIP", peer->name, "Reachable"));
    out.push_back(contact_status_event(contact, "Reachable", contact.roundtrip_usec));
    report_device(state_.device_of(*peer), state_.natural_device_state(*peer), "edq", out);
    return result;
}

Outcome Simulator::unregister_peer(std::string_view name) {
    Outcome result;
    Peer* peer = state_.find_peer(name);
    if (!peer) return {"unknown peer " + std::string(name), {}, {}};
    if (!peer->registered) return {std::string(name) + " is not registered", {}, {}};
    peer->registered = false;
    Events& out = result.events;

    if (!flavor_traits().pjsip) {
        peer->reg_expire = "-1 seconds";
        peer->last_msgs_sent = "-1";
        out.push_back(peer_status_event("SIP", peer->name, "Unregistered", {}, "Expired"));
        report_device(state_.device_of(*peer), state_.natural_device_state(*peer), device_order(), out);
        return result;
    }

    std::vector<Contact> removed;
    for (const auto& aor : peer->aors)
        for (const Contact* c : state_.contacts_of_aor(aor)) removed.push_back(*c);
    for (const auto& c : removed) {
        state_.contacts.erase(c.id);
        state_.db.erase("/registrar/contact/" + c.id);
    }
    out.push_back(peer_status_event("PJSIP", peer->name, "Unreachable"));
    for (const auto& c : removed) out.push_back(contact_status_event(c, "Removed", "0"));
    report_device(state_.device_of(*peer), state_.natural_device_state(*peer), "dqe", out);
    return result;
}

Outcome Simulator::set_device_state(std::string_view device, std::string_view state_name) {
    Outcome result;
    const auto state = parse_device_state(state_name);
    if (!state) return {"unknown device state " + std::string(state_name), {}, {}};
    if (device.empty() || device.find_first_of(" \r\n") != std::string_view::npos)
        return {"invalid device name", {}, {}};
    if (device.size() > 7 && ami::iequals(device.substr(0, 7), "Custom:"))
        state_.db_put("CustomDevstate", device.substr(7), device_state_name(*state));
    report_device(device, *state, "eqd", result.events);
    return result;
}

Outcome Simulator::set_dnd(std::string_view extension, bool on) {
    if (extension.empty()) return {"missing extension", {}, {}};
    if (on) state_.db_put("DND", extension, "YES");
    else state_.db_del("DND", extension);
    return set_device_state("Custom:DND" + std::string(extension), on ? "BUSY" : "NOT_INUSE");
}

Channel Simulator::new_channel(const Peer& peer, double now) {
    char name[64];
    std::snprintf(name, sizeof name, "%s/%s-%08x", state_.tech.c_str(), peer.name.c_str(), channel_counter_++);
    Channel c;
    c.name = name;
    c.peer = peer.name;
    c.callerid = peer.callerid;
    c.context = "from-internal";
    c.uniqueid = std::to_string(static_cast<long long>(std::floor(now))) + "." + std::to_string(uniqueid_counter_++);
    c.linkedid = c.uniqueid;
    c.created = now;
    return c;
}

void Simulator::remove_channel(std::string_view name) {
    std::erase_if(state_.channels, [&](const Channel& c) { return c.name == name; });
}

void Simulator::hangup_events(Events& out, const Channel& channel, int cause, bool tech_cause) {
    std::vector<ami::Header> extra{{"Cause", std::to_string(cause)}, {"Cause-txt", std::string(cause_text(cause))}};
    if (tech_cause && flavor_traits().pjsip) extra.push_back({"TechCause", cause == 17 ? "486" : "404"});
    out.push_back(channel_event("Hangup", channel, extra));
}

Outcome Simulator::start_call(std::string_view from, std::string_view to, double now) {
    Outcome result;
    const Peer* caller_peer = state_.find_peer(from);
    const Peer* callee_peer = state_.find_peer(to);
    if (!caller_peer) return {"unknown peer " + std::string(from), {}, {}};
    if (!callee_peer) return {"unknown peer " + std::string(to), {}, {}};
    if (!caller_peer->registered) return {std::string(from) + " is not registered", {}, {}};
    if (from == to) return {"a peer cannot call itself", {}, {}};
    Events& out = result.events;
    const std::string order = device_order();

    Channel a = new_channel(*caller_peer, now);
    a.exten = std::string(to);
    a.dnid = std::string(to);
    a.application = "Dial";
    a.application_data = state_.tech + "/" + std::string(to) + ",20,tTkK";
    if (flavor_traits().newchannel_rings) a.state = 4;
    state_.channels.push_back(a);
    out.push_back(channel_event("Newchannel", a));
    if (a.state != 4) {
        state_.find_channel(a.name)->state = a.state = 4;
        out.push_back(channel_event("Newstate", a));
    }
    result.detail = std::to_string(++call_counter_);
    const auto dnd = state_.db_get("DND", to);
    const bool busy = dnd && *dnd == "YES";  // the dialplan answers Busy() before it dials
    if (!busy && !callee_peer->registered && flavor_traits().pjsip) {
        // No contact: PJSIP fails the Dial before the caller's device state is even published.
        a.priority = 2;
        out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", "16"}}));
        remove_channel(a.name);
        hangup_events(out, a, 3, true);
        return result;
    }
    refresh_peer_device(from, order, out);
    if (busy) {
        a.state = 7;
        a.context = "sub-local-ext";
        a.exten = "BUSY";
        a.priority = 2;
        out.push_back(channel_event("Newstate", a));
        remove_channel(a.name);
        hangup_events(out, a, 17);
        refresh_peer_device(from, order, out);
        return result;
    }
    if (!callee_peer->registered) {  // chan_sip: Dial() gives CHANUNAVAIL
        a.priority = 2;
        out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", "16"}}));
        remove_channel(a.name);
        refresh_peer_device(from, order, out);
        hangup_events(out, a, 20);
        return result;
    }

    Channel b = new_channel(*callee_peer, now);
    b.exten = "s";
    b.linkedid = a.linkedid;
    b.dialed = true;
    b.application = "AppDial";
    b.application_data = "(Outgoing Line)";
    state_.channels.push_back(b);
    out.push_back(channel_event("Newchannel", b));
    b.connected = a.callerid;
    *state_.find_channel(b.name) = b;
    out.push_back(channel_event("NewConnectedLine", b));
    refresh_peer_device(to, "edq", out);
    a.context = "sub-local-ext";
    a.exten = "s";
    a.priority = 5;
    out.push_back(dial_event("DialBegin", a, b, {{"DialString", std::string(to)}}));
    a.connected = b.callerid;
    *state_.find_channel(a.name) = a;
    out.push_back(channel_event("NewConnectedLine", a));
    b.state = 5;
    *state_.find_channel(b.name) = b;
    out.push_back(channel_event("Newstate", b));
    if (flavor_traits().dial_state) out.push_back(dial_event("DialState", a, b, {{"DialStatus", "RINGING"}}));

    state_.calls.push_back({result.detail, a.name, b.name, {}, false});
    return result;
}

Outcome Simulator::answer_call(std::string_view call_id) {
    Outcome result;
    Call* call = state_.find_call(call_id);
    if (!call) return {"unknown call " + std::string(call_id), {}, {}};
    if (call->answered) return {"call " + std::string(call_id) + " is already answered", {}, {}};
    Channel* a = state_.find_channel(call->caller);
    Channel* b = state_.find_channel(call->callee);
    if (!a || !b) return {"call " + std::string(call_id) + " has no channels", {}, {}};
    Events& out = result.events;

    b->state = 6;
    refresh_peer_device(b->peer, "edq", out);
    out.push_back(channel_event("Newstate", *b));
    b->exten.clear();
    out.push_back(dial_event("DialEnd", *a, *b, {{"DialStatus", "ANSWER"}}));
    a->state = 6;
    out.push_back(channel_event("Newstate", *a));
    call->bridge_id = bridge_uuid();
    call->answered = true;
    out.push_back(bridge_event("BridgeCreate", call->bridge_id, 0));
    b->bridge_id = call->bridge_id;
    out.push_back(bridge_event("BridgeEnter", call->bridge_id, 1, b));
    a->bridge_id = call->bridge_id;
    out.push_back(bridge_event("BridgeEnter", call->bridge_id, 2, a));
    return result;
}

Outcome Simulator::hangup_call(std::string_view call_id, HangupSide side, int cause) {
    Outcome result;
    Call* found = state_.find_call(call_id);
    if (!found) return {"unknown call " + std::string(call_id), {}, {}};
    const Call call = *found;
    std::erase_if(state_.calls, [&](const Call& c) { return c.id == call.id; });
    const Channel* pa = state_.find_channel(call.caller);
    const Channel* pb = state_.find_channel(call.callee);
    if (!pa || !pb) return result;
    Channel a = *pa, b = *pb;
    Events& out = result.events;
    const std::string order = device_order();

    if (!call.answered && side == HangupSide::Callee && flavor_traits().pjsip) {  // 486 Busy Here
        const std::vector<ami::Header> busy{{"Cause", "17"}, {"TechCause", "486"}};
        out.push_back(channel_event("HangupRequest", b, busy));
        out.push_back(dial_event("DialEnd", a, b, {{"DialStatus", "BUSY"}}));
        a.state = 7;
        a.exten = "BUSY";
        a.priority = 2;
        *state_.find_channel(a.name) = a;
        out.push_back(channel_event("Newstate", a));
        refresh_peer_device(a.peer, order, out);  // a PJSIP channel in state Busy: device BUSY
        out.push_back(channel_event("HangupRequest", a, busy));
        remove_channel(b.name);
        hangup_events(out, b, 17, true);
        refresh_peer_device(b.peer, order, out);
        out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", "16"}, {"TechCause", "486"}}));
        remove_channel(a.name);
        hangup_events(out, a, 17, true);
        refresh_peer_device(a.peer, "edq", out);
        return result;
    }
    if (!call.answered && side == HangupSide::Callee) {  // rejected while ringing: the caller hears Busy
        out.push_back(dial_event("DialEnd", a, b, {{"DialStatus", "BUSY"}}));
        remove_channel(b.name);
        hangup_events(out, b, 17, true);
        refresh_peer_device(b.peer, order, out);
        a.state = 7;
        a.exten = "BUSY";
        a.priority = 2;
        out.push_back(channel_event("Newstate", a));
        out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", "16"}}));
        remove_channel(a.name);
        hangup_events(out, a, 17, true);
        refresh_peer_device(a.peer, "edq", out);
        return result;
    }
    if (!call.answered) {  // the caller gives up while it rings
        out.push_back(dial_event("DialEnd", a, b, {{"DialStatus", "CANCEL"}}));
        remove_channel(b.name);
        hangup_events(out, b, cause);
        refresh_peer_device(b.peer, order, out);
        remove_channel(a.name);
        hangup_events(out, a, cause);
        refresh_peer_device(a.peer, order, out);
        return result;
    }

    const Channel& first = side == HangupSide::Callee ? b : a;
    const Channel& other = side == HangupSide::Callee ? a : b;
    std::vector<ami::Header> request;
    if (flavor_traits().hangup_request_cause) request.push_back({"Cause", std::to_string(cause)});
    out.push_back(channel_event("HangupRequest", first, request));
    out.push_back(bridge_event("BridgeLeave", call.bridge_id, 1, &first));
    out.push_back(bridge_event("BridgeLeave", call.bridge_id, 0, &other));
    out.push_back(channel_event("SoftHangupRequest", other, {{"Cause", std::to_string(cause)}}));
    if (flavor_traits().hangup_sender_first) {  // Asterisk 13 and 22
        remove_channel(first.name);
        hangup_events(out, first, cause);
        refresh_peer_device(first.peer, order, out);
        remove_channel(other.name);
        hangup_events(out, other, cause);
        refresh_peer_device(other.peer, order, out);
        out.push_back(bridge_event("BridgeDestroy", call.bridge_id, 0));
        return result;
    }
    remove_channel(other.name);
    hangup_events(out, other, cause);
    refresh_peer_device(other.peer, order, out);
    out.push_back(bridge_event("BridgeDestroy", call.bridge_id, 0));
    remove_channel(first.name);
    hangup_events(out, first, cause);
    refresh_peer_device(first.peer, "edq", out);
    return result;
}

Outcome Simulator::hold_call(std::string_view call_id, bool hold) {
    Outcome result;
    Call* call = state_.find_call(call_id);
    if (!call) return {"unknown call " + std::string(call_id), {}, {}};
    if (!call->answered) return {"call " + std::string(call_id) + " is not answered", {}, {}};
    Channel* a = state_.find_channel(call->caller);
    Channel* b = state_.find_channel(call->callee);
    if (!a || !b) return {"call " + std::string(call_id) + " has no channels", {}, {}};
    // chan_sip shows the holding phone's device ONHOLD, PJSIP the held one's (as recorded).
    Channel* held = flavor_traits().pjsip ? b : a;
    if (held->on_hold == hold) return {hold ? "call is already on hold" : "call is not on hold", {}, {}};
    held->on_hold = hold;
    Events& out = result.events;
    std::vector<ami::Header> extra;
    if (hold && flavor_traits().hold_music_class) extra.push_back({"MusicClass", "default"});
    out.push_back(channel_event(hold ? "Hold" : "Unhold", *a, extra));
    refresh_peer_device(held->peer, "deq", out);
    if (hold) out.push_back(channel_event("MusicOnHoldStart", *b, {{"Class", "default"}}));
    else out.push_back(channel_event("MusicOnHoldStop", *b));
    return result;
}

Outcome Simulator::hangup_channel(std::string_view channel, int cause) {
    Call* call = state_.find_call_of_channel(channel);
    if (!call) return {"No such channel", {}, {}};
    const HangupSide side = call->callee == channel ? HangupSide::Callee : HangupSide::Caller;
    return hangup_call(std::string(call->id), side, cause);
}

void Simulator::apply_recorded_event(const ami::Message& event) {
    const std::string_view name = event.event();
    if (ami::iequals(name, "DeviceStateChange")) {
        if (auto s = parse_device_state(event.get("State"))) state_.cache_device_state(event.get("Device"), *s);
    } else if (ami::iequals(name, "PeerStatus")) {
        const std::string_view peer_name = event.get("Peer");
        Peer* peer = state_.find_peer(peer_name.substr(peer_name.find('/') + 1));
        if (!peer) return;
        const std::string_view status = event.get("PeerStatus");
        if (status == "Registered" || status == "Reachable") {
            peer->registered = true;
            const std::string_view address = event.get("Address");
            if (const auto colon = address.rfind(':'); colon != std::string_view::npos) {
                peer->ip = std::string(address.substr(0, colon));
                peer->port = std::atoi(std::string(address.substr(colon + 1)).c_str());
            }
        } else if (status == "Unregistered" || status == "Unreachable") {
            peer->registered = false;
        }
    } else if (ami::iequals(name, "ContactStatus")) {
        const std::string_view uri = event.get("URI");
        const std::string_view status = event.get("ContactStatus");
        auto it = std::find_if(state_.contacts.begin(), state_.contacts.end(),
                               [&](const auto& entry) { return entry.second.uri == uri; });
        if (status == "Removed") {
            if (it != state_.contacts.end()) state_.contacts.erase(it);
            return;
        }
        if (it == state_.contacts.end()) {
            Contact c;
            c.aor = std::string(event.get("AOR"));
            c.endpoint = std::string(event.get("EndpointName"));
            c.id = c.aor + ";@" + random_hex(32);
            c.uri = std::string(uri);
            it = state_.contacts.emplace(c.id, c).first;
        }
        it->second.status = std::string(status);
        it->second.roundtrip_usec = std::string(event.get("RoundtripUsec"));
    } else if (ami::iequals(name, "ExtensionStatus")) {
        for (auto& hint : state_.hints)
            if (hint.exten == event.get("Exten") && hint.context == event.get("Context"))
                hint.last_status = std::atoi(std::string(event.get("Status")).c_str());
    }
}

}  // namespace amisim
