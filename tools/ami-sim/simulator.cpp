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
        case 26: return "Answered elsewhere";
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

void Simulator::report_hints(std::string_view device, Events& out) {
    for (std::size_t index : state_.hints_of_device(device)) {
        Hint& hint = state_.hints[index];
        const int status = state_.hint_status(hint);
        if (status == hint.last_status) continue;
        hint.last_status = status;
        out.push_back(extension_status_event(hint, status));
    }
}

void Simulator::report_device(std::string_view device, DeviceState state, std::string_view order, Events& out) {
    if (state_.device_state(device) == state) return;
    state_.cache_device_state(device, state);
    bool member = false;
    for (char step : order) {
        if (step == 'd') {
            out.push_back(device_state_change_event(device, state));
        } else if (step == 'q') {
            for (const auto& m : state_.queue_members)
                if (ami::iequals(m.state_interface, device)) {
                    out.push_back(queue_member_status_event(m, state));
                    member = true;
                }
        } else if (step == 'e') {
            report_hints(device, out);
        }
    }
    // app_queue republishes Queue:<name>_avail when a member's device changes.
    if (member)
        for (auto& queue : state_.queues)
            for (const auto& m : state_.queue_members)
                if (m.queue == queue.name && ami::iequals(m.state_interface, device)) {
                    update_queue_devices(queue, out);
                    break;
                }
}

void Simulator::report_provider_device(std::string_view device, std::string_view order, Events& out) {
    const DeviceState state = state_.device_state(device);
    for (char step : order) {
        if (step == 'd') out.push_back(device_state_change_event(device, state));
        else if (step == 'e') report_hints(device, out);
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
    state_.db["/registrar/contact/" + contact.id] = registrar_json(contact);
    state_.add_contact(contact);

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
        state_.remove_contact(c.id);
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
    char name[96];
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

void Simulator::remove_channel(std::string_view name) { state_.remove_channel(name); }

std::string Simulator::next_call_id() { return std::to_string(++call_counter_); }

double Simulator::clock(double now) {
    if (now > 0) clock_ = std::max(clock_, now);
    return now > 0 ? now : clock_;
}

void Simulator::hangup_events(Events& out, const Channel& channel, int cause, bool tech_cause) {
    std::vector<ami::Header> extra{{"Cause", std::to_string(cause)}, {"Cause-txt", std::string(cause_text(cause))}};
    if (tech_cause && flavor_traits().pjsip) extra.push_back({"TechCause", cause == 17 ? "486" : "404"});
    out.push_back(channel_event("Hangup", channel, extra));
}

Bridge& Simulator::create_bridge(Events& out, Bridge bridge) {
    if (bridge.id.empty()) bridge.id = bridge_uuid();
    out.push_back(bridge_event("BridgeCreate", bridge, 0));
    std::string id = bridge.id;
    return state_.bridges.insert(std::move(id), std::move(bridge));
}

void Simulator::enter_bridge(Bridge& bridge, Channel& channel, Events& out) {
    bridge.channels.push_back(channel.name);
    channel.bridge_id = bridge.id;
    out.push_back(bridge_event("BridgeEnter", bridge, bridge.num_channels(), &channel));
}

void Simulator::leave_bridge(Channel& channel, Events& out) {
    Bridge* bridge = state_.bridges.find(channel.bridge_id);
    channel.bridge_id.clear();
    if (!bridge) return;
    std::erase(bridge->channels, channel.name);
    out.push_back(bridge_event("BridgeLeave", *bridge, bridge->num_channels(), &channel));
}

void Simulator::destroy_bridge(std::string_view id, Events& out) {
    const Bridge* bridge = state_.bridges.find(id);
    if (!bridge) return;
    out.push_back(bridge_event("BridgeDestroy", *bridge, 0));
    state_.bridges.erase(id);
}

void Simulator::ring(Channel& a, const Peer& callee, std::string_view dial_string, Call& call, double now,
                     Events& out) {
    Channel b = new_channel(callee, now);
    b.exten = "s";
    b.linkedid = a.linkedid;
    b.dialed = true;
    b.application = "AppDial";
    b.application_data = "(Outgoing Line)";
    b.call_id = call.id;
    state_.add_channel(b);
    out.push_back(channel_event("Newchannel", b));
    b.connected = a.callerid;
    *state_.find_channel(b.name) = b;
    out.push_back(channel_event("NewConnectedLine", b));
    refresh_peer_device(callee.name, "edq", out);
    out.push_back(dial_event("DialBegin", a, b, {{"DialString", std::string(dial_string)}}));
    a.connected = b.callerid;
    *state_.find_channel(a.name) = a;
    out.push_back(channel_event("NewConnectedLine", a));
    b.state = 5;
    *state_.find_channel(b.name) = b;
    out.push_back(channel_event("Newstate", b));
    if (flavor_traits().dial_state) out.push_back(dial_event("DialState", a, b, {{"DialStatus", "RINGING"}}));
    call.caller = a.name;
    call.callee = b.name;
}

// `a` exists (Newchannel sent) and is about to run Dial(); an extension callee may be in DND or
// unregistered, which ends the call at once.
Outcome Simulator::dial(Channel a, const Peer& callee, std::string_view dial_string, double now) {
    Outcome result;
    Events& out = result.events;
    const std::string order = device_order();
    Call call;
    call.id = next_call_id();
    result.detail = call.id;
    a.call_id = call.id;
    *state_.find_channel(a.name) = a;
    const bool trunk = is_trunk(callee);
    const auto dnd = state_.db_get("DND", callee.name);
    const bool busy = !trunk && dnd && *dnd == "YES";  // the dialplan answers Busy() before it dials
    if (!busy && !callee.registered && flavor_traits().pjsip) {
        // No contact: PJSIP fails the Dial before the caller's device state is even published.
        a.priority = 2;
        out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", "16"}}));
        remove_channel(a.name);
        hangup_events(out, a, 3, true);
        return result;
    }
    refresh_peer_device(a.peer, order, out);
    if (busy) {
        a.state = 7;
        a.context = "sub-local-ext";
        a.exten = "BUSY";
        a.priority = 2;
        out.push_back(channel_event("Newstate", a));
        remove_channel(a.name);
        hangup_events(out, a, 17);
        refresh_peer_device(a.peer, order, out);
        return result;
    }
    if (!callee.registered) {  // chan_sip: Dial() gives CHANUNAVAIL
        a.priority = 2;
        out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", "16"}}));
        remove_channel(a.name);
        refresh_peer_device(a.peer, order, out);
        hangup_events(out, a, 20);
        return result;
    }
    if (!trunk) {
        a.context = "sub-local-ext";
        a.exten = "s";
        a.priority = 5;
    }
    ring(a, callee, dial_string, call, now, out);
    state_.calls.insert(call.id, call);
    return result;
}

Outcome Simulator::start_call(std::string_view from, std::string_view to, double now) {
    now = clock(now);
    const Peer* caller_peer = state_.find_peer(from);
    const Peer* callee_peer = state_.find_peer(to);
    if (!caller_peer) return {"unknown peer " + std::string(from), {}, {}};
    if (!callee_peer) return {"unknown peer " + std::string(to), {}, {}};
    if (!caller_peer->registered) return {std::string(from) + " is not registered", {}, {}};
    if (from == to) return {"a peer cannot call itself", {}, {}};
    Events out;

    Channel a = new_channel(*caller_peer, now);
    a.exten = std::string(to);
    a.dnid = std::string(to);
    a.application = "Dial";
    a.application_data = state_.tech + "/" + std::string(to) + ",20,tTkK";
    if (flavor_traits().newchannel_rings) a.state = 4;
    state_.add_channel(a);
    out.push_back(channel_event("Newchannel", a));
    if (a.state != 4) {
        a.state = 4;
        out.push_back(channel_event("Newstate", a));
    }
    Outcome result = dial(a, *callee_peer, to, now);
    out.insert(out.end(), std::make_move_iterator(result.events.begin()), std::make_move_iterator(result.events.end()));
    result.events = std::move(out);
    return result;
}

Outcome Simulator::start_trunk_call(std::string_view from, std::string_view number, std::string_view trunk_name,
                                    double now) {
    now = clock(now);
    const Peer* caller_peer = state_.find_peer(from);
    const Peer* trunk = state_.find_peer(trunk_name);
    if (!caller_peer) return {"unknown peer " + std::string(from), {}, {}};
    if (!trunk || !is_trunk(*trunk)) return {"unknown trunk " + std::string(trunk_name), {}, {}};
    if (!caller_peer->registered) return {std::string(from) + " is not registered", {}, {}};
    if (number.empty() || number.find_first_not_of("0123456789*#+") != std::string_view::npos)
        return {"bad number " + std::string(number), {}, {}};
    // The outbound route: Dial(SIP/trunk1/<number>) or Dial(PJSIP/<number>@trunk1).
    const std::string dial_string = flavor_traits().pjsip ? std::string(number) + "@" + trunk->name
                                                          : trunk->name + "/" + std::string(number);
    Events out;
    Channel a = new_channel(*caller_peer, now);
    a.exten = std::string(number);
    a.dnid = std::string(number);
    a.application = "Dial";
    a.application_data = state_.tech + "/" + dial_string + ",60,tT";
    if (flavor_traits().newchannel_rings) a.state = 4;
    state_.add_channel(a);
    out.push_back(channel_event("Newchannel", a));
    if (a.state != 4) {
        a.state = 4;
        out.push_back(channel_event("Newstate", a));
    }
    // The trunk leg shows the dialled number as its caller ID until the far end says otherwise.
    Peer far_end = *trunk;
    far_end.callerid = {"<unknown>", std::string(number)};
    Outcome result = dial(a, far_end, dial_string, now);
    out.insert(out.end(), std::make_move_iterator(result.events.begin()), std::make_move_iterator(result.events.end()));
    result.events = std::move(out);
    return result;
}

Outcome Simulator::incoming_call(std::string_view trunk_name, std::string_view caller_number, std::string_view to,
                                 double now) {
    now = clock(now);
    const Peer* trunk = state_.find_peer(trunk_name);
    const Peer* callee = state_.find_peer(to);
    if (!trunk || !is_trunk(*trunk)) return {"unknown trunk " + std::string(trunk_name), {}, {}};
    if (!callee || is_trunk(*callee)) return {"unknown peer " + std::string(to), {}, {}};
    if (caller_number.empty()) return {"missing caller id", {}, {}};
    Events out;
    Channel a = new_channel(*trunk, now);
    a.callerid = {std::string(caller_number), std::string(caller_number)};
    a.context = "from-trunk";
    a.exten = std::string(to);
    a.dnid = std::string(to);
    a.application = "Dial";
    a.application_data = state_.tech + "/" + std::string(to) + ",20,tTkK";
    if (flavor_traits().newchannel_rings) a.state = 4;
    state_.add_channel(a);
    out.push_back(channel_event("Newchannel", a));
    if (a.state != 4) {
        a.state = 4;
        out.push_back(channel_event("Newstate", a));
    }
    Outcome result = dial(a, *callee, to, now);
    out.insert(out.end(), std::make_move_iterator(result.events.begin()), std::make_move_iterator(result.events.end()));
    result.events = std::move(out);
    return result;
}

Outcome Simulator::answer_call(std::string_view call_id, double now) {
    now = clock(now);
    Call* call = state_.find_call(call_id);
    if (!call) return {"unknown call " + std::string(call_id), {}, {}};
    if (call->answered) return {"call " + std::string(call_id) + " is already answered", {}, {}};
    if (call->kind == CallKind::Queue) {
        // The first ringing agent picks up.
        if (call->ringing.empty()) return {"no agent rings for call " + std::string(call_id), {}, {}};
        const Channel* agent = state_.find_channel(call->ringing.front());
        if (!agent) return {"call " + std::string(call_id) + " has no channels", {}, {}};
        return queue_answer(call->queue, agent->peer, now);
    }
    if (call->kind == CallKind::Originate) return answer_originate(*call, now);
    Channel* a = state_.find_channel(call->caller);
    Channel* b = state_.find_channel(call->callee);
    if (!a || !b) return {"call " + std::string(call_id) + " has no channels", {}, {}};
    Outcome result;
    Events& out = result.events;

    b->state = 6;
    refresh_peer_device(b->peer, "edq", out);
    out.push_back(channel_event("Newstate", *b));
    b->exten.clear();
    out.push_back(dial_event("DialEnd", *a, *b, {{"DialStatus", "ANSWER"}}));
    if (a->state != 6) {  // an Originate's or a transferee's leg is already up
        a->state = 6;
        out.push_back(channel_event("Newstate", *a));
    }
    call->answered = true;
    call->answered_at = now;
    Bridge& bridge = create_bridge(out, {});
    call->bridge_id = bridge.id;
    enter_bridge(bridge, *b, out);
    enter_bridge(bridge, *a, out);
    return result;
}

Outcome Simulator::hangup_two_party(Call call, HangupSide side, int cause) {
    Outcome result;
    state_.calls.erase(call.id);
    const Channel* pa = state_.find_channel(call.caller);
    const Channel* pb = state_.find_channel(call.callee);
    if (!pa || !pb) {
        // One leg is already gone (it was also a leg of another call: an Atxfer transferer whose
        // consultation still rings). The other one hangs up alone, with its events and its device.
        if (pa) hangup_lone(*pa, cause, result.events);
        if (pb) hangup_lone(*pb, cause, result.events);
        return result;
    }
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
    end_bridged_call(call, side, cause, out);
    return result;
}

// Asterisk 20 reports the caller's Hangup first, 13 and 22 the side that hung up first; the
// caller runs the dialplan, so it is the one that gets the SoftHangupRequest.
void Simulator::end_bridged_call(const Call& call, HangupSide side, int cause, Events& out,
                                 const std::function<void(const Channel&, const Channel&, Events&)>& after_request) {
    Channel* pa = state_.find_channel(call.caller);
    Channel* pb = state_.find_channel(call.callee);
    if (!pa || !pb) return;
    const std::string order = device_order();
    Channel& first = side == HangupSide::Callee ? *pb : *pa;
    Channel& other = side == HangupSide::Callee ? *pa : *pb;
    // Only a channel that does not run the dialplan (a Dial()ed leg) reports the Cause.
    std::vector<ami::Header> request;
    if (flavor_traits().hangup_request_cause && side == HangupSide::Callee)
        request.push_back({"Cause", std::to_string(cause)});
    out.push_back(channel_event("HangupRequest", first, request));
    if (after_request) after_request(*pa, *pb, out);
    const std::string bridge_id = first.bridge_id;
    leave_bridge(first, out);
    leave_bridge(other, out);
    const Channel a = *pa, b = *pb;
    out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", std::to_string(cause)}}));
    const Channel& hung_first = flavor_traits().hangup_sender_first ? (side == HangupSide::Callee ? b : a) : a;
    const Channel& hung_last = &hung_first == &a ? b : a;
    remove_channel(hung_first.name);
    hangup_events(out, hung_first, cause);
    refresh_peer_device(hung_first.peer, order, out);
    if (!flavor_traits().hangup_sender_first) destroy_bridge(bridge_id, out);
    remove_channel(hung_last.name);
    hangup_events(out, hung_last, cause);
    refresh_peer_device(hung_last.peer, flavor_traits().hangup_sender_first ? order : std::string("edq"), out);
    if (flavor_traits().hangup_sender_first) destroy_bridge(bridge_id, out);
}

Outcome Simulator::hangup_call(std::string_view call_id, HangupSide side, int cause, double now) {
    now = clock(now);
    Call* found = state_.find_call(call_id);
    if (!found) return {"unknown call " + std::string(call_id), {}, {}};
    const Call call = *found;
    if (call.kind == CallKind::Queue) {
        if (!call.answered) return queue_abandon_call(call, now);
        return queue_complete_call(call, side, now);
    }
    if (call.kind == CallKind::Originate) {
        // Ringing: the phone rejects (busy) or the caller side gives up (no answer).
        if (!call.answered)
            return side == HangupSide::Callee ? fail_originate(call, 5, 17) : fail_originate(call, 3, 19);
        Outcome result;
        state_.calls.erase(call.id);
        if (const Channel* lone = state_.find_channel(call.caller)) hangup_lone(*lone, cause, result.events);
        return result;
    }
    if (side == HangupSide::Caller)
        if (auto completed = complete_transfer(call.caller, now)) return std::move(*completed);
    Outcome result = hangup_two_party(call, side, cause);
    forget_transfers(call.id, result.events);
    return result;
}

Outcome Simulator::hold_call(std::string_view call_id, bool hold) {
    Outcome result;
    Call* call = state_.find_call(call_id);
    if (!call) return {"unknown call " + std::string(call_id), {}, {}};
    if (!call->answered || call->callee.empty())
        return {"call " + std::string(call_id) + " is not answered", {}, {}};
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

Outcome Simulator::hangup_channel(std::string_view channel, int cause, double now) {
    now = clock(now);
    if (auto completed = complete_transfer(channel, now)) return std::move(*completed);
    if (Call* call = state_.find_call_of_channel(channel)) {
        const HangupSide side = call->caller == channel ? HangupSide::Caller : HangupSide::Callee;
        if (call->kind == CallKind::Queue && !call->answered && side == HangupSide::Callee) {
            // A ringing agent rejects: it stops ringing, the caller keeps waiting.
            Call copy = *call;
            Outcome result;
            std::erase(call->ringing, std::string(channel));
            Channel* agent = state_.find_channel(channel);
            Channel* caller = state_.find_channel(copy.caller);
            if (agent && caller) {
                const Channel b = *agent;
                result.events.push_back(dial_event("DialEnd", *caller, b, {{"DialStatus", "BUSY"}}));
                remove_channel(b.name);
                hangup_events(result.events, b, 17, true);
                refresh_peer_device(b.peer, device_order(), result.events);
            }
            return result;
        }
        return hangup_call(std::string(call->id), side, cause, now);
    }
    if (const ParkedCall* parked = state_.find_parked_channel(channel)) return park_giveup(parked->space, now);
    for (const auto& conference : state_.conferences)
        for (const auto& user : conference.users)
            if (user.channel == channel) return conf_leave(std::string(conference.name), std::string(channel), false);
    return {"No such channel", {}, {}};
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
            if (it != state_.contacts.end()) state_.remove_contact(std::string(it->first));
            return;
        }
        if (it == state_.contacts.end()) {
            Contact c;
            c.aor = std::string(event.get("AOR"));
            c.endpoint = std::string(event.get("EndpointName"));
            c.id = c.aor + ";@" + random_hex(32);
            c.uri = std::string(uri);
            const std::string id = c.id;
            state_.add_contact(std::move(c));
            it = state_.contacts.find(id);
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
