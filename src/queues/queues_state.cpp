#include "queues/queues_state.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace queues {

using ami::iequals;
using ami::Message;

namespace {

template <typename Int>
Int to_number(std::string_view s, Int fallback = 0) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    Int v = fallback;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() ? v : fallback;
}

double to_double(std::string_view s) {
    // from_chars for double is in libstdc++ 11+; the value is a plain "100.0".
    double v = 0.0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && std::isfinite(v) ? v : 0.0;
}

// Asterisk writes "<unknown>" (events) or "unknown" (QueueEntry) for a missing caller id.
std::string caller_id(std::string_view v) {
    if (v == "<unknown>" || v == "unknown") return {};
    return std::string(v);
}

bool is_one(std::string_view v) { return v == "1" || iequals(v, "true") || iequals(v, "yes"); }

// The first of these headers the message has (events and list items name some fields differently).
std::string_view first_of(const Message& m, std::initializer_list<std::string_view> names) {
    for (auto n : names)
        if (const auto v = m.find(n)) return *v;
    return {};
}

Caller caller_of(const Message& m) {
    Caller c;
    c.position = to_number<int>(m.get("Position"));
    c.number = caller_id(m.get("CallerIDNum"));
    c.name = caller_id(m.get("CallerIDName"));
    c.channel = std::string(m.get("Channel"));
    c.uniqueid = std::string(m.get("Uniqueid"));
    if (c.uniqueid.empty()) c.uniqueid = c.channel;
    return c;
}

void renumber(std::vector<Caller>& callers) {
    int position = 0;
    for (auto& c : callers) c.position = ++position;
}

}  // namespace

std::string_view member_status_name(int status) noexcept {
    switch (status) {
        case 1: return "not_in_use";
        case 2: return "in_use";
        case 3: return "busy";
        case 4: return "invalid";
        case 5: return "unavailable";
        case 6: return "ringing";
        case 7: return "ring_in_use";
        case 8: return "on_hold";
        default: return "unknown";
    }
}

std::string member_id(std::string_view interface) {
    std::string id(interface);
    std::replace(id.begin(), id.end(), '/', '_');
    return id;
}

MemberCounts count_members(const Queue& queue) noexcept {
    MemberCounts n;
    for (const auto& [interface, m] : queue.members) {
        ++n.total;
        if (m.paused) {
            ++n.paused;
        } else if (m.in_call() || m.status == 2 || m.status == 3 || m.status == 6 || m.status == 7 || m.status == 8) {
            ++n.busy;
        } else if (m.status == 1 || m.status == 0) {
            ++n.available;  // app_queue counts NOT_INUSE and UNKNOWN as available too
        }
    }
    return n;
}

const Queue* QueuesState::find(std::string_view queue) const {
    auto it = queues_.find(std::string(queue));
    return it == queues_.end() ? nullptr : &it->second;
}

Queue& QueuesState::upsert(std::string_view name) {
    Queue& q = queues_[std::string(name)];
    q.name = std::string(name);
    return q;
}

// --- snapshot ---

void QueuesState::request_snapshot(model::SnapshotRequester& r) {
    using ami::Action;
    using ami::ActionResult;
    // Without Queue: every queue, its members and its waiting callers.
    r.request(Action("QueueStatus"), [this, &r](ActionResult& res) {
        if (!res.ok()) return;  // no app_queue
        const model::Timestamp now = r.now();
        for (const auto& item : res.events) {
            const std::string_view name = item.event();
            if (iequals(name, "QueueParams")) add_queue_params(item);
            else if (iequals(name, "QueueMember")) add_queue_member(item);
            else if (iequals(name, "QueueEntry")) add_queue_entry(item, now);
        }
    });
    r.request(Action("QueueSummary"), [this](ActionResult& res) {
        if (!res.ok()) return;
        for (const auto& item : res.events)
            if (iequals(item.event(), "QueueSummary")) add_queue_summary(item);
    });
}

void QueuesState::add_queue_params(const Message& m) {
    const std::string_view name = m.get("Queue");
    if (name.empty()) return;
    Queue& q = upsert(name);
    q.strategy = std::string(m.get("Strategy"));
    q.completed = to_number<int>(m.get("Completed"));
    q.abandoned = to_number<int>(m.get("Abandoned"));
    q.holdtime = to_number<int>(m.get("Holdtime"));
    q.talktime = to_number<int>(m.get("TalkTime"));
    q.service_level = to_number<int>(m.get("ServiceLevel"));
    q.service_level_perf = to_double(m.get("ServicelevelPerf"));
    q.completed_in_sl = static_cast<int>(std::lround(q.service_level_perf * q.completed / 100.0));
}

void QueuesState::add_queue_member(const Message& m) {
    const std::string_view name = m.get("Queue");
    if (name.empty()) return;
    update_member(upsert(name), m);
}

void QueuesState::add_queue_entry(const Message& m, model::Timestamp now) {
    const std::string_view name = m.get("Queue");
    if (name.empty()) return;
    Caller c = caller_of(m);
    if (c.uniqueid.empty()) return;
    c.joined_at = now - std::chrono::seconds(to_number<int>(m.get("Wait")));
    join(upsert(name), std::move(c));
}

void QueuesState::add_queue_summary(const Message& m) {
    // QueueStatus has everything QueueSummary says; a queue it lists is known to exist, though.
    const std::string_view name = m.get("Queue");
    if (!name.empty()) upsert(name);
}

// Member events and QueueMember items carry the whole member record; a missing header keeps
// what was known.
void QueuesState::update_member(Queue& queue, const Message& m) {
    const std::string interface(first_of(m, {"Interface", "Location"}));
    if (interface.empty()) return;
    Member& mem = queue.members[interface];
    mem.interface = interface;
    if (m.has("MemberName") || m.has("Name")) mem.name = std::string(first_of(m, {"MemberName", "Name"}));
    if (m.has("StateInterface")) mem.state_interface = std::string(m.get("StateInterface"));
    if (m.has("Membership")) mem.membership = std::string(m.get("Membership"));
    if (m.has("Penalty")) mem.penalty = to_number<int>(m.get("Penalty"));
    if (m.has("CallsTaken")) mem.calls_taken = to_number<int>(m.get("CallsTaken"));
    if (m.has("LastCall")) mem.last_call = to_number<std::int64_t>(m.get("LastCall"));
    if (m.has("Status")) mem.status = to_number<int>(m.get("Status"));
    if (m.has("InCall")) mem.in_call_reported = is_one(m.get("InCall"));
    if (m.has("Paused")) mem.paused = is_one(m.get("Paused"));
    // Asterisk 13's QueueMemberPause also has Reason: (the same value).
    if (m.has("PausedReason") || m.has("Reason")) mem.paused_reason = std::string(first_of(m, {"PausedReason", "Reason"}));
}

// Asterisk keeps positions 1..n: a caller joining at position p pushes those from p on back.
// Idempotent (a join replayed after a snapshot that already listed the caller keeps its joined_at).
void QueuesState::join(Queue& queue, Caller caller) {
    auto& callers = queue.callers;
    auto it = std::find_if(callers.begin(), callers.end(), [&](const Caller& c) { return c.uniqueid == caller.uniqueid; });
    if (it != callers.end()) {
        caller.joined_at = it->joined_at;
        callers.erase(it);
    }
    const std::size_t index = std::clamp<std::size_t>(caller.position > 0 ? caller.position - 1 : callers.size(), 0, callers.size());
    callers.insert(callers.begin() + static_cast<std::ptrdiff_t>(index), std::move(caller));
    renumber(callers);
}

bool QueuesState::leave(Queue& queue, std::string_view uniqueid) {
    auto& callers = queue.callers;
    auto it = std::find_if(callers.begin(), callers.end(), [&](const Caller& c) { return c.uniqueid == uniqueid; });
    if (it == callers.end()) return false;
    callers.erase(it);
    renumber(callers);
    return true;
}

// --- live ---

namespace {

nlohmann::ordered_json caller_payload(const Message& e) {
    nlohmann::ordered_json j;
    j["queue"] = std::string(e.get("Queue"));
    j["position"] = to_number<int>(e.get("Position"));
    j["number"] = caller_id(e.get("CallerIDNum"));
    j["name"] = caller_id(e.get("CallerIDName"));
    j["channel"] = std::string(e.get("Channel"));
    j["uniqueid"] = std::string(e.get("Uniqueid"));
    return j;
}

nlohmann::ordered_json agent_payload(const Message& e) {
    nlohmann::ordered_json j;
    j["queue"] = std::string(e.get("Queue"));
    j["member"] = member_id(e.get("Interface"));
    j["interface"] = std::string(e.get("Interface"));
    j["member_name"] = std::string(e.get("MemberName"));
    j["number"] = caller_id(e.get("CallerIDNum"));
    j["name"] = caller_id(e.get("CallerIDName"));
    j["channel"] = std::string(e.get("Channel"));
    j["uniqueid"] = std::string(e.get("Uniqueid"));
    j["member_channel"] = std::string(e.get("DestChannel"));
    j["hold_time"] = to_number<int>(e.get("HoldTime"));
    return j;
}

}  // namespace

void QueuesState::keep_known_times(const QueuesState& previous) {
    for (auto& [name, q] : queues_) {
        auto known = previous.queues_.find(name);
        if (known == previous.queues_.end()) continue;
        for (auto& caller : q.callers)
            for (const auto& was : known->second.callers)
                if (!caller.uniqueid.empty() && was.uniqueid == caller.uniqueid) caller.joined_at = was.joined_at;
    }
}

void QueuesState::apply_event(const Message& e, model::Timestamp now, model::ChangeSet& changes) {
    const std::string_view name = e.event();
    if (!(iequals(name.substr(0, 5), "Queue") || iequals(name.substr(0, 5), "Agent"))) return;
    const auto is = [name](std::string_view n) { return iequals(name, n); };
    const std::string_view queue_name = e.get("Queue");
    if (queue_name.empty()) return;
    const std::string queue_id(queue_name);

    if (is("QueueMemberAdded") || is("QueueMemberStatus") || is("QueueMemberPause") ||
        is("QueueMemberPenalty") || is("QueueMemberRinginuse")) {
        update_member(upsert(queue_name), e);
        changes.queues.insert(queue_id);
    } else if (is("QueueMemberRemoved")) {
        if (auto q = queues_.find(queue_id); q != queues_.end() && q->second.members.erase(std::string(e.get("Interface"))))
            changes.queues.insert(queue_id);
    } else if (is("QueueCallerJoin")) {
        Caller c = caller_of(e);
        c.joined_at = now;
        join(upsert(queue_name), std::move(c));
        changes.queues.insert(queue_id);
        auto payload = caller_payload(e);
        payload["calls_waiting"] = to_number<int>(e.get("Count"));
        changes.happenings.push_back({"events", "queue_caller_join", std::move(payload)});
    } else if (is("QueueCallerLeave")) {
        if (auto q = queues_.find(queue_id); q != queues_.end() && leave(q->second, e.get("Uniqueid")))
            changes.queues.insert(queue_id);
        auto payload = caller_payload(e);
        payload["calls_waiting"] = to_number<int>(e.get("Count"));
        changes.happenings.push_back({"events", "queue_caller_leave", std::move(payload)});
    } else if (is("QueueCallerAbandon")) {
        // app_queue counts the abandon (QueueParams Abandoned + 1); QueueCallerLeave follows.
        Queue& q = upsert(queue_name);
        ++q.abandoned;
        leave(q, e.get("Uniqueid"));
        changes.queues.insert(queue_id);
        auto payload = caller_payload(e);
        payload["original_position"] = to_number<int>(e.get("OriginalPosition"));
        payload["hold_time"] = to_number<int>(e.get("HoldTime"));
        changes.happenings.push_back({"events", "queue_caller_abandon", std::move(payload)});
    } else if (is("AgentConnect")) {
        Queue& q = upsert(queue_name);
        if (auto it = q.members.find(std::string(e.get("Interface"))); it != q.members.end()) it->second.agent_connected = true;
        changes.queues.insert(queue_id);
        auto payload = agent_payload(e);
        payload["ring_time"] = to_number<int>(e.get("RingTime"));
        changes.happenings.push_back({"events", "queue_agent_connect", std::move(payload)});
    } else if (is("AgentComplete")) {
        // The call's own HoldTime/TalkTime, not the queue's averages (those stay as QueueParams said).
        Queue& q = upsert(queue_name);
        ++q.completed;
        // app_queue counts a call answered within the service level (its hold time, as this
        // event gives it) and prints the share with one decimal in QueueParams.
        if (to_number<int>(e.get("HoldTime")) <= q.service_level) ++q.completed_in_sl;
        q.service_level_perf = std::round(q.completed_in_sl * 1000.0 / q.completed) / 10.0;
        if (auto it = q.members.find(std::string(e.get("Interface"))); it != q.members.end()) it->second.agent_connected = false;
        changes.queues.insert(queue_id);
        auto payload = agent_payload(e);
        payload["talk_time"] = to_number<int>(e.get("TalkTime"));
        payload["reason"] = std::string(e.get("Reason"));
        changes.happenings.push_back({"events", "queue_agent_complete", std::move(payload)});
    } else if (is("AgentDump")) {
        // The member hung up before being bridged to the caller.
        auto q = queues_.find(queue_id);
        if (q == queues_.end()) return;
        if (auto it = q->second.members.find(std::string(e.get("Interface"))); it != q->second.members.end() && it->second.agent_connected) {
            it->second.agent_connected = false;
            changes.queues.insert(queue_id);
        }
    }
    // AgentCalled and AgentRingNoAnswer change nothing shown: the ringing member's status
    // comes with the QueueMemberStatus that accompanies them.
}

}  // namespace queues
