#include "calls/calls_view.hpp"

#include <cctype>

namespace calls {

namespace {

using json = nlohmann::ordered_json;

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

json iso_or_null(const std::optional<model::Timestamp>& t) { return t ? json(model::iso8601(*t)) : json(nullptr); }

// Whether a was created before b. Times from a snapshot are whole seconds, so two channels often
// tie: then the uniqueid's sequence number ("1795801243.12": 12) tells, as Asterisk counts up.
bool created_before(const Channel& a, const Channel& b) {
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    auto sequence = [](const std::string& uniqueid) {
        const auto dot = uniqueid.rfind('.');
        const std::string digits = dot == std::string::npos ? std::string() : uniqueid.substr(dot + 1);
        return std::pair<std::size_t, std::string>(digits.size(), digits);  // numeric order of the digits
    };
    return sequence(a.uniqueid) < sequence(b.uniqueid);
}

long long seconds_between(model::Timestamp from, model::Timestamp to) {
    return std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
}

json channel_side(const Channel& c, const Channel* peer) {
    json j;
    j["type"] = device_of(c.name).first;
    j["channel"] = c.name;
    j["callerNum"] = c.caller_number;
    j["callerName"] = c.caller_name;
    j["bridgedNum"] = c.connected_number;
    j["bridgedName"] = c.connected_name;
    j["bridgedChannel"] = peer ? peer->name : "";
    j["channelStatus"] = lower(c.state_desc);
    j["startTime"] = static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(c.created_at.time_since_epoch()).count());
    return j;
}

}  // namespace

json render_call(const CallsState& calls, std::string_view linkedid, const std::set<std::string>& trunks, model::Timestamp now) {
    (void)now;
    const auto channels = calls.call(linkedid);
    if (channels.empty()) return json(nullptr);
    json j;
    j["id"] = std::string(linkedid);
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
    j["state"] = up ? "up" : ringing ? "ringing" : "dialing";
    const Channel* creator = channels.front();
    j["direction"] = is_trunk_channel(*creator, trunks) ? "in" : trunk.empty() ? "internal" : "out";
    j["started_at"] = model::iso8601(creator->created_at);
    j["answered_at"] = iso_or_null(answered);
    j["queue"] = queue;
    j["trunk"] = trunk;
    j["recording"] = recording;
    j["on_hold"] = hold;
    j["in_conference"] = conference;
    json list = json::array();
    for (const Channel* c : channels) {
        const auto [tech, resource] = device_of(c->name);
        json ch;
        ch["channel"] = c->name;
        ch["uniqueid"] = c->uniqueid;
        ch["state"] = lower(c->state_desc);
        ch["number"] = c->caller_number;
        ch["name"] = c->caller_name;
        ch["connected_number"] = c->connected_number;
        ch["connected_name"] = c->connected_name;
        const bool phone = tech == "SIP" || tech == "PJSIP" || tech == "IAX2";
        ch["extension"] = phone && !trunks.count(resource) ? resource : "";
        ch["trunk"] = trunk_of(*c, trunks);
        ch["on_hold"] = c->on_hold;
        ch["recording"] = c->recording;
        ch["answered_at"] = iso_or_null(c->answered_at);
        list.push_back(std::move(ch));
    }
    j["channels"] = std::move(list);
    return j;
}

json conversations_of(const CallsState& calls, std::string_view tech, std::string_view exten, const std::set<std::string>& trunks,
                      model::Timestamp now) {
    json out = json::object();
    for (const Channel* channel : calls.channels_of_device(tech, exten)) {
        const Channel& c = *channel;
        const Channel* peer = calls.counterpart(c);
        // Who dialed is the source.
        const bool incoming = c.outgoing ? !*c.outgoing
                                         : peer && (c.dialed_by == peer->uniqueid ||
                                                    (peer->dialed_by != c.uniqueid && created_before(*peer, c)));
        const Channel* source = incoming && peer ? peer : &c;
        const Channel* dest = incoming && peer ? &c : peer;
        json conv;
        const std::string id = source->name + ">" + (dest ? dest->name : std::string());
        conv["id"] = id;
        conv["owner"] = std::string(exten);
        conv["chSource"] = channel_side(*source, source == &c ? peer : &c);
        conv["chDest"] = dest ? channel_side(*dest, dest == &c ? peer : &c) : json(nullptr);
        const std::string queue = !c.queue.empty() ? c.queue : peer ? peer->queue : std::string();
        conv["queueId"] = queue;
        conv["linkedId"] = c.linkedid;
        conv["uniqueId"] = c.uniqueid;
        conv["duration"] = seconds_between(c.created_at, now);
        conv["connected"] = peer && c.state == 6 && peer->state == 6 && !c.bridge.empty() && c.bridge == peer->bridge;
        conv["recording"] = c.recording != "false" ? c.recording : peer ? peer->recording : std::string("false");
        conv["direction"] = incoming ? "in" : "out";
        conv["inConference"] = c.in_conference;
        conv["throughQueue"] = !queue.empty();
        bool trunk = false;
        for (const Channel* m : calls.call(c.linkedid)) trunk |= is_trunk_channel(*m, trunks);
        conv["throughTrunk"] = trunk;
        conv["counterpartNum"] = peer ? peer->caller_number : c.connected_number;
        conv["counterpartName"] = peer ? peer->caller_name : c.connected_name;
        out[id] = std::move(conv);
    }
    return out;
}

}  // namespace calls
