// app_queue as recorded (20: 06-queue-401, 22: 04-queue-402, 13: 04-queue-403): member
// changes through QueueAdd/QueueRemove/QueuePause/QueuePenalty, callers that join, are
// answered, complete or abandon, and the Queue:<name>, Queue:<name>_avail and
// Queue:<name>_pause_<interface> devices.
//
// Simplification: a member whose interface is a Local channel (Local/2002@from-queue/n) is rung
// on its StateInterface device directly, without the Local channel pair Asterisk creates.
#include <algorithm>
#include <cmath>

#include "ami-sim/simulator.hpp"

namespace amisim {

namespace {

std::string seconds(double from, double to) {
    return std::to_string(std::max(0L, static_cast<long>(std::floor(to) - std::floor(from))));
}

std::string whole(double now) { return std::to_string(static_cast<long long>(std::floor(now))); }

// app_queue's exponential average: the first value as it is, then (3 * old + new) / 4.
int average(int old_value, int sample, bool first) { return first ? sample : (old_value * 3 + sample) / 4; }

}  // namespace

bool Simulator::member_available(const QueueMember& member) const {
    if (member.paused()) return false;
    const DeviceState s = state_.device_state(member.state_interface);
    return s == DeviceState::NotInUse || s == DeviceState::Unknown;
}

void Simulator::update_queue_devices(Queue& queue, Events& out) {
    bool available = false;
    for (const auto& m : state_.queue_members)
        if (m.queue == queue.name && member_available(m)) available = true;
    report_device("Queue:" + queue.name + "_avail", available ? DeviceState::NotInUse : DeviceState::InUse, "ed", out);
}

Outcome Simulator::queue_add(const QueueAddRequest& request, double now) {
    now = clock(now);
    if (request.queue.empty() || request.interface.empty()) return {"'Queue' and 'Interface' must be specified.", {}, {}};
    Queue* queue = state_.find_queue(request.queue);
    if (!queue) return {"Unable to add interface to queue: No such queue", {}, {}};
    if (state_.find_queue_member(request.queue, request.interface)) return {"Unable to add interface: Already there", {}, {}};

    QueueMember member;
    member.queue = queue->name;
    member.state_interface = request.state_interface.empty() ? request.interface : request.state_interface;
    // The header set of this flavor's members (Asterisk 13 has no LastPause/LoginTime/Wrapuptime).
    if (!state_.queue_members.empty()) {
        member.headers = state_.queue_members.front().headers;
    } else {
        for (const char* name : {"Queue", "Name", "Location", "StateInterface", "Membership", "Penalty", "CallsTaken",
                                 "LastCall", "LastPause", "LoginTime", "InCall", "Status", "Paused", "PausedReason",
                                 "Wrapuptime"})
            member.headers.push_back({name, ""});
    }
    member.set("Queue", queue->name);
    member.set("Name", request.member_name.empty() ? request.interface : request.member_name);
    member.set("Location", request.interface);
    member.set("StateInterface", member.state_interface);
    member.set("Membership", "dynamic");
    member.set("Penalty", std::to_string(request.penalty));
    member.set("CallsTaken", "0");
    member.set("LastCall", "0");
    member.set("LastPause", request.paused ? whole(now) : "0");
    member.set("LoginTime", whole(now));
    member.set("InCall", "0");
    member.set("Status", "0");
    member.set("Paused", request.paused ? "1" : "0");
    member.set("PausedReason", request.paused ? request.reason : "");
    member.set("Wrapuptime", "0");
    state_.queue_members.push_back(member);

    Outcome result;
    report_device("Queue:" + queue->name + "_pause_" + request.interface,
                  request.paused ? DeviceState::InUse : DeviceState::NotInUse, "d", result.events);
    result.events.push_back(
        queue_member_event("QueueMemberAdded", member, state_.device_state(member.state_interface)));
    update_queue_devices(*queue, result.events);
    return result;
}

Outcome Simulator::queue_remove(std::string_view queue_name, std::string_view interface) {
    if (queue_name.empty() || interface.empty()) return {"Need 'Queue' and 'Interface' parameters.", {}, {}};
    Queue* queue = state_.find_queue(queue_name);
    if (!queue) return {"Unable to remove interface from queue: No such queue", {}, {}};
    QueueMember* member = state_.find_queue_member(queue_name, interface);
    if (!member) return {"Unable to remove interface: Not there", {}, {}};
    if (member->get("Membership") == "static") return {"Member not dynamic", {}, {}};
    const QueueMember removed = *member;
    std::erase_if(state_.queue_members, [&](const QueueMember& m) {
        return m.queue == removed.queue && m.interface() == removed.interface();
    });
    Outcome result;
    result.events.push_back(
        queue_member_event("QueueMemberRemoved", removed, state_.device_state(removed.state_interface)));
    update_queue_devices(*queue, result.events);
    return result;
}

Outcome Simulator::queue_pause(std::string_view queue_name, std::string_view interface, bool paused,
                               std::string_view reason, double now) {
    now = clock(now);
    if (interface.empty()) return {"Need 'Interface' and 'Paused' parameters.", {}, {}};
    Outcome result;
    bool found = false;
    for (auto& member : state_.queue_members) {
        if (!queue_name.empty() && member.queue != queue_name) continue;
        if (!ami::iequals(member.interface(), interface)) continue;
        found = true;
        member.set("Paused", paused ? "1" : "0");
        member.set("PausedReason", paused ? std::string(reason) : std::string());
        if (paused) member.set("LastPause", whole(now));
        report_device("Queue:" + member.queue + "_pause_" + member.interface(),
                      paused ? DeviceState::InUse : DeviceState::NotInUse, "d", result.events);
        if (Queue* queue = state_.find_queue(member.queue)) update_queue_devices(*queue, result.events);
        result.events.push_back(queue_member_event("QueueMemberPause", member,
                                                   state_.device_state(member.state_interface),
                                                   flavor_ == Flavor::Asterisk13ChanSip));
    }
    if (!found) return {"Interface not found", {}, {}};
    // A member back from a pause picks up a waiting caller.
    if (!paused)
        for (auto& queue : state_.queues) {
            if (!queue_name.empty() && queue.name != queue_name) continue;
            if (queue.callers.empty()) continue;
            if (Call* head = state_.find_call(queue.callers.front().call_id)) ring_members(*head, queue, now, result.events);
        }
    return result;
}

Outcome Simulator::queue_penalty(std::string_view queue_name, std::string_view interface, int penalty) {
    if (interface.empty() || penalty < 0) return {"Invalid interface, queuename or penalty", {}, {}};
    Outcome result;
    for (auto& member : state_.queue_members) {
        if (!queue_name.empty() && member.queue != queue_name) continue;
        if (!ami::iequals(member.interface(), interface)) continue;
        member.set("Penalty", std::to_string(penalty));
        result.events.push_back(
            queue_member_event("QueueMemberPenalty", member, state_.device_state(member.state_interface)));
    }
    if (result.events.empty()) return {"Invalid interface, queuename or penalty", {}, {}};
    return result;
}

Outcome Simulator::queue_join(std::string_view queue_name, std::string_view caller, double now) {
    now = clock(now);
    Queue* queue = state_.find_queue(queue_name);
    if (!queue) return {"unknown queue " + std::string(queue_name), {}, {}};
    const Peer* peer = state_.find_peer(caller);
    if (!peer) return {"unknown peer " + std::string(caller), {}, {}};
    if (!peer->registered) return {std::string(caller) + " is not registered", {}, {}};
    Outcome result;
    Events& out = result.events;

    Call call;
    call.id = next_call_id();
    call.kind = CallKind::Queue;
    call.queue = queue->name;
    call.joined = now;
    Channel a = new_channel(*peer, now);
    a.exten = queue->name;
    a.dnid = queue->name;
    a.application = "Queue";
    a.application_data = queue->name + ",t,,,300";
    a.call_id = call.id;
    if (flavor_traits().newchannel_rings) a.state = 4;
    state_.add_channel(a);
    out.push_back(channel_event("Newchannel", a));
    if (a.state != 4) {
        a.state = 4;
        *state_.find_channel(a.name) = a;
        out.push_back(channel_event("Newstate", a));
    }
    refresh_peer_device(a.peer, device_order(), out);
    a.state = 6;  // Answer()
    a.priority = 2;
    *state_.find_channel(a.name) = a;
    out.push_back(channel_event("Newstate", a));
    a.priority = 3;  // Queue()
    *state_.find_channel(a.name) = a;
    call.caller = a.name;
    queue->callers.push_back({call.id, now, static_cast<int>(queue->callers.size()) + 1});
    report_device("Queue:" + queue->name, DeviceState::Ringing, "d", out);
    out.push_back(channel_event("QueueCallerJoin", a,
                                {{"Queue", queue->name},
                                 {"Position", std::to_string(queue->callers.size())},
                                 {"Count", std::to_string(queue->callers.size())}},
                                "agent,all"));
    out.push_back(channel_event("MusicOnHoldStart", a, {{"Class", "default"}}));
    Call& stored = state_.calls.insert(call.id, call);
    if (queue->callers.size() == 1) ring_members(stored, *queue, now, out);
    result.detail = call.id;
    return result;
}

void Simulator::ring_members(Call& call, Queue& queue, double now, Events& out, std::string_view only_member) {
    for (std::size_t i = 0; i < state_.queue_members.size(); ++i) {
        QueueMember& member = state_.queue_members[i];
        if (member.queue != queue.name || !member_available(member)) continue;
        const std::string prefix = state_.tech + "/";
        if (member.state_interface.rfind(prefix, 0) != 0) continue;
        const std::string ext = member.state_interface.substr(prefix.size());
        if (!only_member.empty() && ext != only_member) continue;
        bool ringing = false;
        for (const auto& name : call.ringing)
            if (const Channel* c = state_.find_channel(name); c && c->peer == ext) ringing = true;
        if (!ringing) ring_member(call, queue, state_.queue_members[i], now, out);
    }
}

void Simulator::ring_member(Call& call, Queue& queue, QueueMember& member, double now, Events& out) {
    Channel* pa = state_.find_channel(call.caller);
    const Peer* peer = state_.find_peer(member.state_interface.substr(state_.tech.size() + 1));
    if (!pa || !peer || !peer->registered) return;
    const QueueMember snapshot = member;  // `member` may move when events reshape the state
    if (call.ringing.empty()) call.rang_at = now;
    Channel b = new_channel(*peer, now);
    b.exten = "s";
    b.linkedid = pa->linkedid;
    b.dialed = true;
    b.application = "AppQueue";
    b.application_data = "(Outgoing Line)";
    b.call_id = call.id;
    state_.add_channel(b);
    call.ringing.push_back(b.name);
    out.push_back(channel_event("Newchannel", b));
    refresh_peer_device(b.peer, "edq", out);
    // DialBegin shows the agent before Queue() sets its exten (20 and 13 even without "s").
    Channel dialing = b;
    if (!flavor_traits().pjsip) dialing.exten.clear();
    b.exten = queue.name;
    b.connected = pa->callerid;
    *state_.find_channel(b.name) = b;
    const std::vector<ami::Header> agent{{"Queue", queue.name},
                                         {"Interface", snapshot.interface()},
                                         {"MemberName", snapshot.name()}};
    out.push_back(dial_event("AgentCalled", *pa, b, agent, "agent,all"));
    out.push_back(dial_event("DialBegin", *pa, dialing, {{"DialString", snapshot.state_interface}}));
    b.state = 5;
    *state_.find_channel(b.name) = b;
    out.push_back(channel_event("Newstate", b));
    out.push_back(channel_event("NewConnectedLine", b));
    if (flavor_traits().dial_state) out.push_back(dial_event("DialState", *pa, b, {{"DialStatus", "RINGING"}}));
}

void Simulator::stop_ringing_agents(Call& call, const std::string& except, int cause, Events& out) {
    const Channel* pa = state_.find_channel(call.caller);
    std::vector<Channel> stopped;
    for (const auto& name : call.ringing) {
        if (name == except) continue;
        if (const Channel* c = state_.find_channel(name)) {
            if (pa) out.push_back(dial_event("DialEnd", *pa, *c, {{"DialStatus", "CANCEL"}}));
            stopped.push_back(*c);
        }
    }
    call.ringing.clear();
    if (!except.empty()) call.ringing.push_back(except);
    for (const auto& c : stopped) {
        remove_channel(c.name);
        hangup_events(out, c, cause);
        refresh_peer_device(c.peer, device_order(), out);
    }
}

void Simulator::queue_caller_leave(Queue& queue, Call& call, Events& out) {
    int position = 1;
    for (std::size_t i = 0; i < queue.callers.size(); ++i)
        if (queue.callers[i].call_id == call.id) position = static_cast<int>(i) + 1;
    std::erase_if(queue.callers, [&](const QueueCaller& c) { return c.call_id == call.id; });
    if (queue.callers.empty()) report_device("Queue:" + queue.name, DeviceState::NotInUse, "d", out);
    if (const Channel* a = state_.find_channel(call.caller))
        out.push_back(channel_event("QueueCallerLeave", *a,
                                    {{"Queue", queue.name},
                                     {"Position", std::to_string(position)},
                                     {"Count", std::to_string(queue.callers.size())}},
                                    "agent,all"));
}

Outcome Simulator::queue_answer(std::string_view queue_name, std::string_view member_ext, double now) {
    now = clock(now);
    Queue* queue = state_.find_queue(queue_name);
    if (!queue) return {"unknown queue " + std::string(queue_name), {}, {}};
    if (queue->callers.empty()) return {"no caller waits in queue " + std::string(queue_name), {}, {}};
    const std::string device = state_.tech + "/" + std::string(member_ext);
    const QueueMember* member = nullptr;
    for (const auto& m : state_.queue_members)
        if (m.queue == queue->name && ami::iequals(m.state_interface, device)) member = &m;
    if (!member) return {std::string(member_ext) + " is not a member of queue " + std::string(queue_name), {}, {}};
    const std::string interface = member->interface();
    Call* call = state_.find_call(queue->callers.front().call_id);
    if (!call) return {"queue " + std::string(queue_name) + " has a lost caller", {}, {}};
    Outcome result;
    Events& out = result.events;

    auto ringing_agent = [&]() -> std::string {
        for (const auto& name : call->ringing)
            if (const Channel* c = state_.find_channel(name); c && c->peer == member_ext) return name;
        return {};
    };
    std::string agent_name = ringing_agent();
    if (agent_name.empty()) {
        ring_members(*call, *queue, now, out, member_ext);
        agent_name = ringing_agent();
        if (agent_name.empty()) return {std::string(member_ext) + " is not available", {}, {}};
    }
    // Asterisk 13 reports the agent's device change before it marks the member in a call.
    const bool in_call_late = flavor_ == Flavor::Asterisk13ChanSip;
    auto mark_in_call = [&] {
        for (auto& m : state_.queue_members)
            if (m.queue == queue->name && m.interface() == interface) m.set("InCall", "1");
    };
    if (!in_call_late) mark_in_call();

    Channel* a = state_.find_channel(call->caller);
    Channel* b = state_.find_channel(agent_name);
    b->state = 6;
    refresh_peer_device(b->peer, "edq", out);
    if (in_call_late) mark_in_call();
    out.push_back(channel_event("Newstate", *b));
    out.push_back(dial_event("DialEnd", *a, *b, {{"DialStatus", "ANSWER"}}));
    for (const auto& name : call->ringing)
        if (name != agent_name)
            if (const Channel* other = state_.find_channel(name))
                out.push_back(dial_event("DialEnd", *a, *other, {{"DialStatus", "CANCEL"}}));
    a->connected = b->callerid;
    out.push_back(channel_event("NewConnectedLine", *a));
    out.push_back(channel_event("MusicOnHoldStop", *a));
    const double joined = call->joined;
    const double rang_at = call->rang_at > 0 ? call->rang_at : joined;
    queue_caller_leave(*queue, *call, out);
    const QueueMember* connected = state_.find_queue_member(queue->name, interface);
    out.push_back(dial_event("AgentConnect", *a, *b,
                             {{"Queue", queue->name},
                              {"Interface", interface},
                              {"MemberName", connected ? connected->name() : interface},
                              {"HoldTime", seconds(joined, now)},
                              {"RingTime", seconds(rang_at, now)}},
                             "agent,all"));
    // The other agents: "Answered elsewhere".
    std::vector<Channel> others;
    for (const auto& name : call->ringing)
        if (name != agent_name)
            if (const Channel* other = state_.find_channel(name)) others.push_back(*other);
    call->ringing.clear();
    for (const auto& other : others) {
        remove_channel(other.name);
        hangup_events(out, other, 26);
        refresh_peer_device(other.peer, device_order(), out);
    }
    queue->holdtime = average(queue->holdtime, static_cast<int>(std::stoi(seconds(joined, now))),
                              queue->completed + queue->abandoned == 0);
    call->callee = agent_name;
    call->member_interface = interface;
    call->answered = true;
    call->answered_at = now;
    Bridge& bridge = create_bridge(out, {});
    call->bridge_id = bridge.id;
    enter_bridge(bridge, *state_.find_channel(agent_name), out);
    enter_bridge(bridge, *state_.find_channel(call->caller), out);
    // The next caller in line gets the members that are still free.
    if (!queue->callers.empty())
        if (Call* next = state_.find_call(queue->callers.front().call_id)) ring_members(*next, *queue, now, out);
    result.detail = call->id;
    return result;
}

Outcome Simulator::queue_complete_call(Call call, HangupSide side, double now) {
    Outcome result;
    Queue* queue = state_.find_queue(call.queue);
    const std::string talk = seconds(call.answered_at, now);
    const std::string hold = seconds(call.joined, call.answered_at);
    std::string member_name = call.member_interface;
    for (auto& m : state_.queue_members)
        if (m.queue == call.queue && m.interface() == call.member_interface) {
            m.set("CallsTaken", std::to_string(std::atoi(m.get("CallsTaken").c_str()) + 1));
            m.set("LastCall", whole(now));
            m.set("InCall", "0");
            member_name = m.name();
        }
    if (queue) {
        queue->talktime = average(queue->talktime, std::stoi(talk), queue->completed == 0);
        ++queue->completed;
        if (std::stoi(hold) <= queue->service_level) ++queue->completed_in_sl;
    }
    state_.calls.erase(call.id);
    end_bridged_call(call, side, 16, result.events, [&](const Channel& a, const Channel& b, Events& out) {
        out.push_back(dial_event("AgentComplete", a, b,
                                 {{"Queue", call.queue},
                                  {"Interface", call.member_interface},
                                  {"MemberName", member_name},
                                  {"HoldTime", hold},
                                  {"TalkTime", talk},
                                  {"Reason", side == HangupSide::Caller ? "caller" : "agent"}},
                                 "agent,all"));
    });
    return result;
}

Outcome Simulator::queue_abandon_call(Call call, double now) {
    Outcome result;
    Events& out = result.events;
    Queue* queue = state_.find_queue(call.queue);
    Channel* pa = state_.find_channel(call.caller);
    if (!queue || !pa) {
        state_.calls.erase(call.id);
        return result;
    }
    const bool head = !queue->callers.empty() && queue->callers.front().call_id == call.id;
    int position = 1, original = 1;
    for (std::size_t i = 0; i < queue->callers.size(); ++i)
        if (queue->callers[i].call_id == call.id) {
            position = static_cast<int>(i) + 1;
            original = queue->callers[i].original_position;
        }
    out.push_back(channel_event("HangupRequest", *pa));
    out.push_back(channel_event("MusicOnHoldStop", *pa));
    if (Call* stored = state_.find_call(call.id)) stop_ringing_agents(*stored, {}, 16, out);
    pa = state_.find_channel(call.caller);
    out.push_back(channel_event("QueueCallerAbandon", *pa,
                                {{"Queue", queue->name},
                                 {"Position", std::to_string(position)},
                                 {"OriginalPosition", std::to_string(original)},
                                 {"HoldTime", seconds(call.joined, now)}},
                                "agent,all"));
    queue_caller_leave(*queue, call, out);
    ++queue->abandoned;
    if (now - call.joined <= queue->service_level) ++queue->abandoned_in_sl;
    const Channel a = *pa;
    out.push_back(channel_event("SoftHangupRequest", a, {{"Cause", "16"}}));
    remove_channel(a.name);
    state_.calls.erase(call.id);
    refresh_peer_device(a.peer, device_order(), out);
    hangup_events(out, a, 0);
    if (head && !queue->callers.empty())
        if (Call* next = state_.find_call(queue->callers.front().call_id)) ring_members(*next, *queue, now, out);
    return result;
}

Outcome Simulator::queue_hangup(std::string_view queue_name, HangupSide side, double now) {
    now = clock(now);
    if (!state_.find_queue(queue_name)) return {"unknown queue " + std::string(queue_name), {}, {}};
    for (const auto& call : state_.calls)
        if (call.kind == CallKind::Queue && call.queue == queue_name && call.answered)
            return queue_complete_call(call, side, now);
    return {"no connected call in queue " + std::string(queue_name), {}, {}};
}

Outcome Simulator::queue_abandon(std::string_view queue_name, double now) {
    now = clock(now);
    Queue* queue = state_.find_queue(queue_name);
    if (!queue) return {"unknown queue " + std::string(queue_name), {}, {}};
    if (queue->callers.empty()) return {"no caller waits in queue " + std::string(queue_name), {}, {}};
    const Call* call = state_.find_call(queue->callers.front().call_id);
    if (!call) return {"queue " + std::string(queue_name) + " has a lost caller", {}, {}};
    return queue_abandon_call(*call, now);
}

}  // namespace amisim
