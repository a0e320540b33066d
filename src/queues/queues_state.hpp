#pragma once
// Queues: parameters, members and waiting callers (QueueStatus/QueueSummary + queue events).
// Pure model part: fed with its snapshot answers and with every live event. Values are what
// Asterisk said (snapshot list items, or the full member record every member event carries);
// nothing is computed that app_queue computes itself (average hold/talk time, service level).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace queues {

// app_queue's member Status: Asterisk's device state numbers (AST_DEVICE_*).
// "not_in_use", "in_use", "busy", "invalid", "unavailable", "ringing", "ring_in_use", "on_hold", "unknown".
std::string_view member_status_name(int status) noexcept;

// The topic level of a member: its interface with '/' replaced by '_'
// ("Local/2002@from-queue/n" -> "Local_2002@from-queue_n"). Not checked for validity here.
std::string member_id(std::string_view interface);

struct Member {
    std::string name;             // MemberName (events) / Name (QueueMember)
    std::string interface;        // Interface (events) / Location (QueueMember): the key
    std::string state_interface;
    std::string membership;       // static, dynamic, realtime
    int penalty = 0;
    int calls_taken = 0;
    std::int64_t last_call = 0;   // epoch seconds; 0 = never
    int status = 0;               // device state number (member_status_name)
    bool paused = false;
    std::string paused_reason;
    bool in_call_reported = false;  // InCall: as Asterisk last reported it
    // Between AgentConnect and AgentComplete: Asterisk 13's member events keep saying InCall: 0
    // during a queue call (04-queue-403), only QueueStatus shows 1.
    bool agent_connected = false;
    bool operator==(const Member&) const = default;

    bool in_call() const noexcept { return in_call_reported || agent_connected; }
    // Asterisk's own "LoggedIn" (QueueSummary): the member's device is neither unavailable nor invalid.
    bool logged_in() const noexcept { return status != 4 && status != 5; }
};

struct Caller {
    int position = 0;          // 1 = next to be served
    std::string number;        // CallerIDNum ("" when unknown)
    std::string name;          // CallerIDName ("" when unknown)
    std::string channel;
    std::string uniqueid;      // the key
    model::Timestamp joined_at{};  // when the bridge saw the join (snapshot: now - Wait)
    bool operator==(const Caller&) const = default;
};

struct Queue {
    std::string name;
    std::string strategy;      // "" until QueueParams was read (queue first seen in an event)
    int completed = 0;         // live: +1 per AgentComplete
    int abandoned = 0;         // live: +1 per QueueCallerAbandon
    int holdtime = 0;          // app_queue's average hold time (s), as of the last QueueParams
    int talktime = 0;          // app_queue's average talk time (s), as of the last QueueParams
    int service_level = 0;     // seconds
    // % of completed calls answered within service_level: from QueueParams, then kept live as
    // app_queue does (callscompletedinsl / callscompleted), one decimal as QueueParams prints it.
    double service_level_perf = 0.0;
    int completed_in_sl = 0;   // completed calls answered within service_level
    std::vector<Caller> callers;            // ordered by position, positions 1..n
    std::map<std::string, Member> members;  // by interface
    bool operator==(const Queue&) const = default;
};

// Each member is counted in at most one of available/busy/paused; unavailable or invalid
// members that are not paused are only in total.
struct MemberCounts {
    int available = 0;  // not paused, not in a call, device not in use (or unknown)
    int busy = 0;       // not paused; in a call, or device in use/busy/ringing/on hold
    int paused = 0;
    int total = 0;
};
MemberCounts count_members(const Queue& queue) noexcept;

class QueuesState {
public:
    // Queues the actions that read this capability's state into this (fresh) instance.
    void request_snapshot(model::SnapshotRequester& r);
    // A live event (every event reaches every capability); records what changed in `changes`.
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

    // --- snapshot answers (QueueStatus / QueueSummary list items) ---
    void add_queue_params(const ami::Message& m);                       // QueueParams
    void add_queue_member(const ami::Message& m);                       // QueueMember
    void add_queue_entry(const ami::Message& m, model::Timestamp now);  // QueueEntry (Wait: seconds before now)
    void add_queue_summary(const ami::Message& m);                      // QueueSummary

    // --- views ---
    const std::map<std::string, Queue>& queues() const noexcept { return queues_; }

    // This model was just read from a snapshot (joined_at = now - Wait, whole seconds): a
    // caller `previous` already knew waiting in the same queue (same uniqueid) keeps its joined_at.
    void keep_known_times(const QueuesState& previous);
    const Queue* find(std::string_view queue) const;

private:
    Queue& upsert(std::string_view queue);
    void update_member(Queue& queue, const ami::Message& m);
    void join(Queue& queue, Caller caller);
    bool leave(Queue& queue, std::string_view uniqueid);

    std::map<std::string, Queue> queues_;
};

}  // namespace queues
