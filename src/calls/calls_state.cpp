#include "calls/calls_state.hpp"

#include "model/json_writer.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace calls {

using ami::iequals;
using ami::Message;

namespace {

int to_int(std::string_view s, int fallback = 0) {
    int v = fallback;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() ? v : fallback;
}

// Asterisk's "<unknown>" caller id means none.
std::string_view clean_view(std::string_view v) { return v == "<unknown>" ? std::string_view() : v; }
std::string clean_id(std::string_view v) { return std::string(clean_view(v)); }

// "00:01:05" -> 65 s.
std::chrono::seconds hms(std::string_view d) {
    int h = 0, m = 0, s = 0;
    const std::size_t a = d.find(':'), b = d.rfind(':');
    if (a == std::string_view::npos || a == b) return std::chrono::seconds(to_int(d));
    h = to_int(d.substr(0, a));
    m = to_int(d.substr(a + 1, b - a - 1));
    s = to_int(d.substr(b + 1));
    return std::chrono::seconds(h * 3600 + m * 60 + s);
}

bool is_phone_tech(std::string_view tech) { return iequals(tech, "SIP") || iequals(tech, "PJSIP") || iequals(tech, "IAX2"); }

// The channel snapshot headers update() reads: one pass over the event's headers instead of a
// search per name (an event has 20-30 headers; this runs for most events).
enum Field : std::size_t {
    kUniqueid, kChannel, kLinkedid, kChannelState, kChannelStateDesc, kCallerIDNum, kCallerIDName,
    kConnectedLineNum, kConnectedLineName, kContext, kExten, kFieldCount
};
constexpr std::string_view kFieldNames[kFieldCount] = {
    "Uniqueid", "Channel", "Linkedid", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName",
    "ConnectedLineNum", "ConnectedLineName", "Context", "Exten"};

struct ChannelFields {
    std::optional<std::string_view> at[kFieldCount];
    const std::optional<std::string_view>& operator[](Field f) const { return at[f]; }
};

// "" prefix: Channel, Uniqueid...; "Dest": DestChannel, DestUniqueid... The first header of each
// name counts, as Message::find would have it.
ChannelFields channel_fields(const Message& e, std::string_view prefix) {
    ChannelFields out;
    const std::size_t count = e.header_count();
    for (std::size_t i = 0; i < count; ++i) {
        std::string_view name = e.name_at(i);
        if (name.size() <= prefix.size() || !iequals(name.substr(0, prefix.size()), prefix)) continue;
        name.remove_prefix(prefix.size());
        for (std::size_t f = 0; f < kFieldCount; ++f)
            if (name.size() == kFieldNames[f].size() && iequals(name, kFieldNames[f])) {
                if (!out.at[f]) out.at[f] = e.value_at(i);
                break;
            }
    }
    return out;
}

// Assigns only when the value differs: most events repeat what the channel already says.
void assign(std::string& to, std::string_view value) {
    if (to != value) to.assign(value.data(), value.size());
}

}  // namespace

std::pair<std::string, std::string> device_of(std::string_view channel) {
    const std::size_t slash = channel.find('/');
    if (slash == std::string_view::npos) return {{}, std::string(channel)};
    std::string_view tech = channel.substr(0, slash);
    std::string_view rest = channel.substr(slash + 1);
    // The unique suffix: "-0000002a" (SIP/PJSIP/IAX2), "-00000001;1" (Local).
    if (const std::size_t dash = rest.rfind('-'); dash != std::string_view::npos) rest = rest.substr(0, dash);
    return {std::string(tech), std::string(rest)};
}

void CallsState::request_snapshot(model::SnapshotRequester& r) {
    r.request(ami::Action("CoreShowChannels"), [this, &r](ami::ActionResult& res) {
        if (!res.ok()) return;
        const auto now = r.now();
        for (const auto& item : res.events) {
            const std::string uid(item.get("Uniqueid"));
            if (uid.empty()) continue;
            Channel& c = channels_[uid];
            c.name = std::string(item.get("Channel"));
            c.uniqueid = uid;
            c.linkedid = std::string(item.get("Linkedid", uid));
            c.state = to_int(item.get("ChannelState"));
            c.state_desc = std::string(item.get("ChannelStateDesc"));
            c.caller_number = clean_id(item.get("CallerIDNum"));
            c.caller_name = clean_id(item.get("CallerIDName"));
            c.connected_number = clean_id(item.get("ConnectedLineNum"));
            c.connected_name = clean_id(item.get("ConnectedLineName"));
            c.context = std::string(item.get("Context"));
            c.exten = std::string(item.get("Exten"));
            c.bridge = std::string(item.get("BridgeId"));
            c.created_at = now - hms(item.get("Duration"));
            // When it was answered is not in the listing: an Up channel counts from its creation.
            if (c.state == 6) c.answered_at = c.created_at;
            c.answer_announced = c.state == 6;
            by_name_[c.name] = uid;
        }
        // Who called whom is not listed either: in each call the channel whose uniqueid is the
        // linkedid created it, so the others were dialed by it.
        for (auto& [uid, c] : channels_)
            if (c.uniqueid != c.linkedid && channels_.count(c.linkedid)) c.dialed_by = c.linkedid;
        for (const auto& [uid, c] : channels_) reindex(c);
    });
}

void CallsState::keep_known_times(const CallsState& previous) {
    for (auto& [uid, c] : channels_) {
        const Channel* known = previous.channel(uid);
        if (!known || known->name != c.name) continue;
        c.created_at = known->created_at;
        if (known->answered_at && c.state == 6) c.answered_at = known->answered_at;
    }
}

namespace {
template <typename Index>
void index_move(Index& index, const std::string& from,
                const std::string& to, const std::string& uid) {
    if (from == to) return;
    if (!from.empty()) {
        auto it = index.find(from);
        if (it != index.end()) {
            it->second.erase(uid);
            if (it->second.empty()) index.erase(it);
        }
    }
    if (!to.empty()) index[to].insert(uid);
}
}  // namespace

void CallsState::reindex(const Channel& c) {
    auto it = indexed_.find(c.uniqueid);
    if (it == indexed_.end()) it = indexed_.emplace(c.uniqueid, Indexed{}).first;
    Indexed& was = it->second;
    if (was.linkedid == c.linkedid && was.bridge == c.bridge && was.dialed_by == c.dialed_by) return;
    index_move(by_linkedid_, was.linkedid, c.linkedid, c.uniqueid);
    index_move(by_bridge_, was.bridge, c.bridge, c.uniqueid);
    index_move(by_dialed_by_, was.dialed_by, c.dialed_by, c.uniqueid);
    assign(was.linkedid, c.linkedid);
    assign(was.bridge, c.bridge);
    assign(was.dialed_by, c.dialed_by);
}

void CallsState::unindex(const std::string& uniqueid) {
    auto it = indexed_.find(uniqueid);
    if (it == indexed_.end()) return;
    index_move(by_linkedid_, it->second.linkedid, {}, uniqueid);
    index_move(by_bridge_, it->second.bridge, {}, uniqueid);
    index_move(by_dialed_by_, it->second.dialed_by, {}, uniqueid);
    indexed_.erase(it);
}

Channel* CallsState::find(std::string_view uniqueid) {
    auto it = channels_.find(uniqueid);
    return it == channels_.end() ? nullptr : &it->second;
}

const Channel* CallsState::channel(std::string_view uniqueid) const {
    auto it = channels_.find(uniqueid);
    return it == channels_.end() ? nullptr : &it->second;
}

const Channel* CallsState::channel_by_name(std::string_view name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : channel(it->second);
}

std::vector<const Channel*> CallsState::channels_of_device(std::string_view tech, std::string_view resource) const {
    std::vector<const Channel*> out;
    const std::string prefix = std::string(tech) + "/" + std::string(resource) + "-";
    for (auto it = by_name_.lower_bound(prefix); it != by_name_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        const Channel* c = channel(it->second);
        if (c && device_of(c->name).second == resource) out.push_back(c);  // not SIP/2001-x-00000001 (device 2001-x)
    }
    std::sort(out.begin(), out.end(), [](const Channel* a, const Channel* b) { return uniqueid_before(a->uniqueid, b->uniqueid); });
    return out;
}

namespace {
// Asterisk's uniqueid: [<systemname>-]<seconds>.<sequence>, the last two decimal.
struct UniqueidParts {
    std::string_view prefix, seconds, sequence;
};
bool split_uniqueid(std::string_view id, UniqueidParts& parts) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    const auto dot = id.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == id.size()) return false;
    parts.sequence = id.substr(dot + 1);
    if (!std::all_of(parts.sequence.begin(), parts.sequence.end(), digit)) return false;
    std::size_t start = dot;
    while (start > 0 && digit(id[start - 1])) --start;
    if (start == dot) return false;
    parts.prefix = id.substr(0, start);
    parts.seconds = id.substr(start, dot - start);
    return true;
}
// Numeric order of two digit strings (Asterisk writes no leading zeros).
int compare_number(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b);
}
}  // namespace

bool uniqueid_before(std::string_view a, std::string_view b) {
    UniqueidParts pa, pb;
    const bool na = split_uniqueid(a, pa), nb = split_uniqueid(b, pb);
    if (na != nb) return na;  // Asterisk's form first
    if (!na) return a < b;
    if (const int c = pa.prefix.compare(pb.prefix); c != 0) return c < 0;
    if (const int c = compare_number(pa.seconds, pb.seconds); c != 0) return c < 0;
    return compare_number(pa.sequence, pb.sequence) < 0;
}

bool created_before(const Channel& a, const Channel& b) {
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return uniqueid_before(a.uniqueid, b.uniqueid);
}

std::vector<const Channel*> CallsState::call(std::string_view linkedid) const {
    std::vector<const Channel*> out;
    if (auto it = by_linkedid_.find(linkedid); it != by_linkedid_.end())
        for (const auto& uid : it->second)
            if (const Channel* c = channel(uid)) out.push_back(c);
    std::sort(out.begin(), out.end(), [](const Channel* a, const Channel* b) {
        return a->created_at != b->created_at ? a->created_at < b->created_at : a->uniqueid < b->uniqueid;
    });
    return out;
}

std::vector<const Channel*> CallsState::bridge_members(std::string_view bridge) const {
    std::vector<const Channel*> out;
    if (bridge.empty()) return out;
    if (auto it = by_bridge_.find(bridge); it != by_bridge_.end())
        for (const auto& uid : it->second)
            if (const Channel* c = channel(uid)) out.push_back(c);
    return out;
}

std::vector<std::string> CallsState::linkedids() const {
    std::vector<std::string> ids;
    ids.reserve(by_linkedid_.size());
    for (const auto& [linkedid, uids] : by_linkedid_) ids.push_back(linkedid);
    return ids;
}

const Channel* CallsState::counterpart(const Channel& c) const {
    auto direct = [this](const Channel& x) -> const Channel* {
        for (const Channel* m : bridge_members(x.bridge))
            if (m->uniqueid != x.uniqueid) return m;
        if (!x.dialed_by.empty())
            if (const Channel* d = channel(x.dialed_by)) return d;
        if (auto it = by_dialed_by_.find(x.uniqueid); it != by_dialed_by_.end() && !it->second.empty())
            return channel(*it->second.begin());
        return nullptr;
    };
    const Channel* p = direct(c);
    if (!p) return nullptr;
    // Look through a Local channel pair: Local/x@ctx-0001;1 <-> Local/x@ctx-0001;2.
    const auto [tech, resource] = device_of(p->name);
    if (iequals(tech, "Local") && p->name.size() > 2) {
        std::string other = p->name;
        other.back() = other.back() == '1' ? '2' : '1';
        if (const Channel* half = channel_by_name(other)) {
            Channel probe = *half;
            if (const Channel* beyond = direct(probe); beyond && beyond->uniqueid != c.uniqueid && beyond->uniqueid != p->uniqueid)
                return beyond;
        }
    }
    return p;
}

void CallsState::touch(const Channel& c, model::ChangeSet& changes) const {
    changes.calls.insert(c.linkedid);
    // Every extension in the call or the bridge shows this channel in its conversations.
    auto mark = [&](const std::set<std::string>& uids) {
        for (const auto& uid : uids)
            if (const Channel* other = channel(uid)) {
                const auto [tech, resource] = device_of(other->name);
                if (is_phone_tech(tech)) changes.extensions.insert(resource);
            }
    };
    if (auto it = by_linkedid_.find(c.linkedid); it != by_linkedid_.end()) mark(it->second);
    if (!c.bridge.empty())
        if (auto it = by_bridge_.find(c.bridge); it != by_bridge_.end()) mark(it->second);
    const auto [tech, resource] = device_of(c.name);
    if (is_phone_tech(tech)) changes.extensions.insert(resource);
}

void CallsState::happen(const Channel& c, std::string_view type, model::ChangeSet& changes, const Message* e) const {
    const auto [tech, resource] = device_of(c.name);
    if (!is_phone_tech(tech)) return;
    // Caller and callee as the phone sees them: who dialed is the caller.
    const Channel* peer = counterpart(c);
    const bool outgoing = c.outgoing.value_or(peer ? peer->dialed_by == c.uniqueid : c.dialed_by.empty());
    const std::string& own_number = c.caller_number;
    const std::string& own_name = c.caller_name;
    std::string_view other_number = peer ? std::string_view(peer->caller_number) : std::string_view(c.connected_number);
    if (other_number.empty() && outgoing && c.dialed != "s") other_number = c.dialed;  // nobody answered: what was dialed
    const std::string_view other_name = peer ? std::string_view(peer->caller_name) : std::string_view(c.connected_name);
    // Written as text: a call makes several of these, and a document per event was most of their cost.
    model::JsonWriter j(512);
    j.begin_object();
    j.field("event_type", type);
    j.field("call_id", c.linkedid);
    j.field("channel", c.name);
    j.field("uniqueid", c.uniqueid);
    j.field("direction", outgoing ? "out" : "in");
    j.field("caller_number", outgoing ? std::string_view(own_number) : other_number);
    j.field("caller_name", outgoing ? std::string_view(own_name) : other_name);
    j.field("callee_number", outgoing ? other_number : std::string_view(own_number));
    j.field("callee_name", outgoing ? other_name : std::string_view(own_name));
    const auto cause = e ? e->find("Cause") : std::nullopt;
    j.key("cause");
    if (cause) j.value(to_int(*cause));
    else j.null();
    j.key("cause_txt");
    if (cause) j.value(e->get("Cause-txt"));
    else j.null();
    j.end_object();
    changes.happenings.push_back(model::Happening{"extension", resource, nullptr, j.take()});
}

Channel* CallsState::update(const Message& e, std::string_view prefix, model::Timestamp now, model::ChangeSet& changes, bool create) {
    const ChannelFields fields = channel_fields(e, prefix);
    const std::string_view uid = fields[kUniqueid].value_or(std::string_view());
    if (uid.empty()) return nullptr;
    Channel* c = find(uid);
    if (!c) {
        if (!create || hung_up_.count(uid)) return nullptr;
        c = &channels_[std::string(uid)];
        c->uniqueid = std::string(uid);
        c->created_at = now;
    }
    const std::string old_linkedid = c->linkedid;
    if (const auto& v = fields[kChannel]) {
        if (!c->name.empty() && c->name != *v) by_name_.erase(c->name);
        assign(c->name, *v);
        auto named = by_name_.find(c->name);
        if (named == by_name_.end()) by_name_.emplace(c->name, c->uniqueid);
        else assign(named->second, c->uniqueid);
    }
    if (const auto& v = fields[kLinkedid]) assign(c->linkedid, *v);
    if (c->linkedid.empty()) c->linkedid = c->uniqueid;
    if (const auto& v = fields[kChannelState]) c->state = to_int(*v);
    if (const auto& v = fields[kChannelStateDesc]) assign(c->state_desc, *v);
    if (const auto& v = fields[kCallerIDNum]) assign(c->caller_number, clean_view(*v));
    if (const auto& v = fields[kCallerIDName]) assign(c->caller_name, clean_view(*v));
    if (const auto& v = fields[kConnectedLineNum]) assign(c->connected_number, clean_view(*v));
    if (const auto& v = fields[kConnectedLineName]) assign(c->connected_name, clean_view(*v));
    if (const auto& v = fields[kContext]) assign(c->context, *v);
    if (const auto& v = fields[kExten]) assign(c->exten, *v);
    if (c->state == 6 && !c->answered_at) c->answered_at = now;
    if (!old_linkedid.empty() && old_linkedid != c->linkedid) changes.calls.insert(old_linkedid);
    reindex(*c);
    touch(*c, changes);
    return c;
}

void CallsState::remove(const std::string& uniqueid, model::ChangeSet& changes) {
    auto it = channels_.find(uniqueid);
    if (it == channels_.end()) return;
    touch(it->second, changes);
    by_name_.erase(it->second.name);
    constexpr std::size_t kRememberHangups = 4096;
    if (hung_up_.insert(uniqueid).second) hung_up_order_.push_back(uniqueid);
    if (hung_up_order_.size() > kRememberHangups) {
        hung_up_.erase(hung_up_order_.front());
        hung_up_order_.pop_front();
    }
    // Channels this one dialed keep their call; they just lose the link.
    if (auto d = by_dialed_by_.find(uniqueid); d != by_dialed_by_.end()) {
        const std::set<std::string> dialed = d->second;
        for (const auto& uid : dialed)
            if (Channel* c = find(uid)) {
                c->dialed_by.clear();
                reindex(*c);
            }
    }
    unindex(uniqueid);
    channels_.erase(it);
}

void CallsState::apply_event(const Message& e, model::Timestamp now, model::ChangeSet& changes) {
    const std::string_view name = e.event();
    if (iequals(name, "Newchannel")) {
        if (Channel* c = update(e, "", now, changes, true)) {
            c->dialed = std::string(e.get("Exten"));
            // A phone's own call starts with the number it dialed; a dialed phone's channel has "s".
            if (!c->dialed.empty() && c->dialed != "s") {
                c->outgoing = true;
                c->dial_announced = true;
                happen(*c, "dialing", changes);
            }
        }
    } else if (iequals(name, "NewCallerid") || iequals(name, "NewConnectedLine") ||
        iequals(name, "DialState") || iequals(name, "NewAccountCode")) {
        update(e, "", now, changes, true);
    } else if (iequals(name, "Newstate")) {
        const int before = [&] {
            const Channel* c = channel(e.get("Uniqueid"));
            return c ? c->state : -1;
        }();
        Channel* c = update(e, "", now, changes, true);
        if (c && c->state == 5 && before != 5) happen(*c, "ringing", changes);
    } else if (iequals(name, "DialBegin")) {
        Channel* src = e.has("Channel") ? update(e, "", now, changes, true) : nullptr;
        Channel* dst = update(e, "Dest", now, changes, true);
        if (dst && src) {
            dst->dialed_by = src->uniqueid;
            reindex(*dst);
            if (!src->outgoing) src->outgoing = true;
            dst->outgoing = false;
            if (!src->queue.empty() && dst->queue.empty()) dst->queue = src->queue;
            touch(*dst, changes);
            if (!src->dial_announced) {
                src->dial_announced = true;
                happen(*src, "dialing", changes);
            }
        }
    } else if (iequals(name, "DialEnd")) {
        if (e.has("Channel")) update(e, "", now, changes, true);
        update(e, "Dest", now, changes, true);
    } else if (iequals(name, "BridgeEnter")) {
        Channel* c = update(e, "", now, changes, true);
        if (!c) return;
        c->bridge = std::string(e.get("BridgeUniqueid"));
        reindex(*c);
        const auto members = bridge_members(c->bridge);
        for (const Channel* m : members) touch(*m, changes);
        if (members.size() >= 2)
            for (const Channel* m : members)
                if (!m->answer_announced) {
                    happen(*m, "answered", changes);
                    find(m->uniqueid)->answer_announced = true;
                }
    } else if (iequals(name, "BridgeLeave")) {
        if (Channel* c = update(e, "", now, changes, true)) {
            for (const Channel* m : bridge_members(c->bridge)) touch(*m, changes);
            c->bridge.clear();
            reindex(*c);
        }
    } else if (iequals(name, "BridgeDestroy")) {
        const std::string bridge(e.get("BridgeUniqueid"));
        if (auto it = by_bridge_.find(bridge); it != by_bridge_.end()) {
            const std::set<std::string> members = it->second;
            for (const auto& uid : members)
                if (Channel* c = find(uid)) {
                    c->bridge.clear();
                    reindex(*c);
                    touch(*c, changes);
                }
        }
    } else if (iequals(name, "Hold") || iequals(name, "Unhold")) {
        if (Channel* c = update(e, "", now, changes, true)) {
            c->on_hold = iequals(name, "Hold");
            happen(*c, c->on_hold ? "hold" : "unhold", changes);
        }
    } else if (iequals(name, "MixMonitorStart") || iequals(name, "MixMonitorStop") || iequals(name, "MixMonitorMute")) {
        if (Channel* c = update(e, "", now, changes, true)) {
            if (iequals(name, "MixMonitorStart")) c->recording = "true";
            else if (iequals(name, "MixMonitorStop")) c->recording = "false";
            else c->recording = e.get("State") == "1" ? "mute" : "true";
            touch(*c, changes);
        }
    } else if (iequals(name, "ConfbridgeJoin") || iequals(name, "ConfbridgeLeave")) {
        if (Channel* c = update(e, "", now, changes, true)) {
            c->in_conference = iequals(name, "ConfbridgeJoin");
            touch(*c, changes);
        }
    } else if (iequals(name, "QueueCallerJoin") || iequals(name, "AgentCalled") || iequals(name, "AgentConnect")) {
        const std::string queue(e.get("Queue"));
        if (Channel* c = update(e, "", now, changes, true)) c->queue = queue;
        if (e.has("DestUniqueid"))
            if (Channel* d = update(e, "Dest", now, changes, true)) d->queue = queue;
    } else if (iequals(name, "Rename")) {
        // Asterisk 11-style rename: Channel -> Newname.
        if (auto it = by_name_.find(e.get("Channel")); it != by_name_.end()) {
            const std::string uid = it->second;
            by_name_.erase(it);
            Channel& c = channels_[uid];
            c.name = std::string(e.get("Newname"));
            by_name_[c.name] = uid;
            touch(c, changes);
        }
    } else if (iequals(name, "Hangup")) {
        const std::string uid(e.get("Uniqueid"));
        if (Channel* c = update(e, "", now, changes, false)) {
            happen(*c, "hangup", changes, &e);
            remove(uid, changes);
        }
    } else if (e.has("Uniqueid") && e.has("Linkedid") && e.has("Channel") && !iequals(name, "VarSet") &&
               !iequals(name, "Newexten") && !iequals(name, "CoreShowChannel") && !iequals(name, "Status")) {
        // Any other event about a known channel refreshes it (LocalBridge, transfers, park...).
        if (find(e.get("Uniqueid"))) update(e, "", now, changes, false);
    }
}

}  // namespace calls
