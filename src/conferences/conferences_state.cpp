#include "conferences/conferences_state.hpp"

#include <charconv>
#include <chrono>

namespace conferences {

using ami::iequals;
using ami::Message;

namespace {

bool yes(std::string_view v) { return iequals(v, "Yes") || iequals(v, "true") || v == "1"; }

// Asterisk says "<unknown>" for a caller id it does not have.
std::string clean(std::string_view s) { return s == "<unknown>" ? std::string() : std::string(s); }

long long to_seconds(std::string_view s) {
    long long v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() && v > 0 ? v : 0;
}

// The channel headers every Confbridge user event carries.
void read_identity(const Message& m, User& u) {
    u.channel = std::string(m.get("Channel"));
    u.number = clean(m.get("CallerIDNum"));
    u.name = clean(m.get("CallerIDName"));
    u.uniqueid = std::string(m.get("Uniqueid"));
}

}  // namespace

// --- snapshot ---

void ConferencesState::request_snapshot(model::SnapshotRequester& r) {
    using ami::Action;
    using ami::ActionResult;
    // With no conference Asterisk answers "Response: Error / No active conferences.": an
    // optional error, skipped by the requester, so an empty list.
    r.request(Action("ConfbridgeListRooms"), [this, &r](ActionResult& res) {
        if (!res.ok()) return;  // no app_confbridge
        for (const auto& item : res.events) {
            if (!iequals(item.event(), "ConfbridgeListRooms")) continue;
            add_room(item);
            const std::string room(item.get("Conference"));
            if (room.empty()) continue;
            Action list("ConfbridgeList");
            list.set("Conference", room);
            r.request(list, [this, &r](ActionResult& lr) {
                if (!lr.ok()) return;  // the conference ended meanwhile
                for (const auto& user : lr.events)
                    if (iequals(user.event(), "ConfbridgeList")) add_user(user, r.now());
            });
        }
    });
}

void ConferencesState::add_room(const Message& m) {
    const std::string room(m.get("Conference"));
    if (room.empty()) return;
    Conference& c = conference_for(room);
    if (m.has("Locked")) c.locked = yes(m.get("Locked"));
}

void ConferencesState::add_user(const Message& m, model::Timestamp now) {
    const std::string room(m.get("Conference"));
    if (room.empty() || m.get("Channel").empty()) return;
    Conference& c = conference_for(room);
    User u;
    read_identity(m, u);
    u.admin = yes(m.get("Admin"));
    u.marked = yes(m.get("MarkedUser"));
    u.muted = yes(m.get("Muted"));
    u.talking = yes(m.get("Talking"));
    u.joined_at = now - std::chrono::seconds(to_seconds(m.get("AnsweredTime")));
    if (!c.started_at || u.joined_at < *c.started_at) c.started_at = u.joined_at;
    c.users[u.channel] = std::move(u);
}

Conference& ConferencesState::conference_for(const std::string& room) {
    Conference& c = conferences_[room];
    c.room = room;
    return c;
}

// --- live ---

void ConferencesState::keep_known_times(const ConferencesState& previous) {
    for (auto& [room, c] : conferences_) {
        const Conference* known = previous.conference(room);
        if (!known) continue;
        bool persisted = false;
        for (auto& [channel, u] : c.users) {
            auto it = known->users.find(channel);
            if (it == known->users.end() || it->second.uniqueid != u.uniqueid) continue;
            u.joined_at = it->second.joined_at;
            persisted = true;
        }
        if (!persisted) continue;
        if (known->started_at) {
            c.started_at = known->started_at;
        } else {
            c.started_at.reset();
            for (const auto& [channel, u] : c.users)
                if (!c.started_at || u.joined_at < *c.started_at) c.started_at = u.joined_at;
        }
    }
}

void ConferencesState::apply_event(const Message& e, model::Timestamp now, model::ChangeSet& changes) {
    const std::string_view name = e.event();
    if (name.size() < 10 || !iequals(name.substr(0, 10), "Confbridge")) return;
    const std::string room(e.get("Conference"));
    if (room.empty()) return;
    const std::string_view what = name.substr(10);

    if (iequals(what, "Start")) {
        // Replayed after a snapshot that already has it: keep what the snapshot said.
        Conference& c = conference_for(room);
        if (!c.started_at) c.started_at = now;
        if (!c.locked) c.locked = false;  // a new conference is unlocked
        changes.conferences.insert(room);
        return;
    }
    if (iequals(what, "End")) {
        if (conferences_.erase(room)) changes.conferences.insert(room);
        return;
    }

    const std::string channel(e.get("Channel"));
    if (channel.empty()) return;
    if (iequals(what, "Join")) {
        Conference& c = conference_for(room);
        if (!c.started_at) c.started_at = now;
        User& u = c.users[channel];
        const bool is_new = u.channel.empty();
        read_identity(e, u);
        u.admin = yes(e.get("Admin"));
        if (e.has("Muted")) u.muted = yes(e.get("Muted"));
        if (is_new) u.joined_at = now;
        changes.conferences.insert(room);
        return;
    }
    auto conf = conferences_.find(room);
    if (conf == conferences_.end()) return;
    auto user = conf->second.users.find(channel);
    if (iequals(what, "Leave")) {
        if (user != conf->second.users.end()) conf->second.users.erase(user);
        changes.conferences.insert(room);  // the conference itself stays until ConfbridgeEnd
        return;
    }
    if (user == conf->second.users.end()) return;
    if (iequals(what, "Mute")) user->second.muted = true;
    else if (iequals(what, "Unmute")) user->second.muted = false;
    else if (iequals(what, "Talking")) user->second.talking = iequals(e.get("TalkingStatus"), "on");
    else return;
    changes.conferences.insert(room);
}

// --- views ---

const Conference* ConferencesState::conference(std::string_view room) const {
    auto it = conferences_.find(std::string(room));
    return it == conferences_.end() ? nullptr : &it->second;
}

const Conference* ConferencesState::conference_of(std::string_view channel) const {
    for (const auto& [room, c] : conferences_)
        if (c.users.count(std::string(channel))) return &c;
    return nullptr;
}

bool ConferencesState::channel_in_conference(std::string_view channel) const { return conference_of(channel) != nullptr; }

}  // namespace conferences
