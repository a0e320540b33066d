#pragma once
// ConfBridge conferences and their users (ConfbridgeListRooms/ConfbridgeList + Confbridge events).
// Pure model part: fed with its snapshot answers and with every live event.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "ami/message.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace conferences {

struct User {
    std::string channel;          // "SIP/2001-0000000e": the key, unique in a conference
    std::string number;           // CallerIDNum
    std::string name;             // CallerIDName
    std::string uniqueid;
    bool admin = false;
    std::optional<bool> marked;   // ConfbridgeList says; ConfbridgeJoin does not
    bool muted = false;
    bool talking = false;         // ConfbridgeTalking needs talk_detection_events=yes
    model::Timestamp joined_at{}; // at a snapshot: when the channel answered (AnsweredTime)
    bool operator==(const User&) const = default;
};

struct Conference {
    std::string room;
    // ConfbridgeLock/Unlock raise no event: known from ConfbridgeListRooms (snapshot) and
    // false at ConfbridgeStart; unknown for a conference first seen through a join.
    std::optional<bool> locked;
    // At a snapshot (no start time in AMI): the earliest joined_at of its users.
    std::optional<model::Timestamp> started_at;
    std::map<std::string, User> users;  // by channel
    bool operator==(const Conference&) const = default;
};

class ConferencesState {
public:
    // Queues the actions that read this capability's state into this (fresh) instance.
    void request_snapshot(model::SnapshotRequester& r);
    // A live event (every event reaches every capability); records what changed in `changes`.
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

    // --- snapshot answers ---
    void add_room(const ami::Message& m);                              // ConfbridgeListRooms item
    void add_user(const ami::Message& m, model::Timestamp now);        // ConfbridgeList item

    // --- views ---
    const std::map<std::string, Conference>& conferences() const noexcept { return conferences_; }
    const Conference* conference(std::string_view room) const;
    // Whether `channel` ("PJSIP/3001-0000000d") is a user of some conference.
    bool channel_in_conference(std::string_view channel) const;
    // The room `channel` is in, or nullptr.
    const Conference* conference_of(std::string_view channel) const;

    // This model was just read from a snapshot (joined_at from AnsweredTime, whole seconds):
    // a user `previous` already knew (same channel and uniqueid) keeps its joined_at, and a
    // conference with such a user (so it did not end meanwhile) keeps its started_at.
    void keep_known_times(const ConferencesState& previous);

private:
    Conference& conference_for(const std::string& room);
    std::map<std::string, Conference> conferences_;
};

}  // namespace conferences
