#include "calls/calls_view.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "model/json_writer.hpp"

namespace calls {

namespace {

bool is_trunk_channel(const Channel& c, const std::set<std::string>& trunks) {
    return trunks.count(device_of(c.name).second) > 0;
}

std::string trunk_of(const Channel& c, const std::set<std::string>& trunks) {
    const auto resource = device_of(c.name).second;
    return trunks.count(resource) ? resource : std::string();
}

std::string lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

void iso_or_null(model::JsonWriter& w, const std::optional<model::Timestamp>& t) {
    if (t) w.value(model::iso8601(*t));
    else w.null();
}

long long seconds_between(model::Timestamp from, model::Timestamp to) {
    return std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
}

void channel_side(model::JsonWriter& w, const Channel& c, const Channel* peer) {
    w.begin_object();
    w.field("type", device_of(c.name).first);
    w.field("channel", c.name);
    w.field("callerNum", c.caller_number);
    w.field("callerName", c.caller_name);
    w.field("bridgedNum", c.connected_number);
    w.field("bridgedName", c.connected_name);
    w.field("bridgedChannel", peer ? peer->name : std::string());
    w.field("channelStatus", lower(c.state_desc));
    w.field("startTime", static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(c.created_at.time_since_epoch()).count()));
    w.end_object();
}

}  // namespace

std::optional<std::string> render_call(const CallsState& calls, std::string_view linkedid, const std::set<std::string>& trunks,
                                       model::Timestamp now) {
    (void)now;
    const auto channels = calls.call(linkedid);
    if (channels.empty()) return std::nullopt;
    bool up = false, ringing = false, hold = false, conference = false;
    std::string recording = "false", queue, trunk;
    std::optional<model::Timestamp> answered;
    for (const Channel* c : channels) {
        up |= c->state == 6;
        ringing |= c->state == 5;
        hold |= c->on_hold;
        conference |= c->in_conference;
        if (c->recording == "true" || (c->recording == "mute" && recording == "false")) recording = c->recording;
        if (queue.empty()) queue = c->queue;
        if (trunk.empty()) trunk = trunk_of(*c, trunks);
        if (c->answered_at && (!answered || *c->answered_at < *answered) && c->dialed_by.size()) answered = c->answered_at;
    }
    model::JsonWriter w;
    w.begin_object();
    w.field("id", linkedid);
    w.field("state", up ? "up" : ringing ? "ringing" : "dialing");
    const Channel* creator = channels.front();
    w.field("direction", is_trunk_channel(*creator, trunks) ? "in" : trunk.empty() ? "internal" : "out");
    w.field("started_at", model::iso8601(creator->created_at));
    w.key("answered_at");
    iso_or_null(w, answered);
    w.field("queue", queue);
    w.field("trunk", trunk);
    w.field("recording", recording);
    w.field("on_hold", hold);
    w.field("in_conference", conference);
    w.key("channels").begin_array();
    for (const Channel* c : channels) {
        const auto [tech, resource] = device_of(c->name);
        w.begin_object();
        w.field("channel", c->name);
        w.field("uniqueid", c->uniqueid);
        w.field("state", lower(c->state_desc));
        w.field("number", c->caller_number);
        w.field("name", c->caller_name);
        w.field("connected_number", c->connected_number);
        w.field("connected_name", c->connected_name);
        const bool phone = tech == "SIP" || tech == "PJSIP" || tech == "IAX2";
        w.field("extension", phone && !trunks.count(resource) ? std::string(resource) : std::string());
        w.field("trunk", trunk_of(*c, trunks));
        w.field("on_hold", c->on_hold);
        w.field("recording", c->recording);
        w.key("answered_at");
        iso_or_null(w, c->answered_at);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return w.take();
}

std::string conversations_of(const CallsState& calls, std::string_view tech, std::string_view exten, const std::set<std::string>& trunks,
                             model::Timestamp now) {
    // Keyed by id; a repeated id keeps its first place and the last value (as an ordered_json
    // object assigned twice did).
    std::vector<std::pair<std::string, std::string>> entries;
    for (const Channel* channel : calls.channels_of_device(tech, exten)) {
        const Channel& c = *channel;
        const Channel* peer = calls.counterpart(c);
        // Who dialed is the source.
        const bool incoming = c.outgoing ? !*c.outgoing
                                         : peer && (c.dialed_by == peer->uniqueid ||
                                                    (peer->dialed_by != c.uniqueid && created_before(*peer, c)));
        const Channel* source = incoming && peer ? peer : &c;
        const Channel* dest = incoming && peer ? &c : peer;
        const std::string id = source->name + ">" + (dest ? dest->name : std::string());
        model::JsonWriter w(1024);
        w.begin_object();
        w.field("id", id);
        w.field("owner", exten);
        w.key("chSource");
        channel_side(w, *source, source == &c ? peer : &c);
        w.key("chDest");
        if (dest) channel_side(w, *dest, dest == &c ? peer : &c);
        else w.null();
        const std::string queue = !c.queue.empty() ? c.queue : peer ? peer->queue : std::string();
        w.field("queueId", queue);
        w.field("linkedId", c.linkedid);
        w.field("uniqueId", c.uniqueid);
        w.field("duration", seconds_between(c.created_at, now));
        w.field("connected", peer && c.state == 6 && peer->state == 6 && !c.bridge.empty() && c.bridge == peer->bridge);
        w.field("recording", c.recording != "false" ? c.recording : peer ? peer->recording : std::string("false"));
        w.field("direction", incoming ? "in" : "out");
        w.field("inConference", c.in_conference);
        w.field("throughQueue", !queue.empty());
        w.field("throughTrunk", calls.any_in_call(c.linkedid, [&](const Channel& m) { return is_trunk_channel(m, trunks); }));
        w.field("counterpartNum", peer ? peer->caller_number : c.connected_number);
        w.field("counterpartName", peer ? peer->caller_name : c.connected_name);
        w.end_object();
        auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == id; });
        if (same != entries.end()) same->second = w.take();
        else entries.emplace_back(id, w.take());
    }
    std::size_t size = 2;
    for (const auto& [id, text] : entries) size += id.size() + text.size() + 4;
    model::JsonWriter out(size);
    out.begin_object();
    for (const auto& [id, text] : entries) out.key(id).raw(text);
    out.end_object();
    return out.take();
}

}  // namespace calls
