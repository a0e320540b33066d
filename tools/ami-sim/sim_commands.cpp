// The call control actions a bridge sends (Originate, Redirect, BlindTransfer, Atxfer,
// PlayDTMF, MixMonitor, SIPnotify/PJSIPNotify, Reload): state changes and the events the
// recorded PBXs sent for them (20/10, 20/11, 20/12, 22/08, 22/11, 13/08).
#include <algorithm>
#include <array>

#include "ami-sim/simulator.hpp"

namespace amisim {

namespace {

ami::Message plain_event(std::string_view name, std::string_view privilege) {
    ami::Message m;
    m.add("Event", std::string(name));
    m.add("Privilege", std::string(privilege));
    return m;
}

// OriginateResponse as manager.c builds it: Context/Exten or Application/Data, then Reason.
ami::Message originate_response(const OriginateRequest& request, bool success, std::string_view channel, int reason,
                                std::string_view uniqueid, const CallerId& callerid) {
    ami::Message m = plain_event("OriginateResponse", "call,all");
    if (!request.action_id.empty()) m.add("ActionID", request.action_id);
    m.add("Response", success ? "Success" : "Failure");
    m.add("Channel", std::string(channel));
    if (!request.application.empty()) {
        m.add("Application", request.application);
        m.add("Data", request.data);
    } else {
        m.add("Context", request.context);
        m.add("Exten", request.exten);
    }
    m.add("Reason", std::to_string(reason));
    m.add("Uniqueid", std::string(uniqueid));
    m.add("CallerIDNum", callerid.number.empty() ? "<unknown>" : callerid.number);
    m.add("CallerIDName", callerid.name.empty() ? "<unknown>" : callerid.name);
    return m;
}

CallerId requested_callerid(const OriginateRequest& request) {
    if (request.callerid.empty()) return {"<unknown>", "<unknown>"};
    CallerId id = parse_callerid(request.callerid);
    if (id.name.empty()) id.name = id.number.empty() ? "<unknown>" : id.number;
    if (id.number.empty()) id.number = "<unknown>";
    return id;
}

// The bridge snapshot with its names prefixed ("OrigBridgeUniqueid").
void append_prefixed_bridge(std::vector<ami::Header>& out, const Bridge& bridge, int channels, std::string_view prefix) {
    std::vector<ami::Header> headers;
    append_bridge_snapshot(headers, bridge, channels);
    for (auto& h : headers) out.push_back({std::string(prefix) + h.name, h.value});
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789*#+") == std::string_view::npos;
}

// The ConfBridge rooms of the three recorded dialplans (20: 800/801, 22: 801, 13: 802).
bool conference_room(SimState& state, std::string_view exten) {
    static constexpr std::array<std::string_view, 3> kRooms{"800", "801", "802"};
    return state.find_conference(exten) || std::find(kRooms.begin(), kRooms.end(), exten) != kRooms.end();
}

// The modules a Reload may name; others are "No such module" (Status 2), as 20/12 recorded.
bool known_module(std::string_view module, bool pjsip) {
    static constexpr std::array<std::string_view, 16> kCommon{
        "app_queue",    "res_parking",  "app_confbridge", "app_voicemail", "app_mixmonitor", "pbx_config",
        "res_musiconhold", "features", "manager",        "cdr",           "res_agi",         "app_dial",
        "res_stasis",   "extconfig",    "dnsmgr",         "logger"};
    std::string_view name = module;
    if (name.size() > 3 && name.substr(name.size() - 3) == ".so") name.remove_suffix(3);
    if (std::find(kCommon.begin(), kCommon.end(), name) != kCommon.end()) return true;
    if (pjsip) return name == "chan_pjsip" || name.rfind("res_pjsip", 0) == 0;
    return name == "chan_sip";
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Originate

Outcome Simulator::originate(const OriginateRequest& request, double now) {
    now = clock(now);
    Outcome result;
    const auto fail = [&](int reason) {
        result.error = "Originate failed";
        if (request.async)
            result.events.push_back(originate_response(request, false, request.channel, reason, "<unknown>",
                                                       requested_callerid(request)));
        return result;
    };
    const auto slash = request.channel.find('/');
    const std::string tech = request.channel.substr(0, slash);
    const std::string resource = slash == std::string::npos ? std::string() : request.channel.substr(slash + 1);
    // Local channels are not simulated; unknown technologies and peers fail as recorded (Reason 0).
    if (!ami::iequals(tech, state_.tech)) return fail(0);
    const Peer* peer = state_.find_peer(resource);
    // DND is the dialplan's business (calls *to* the extension get Busy()): 22/11 rang 3001 while
    // AstDB held DND/3001=YES.
    if (!peer || !peer->registered) return fail(0);

    Events& out = result.events;
    Channel a = new_channel(*peer, now);
    if (!request.channel_id.empty()) a.uniqueid = a.linkedid = request.channel_id;
    a.context = request.context.empty() ? "from-internal" : request.context;
    a.exten = "s";
    a.dialed = true;
    a.application = "AppDial2";
    a.application_data = "(Outgoing Line)";
    Call call;
    call.id = next_call_id();
    call.kind = CallKind::Originate;
    call.caller = a.name;
    call.originate = request;
    call.joined = now;
    a.call_id = call.id;
    state_.add_channel(a);
    out.push_back(channel_event("Newchannel", a));
    if (!request.callerid.empty()) {
        a.callerid = requested_callerid(request);
        // Asterisk 20 and 13 clear the exten once the caller ID is set; 22 keeps "s" (recorded).
        if (!flavor_traits().pjsip) a.exten.clear();
        out.push_back(channel_event("NewCallerid", a, {{"CID-CallingPres", "0 (Presentation Allowed, Not Screened)"}}));
        a.connected = a.callerid;
        out.push_back(channel_event("NewConnectedLine", a));
    }
    ami::Message begin = plain_event("DialBegin", "call,all");
    append_channel_snapshot(begin.headers(), a, "Dest");
    begin.add("DialString", peer->name);
    out.push_back(std::move(begin));
    a.state = 5;
    *state_.find_channel(a.name) = a;
    out.push_back(channel_event("Newstate", a));
    refresh_peer_device(a.peer, "de", out);
    if (flavor_traits().dial_state) {
        ami::Message ringing = plain_event("DialState", "call,all");
        append_channel_snapshot(ringing.headers(), a, "Dest");
        ringing.add("DialStatus", "RINGING");
        out.push_back(std::move(ringing));
    }
    state_.calls.insert(call.id, call);
    result.detail = call.id;
    return result;
}

Outcome Simulator::answer_originate(Call call, double now) {
    now = clock(now);
    Channel* pa = state_.find_channel(call.caller);
    if (!pa) return {"call " + call.id + " has no channels", {}, {}};
    Outcome result;
    Events& out = result.events;
    const OriginateRequest& request = call.originate;
    // The OriginateResponse goes out as the phone answers, before its Newstate (20/10, 22/11).
    if (request.async)
        out.push_back(originate_response(request, true, pa->name, 4, pa->uniqueid, pa->callerid));
    pa->state = 6;
    pa->dialed = false;
    out.push_back(channel_event("Newstate", *pa));
    ami::Message end = plain_event("DialEnd", "call,all");
    append_channel_snapshot(end.headers(), *pa, "Dest");
    end.add("DialStatus", "ANSWER");
    out.push_back(std::move(end));
    refresh_peer_device(pa->peer, "de", out);
    Call* stored = state_.find_call(call.id);
    stored->answered = true;
    stored->answered_at = now;
    if (!request.application.empty()) {  // ChanSpy, Wait...: the channel runs the application
        pa->application = request.application;
        pa->application_data = request.data;
        return result;
    }
    state_.calls.erase(call.id);
    pa->call_id.clear();
    pa->exten = request.exten;
    route(*pa, request.exten, request.context, now, result);
    return result;
}

// The phone rejected (Reason 5, busy) or did not answer (Reason 3) the first leg.
Outcome Simulator::fail_originate(Call call, int reason, int cause) {
    Outcome result;
    state_.calls.erase(call.id);
    const Channel* pa = state_.find_channel(call.caller);
    if (!pa) return result;
    const Channel a = *pa;
    if (call.originate.async) {
        OriginateRequest request = call.originate;
        result.events.push_back(originate_response(request, false, request.channel, reason, "<unknown>",
                                                   requested_callerid(request)));
    }
    remove_channel(a.name);
    hangup_events(result.events, a, cause);
    refresh_peer_device(a.peer, device_order(), result.events);
    return result;
}

void Simulator::route(Channel a, std::string_view exten, std::string_view context, double now, Outcome& result) {
    Events& out = result.events;
    a.context = std::string(context.empty() ? "from-internal" : context);
    a.exten = std::string(exten);
    a.priority = 1;
    a.dnid = std::string(exten);
    *state_.find_channel(a.name) = a;
    const auto merge = [&](Outcome step) {
        out.insert(out.end(), std::make_move_iterator(step.events.begin()), std::make_move_iterator(step.events.end()));
        if (!step.detail.empty()) result.detail = step.detail;
    };
    const Peer* callee = state_.find_peer(exten);
    if (callee && !is_trunk(*callee) && callee->name != a.peer) {
        a.application = "Dial";
        a.application_data = state_.tech + "/" + callee->name + ",20,tTkK";
        *state_.find_channel(a.name) = a;
        merge(dial(a, *callee, exten, now));
        return;
    }
    const int space = all_digits(exten) ? std::atoi(std::string(exten).c_str()) : 0;
    // A parking space or a ConfBridge room: the simplification is that the leg that ran the
    // dialplan hangs up and the phone's new leg takes its place (unpark / conf-join).
    if ((ami::iequals(context, "parkedcalls") || (space >= 71 && space <= 79)) && state_.find_parked_call(space)) {
        hangup_lone(a, 16, out);
        merge(unpark(space, a.peer, now));
        return;
    }
    if (conference_room(state_, exten) && !a.peer.empty()) {
        hangup_lone(a, 16, out);
        merge(conf_join(exten, a.peer, now));
        return;
    }
    const auto trunk = std::find_if(state_.peers.begin(), state_.peers.end(), [](const Peer& p) { return is_trunk(p); });
    if (all_digits(exten) && !callee && trunk != state_.peers.end()) {
        const std::string dial_string = flavor_traits().pjsip ? std::string(exten) + "@" + trunk->name
                                                              : trunk->name + "/" + std::string(exten);
        a.application = "Dial";
        a.application_data = state_.tech + "/" + dial_string + ",60,tT";
        *state_.find_channel(a.name) = a;
        Peer far_end = *trunk;
        far_end.callerid = {"<unknown>", std::string(exten)};
        merge(dial(a, far_end, dial_string, now));
        return;
    }
    hangup_lone(a, 1, out);  // no such extension: the dialplan ends the call
}

// ------------------------------------------------------------------------------------------
// Redirect and transfers

void Simulator::hangup_lone(const Channel& channel, int cause, Events& out) {
    const Channel c = channel;
    if (!c.bridge_id.empty()) {
        const std::string bridge_id = c.bridge_id;
        Channel* stored = state_.find_channel(c.name);
        leave_bridge(*stored, out);
        if (const Bridge* bridge = state_.bridges.find(bridge_id); bridge && bridge->channels.empty())
            destroy_bridge(bridge_id, out);
    }
    remove_channel(c.name);
    hangup_events(out, c, cause);
    refresh_peer_device(c.peer, device_order(), out);
}

void Simulator::dissolve_bridge(Call& call, Events& out) {
    Channel* a = state_.find_channel(call.caller);
    Channel* b = state_.find_channel(call.callee);
    const std::string bridge_id = call.bridge_id;
    if (b && !b->bridge_id.empty()) leave_bridge(*b, out);
    if (a && !a->bridge_id.empty()) leave_bridge(*a, out);
    if (!bridge_id.empty()) destroy_bridge(bridge_id, out);
    call.bridge_id.clear();
}

Outcome Simulator::redirect(std::string_view channel, std::string_view extra, std::string_view exten,
                            std::string_view context, double now) {
    now = clock(now);
    if (!state_.find_channel(channel)) return {"Channel does not exist: " + std::string(channel), {}, {}};
    if (!extra.empty() && !state_.find_channel(extra)) return {"ExtraChannel does not exist: " + std::string(extra), {}, {}};
    Call* found = state_.find_call_of_channel(channel);
    // Only channels of a two-party call or a lone originated channel are simulated.
    if (!found || found->kind == CallKind::Queue || !found->answered) return {"Redirect failed", {}, {}};
    Call call = *found;
    Outcome result;
    Events& out = result.events;
    dissolve_bridge(call, out);
    forget_transfers(call.id, out);
    state_.calls.erase(call.id);
    std::vector<std::string> moved{std::string(channel)};
    if (!extra.empty() && extra != channel) moved.emplace_back(extra);
    // The party that is not redirected is left alone and hangs up.
    for (const std::string& leg : {call.caller, call.callee})
        if (!leg.empty() && std::find(moved.begin(), moved.end(), leg) == moved.end())
            if (const Channel* other = state_.find_channel(leg)) hangup_lone(*other, 16, out);
    for (const auto& name : moved) {
        Channel* c = state_.find_channel(name);
        if (!c) continue;
        c->call_id.clear();
        c->dialed = false;
        route(*c, exten, context, now, result);
    }
    return result;
}

Outcome Simulator::blind_transfer(std::string_view channel, std::string_view exten, std::string_view context,
                                  double now) {
    now = clock(now);
    const Channel* transferer = state_.find_channel(channel);
    if (!transferer) return {"Channel specified does not exist", {}, {}};
    Call* found = state_.find_call_of_channel(channel);
    if (!found || found->kind == CallKind::Queue || !found->answered || found->bridge_id.empty() || found->callee.empty())
        return {"Transfer invalid", {}, {}};
    Call call = *found;
    const std::string transferee_name = call.caller == channel ? call.callee : call.caller;
    Channel* transferee = state_.find_channel(transferee_name);
    const Bridge* bridge = state_.bridges.find(call.bridge_id);
    if (!transferee || !bridge) return {"Transfer invalid", {}, {}};
    Outcome result;
    Events& out = result.events;
    const Channel x = *transferer;
    const Bridge before = *bridge;
    const Channel transferee_before = *transferee;  // the BlindTransfer event shows the old snapshot
    // The transferee leaves first, already pointed at the target (22/08 B).
    transferee->context = std::string(context);
    transferee->exten = std::string(exten);
    transferee->priority = 1;
    leave_bridge(*transferee, out);
    ami::Message event = plain_event("BlindTransfer", "call,all");
    event.add("Result", "Success");
    append_channel_snapshot(event.headers(), x, "Transferer");
    append_channel_snapshot(event.headers(), transferee_before, "Transferee");
    append_bridge_snapshot(event.headers(), before, before.num_channels());
    event.add("IsExternal", "Yes");
    event.add("Context", std::string(context));
    event.add("Extension", std::string(exten));
    out.push_back(std::move(event));
    leave_bridge(*state_.find_channel(x.name), out);
    destroy_bridge(call.bridge_id, out);
    forget_transfers(call.id, out);
    state_.calls.erase(call.id);
    const Channel gone = *state_.find_channel(x.name);
    out.push_back(channel_event("SoftHangupRequest", gone, {{"Cause", "16"}}));
    remove_channel(gone.name);
    hangup_events(out, gone, 16);
    refresh_peer_device(gone.peer, device_order(), out);
    Channel* moved = state_.find_channel(transferee_name);
    moved->call_id.clear();
    moved->dialed = false;
    route(*moved, exten, context, now, result);
    return result;
}

// Simplified consultation: the transferer dials the target directly (Asterisk goes through a
// Local channel pair); the transfer completes when the transferer hangs up after the target
// answered.
Outcome Simulator::attended_transfer(std::string_view channel, std::string_view exten, std::string_view context,
                                     double now) {
    now = clock(now);
    const Channel* transferer = state_.find_channel(channel);
    if (!transferer) return {"Channel specified does not exist", {}, {}};
    Outcome result;
    Events& out = result.events;
    // features.conf atxfer=*2, then the number, queued to the channel as received DTMF.
    const std::string digits = "*2" + std::string(exten);
    Call* found = state_.find_call_of_channel(channel);
    const bool bridged = found && found->kind != CallKind::Queue && found->answered && !found->bridge_id.empty() &&
                         !found->callee.empty();
    for (std::size_t i = 0; i < digits.size(); ++i) {
        out.push_back(play_dtmf(channel, digits.substr(i, 1), 0, true).events.front());
        if (i != 1 || !bridged) continue;
        // After the feature code the transferee is put on hold (22/08 A).
        const std::string other = found->caller == channel ? found->callee : found->caller;
        Channel* held = state_.find_channel(other);
        held->on_hold = true;
        out.push_back(channel_event("Hold", *transferer));
        refresh_peer_device(held->peer, "ed", out);
        out.push_back(channel_event("MusicOnHoldStart", *held, {{"Class", "default"}}));
    }
    if (!bridged) return result;  // nobody listens for the feature code: only the DTMF
    const Call original = *found;
    PendingTransfer pending;
    pending.transferer = std::string(channel);
    pending.transferee = original.caller == channel ? original.callee : original.caller;
    pending.original_call = original.id;
    Channel* x = state_.find_channel(channel);
    leave_bridge(*x, out);
    x->call_id.clear();
    route(*x, exten, context, now, result);
    if (const Call* consultation = state_.find_call_of_channel(channel)) {
        pending.consultation_call = consultation->id;
        state_.transfers.push_back(pending);
    }
    return result;
}

// The transferer of an Atxfer hangs up while talking to the target: the target takes its place
// in the original bridge (22/08 A: BridgeMerge/Local optimisation simplified to moves).
std::optional<Outcome> Simulator::complete_transfer(std::string_view hanging_channel, double now) {
    auto it = std::find_if(state_.transfers.begin(), state_.transfers.end(),
                           [&](const PendingTransfer& t) { return t.transferer == hanging_channel; });
    if (it == state_.transfers.end()) return std::nullopt;
    const PendingTransfer pending = *it;
    Call* consultation = state_.find_call(pending.consultation_call);
    Call* original = state_.find_call(pending.original_call);
    if (!consultation || !original || !consultation->answered) return std::nullopt;
    state_.transfers.erase(it);
    clock(now);
    Outcome result;
    Events& out = result.events;
    Channel* x = state_.find_channel(pending.transferer);
    Channel* target = state_.find_channel(consultation->callee);
    Channel* transferee = state_.find_channel(pending.transferee);
    Bridge* first = state_.bridges.find(original->bridge_id);
    Bridge* second = state_.bridges.find(consultation->bridge_id);
    if (!x || !target || !transferee || !first || !second) return std::nullopt;
    const Bridge first_before = *first, second_before = *second;
    out.push_back(channel_event("HangupRequest", *x, {{"Cause", "16"}}));
    const std::string second_id = second->id;
    leave_bridge(*target, out);
    enter_bridge(*state_.bridges.find(original->bridge_id), *target, out);
    leave_bridge(*x, out);
    transferee->on_hold = false;
    out.push_back(channel_event("MusicOnHoldStop", *transferee));
    ami::Message event = plain_event("AttendedTransfer", "call,all");
    event.add("Result", "Success");
    append_channel_snapshot(event.headers(), *x, "OrigTransferer");
    append_prefixed_bridge(event.headers(), first_before, first_before.num_channels() + 1, "Orig");
    append_channel_snapshot(event.headers(), *x, "SecondTransferer");
    append_prefixed_bridge(event.headers(), second_before, 0, "Second");
    append_channel_snapshot(event.headers(), *transferee, "Transferee");
    append_channel_snapshot(event.headers(), *target, "TransferTarget");
    event.add("IsExternal", "No");
    event.add("DestType", "Bridge");
    event.add("DestBridgeUniqueid", first_before.id);
    out.push_back(std::move(event));
    const Channel gone = *x;
    out.push_back(channel_event("SoftHangupRequest", gone, {{"Cause", "16"}}));
    refresh_peer_device(transferee->peer, "de", out);
    destroy_bridge(second_id, out);
    remove_channel(gone.name);
    hangup_events(out, gone, 16);
    refresh_peer_device(gone.peer, device_order(), out);
    // The original call now joins the transferee and the target.
    target->call_id = original->id;
    if (original->caller == pending.transferer) original->caller = target->name;
    else original->callee = target->name;
    state_.calls.erase(pending.consultation_call);
    return result;
}

// A call of an Atxfer ends some other way: the transfer is off; a transferee left waiting on
// hold hangs up (simplification: Asterisk would give it back to the transferer).
void Simulator::forget_transfers(std::string_view call_id, Events& out) {
    for (std::size_t i = 0; i < state_.transfers.size();) {
        const PendingTransfer t = state_.transfers[i];
        if (t.original_call != call_id && t.consultation_call != call_id) {
            ++i;
            continue;
        }
        state_.transfers.erase(state_.transfers.begin() + static_cast<std::ptrdiff_t>(i));
        if (t.consultation_call == call_id)
            if (Call* original = state_.find_call(t.original_call)) {
                const Call copy = *original;
                state_.calls.erase(copy.id);
                if (const Channel* held = state_.find_channel(t.transferee)) hangup_lone(*held, 16, out);
            }
    }
}

// ------------------------------------------------------------------------------------------
// DTMF, MixMonitor, NOTIFY, Reload

Outcome Simulator::play_dtmf(std::string_view channel, std::string_view digit, int duration_ms, bool receive) {
    const Channel* c = state_.find_channel(channel);
    if (!c) return {"Channel not found", {}, {}};
    if (digit.empty()) return {"No digit specified", {}, {}};
    Outcome result;
    // Only a digit queued as received passes through the channel's read side, which publishes
    // DTMFEnd (22/08: the Atxfer digits); one sent to the phone publishes nothing.
    if (receive)
        result.events.push_back(channel_event("DTMFEnd", *c,
                                              {{"Digit", std::string(digit.substr(0, 1))},
                                               {"DurationMs", std::to_string(duration_ms)},
                                               {"Direction", "Received"}},
                                              "dtmf,all"));
    return result;
}

Outcome Simulator::mix_monitor(std::string_view channel, std::string_view file) {
    Channel* c = state_.find_channel(channel);
    if (!c) return {"No such channel", {}, {}};
    std::string path = file.empty() ? c->uniqueid + ".wav" : std::string(file);
    if (path.front() != '/') path = "/var/spool/asterisk/monitor/" + path;
    c->recording = true;
    c->recording_muted = false;
    c->mixmonitor_id = "0x" + random_hex(12);
    std::erase_if(c->variables, [](const auto& v) { return v.first == "MIXMONITOR_FILENAME"; });
    c->variables.emplace_back("MIXMONITOR_FILENAME", path);
    Outcome result;
    result.detail = c->mixmonitor_id;
    result.events.push_back(channel_event("MixMonitorStart", *c));
    return result;
}

Outcome Simulator::stop_mix_monitor(std::string_view channel, std::string_view id) {
    Channel* c = state_.find_channel(channel);
    if (!c) return {"No such channel", {}, {}};
    if (!c->recording || (!id.empty() && id != c->mixmonitor_id)) return {"Could not stop monitoring channel", {}, {}};
    c->recording = false;
    c->mixmonitor_id.clear();
    Outcome result;
    result.events.push_back(channel_event("MixMonitorStop", *c));
    return result;
}

Outcome Simulator::mute_mix_monitor(std::string_view channel, std::string_view direction, bool mute) {
    Channel* c = state_.find_channel(channel);
    if (!c) return {"No such channel", {}, {}};
    const std::string dir = lower_ascii(direction);
    if (dir != "read" && dir != "write" && dir != "both")
        return {"Invalid direction specified. Must be read, write or both", {}, {}};
    if (!c->recording) return {"Cannot set mute flag", {}, {}};
    c->recording_muted = mute;
    Outcome result;
    result.events.push_back(channel_event("MixMonitorMute", *c, {{"Direction", dir}, {"State", mute ? "1" : "0"}}));
    return result;
}

Outcome Simulator::notify_peer(std::string_view peer_name, bool talk, double now) {
    const Peer* peer = state_.find_peer(peer_name);
    if (!peer) return {"unknown peer", {}, {}};
    Outcome result;
    if (!talk) return result;
    // The phone's first ringing leg: a Dial()ed leg or an Originate's first leg.
    for (const Call& call : state_.calls) {
        if (call.answered) continue;
        const std::string& leg = call.kind == CallKind::Originate ? call.caller : call.callee;
        const Channel* c = state_.find_channel(leg);
        if (c && c->peer == peer->name && c->state == 5) {
            const std::string id = call.id;
            return answer_call(id, now);
        }
    }
    return result;
}

Outcome Simulator::reload(std::string_view module) {
    Outcome result;
    ami::Message event = plain_event("Reload", "system,all");
    if (module.empty()) {
        // A full reload republishes every hint (twice: dialplan and then hints, as in 20/12).
        for (int round = 0; round < 2; ++round)
            for (const Hint& hint : state_.hints) result.events.push_back(extension_status_event(hint, state_.hint_status(hint)));
        event.add("Module", "All");
        event.add("Status", "0");
        result.events.push_back(std::move(event));
        return result;
    }
    const bool found = known_module(module, flavor_traits().pjsip);
    event.add("Module", std::string(module));
    event.add("Status", found ? "0" : "2");
    result.events.push_back(std::move(event));
    if (!found) result.error = "No such module";
    return result;
}

}  // namespace amisim
