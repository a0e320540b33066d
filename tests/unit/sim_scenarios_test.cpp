// ami-sim against whole recorded scenarios: the queue (20: 06, 22: 04, 13: 04), parking (20: 07,
// 22/13: 05), ConfBridge (20: 08, 22/13: 06) and call (20: 05, 22/13: 03) transcripts are
// driven through the simulator: what the phones did (dial, answer, hang up) is taken from the
// recorded events and done with the simulator's own operations at the recorded times, and the
// bridge's actions (QueueAdd, Park, ConfbridgeMute, QueueStatus, BridgeInfo...) are replayed
// through the action handler. Then, per event name, the simulator's events must equal the
// recorded ones byte for byte once the ids Asterisk made up (channel name counters, uniqueids,
// bridge ids) are replaced by what they stand for; the answers must equal the recorded answers
// the same way (list items sorted: Asterisk lists hash containers).
//
// Not simulated, so left out on both sides: SIP and dialplan noise (VarSet, Newexten, RTCP,
// security events), the Local channel pair Asterisk makes for a Local/ queue member (the
// simulator rings that member's phone directly) and everything on that phone's leg, and, on
// 22/05, the park-by-BlindTransfer half.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "ami-sim/actions.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/simulator.hpp"

namespace sim_scenarios_test {  // named: the unity build compiles several test files as one

using namespace amisim;

std::string fixture_text(const std::string& flavor, const std::string& file) {
    return read_text_file(std::string(PBX2MQTT_FIXTURES_DIR) + "/ami/" + flavor + "/" + file);
}

// Epoch seconds of the capture's start: the first "#@ <ISO time> +<offset>" line minus its offset.
double capture_start(const std::string& text) {
    const auto at = text.find("\n#@ ");
    if (at == std::string::npos) return 0;
    std::tm tm{};
    int millis = 0;
    double offset = 0;
    std::sscanf(text.c_str() + at + 4, "%d-%d-%dT%d:%d:%d.%dZ +%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                &tm.tm_min, &tm.tm_sec, &millis, &offset);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + millis / 1000.0 - offset;
}

bool noise(std::string_view event) {
    static const std::set<std::string, std::less<>> kNoise{
        "VarSet",          "Newexten",        "ChallengeSent",   "SuccessfulAuth", "ChallengeResponseFailed",
        "RTCPSent",        "RTCPReceived",    "FullyBooted",     "InvalidPassword", "RequestBadFormat",
        "UserEvent",       "Registry",        "LocalBridge",     "NewCallerid",     "PeerStatus",
        "LocalOptimizationBegin", "LocalOptimizationEnd", "ContactStatus"};
    return kNoise.count(event) > 0;
}

std::string peer_of_channel(std::string_view channel) {
    const auto slash = channel.find('/');
    const auto dash = channel.rfind('-');
    if (slash == std::string_view::npos || dash == std::string_view::npos || dash < slash) return {};
    return std::string(channel.substr(slash + 1, dash - slash - 1));
}

struct Scenario {
    Flavor flavor;
    std::string name, file;
    std::set<std::string> rooms;   // ConfBridge rooms
    std::string local_member;      // the phone of the Local/ queue member ("2002"), left out
    std::string stop_at_action;    // replay nothing from this action on ("BlindTransfer")
    std::set<std::string> masked = {};     // "Event.Header" values not compared
    std::set<std::string> unordered = {};  // event names whose order is a race in the recording
    std::set<std::string> expected = {};   // event names the scenario must have compared
    std::set<std::string> answers = {};    // actions whose answers it must have compared
};

// Replaces made-up ids with stable names: a channel by its peer and how many channels that peer
// had before it, a uniqueid by its channel, a bridge id by its creation order.
class IdNames {
public:
    void learn(const std::vector<ami::Message>& events) {
        for (const auto& e : events) {
            if (e.event() == "Newchannel") {
                const std::string channel(e.get("Channel"));
                const std::string peer = peer_of_channel(channel);
                if (!channels_.count(channel)) channels_[channel] = "<" + peer + "#" + std::to_string(per_peer_[peer]++) + ">";
                ids_[std::string(e.get("Uniqueid"))] = "<id of " + channels_[channel] + ">";
            }
            if (e.event() == "BridgeCreate") {
                const std::string id(e.get("BridgeUniqueid"));
                if (!bridges_.count(id)) bridges_[id] = "<bridge#" + std::to_string(bridges_.size()) + ">";
            }
        }
    }
    std::string text(std::string wire) const {
        static const std::regex kChannel(R"((PJSIP|SIP)/[A-Za-z0-9_]+-[0-9a-f]{8})");
        static const std::regex kUniqueid(R"(\b1[0-9]{9}\.[0-9]+\b)");
        static const std::regex kBridge(R"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");
        wire = replace(wire, kChannel, channels_);
        wire = replace(wire, kUniqueid, ids_);
        return replace(wire, kBridge, bridges_);
    }
    std::string channel_for(const std::string& name) const {
        auto it = channels_.find(name);
        return it == channels_.end() ? std::string() : it->second;
    }

private:
    static std::string replace(const std::string& in, const std::regex& re, const std::map<std::string, std::string>& names) {
        std::string out;
        std::size_t last = 0;
        for (auto it = std::sregex_iterator(in.begin(), in.end(), re); it != std::sregex_iterator(); ++it) {
            out += in.substr(last, static_cast<std::size_t>(it->position()) - last);
            auto found = names.find(it->str());
            out += found == names.end() ? it->str() : found->second;
            last = static_cast<std::size_t>(it->position() + it->length());
        }
        return out + in.substr(last);
    }
    std::map<std::string, std::string> channels_, ids_, bridges_;
    std::map<std::string, int> per_peer_;
};

// The messages of an answer, list items sorted.
std::vector<std::string> answer_sorted(const std::string& wire) {
    std::vector<std::string> messages;
    for (std::size_t start = 0; start < wire.size();) {
        const auto end = wire.find("\r\n\r\n", start);
        if (end == std::string::npos) {
            messages.push_back(wire.substr(start));
            break;
        }
        messages.push_back(wire.substr(start, end + 4 - start));
        start = end + 4;
    }
    if (messages.size() > 2) std::sort(messages.begin() + 1, messages.end() - 1);
    return messages;
}

bool involves_local(const ami::Message& m, const std::string& local_member, std::string_view tech) {
    for (const auto& h : m.headers()) {
        if (h.value.rfind("Local/", 0) == 0 && (h.name.ends_with("Channel") || h.name == "Device")) return true;
        if (!local_member.empty() && h.name.ends_with("Channel") &&
            h.value.rfind(std::string(tech) + "/" + local_member + "-", 0) == 0)
            return true;
    }
    return false;
}

struct Result {
    std::vector<ami::Message> recorded, simulated;
    std::vector<std::pair<std::string, std::string>> answers;  // (recorded, simulated), normalized later
    std::vector<std::string> requests;
};

Result drive(const Scenario& sc) {
    const std::string text = fixture_text(sc.name, sc.file);
    const double start = capture_start(text);
    const auto recording = parse_recording(text);
    Simulator sim(sc.flavor, default_state(sc.flavor), 1, start);
    ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(sc.flavor, {}));
    const std::string tech(traits(sc.flavor).tech);
    Result result;
    IdNames recorded_names;
    std::vector<ami::Message> recorded_all;
    for (const auto& m : recording)
        if (m.from_server && m.message.is_event()) recorded_all.push_back(m.message);
    recorded_names.learn(recorded_all);
    std::map<std::string, std::string> recorded_bridge_to_sim;
    std::vector<std::string> recorded_bridges, sim_bridges;

    auto take = [&](Events events) {
        for (auto& e : events) {
            if (e.event() == "BridgeCreate") sim_bridges.push_back(std::string(e.get("BridgeUniqueid")));
            if (noise(e.event()) || involves_local(e, sc.local_member, tech)) continue;
            result.simulated.push_back(std::move(e));
        }
    };
    auto sim_channel = [&](std::string_view recorded) -> std::string {
        const auto& names = sim.state().channels_of_peer(peer_of_channel(recorded));
        return names.empty() ? std::string() : names.back();
    };
    auto queue_of = [&](std::string_view exten) { return sim.state().find_queue(exten) != nullptr; };

    bool stopped = false;
    for (const Exchange& e : exchanges(recording)) {
        const ami::Message& request = e.request->message;
        const double at = start + e.request->offset;
        const std::string action(request.get("Action"));
        if (!sc.stop_at_action.empty() && action == sc.stop_at_action) stopped = true;
        if (stopped) break;
        static const std::set<std::string> kReplayed{
            "QueueStatus", "QueueSummary", "QueueAdd", "QueuePause", "QueuePenalty", "QueueRemove", "Park",
            "ParkedCalls", "Parkinglots", "ExtensionState", "ConfbridgeListRooms", "ConfbridgeList", "ConfbridgeMute",
            "ConfbridgeUnmute", "ConfbridgeLock", "ConfbridgeUnlock", "ConfbridgeKick", "CoreShowChannels", "Status",
            "BridgeList", "BridgeInfo"};
        if (e.request->connection == "bridge" && kReplayed.count(action) && !request.has("AllVariables")) {
            // The request with the recorded ids swapped for the simulator's.
            ami::Message mapped;
            for (const auto& h : request.headers()) {
                std::string value = h.value;
                if (h.name == "Channel" || h.name == "TimeoutChannel") {
                    const std::string own = sim_channel(value);
                    if (!own.empty() && !recorded_names.channel_for(value).empty()) value = own;
                }
                if (h.name == "BridgeUniqueid")
                    for (std::size_t i = 0; i < recorded_bridges.size() && i < sim_bridges.size(); ++i)
                        if (recorded_bridges[i] == value) value = sim_bridges[i];
                mapped.add(h.name, value);
            }
            ActionReply reply = handler.handle(mapped, at);
            std::string expected;
            for (const auto* r : e.replies)
                if (r->message.action_id() == request.action_id() || r->message.is_response()) expected += r->wire;
            result.answers.emplace_back(expected, reply.bytes);
            result.requests.push_back(action + " " + std::string(request.action_id()));
            take(std::move(reply.events));
        }
        // What the phones did while this request's answer was coming in.
        for (const auto* r : e.replies) {
            const ami::Message& m = r->message;
            if (!m.is_event() || m.has("ActionID") || r->connection != "bridge") continue;
            const double when = start + r->offset;
            if (m.event() == "BridgeCreate") recorded_bridges.push_back(std::string(m.get("BridgeUniqueid")));
            if (!noise(m.event()) && !involves_local(m, sc.local_member, tech)) result.recorded.push_back(m);
            const std::string channel(m.get("Channel"));
            const std::string peer = peer_of_channel(channel);
            if (channel.rfind("Local/", 0) == 0 || peer.empty()) continue;
            if (m.event() == "Newchannel" && m.get("Context") == "from-internal" && m.get("Exten") != "s") {
                const std::string exten(m.get("Exten"));
                Outcome o;
                if (queue_of(exten)) o = sim.queue_join(exten, peer, when);
                else if (sc.rooms.count(exten)) o = sim.conf_join(exten, peer, when);
                else if (exten.size() == 2 && exten[0] == '7') o = sim.unpark(std::atoi(exten.c_str()), peer, when);
                else o = sim.start_call(peer, exten, when);
                EXPECT_TRUE(o.ok()) << sc.file << ": " << o.error;
                take(std::move(o.events));
            } else if (m.event() == "DialEnd" && m.get("DialStatus") == "ANSWER" &&
                       std::string_view(m.get("DestChannel")).rfind("Local/", 0) != 0) {
                Call* call = sim.state().find_call_of_channel(sim_channel(channel));
                EXPECT_NE(call, nullptr) << sc.file << ": no call for " << channel;
                if (!call) continue;
                Outcome o = call->kind == CallKind::Queue
                                ? sim.queue_answer(call->queue, peer_of_channel(m.get("DestChannel")), when)
                                : sim.answer_call(call->id, when);
                EXPECT_TRUE(o.ok()) << sc.file << ": " << o.error;
                take(std::move(o.events));
            } else if (m.event() == "DialEnd" && m.get("DialStatus") == "BUSY") {
                // chan_sip: the callee rejected without a HangupRequest of its own.
                if (Call* call = sim.state().find_call_of_channel(sim_channel(channel))) {
                    Outcome o = sim.hangup_call(call->id, HangupSide::Callee, 17, when);
                    EXPECT_TRUE(o.ok()) << sc.file << ": " << o.error;
                    take(std::move(o.events));
                }
            } else if (m.event() == "Hold" || m.event() == "Unhold") {
                Call* call = sim.state().find_call_of_channel(sim_channel(channel));
                EXPECT_NE(call, nullptr) << sc.file << ": no call for " << channel;
                if (!call) continue;
                Outcome o = sim.hold_call(call->id, m.event() == "Hold");
                EXPECT_TRUE(o.ok()) << sc.file << ": " << o.error;
                take(std::move(o.events));
            } else if (m.event() == "HangupRequest") {
                const std::string own = sim_channel(channel);
                if (own.empty()) continue;
                const int cause = m.has("Cause") ? std::atoi(std::string(m.get("Cause")).c_str()) : 16;
                Outcome o = sim.hangup_channel(own, cause, when);
                EXPECT_TRUE(o.ok()) << sc.file << ": " << o.error;
                take(std::move(o.events));
            }
        }
    }
    return result;
}

// Per event name, the normalized events in order. QueueMemberStatus, like device states, is
// compared per member with repeats collapsed (Asterisk 13 sent some twice).
std::map<std::string, std::vector<std::string>> by_name(const std::vector<ami::Message>& events, const Scenario& sc) {
    IdNames names;
    names.learn(events);
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : events) {
        if (e.event() == "DeviceStateChange" || e.event() == "ExtensionStatus") continue;
        ami::Message copy;
        for (const auto& h : e.headers())
            copy.add(h.name, sc.masked.count(std::string(e.event()) + "." + h.name) ? "?" : h.value);
        std::string key(e.event());
        if (key == "QueueMemberStatus") key += " " + std::string(e.get("Interface"));
        auto& list = out[key];
        std::string text = names.text(copy.serialize());
        if (e.event() == "QueueMemberStatus" && !list.empty() && list.back() == text) continue;
        list.push_back(std::move(text));
    }
    for (const auto& name : sc.unordered)
        if (out.count(name)) std::sort(out[name].begin(), out[name].end());
    return out;
}

// Device states and hint statuses as sequences per device / per exten, repeats collapsed.
std::map<std::string, std::vector<std::string>> states(const std::vector<ami::Message>& events) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : events) {
        std::string key, value;
        if (e.event() == "DeviceStateChange") key = std::string(e.get("Device")), value = std::string(e.get("State"));
        else if (e.event() == "ExtensionStatus") key = std::string(e.get("Exten")) + "@" + std::string(e.get("Context")), value = std::string(e.get("Status"));
        else continue;
        if (key.rfind("CBAnn/", 0) == 0) continue;  // the announcer's own device: UNKNOWN twice
        auto& seq = out[key];
        if (seq.empty() || seq.back() != value) seq.push_back(value);
    }
    return out;
}

void expect_scenario(const Scenario& sc) {
    Result r = drive(sc);
    ASSERT_FALSE(r.simulated.empty()) << sc.file;
    const auto got = by_name(r.simulated, sc);
    const auto want = by_name(r.recorded, sc);
    std::set<std::string> names;
    for (const auto& [name, list] : want) names.insert(name);
    for (const auto& [name, list] : got) names.insert(name);
    for (const auto& name : names) {
        const auto g = got.count(name) ? got.at(name) : std::vector<std::string>{};
        const auto w = want.count(name) ? want.at(name) : std::vector<std::string>{};
        EXPECT_EQ(g, w) << sc.name << "/" << sc.file << ": " << name << " events differ";
    }
    EXPECT_EQ(states(r.simulated), states(r.recorded)) << sc.name << "/" << sc.file;
    for (const auto& name : sc.expected)
        EXPECT_TRUE(want.count(name) && got.count(name)) << sc.name << "/" << sc.file << ": no " << name << " compared";
    // Answers: each side normalized with the names its own events gave the ids.
    IdNames recorded_names, simulated_names;
    recorded_names.learn(r.recorded);
    simulated_names.learn(r.simulated);
    ASSERT_EQ(r.answers.size(), r.requests.size());
    for (const auto& action : sc.answers) {
        bool compared = false;
        for (const auto& request : r.requests) compared |= request.rfind(action + " ", 0) == 0;
        EXPECT_TRUE(compared) << sc.name << "/" << sc.file << ": no answer to " << action << " compared";
    }
    for (std::size_t i = 0; i < r.answers.size(); ++i)
        EXPECT_EQ(answer_sorted(simulated_names.text(r.answers[i].second)),
                  answer_sorted(recorded_names.text(r.answers[i].first)))
            << sc.name << "/" << sc.file << ": answer to " << r.requests[i];
}

// DialState shows the callee's state as it was when its stasis message was made, which races
// with the callee's own state changes.
const std::set<std::string> kRacyDial{"DialState.DestChannelState", "DialState.DestChannelStateDesc"};
// The parking transcripts were recorded after the queue ones on the same PBX: the queue members'
// counters carry that history, which the simulator (started from fixture 01) does not have.
const std::set<std::string> kQueueHistory{"DialState.DestChannelState", "DialState.DestChannelStateDesc",
                                          "QueueMemberStatus.CallsTaken", "QueueMemberStatus.LastCall",
                                          "QueueMemberStatus.LastPause"};

const std::set<std::string> kQueueEvents{"QueueCallerJoin", "QueueCallerLeave", "AgentCalled", "AgentConnect",
                                         "AgentComplete", "QueueMemberAdded", "QueueMemberPause",
                                         "QueueMemberPenalty", "QueueMemberRemoved", "BridgeEnter", "Hangup"};
const std::set<std::string> kParkingEvents{"ParkedCall", "UnParkedCall", "BridgeEnter", "BridgeLeave", "Hangup"};
const std::set<std::string> kConfEvents{"ConfbridgeStart", "ConfbridgeJoin", "ConfbridgeMute", "ConfbridgeUnmute",
                                        "ConfbridgeLeave", "ConfbridgeEnd", "BridgeEnter", "Hangup"};
const std::set<std::string> kQueueAnswers{"QueueStatus", "QueueSummary", "QueueAdd", "QueuePause", "QueuePenalty",
                                          "QueueRemove"};
const std::set<std::string> kParkingAnswers{"Park", "ParkedCalls", "Parkinglots", "ExtensionState"};
const std::set<std::string> kConfAnswers{"ConfbridgeListRooms", "ConfbridgeList", "ConfbridgeMute", "ConfbridgeUnmute",
                                         "ConfbridgeLock", "ConfbridgeUnlock", "ConfbridgeKick"};
const std::set<std::string> kCallAnswers{"CoreShowChannels", "Status", "BridgeList", "BridgeInfo"};
const std::set<std::string> kCallEvents{"Newchannel", "DialBegin", "DialEnd", "BridgeEnter", "Hold", "Unhold",
                                        "BridgeLeave", "BridgeDestroy", "Hangup"};

TEST(SimScenarios, Asterisk20QueueFile06) {
    auto events = kQueueEvents;
    events.insert("QueueCallerAbandon");
    expect_scenario({Flavor::Asterisk20ChanSip, "asterisk20-chansip", "06-queue-401.txt", {}, "2002", {}, kRacyDial, {},
                     events, kQueueAnswers});
}

TEST(SimScenarios, Asterisk22QueueFile04) {
    expect_scenario({Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "04-queue-402.txt", {}, "3002", {}, kRacyDial, {},
                     kQueueEvents, kQueueAnswers});
}

TEST(SimScenarios, Asterisk13QueueFile04) {
    auto events = kQueueEvents;
    events.insert("QueueCallerAbandon");
    expect_scenario({Flavor::Asterisk13ChanSip, "asterisk13-chansip", "04-queue-403.txt", {}, "4002", {}, kRacyDial, {},
                     events, kQueueAnswers});
}

TEST(SimScenarios, Asterisk20ParkingFile07) {
    auto events = kParkingEvents;
    events.insert("ParkedCallGiveUp");
    expect_scenario({Flavor::Asterisk20ChanSip, "asterisk20-chansip", "07-parking.txt", {}, {}, {}, kQueueHistory,
                     {"NewConnectedLine"}, events, kParkingAnswers});
}

TEST(SimScenarios, Asterisk22ParkingFile05) {
    expect_scenario({Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "05-parking.txt", {}, {}, "BlindTransfer",
                     kQueueHistory, {"Hangup"}, kParkingEvents, kParkingAnswers});
}

TEST(SimScenarios, Asterisk13ParkingFile05) {
    auto events = kParkingEvents;
    events.insert("ParkedCallGiveUp");
    expect_scenario({Flavor::Asterisk13ChanSip, "asterisk13-chansip", "05-parking.txt", {}, {}, {}, kQueueHistory, {},
                     events, kParkingAnswers});
}

TEST(SimScenarios, Asterisk20ConfBridgeFile08) {
    expect_scenario({Flavor::Asterisk20ChanSip, "asterisk20-chansip", "08-confbridge-800.txt", {"800"}, {}, {}, {}, {},
                     kConfEvents, kConfAnswers});
}

TEST(SimScenarios, Asterisk22ConfBridgeFile06) {
    expect_scenario({Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "06-confbridge-801.txt", {"801"}, {}, {}, {}, {},
                     kConfEvents, kConfAnswers});
}

TEST(SimScenarios, Asterisk13ConfBridgeFile06) {
    expect_scenario({Flavor::Asterisk13ChanSip, "asterisk13-chansip", "06-confbridge-802.txt", {"802"}, {}, {}, {}, {},
                     kConfEvents, kConfAnswers});
}

// Two-party calls, with the mid-call CoreShowChannels, Status, BridgeList and BridgeInfo answers.
TEST(SimScenarios, Asterisk20CallFile05) {
    expect_scenario({Flavor::Asterisk20ChanSip, "asterisk20-chansip", "05-call-2001-2002.txt", {}, {}, {}, kRacyDial, {},
                     kCallEvents, kCallAnswers});
}

TEST(SimScenarios, Asterisk22CallFile03) {
    expect_scenario({Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "03-call-3001-3002.txt", {}, {}, {}, kRacyDial, {},
                     kCallEvents, kCallAnswers});
}

TEST(SimScenarios, Asterisk13CallFile03) {
    expect_scenario({Flavor::Asterisk13ChanSip, "asterisk13-chansip", "03-call-4001-4002.txt", {}, {}, {}, kRacyDial, {},
                     kCallEvents, kCallAnswers});
}

}  // namespace
