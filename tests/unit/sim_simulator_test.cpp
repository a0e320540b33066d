// ami-sim state changes against the recorded event sequences: registration (Asterisk 20 file 04,
// Asterisk 13 file 02, Asterisk 22 file 02), DND through Setvar DEVICE_STATE (20: 09, 22/13: 07)
// and calls (20: 05, 22/13: 03).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "ami-sim/actions.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/simulator.hpp"

namespace sim_simulator_test {  // named: the unity build compiles several test files as one

using namespace amisim;

std::vector<RecordedMessage> load(const std::string& flavor, const std::string& file) {
    return parse_recording(read_text_file(std::string(PBX2MQTT_FIXTURES_DIR) + "/ami/" + flavor + "/" + file));
}

// Events that come from SIP signalling or the dialplan, which the simulator does not produce.
bool noise(std::string_view event) {
    static const std::set<std::string, std::less<>> kNoise{
        "VarSet", "Newexten", "ChallengeSent", "SuccessfulAuth", "ChallengeResponseFailed", "RTCPSent",
        "RTCPReceived", "FullyBooted", "InvalidPassword", "RequestBadFormat", "UserEvent", "Registry"};
    return kNoise.count(event) > 0;
}

// The bridge session's events (no ActionID), noise aside, as wire bytes.
std::vector<std::string> recorded_events(const std::vector<RecordedMessage>& recording) {
    std::vector<std::string> out;
    for (const auto& m : recording)
        if (m.from_server && m.connection == "bridge" && m.message.is_event() && !m.message.has("ActionID") &&
            !noise(m.message.event()))
            out.push_back(m.wire);
    return out;
}

std::vector<std::string> wires(const Events& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.serialize());
    return out;
}

std::vector<std::string> slice(const std::vector<std::string>& all, std::size_t from, std::size_t count) {
    if (from + count > all.size()) return {};
    return {all.begin() + static_cast<std::ptrdiff_t>(from), all.begin() + static_cast<std::ptrdiff_t>(from + count)};
}

TEST(SimSimulator, Asterisk20RegistrationEventsMatchFile04) {
    const auto recorded = recorded_events(load("asterisk20-chansip", "04-phone-registration.txt"));
    ASSERT_EQ(recorded.size(), 6u);
    Simulator sim(Flavor::Asterisk20ChanSip, default_state(Flavor::Asterisk20ChanSip));
    // PeerStatus Unregistered, QueueMemberStatus 5, DeviceStateChange UNAVAILABLE; no
    // ExtensionStatus: SIP/2004&Custom:DND2004 stays Idle.
    const Outcome gone = sim.unregister_peer("2004");
    ASSERT_TRUE(gone.ok()) << gone.error;
    EXPECT_EQ(wires(gone.events), slice(recorded, 0, 3));
    RegisterOptions options;
    options.ip = "127.0.0.1";
    options.port = 5077;
    const Outcome back = sim.register_peer("2004", options, 1795801236.0);
    ASSERT_TRUE(back.ok()) << back.error;
    EXPECT_EQ(wires(back.events), slice(recorded, 3, 3));
}

TEST(SimSimulator, Asterisk13RegistrationEventsMatchFile02) {
    const auto recorded = recorded_events(load("asterisk13-chansip", "02-phone-registration.txt"));
    ASSERT_EQ(recorded.size(), 8u);
    Simulator sim(Flavor::Asterisk13ChanSip, default_state(Flavor::Asterisk13ChanSip));
    // Here the hint does go Unavailable: Custom:DND4004 was never set.
    const Outcome gone = sim.unregister_peer("4004");
    ASSERT_TRUE(gone.ok()) << gone.error;
    EXPECT_EQ(wires(gone.events), slice(recorded, 0, 4));
    const Outcome back = sim.register_peer("4004", {}, 1795804800.0);  // back at its last address
    ASSERT_TRUE(back.ok()) << back.error;
    EXPECT_EQ(wires(back.events), slice(recorded, 4, 4));
}

TEST(SimSimulator, Asterisk22RegistrationEventsMatchFile02) {
    const auto recording = load("asterisk22-pjsip", "02-phone-registration.txt");
    const auto recorded = recorded_events(recording);
    ASSERT_EQ(recorded.size(), 11u);
    Simulator sim(Flavor::Asterisk22Pjsip, default_state(Flavor::Asterisk22Pjsip));
    const Outcome gone = sim.unregister_peer("3004");
    ASSERT_TRUE(gone.ok()) << gone.error;
    EXPECT_EQ(wires(gone.events), slice(recorded, 0, 5));
    EXPECT_FALSE(sim.state().db.count("/registrar/contact/3004;@ac307bbb9a2b988ce860486871c6d433"));

    RegisterOptions options;  // what the recorded REGISTER carried
    options.contact_uri = "sip:3004-0x55ae5418f600@127.0.0.1:5097";
    options.contact_id = "3004;@102276bbfdb578db99f579b6b3092ec8";
    options.call_id = "fdb5d67925c9472c";
    options.roundtrip_usec = "1096";
    const Outcome back = sim.register_peer("3004", options, 1795803043.0 - 600);
    ASSERT_TRUE(back.ok()) << back.error;
    EXPECT_EQ(wires(back.events), slice(recorded, 5, 6));
    EXPECT_TRUE(sim.state().db.count("/registrar/contact/3004;@102276bbfdb578db99f579b6b3092ec8"));

    // After the PJSIPQualify the contact's round trip was 1427 us; the endpoint answer then
    // matches the recorded one, contact details included.
    sim.state().contacts.at(options.contact_id).roundtrip_usec = "1427";
    std::string expected;
    for (const Exchange& e : exchanges(recording))
        if (e.request->message.action_id() == "bridge-a-005")
            for (const auto* r : e.replies)
                if (r->message.action_id() == "bridge-a-005") expected += r->wire;
    ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(Flavor::Asterisk22Pjsip, {}));
    ami::Message action;
    action.add("Action", "PJSIPShowEndpoint");
    action.add("ActionID", "bridge-a-005");
    action.add("Endpoint", "3004");
    EXPECT_EQ(handler.handle(action, 0).bytes, expected);
}

// "DEVICE_STATE(Custom:DND2002)" -> "Custom:DND2002"
std::string function_argument(std::string_view variable) {
    const auto open = variable.find('(');
    return std::string(variable.substr(open + 1, variable.size() - open - 2));
}

// The recorded answer and events of the first Setvar DEVICE_STATE(Custom:DND...) = `value`.
void expect_dnd_setvar_matches(Flavor flavor, const std::string& name, const std::string& file, const std::string& value) {
    const auto recording = load(name, file);
    Simulator sim(flavor, default_state(flavor));
    ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(flavor, {}));
    bool found = false;
    for (const Exchange& e : exchanges(recording)) {
        const ami::Message& request = e.request->message;
        if (!ami::iequals(request.get("Action"), "Setvar") ||
            request.get("Variable").rfind("DEVICE_STATE(Custom:DND", 0) != 0)
            continue;
        // Earlier Setvars bring the state to where the recording was.
        const ActionReply reply = handler.handle(request, 0);
        if (request.get("Value") != value) continue;
        // The events of this device change; phones may have sent others before the next action.
        const std::string device = function_argument(request.get("Variable"));
        std::string expected_reply;
        std::vector<std::string> expected_events;
        for (const auto* r : e.replies) {
            const ami::Message& m = r->message;
            if (m.is_response()) expected_reply += r->wire;
            else if ((m.event() == "DeviceStateChange" && m.get("Device") == device) ||
                     (m.event() == "ExtensionStatus" && hint_has_device(m.get("Hint"), device)))
                expected_events.push_back(r->wire);
        }
        // The README: the order of DeviceStateChange and ExtensionStatus for one change is not fixed.
        std::vector<std::string> got = wires(reply.events);
        std::sort(got.begin(), got.end());
        std::sort(expected_events.begin(), expected_events.end());
        EXPECT_EQ(reply.bytes, expected_reply) << name;
        EXPECT_EQ(got, expected_events) << name;
        found = true;
        break;
    }
    EXPECT_TRUE(found) << name;
}

TEST(SimSimulator, DndThroughSetvarMatchesTheRecordings) {
    expect_dnd_setvar_matches(Flavor::Asterisk20ChanSip, "asterisk20-chansip", "09-dnd-cf-devstate-userevent.txt", "BUSY");
    expect_dnd_setvar_matches(Flavor::Asterisk20ChanSip, "asterisk20-chansip", "09-dnd-cf-devstate-userevent.txt", "NOT_INUSE");
    expect_dnd_setvar_matches(Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "07-dnd-cf.txt", "BUSY");
    expect_dnd_setvar_matches(Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "07-dnd-cf.txt", "NOT_INUSE");
    expect_dnd_setvar_matches(Flavor::Asterisk13ChanSip, "asterisk13-chansip", "07-dnd-cf.txt", "BUSY");
    expect_dnd_setvar_matches(Flavor::Asterisk13ChanSip, "asterisk13-chansip", "07-dnd-cf.txt", "NOT_INUSE");
}

TEST(SimSimulator, DndCommandSetsAstDbAndTheCustomDevice) {
    Simulator sim(Flavor::Asterisk20ChanSip, default_state(Flavor::Asterisk20ChanSip));
    const Outcome on = sim.set_dnd("2002", true);
    ASSERT_TRUE(on.ok());
    EXPECT_EQ(sim.state().db_get("DND", "2002").value_or(""), "YES");
    EXPECT_EQ(sim.state().db_get("CustomDevstate", "DND2002").value_or(""), "BUSY");
    ASSERT_EQ(on.events.size(), 3u);  // ExtensionStatus *762002 and 2002 Busy, DeviceStateChange
    EXPECT_EQ(on.events[0].get("Exten"), "*762002");
    EXPECT_EQ(on.events[1].get("StatusText"), "Busy");
    EXPECT_EQ(on.events[2].get("State"), "BUSY");
    EXPECT_TRUE(sim.set_dnd("2002", true).events.empty());  // no change, no event
    ASSERT_TRUE(sim.set_dnd("2002", false).ok());
    EXPECT_FALSE(sim.state().db_get("DND", "2002"));
}

// --- calls ---------------------------------------------------------------------------------

struct CallCase {
    Flavor flavor;
    std::string name, file, a, b;
    std::string second_caller, second_callee;  // the second call, rejected by its callee
    std::string absent;                        // a peer that is not registered
};

// Per event name, the events in order, with the ids Asterisk made up (Uniqueid, channel name
// counters, bridge id) replaced by the order they first appeared in.
std::map<std::string, std::vector<std::string>> by_name(const std::vector<ami::Message>& events) {
    std::map<std::string, std::string> ids;
    auto id_of = [&](const std::string& kind, const std::string& value) {
        auto [it, added] = ids.try_emplace(kind + value, kind + std::to_string(ids.size()));
        return it->second;
    };
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& e : events) {
        std::string text;
        for (const auto& h : e.headers()) {
            std::string value = h.value;
            const std::string_view name = h.name;
            if (name.ends_with("Uniqueid") || name.ends_with("Linkedid") || name == "BridgeId") value = id_of("id", value);
            // Asterisk 22 sent its first DialState before the callee's Newstate Ringing and its
            // second one after it (a race); the simulator always sends it after.
            if (e.event() == "DialState" && (name == "DestChannelState" || name == "DestChannelStateDesc")) value = "?";
            if (name.ends_with("Channel") && value.find('-') != std::string::npos)
                value = value.substr(0, value.rfind('-')) + "-" + id_of("chan", value);
            text += h.name + ": " + value + "\n";
        }
        out[std::string(e.event())].push_back(text);
    }
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
        auto& seq = out[key];
        if (seq.empty() || seq.back() != value) seq.push_back(value);
    }
    return out;
}

void expect_calls_match(const CallCase& c) {
    std::vector<ami::Message> recorded;
    for (const auto& m : load(c.name, c.file)) {
        if (!m.from_server || m.connection != "bridge" || !m.message.is_event() || m.message.has("ActionID")) continue;
        if (noise(m.message.event()) || m.message.event() == "QueueMemberStatus") continue;
        recorded.push_back(m.message);
    }
    Simulator sim(c.flavor, default_state(c.flavor));
    Events events;
    auto run = [&](Outcome o) {
        EXPECT_TRUE(o.ok()) << o.error;
        for (auto& e : o.events)
            if (e.event() != "QueueMemberStatus") events.push_back(std::move(e));
        return o.detail;
    };
    // 1: A calls B, B answers, A holds and resumes, B hangs up.
    const std::string first = run(sim.start_call(c.a, c.b, 1795801243.0));
    run(sim.answer_call(first));
    run(sim.hold_call(first, true));
    run(sim.hold_call(first, false));
    run(sim.hangup_call(first, HangupSide::Callee));
    // 2: a second call, rejected while it rings.
    const std::string second = run(sim.start_call(c.second_caller, c.second_callee, 1795801256.0));
    run(sim.hangup_call(second, HangupSide::Callee));
    // 3: A calls a phone that is not registered.
    run(sim.start_call(c.a, c.absent, 1795801260.0));
    EXPECT_TRUE(sim.state().channels.empty());
    EXPECT_TRUE(sim.state().calls.empty());

    const auto got = by_name(events);
    const auto want = by_name(recorded);
    for (const char* name : {"Newchannel", "Newstate", "NewConnectedLine", "DialBegin", "DialState", "DialEnd",
                             "BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy", "HangupRequest",
                             "SoftHangupRequest", "Hangup", "Hold", "Unhold", "MusicOnHoldStart", "MusicOnHoldStop"}) {
        const auto g = got.count(name) ? got.at(name) : std::vector<std::string>{};
        const auto w = want.count(name) ? want.at(name) : std::vector<std::string>{};
        EXPECT_EQ(g, w) << c.name << ": " << name << " events differ";
    }
    EXPECT_EQ(states(events), states(recorded)) << c.name;
}

TEST(SimSimulator, Asterisk20CallsMatchFile05) {
    expect_calls_match({Flavor::Asterisk20ChanSip, "asterisk20-chansip", "05-call-2001-2002.txt", "2001", "2002", "2002", "2001", "2005"});
}

TEST(SimSimulator, Asterisk22CallsMatchFile03) {
    expect_calls_match({Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "03-call-3001-3002.txt", "3001", "3002", "3002", "3003", "3005"});
}

TEST(SimSimulator, Asterisk13CallsMatchFile03) {
    expect_calls_match({Flavor::Asterisk13ChanSip, "asterisk13-chansip", "03-call-4001-4002.txt", "4001", "4002", "4002", "4001", "4005"});
}

TEST(SimSimulator, CallsThroughDndAndErrors) {
    Simulator sim(Flavor::Asterisk20ChanSip, default_state(Flavor::Asterisk20ChanSip));
    ASSERT_TRUE(sim.set_dnd("2002", true).ok());
    const Outcome busy = sim.start_call("2001", "2002", 1795801300.0);
    ASSERT_TRUE(busy.ok());
    ASSERT_FALSE(busy.events.empty());
    EXPECT_EQ(busy.events.back().event(), "ExtensionStatus");
    bool hung_up_busy = false;
    for (const auto& e : busy.events) hung_up_busy |= e.event() == "Hangup" && e.get("Cause") == "17";
    EXPECT_TRUE(hung_up_busy);
    EXPECT_TRUE(sim.state().calls.empty());
    EXPECT_FALSE(sim.start_call("2005", "2001", 0).ok());  // not registered
    EXPECT_FALSE(sim.start_call("2001", "9999", 0).ok());  // unknown
    EXPECT_FALSE(sim.answer_call("42").ok());
    EXPECT_FALSE(sim.hangup_call("42", HangupSide::Callee).ok());
    EXPECT_FALSE(sim.unregister_peer("2005").ok());
    EXPECT_FALSE(sim.register_peer("2001", {}, 0).ok());
    EXPECT_FALSE(sim.register_peer("trunk1", {}, 0).ok());  // not dynamic
}

TEST(SimSimulator, CallStateShowsInDevicesHintsAndChannels) {
    Simulator sim(Flavor::Asterisk20ChanSip, default_state(Flavor::Asterisk20ChanSip));
    const std::string id = sim.start_call("2001", "2002", 1795801243.0).detail;
    EXPECT_EQ(id, "1");
    const SimState& s = sim.state();
    EXPECT_EQ(s.device_state("SIP/2001"), DeviceState::InUse);
    EXPECT_EQ(s.device_state("SIP/2002"), DeviceState::Ringing);
    EXPECT_EQ(s.hint_status(*s.find_hint("2002", "ext-local")), 8);
    ASSERT_EQ(s.channels.size(), 2u);
    EXPECT_EQ(s.channels.front().name, "SIP/2001-00000000");
    EXPECT_EQ(s.channels.front().uniqueid, "1795801243.0");
    EXPECT_EQ(std::next(s.channels.begin())->linkedid, "1795801243.0");
    ASSERT_TRUE(sim.answer_call(id).ok());
    EXPECT_EQ(s.hint_status(*s.find_hint("2002", "ext-local")), 1);
    ASSERT_TRUE(sim.hangup_call(id, HangupSide::Caller).ok());
    EXPECT_EQ(s.device_state("SIP/2001"), DeviceState::NotInUse);
    EXPECT_EQ(s.device_state("SIP/2002"), DeviceState::NotInUse);
}

TEST(SimSimulator, ReplayedEventsUpdateTheState) {
    Simulator sim(Flavor::Asterisk20ChanSip, default_state(Flavor::Asterisk20ChanSip));
    for (const auto& m : load("asterisk20-chansip", "04-phone-registration.txt")) {
        if (m.message.get("PeerStatus") == "Unregistered") {
            sim.apply_recorded_event(m.message);
            break;
        }
    }
    EXPECT_FALSE(sim.state().find_peer("2004")->registered);
    ami::Message dsc;
    dsc.add("Event", "DeviceStateChange");
    dsc.add("Device", "Custom:DND2001");
    dsc.add("State", "BUSY");
    sim.apply_recorded_event(dsc);
    EXPECT_EQ(sim.state().device_state("Custom:DND2001"), DeviceState::Busy);
}

}  // namespace

namespace sim_simulator_test {  // named: the unity build compiles several test files as one

// The messages of an event-list answer, the list items sorted.
std::vector<std::string> list_items_sorted(const std::string& wire) {
    std::vector<std::string> messages;
    for (std::size_t start = 0; start < wire.size();) {
        const auto end = wire.find("\r\n\r\n", start);
        if (end == std::string::npos) break;
        messages.push_back(wire.substr(start, end + 4 - start));
        start = end + 4;
    }
    if (messages.size() > 2) std::sort(messages.begin() + 1, messages.end() - 1);
    return messages;
}

// Mid-call Status, CoreShowChannels and BridgeList against the recorded ones, with the
// recorded ids swapped for the simulator's.
void expect_mid_call_answers_match(amisim::Flavor flavor, const std::string& name, const std::string& file,
                                   const std::string& a, const std::string& b, double start) {
    using namespace amisim;
    const auto recording = load(name, file);
    Simulator sim(flavor, default_state(flavor));
    const std::string id = sim.start_call(a, b, start).detail;
    ASSERT_TRUE(sim.answer_call(id).ok());
    const SimState& s = sim.state();
    ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(flavor, {}));
    int compared = 0;
    for (const Exchange& e : exchanges(recording)) {
        const ami::Message& request = e.request->message;
        const std::string action(request.get("Action"));
        if (action != "Status" && action != "CoreShowChannels" && action != "BridgeList") continue;
        if (request.has("AllVariables")) continue;
        std::string expected, recorded_bridge;
        for (const auto* r : e.replies) {
            if (r->message.action_id() != request.action_id()) continue;
            expected += r->wire;
            if (r->message.has("BridgeID")) recorded_bridge = std::string(r->message.get("BridgeID"));
            if (r->message.has("BridgeId")) recorded_bridge = std::string(r->message.get("BridgeId"));
            if (r->message.has("BridgeUniqueid")) recorded_bridge = std::string(r->message.get("BridgeUniqueid"));
        }
        // The recorded uniqueids of the caller and the callee, in the order they were created.
        std::vector<std::string> recorded_ids;
        for (const auto& m : recording)
            if (m.message.event() == "Newchannel" && recorded_ids.size() < 2)
                recorded_ids.push_back(std::string(m.message.get("Uniqueid")));
        ASSERT_EQ(recorded_ids.size(), 2u);
        auto swap_all = [&](const std::string& from, const std::string& to) {
            for (std::size_t at = 0; (at = expected.find(from, at)) != std::string::npos; at += to.size())
                expected.replace(at, from.size(), to);
        };
        swap_all(recorded_ids[0] + "\r\n", "CALLER-ID\r\n");
        swap_all(recorded_ids[1] + "\r\n", "CALLEE-ID\r\n");
        swap_all("CALLER-ID", s.channels.front().uniqueid);
        swap_all("CALLEE-ID", std::next(s.channels.begin())->uniqueid);
        if (!recorded_bridge.empty()) swap_all(recorded_bridge, s.calls.front().bridge_id);
        // Asterisk lists channels in its container's order (callee first on 13 and 22).
        EXPECT_EQ(list_items_sorted(handler.handle(request, start + 5.5).bytes), list_items_sorted(expected))
            << name << " " << action;
        ++compared;
    }
    EXPECT_GE(compared, 3) << name;
}

TEST(SimSimulator, MidCallSnapshotsMatchTheRecordings) {
    expect_mid_call_answers_match(amisim::Flavor::Asterisk20ChanSip, "asterisk20-chansip", "05-call-2001-2002.txt",
                                  "2001", "2002", 1795801243.0);
    expect_mid_call_answers_match(amisim::Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "03-call-3001-3002.txt",
                                  "3001", "3002", 1795802458.0);
    expect_mid_call_answers_match(amisim::Flavor::Asterisk13ChanSip, "asterisk13-chansip", "03-call-4001-4002.txt",
                                  "4001", "4002", 1795804819.0);
}

}  // namespace
