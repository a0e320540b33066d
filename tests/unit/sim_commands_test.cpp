// ami-sim's call control actions (Originate, Redirect, BlindTransfer, Atxfer, PlayDTMF,
// MixMonitor, SIPnotify/PJSIPNotify, Reload) against the recordings: Originate 20/10, 22/11,
// 13/08; MixMonitor 20/11; Reload 20/12; transfers 22/08. Answers are compared byte for byte;
// events per name (the k-th event of a name against the recorded k-th) once channel names,
// uniqueids and bridge ids, which Asterisk makes up, are replaced by placeholders.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "ami-sim/actions.hpp"
#include "ami-sim/control.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/simulator.hpp"

namespace sim_commands_test {  // named: the unity build compiles several test files as one

using namespace amisim;

std::vector<RecordedMessage> load(const std::string& flavor, const std::string& file) {
    return parse_recording(read_text_file(std::string(PBX2MQTT_FIXTURES_DIR) + "/ami/" + flavor + "/" + file));
}

// Made-up ids replaced: "SIP/2001-00000016" -> "SIP/2001-<n>", uniqueids and bridge ids.
std::string normalized(const std::string& wire) {
    static const std::regex kChannel(R"(((?:PJSIP|SIP)/[A-Za-z0-9_]+)-[0-9a-f]{8})");
    static const std::regex kUniqueid(R"(\b1[0-9]{9}\.[0-9]+\b)");
    static const std::regex kBridge(R"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");
    std::string out = std::regex_replace(wire, kChannel, "$1-<n>");
    out = std::regex_replace(out, kUniqueid, "<uniqueid>");
    return std::regex_replace(out, kBridge, "<bridge>");
}

struct Pbx {
    explicit Pbx(Flavor flavor)
        : sim(flavor, default_state(flavor), 1, 1795801000), handler(sim, CannedAnswers{}, ActionCatalog(flavor, {})) {}

    ActionReply act(const std::vector<ami::Header>& headers, double now = 1795801300) {
        ami::Message m;
        for (const auto& h : headers) m.add(h.name, h.value);
        return handler.handle(m, now);
    }
    ActionReply act(const ami::Message& m, double now = 1795801300) { return handler.handle(m, now); }
    // The channel a peer has now (the newest).
    std::string channel_of(const std::string& peer) const {
        const auto& names = sim.state().channels_of_peer(peer);
        return names.empty() ? std::string() : names.back();
    }
    std::string call_of(const std::string& peer) {
        Call* call = sim.state().find_call_of_channel(channel_of(peer));
        return call ? call->id : std::string();
    }
    Outcome answered_call(const std::string& from, const std::string& to) {
        Outcome call = sim.start_call(from, to, 1795801200);
        EXPECT_TRUE(call.ok()) << call.error;
        EXPECT_TRUE(sim.answer_call(call.detail, 1795801201).ok());
        return call;
    }

    Simulator sim;
    ActionHandler handler;
};

std::vector<std::string> names_of(const Events& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.emplace_back(e.event());
    return out;
}

std::vector<std::string> header_names(const ami::Message& m) {
    std::vector<std::string> out;
    for (const auto& h : m.headers()) out.push_back(h.name);
    return out;
}

// Compares our events with the recorded ones of the same names, k-th with k-th.
void expect_same_events(const Events& ours, const std::vector<const RecordedMessage*>& recorded,
                        const std::set<std::string>& names) {
    std::map<std::string, std::vector<std::string>> by_name_ours, by_name_recorded;
    for (const auto& e : ours)
        if (names.count(std::string(e.event()))) by_name_ours[std::string(e.event())].push_back(normalized(e.serialize()));
    for (const auto* r : recorded)
        if (names.count(std::string(r->message.event())))
            by_name_recorded[std::string(r->message.event())].push_back(normalized(r->wire));
    for (const auto& name : names) {
        const auto& mine = by_name_ours[name];
        const auto& theirs = by_name_recorded[name];
        EXPECT_EQ(mine.size(), theirs.size()) << name;
        for (std::size_t i = 0; i < std::min(mine.size(), theirs.size()); ++i) EXPECT_EQ(mine[i], theirs[i]) << name << " #" << i;
    }
}

// The recorded events after the client message with this ActionID, up to the client's next
// message (the action's aftermath).
std::vector<const RecordedMessage*> after_action(const std::vector<RecordedMessage>& recording, const std::string& id) {
    std::vector<const RecordedMessage*> out;
    bool on = false;
    for (const auto& m : recording) {
        if (!m.from_server && on && m.message.has("Action")) break;
        if (!m.from_server && m.message.action_id() == id) on = true;
        else if (on && m.from_server && m.message.is_event()) out.push_back(&m);
    }
    return out;
}

std::string recorded_answer(const std::vector<RecordedMessage>& recording, const std::string& id) {
    bool sent = false;
    for (const auto& m : recording) {
        if (!m.from_server && m.message.action_id() == id) sent = true;
        else if (sent && m.from_server && !m.message.is_event() && m.message.action_id() == id) return m.wire;
    }
    return {};
}

const ami::Message* recorded_action(const std::vector<RecordedMessage>& recording, const std::string& id) {
    for (const auto& m : recording)
        if (!m.from_server && m.message.action_id() == id) return &m.message;
    return nullptr;
}

const RecordedMessage* recorded_event(const std::vector<RecordedMessage>& recording, std::string_view name,
                                      std::string_view id = {}) {
    for (const auto& m : recording)
        if (m.from_server && m.message.is_event() && m.message.event() == name && (id.empty() || m.message.action_id() == id))
            return &m;
    return nullptr;
}

// ------------------------------------------------------------------------------------------
// Originate

struct OriginateCase {
    Flavor flavor;
    std::string dir, file;
    std::vector<std::string> failures;  // ActionIDs of the recorded Reason 0 failures
    std::string sync_failure, no_channel, click_to_dial;
    std::string caller, callee;
};

class SimOriginate : public ::testing::TestWithParam<OriginateCase> {};

TEST_P(SimOriginate, FailuresAnswerAndReportAsRecorded) {
    const auto& c = GetParam();
    const auto recording = load(c.dir, c.file);
    Pbx pbx(c.flavor);
    for (const auto& id : c.failures) {
        const ActionReply reply = pbx.act(*recorded_action(recording, id));
        EXPECT_EQ(reply.bytes, recorded_answer(recording, id)) << id;
        ASSERT_EQ(reply.events.size(), 1u) << id;
        EXPECT_EQ(reply.events[0].serialize(), recorded_event(recording, "OriginateResponse", id)->wire) << id;
        EXPECT_TRUE(reply.follow_ups.empty());
    }
    for (const auto& id : {c.sync_failure, c.no_channel}) {
        if (id.empty()) continue;
        const ActionReply reply = pbx.act(*recorded_action(recording, id));
        EXPECT_EQ(reply.bytes, recorded_answer(recording, id)) << id;
        EXPECT_TRUE(reply.events.empty()) << id;
    }
    EXPECT_TRUE(pbx.sim.state().channels.empty());
}

TEST_P(SimOriginate, ClickToDialMatchesTheRecordedEvents) {
    const auto& c = GetParam();
    const auto recording = load(c.dir, c.file);
    Pbx pbx(c.flavor);
    const ActionReply reply = pbx.act(*recorded_action(recording, c.click_to_dial));
    EXPECT_EQ(reply.bytes, recorded_answer(recording, c.click_to_dial));
    ASSERT_EQ(reply.follow_ups.size(), 1u);
    // The phone rings; the follow-up answers it, then the dialplan rings the callee.
    ActionLog log;
    ControlContext context{pbx.sim, log, 1, 1795801305};
    const ControlResult answered = run_control_command(context, reply.follow_ups[0]);
    ASSERT_EQ(answered.reply.substr(0, 3), "OK ") << answered.reply;
    const std::string callee_call = answered.reply.substr(3);
    const Outcome up = pbx.sim.answer_call(callee_call, 1795801306);
    ASSERT_TRUE(up.ok()) << up.error;

    Events all = reply.events;
    all.insert(all.end(), answered.broadcast.begin(), answered.broadcast.end());
    all.insert(all.end(), up.events.begin(), up.events.end());
    expect_same_events(all, after_action(recording, c.click_to_dial),
                       {"Newchannel", "NewCallerid", "NewConnectedLine", "DialBegin", "DialState", "DialEnd",
                        "OriginateResponse", "Newstate", "BridgeCreate", "BridgeEnter"});
    // Final state: the two phones talk in one bridge.
    const Call* call = pbx.sim.state().calls.find(callee_call);
    ASSERT_NE(call, nullptr);
    EXPECT_TRUE(call->answered);
    EXPECT_EQ(pbx.sim.state().find_channel(call->caller)->uniqueid, "c2d-0001");
    EXPECT_EQ(pbx.sim.state().find_channel(call->callee)->peer, c.callee);
}

INSTANTIATE_TEST_SUITE_P(
    Flavors, SimOriginate,
    ::testing::Values(
        OriginateCase{Flavor::Asterisk20ChanSip, "asterisk20-chansip", "10-originate.txt",
                      {"bridge-a-002", "bridge-a-003", "bridge-a-004"}, "bridge-a-006", "bridge-a-007", "bridge-a-009",
                      "2001", "2002"},
        OriginateCase{Flavor::Asterisk22Pjsip, "asterisk22-pjsip", "11-originate-pjsip.txt",
                      {"bridge-a-002", "bridge-a-003"}, "", "", "bridge-a-004", "3001", "3002"},
        OriginateCase{Flavor::Asterisk13ChanSip, "asterisk13-chansip", "08-originate.txt",
                      {"bridge-a-002", "bridge-a-003", "bridge-a-004"}, "bridge-a-006", "bridge-a-007", "bridge-a-009",
                      "4001", "4002"}),
    [](const ::testing::TestParamInfo<OriginateCase>& info) {
        return std::string(info.param.dir == "asterisk20-chansip"  ? "Asterisk20"
                           : info.param.dir == "asterisk22-pjsip" ? "Asterisk22"
                                                                  : "Asterisk13");
    });

TEST(SimCommands, OriginateToAnOutsideNumberGoesThroughTheTrunk) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    const ActionReply reply = pbx.act({{"Action", "Originate"}, {"ActionID", "o1"}, {"Channel", "SIP/2001"},
                                       {"Context", "from-internal"}, {"Exten", "0123456"}, {"Priority", "1"},
                                       {"Async", "true"}});
    ASSERT_EQ(reply.follow_ups.size(), 1u);
    const Outcome answered = pbx.sim.answer_call(reply.follow_ups[0].substr(7), 1795801301);
    ASSERT_TRUE(answered.ok()) << answered.error;
    const Call* call = pbx.sim.state().calls.find(answered.detail);
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(pbx.sim.state().find_channel(call->callee)->peer, "trunk1");
    for (const auto& e : answered.events)
        if (e.event() == "DialBegin" && e.has("Channel")) {
            EXPECT_EQ(e.get("DialString"), "trunk1/0123456");
        }
}

TEST(SimCommands, OriginateApplicationKeepsTheChannelUntilHangup) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    pbx.answered_call("2002", "2003");
    const std::string spied = pbx.channel_of("2002");
    pbx.handler.set_originate_answer_ms(-1);  // the phone waits for `answer`
    const ActionReply reply = pbx.act({{"Action", "Originate"}, {"ActionID", "spy"}, {"Channel", "SIP/2001"},
                                       {"Application", "ChanSpy"}, {"Data", spied + ",qw"}, {"Async", "true"}});
    EXPECT_TRUE(reply.follow_ups.empty());
    const std::string id = pbx.call_of("2001");
    ActionLog log;
    ControlContext context{pbx.sim, log, 1, 1795801302};
    const ControlResult answered = run_control_command(context, "answer " + id);
    ASSERT_EQ(answered.reply, "OK") << answered.reply;
    ASSERT_EQ(answered.broadcast.front().event(), "OriginateResponse");
    EXPECT_EQ(answered.broadcast.front().get("Application"), "ChanSpy");
    EXPECT_EQ(answered.broadcast.front().get("Reason"), "4");
    const std::string spy = pbx.channel_of("2001");
    EXPECT_EQ(pbx.sim.state().find_channel(spy)->application, "ChanSpy");
    const ActionReply hangup = pbx.act({{"Action", "Hangup"}, {"ActionID", "h"}, {"Channel", spy}});
    EXPECT_EQ(hangup.bytes, "Response: Success\r\nActionID: h\r\nMessage: Channel Hungup\r\n\r\n");
    EXPECT_EQ(names_of(hangup.events), (std::vector<std::string>{"Hangup", "DeviceStateChange", "ExtensionStatus"}));
    EXPECT_TRUE(pbx.sim.state().channels_of_peer("2001").empty());
}

TEST(SimCommands, OriginateRejectedFailsAndADndCalleeIsBusy) {
    Pbx pbx(Flavor::Asterisk22Pjsip);
    pbx.handler.set_originate_answer_ms(-1);
    ActionReply reply = pbx.act({{"Action", "Originate"}, {"ActionID", "r"}, {"Channel", "PJSIP/3001"},
                                 {"Context", "from-internal"}, {"Exten", "3002"}, {"Priority", "1"}, {"Async", "yes"}});
    ASSERT_EQ(reply.events.size(), 6u) << reply.bytes;  // no CallerID: no NewCallerid/NewConnectedLine
    const Outcome rejected = pbx.sim.hangup_call(pbx.call_of("3001"), HangupSide::Callee, 16, 1795801301);
    ASSERT_FALSE(rejected.events.empty()) << rejected.error;
    ASSERT_EQ(rejected.events.front().event(), "OriginateResponse");
    EXPECT_EQ(rejected.events.front().get("Response"), "Failure");
    EXPECT_EQ(rejected.events.front().get("Reason"), "5");
    EXPECT_EQ(rejected.events.front().get("Uniqueid"), "<unknown>");
    EXPECT_TRUE(pbx.sim.state().channels.empty());
    // The 22 PBX has DND/3001=YES: the first leg rings 3002, then the dialplan answers Busy().
    reply = pbx.act({{"Action", "Originate"}, {"ActionID", "d"}, {"Channel", "PJSIP/3002"}, {"Context", "from-internal"},
                     {"Exten", "3001"}, {"Priority", "1"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: d\r\nMessage: Originate successfully queued\r\n\r\n");
    bool busy = false;
    for (const auto& e : reply.events) {
        EXPECT_NE(e.event(), "OriginateResponse");  // sync: no event
        busy |= e.event() == "Hangup" && e.get("Cause") == "17";
    }
    EXPECT_TRUE(busy);
    EXPECT_TRUE(pbx.sim.state().channels.empty());
    reply = pbx.act({{"Action", "Originate"}, {"ActionID", "s"}, {"Channel", "PJSIP/3005"}, {"Application", "Wait"},
                     {"Data", "1"}});
    EXPECT_EQ(reply.bytes, "Response: Error\r\nActionID: s\r\nMessage: Originate failed\r\n\r\n");
}

TEST(SimCommands, OriginateToAParkingSpaceRetrievesTheParkedCall) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    const Outcome call = pbx.answered_call("2001", "2002");
    ASSERT_TRUE(pbx.sim.park_call(call.detail, HangupSide::Callee, 1795801250).ok());
    const ActionReply reply = pbx.act({{"Action", "Originate"}, {"ActionID", "p"}, {"Channel", "SIP/2003"},
                                       {"Context", "parkedcalls"}, {"Exten", "71"}, {"Priority", "1"},
                                       {"Async", "true"}});
    const Outcome answered = pbx.sim.answer_call(reply.follow_ups[0].substr(7), 1795801301);
    ASSERT_TRUE(answered.ok()) << answered.error;
    EXPECT_TRUE(pbx.sim.state().parked_calls.empty());
    bool unparked = false;
    for (const auto& e : answered.events) unparked |= e.event() == "UnParkedCall";
    EXPECT_TRUE(unparked);
}

// ------------------------------------------------------------------------------------------
// Redirect and transfers

TEST(SimCommands, RedirectMovesTheChannelAndHangsUpTheOtherParty) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    pbx.answered_call("2001", "2002");
    const std::string moved = pbx.channel_of("2002");
    EXPECT_EQ(pbx.act({{"Action", "Redirect"}, {"ActionID", "x"}, {"Channel", "SIP/2002-ffffffff"}, {"Context", "from-internal"},
                       {"Exten", "2003"}, {"Priority", "1"}})
                  .bytes,
              "Response: Error\r\nActionID: x\r\nMessage: Channel does not exist: SIP/2002-ffffffff\r\n\r\n");
    EXPECT_EQ(pbx.act({{"Action", "Redirect"}, {"ActionID", "x"}, {"Channel", moved}, {"Exten", "2003"}}).bytes,
              "Response: Error\r\nActionID: x\r\nMessage: Context not specified\r\n\r\n");
    const ActionReply reply = pbx.act({{"Action", "Redirect"}, {"ActionID", "r"}, {"Channel", moved},
                                       {"Context", "from-internal"}, {"Exten", "2003"}, {"Priority", "1"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: r\r\nMessage: Redirect successful\r\n\r\n");
    EXPECT_TRUE(pbx.sim.state().channels_of_peer("2001").empty());
    const Call* call = pbx.sim.state().find_call_of_channel(moved);
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->caller, moved);
    EXPECT_EQ(pbx.sim.state().find_channel(call->callee)->peer, "2003");
    EXPECT_EQ(pbx.sim.state().find_channel(call->callee)->state, 5);
}

TEST(SimCommands, BlindTransferMatchesFile08) {
    const auto recording = load("asterisk22-pjsip", "08-transfers.txt");
    Pbx pbx(Flavor::Asterisk22Pjsip);
    pbx.answered_call("3001", "3002");
    ami::Message action = *recorded_action(recording, "bridge-a-003");
    action.headers()[2].value = pbx.channel_of("3001");
    const ActionReply reply = pbx.act(action);
    EXPECT_EQ(reply.bytes, recorded_answer(recording, "bridge-a-003"));
    expect_same_events(reply.events, {recorded_event(recording, "BlindTransfer")}, {"BlindTransfer"});
    EXPECT_TRUE(pbx.sim.state().channels_of_peer("3001").empty());
    const std::string target_call = pbx.call_of("3004");
    ASSERT_TRUE(pbx.sim.answer_call(target_call, 1795801310).ok());
    const Call* call = pbx.sim.state().calls.find(target_call);
    EXPECT_EQ(call->caller, pbx.channel_of("3002"));
    EXPECT_FALSE(call->bridge_id.empty());
    // Errors, as recorded.
    for (const std::string id : {"bridge-a-004", "bridge-a-005"})
        EXPECT_EQ(pbx.act(*recorded_action(recording, id)).bytes, recorded_answer(recording, id)) << id;
}

TEST(SimCommands, AttendedTransferCompletesWhenTheTransfererHangsUp) {
    const auto recording = load("asterisk22-pjsip", "08-transfers.txt");
    Pbx pbx(Flavor::Asterisk22Pjsip);
    pbx.answered_call("3001", "3002");
    const std::string transferer = pbx.channel_of("3001");
    ami::Message action = *recorded_action(recording, "bridge-a-002");
    action.headers()[2].value = transferer;
    const ActionReply reply = pbx.act(action);
    EXPECT_EQ(reply.bytes, recorded_answer(recording, "bridge-a-002"));
    std::vector<std::string> digits;
    for (const auto& e : reply.events)
        if (e.event() == "DTMFEnd") digits.emplace_back(e.get("Digit"));
    EXPECT_EQ(digits, (std::vector<std::string>{"*", "2", "3", "0", "0", "3"}));
    expect_same_events({reply.events.front()}, {recorded_event(recording, "DTMFEnd")}, {"DTMFEnd"});
    const std::string consultation = pbx.call_of("3003");
    ASSERT_TRUE(pbx.sim.answer_call(consultation, 1795801310).ok());
    const ActionReply hangup = pbx.act({{"Action", "Hangup"}, {"ActionID", "h"}, {"Channel", transferer}});
    const ami::Message* attended = nullptr;
    for (const auto& e : hangup.events)
        if (e.event() == "AttendedTransfer") attended = &e;
    ASSERT_NE(attended, nullptr);
    EXPECT_EQ(header_names(*attended), header_names(recorded_event(recording, "AttendedTransfer")->message));
    // 3002 and 3003 talk in the original bridge; 3001 is gone.
    EXPECT_TRUE(pbx.sim.state().channels_of_peer("3001").empty());
    const Call* call = pbx.sim.state().find_call_of_channel(pbx.channel_of("3002"));
    ASSERT_NE(call, nullptr);
    const std::string other = call->caller == pbx.channel_of("3002") ? call->callee : call->caller;
    EXPECT_EQ(pbx.sim.state().find_channel(other)->peer, "3003");
    EXPECT_EQ(pbx.sim.state().bridges.find(call->bridge_id)->channels.size(), 2u);
    EXPECT_EQ(pbx.sim.state().bridges.size(), 1u);
}

// ------------------------------------------------------------------------------------------
// PlayDTMF, MixMonitor, NOTIFY, Reload

TEST(SimCommands, PlayDtmfPublishesOnlyReceivedDigits) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    pbx.answered_call("2001", "2002");
    const std::string channel = pbx.channel_of("2001");
    ActionReply reply = pbx.act({{"Action", "PlayDTMF"}, {"ActionID", "d"}, {"Channel", channel}, {"Digit", "5"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: d\r\nMessage: DTMF successfully queued\r\n\r\n");
    EXPECT_TRUE(reply.events.empty());
    reply = pbx.act({{"Action", "PlayDTMF"}, {"ActionID", "d"}, {"Channel", channel}, {"Digit", "#"}, {"Duration", "250"},
                     {"Receive", "true"}});
    ASSERT_EQ(reply.events.size(), 1u);
    EXPECT_EQ(reply.events[0].get("Digit"), "#");
    EXPECT_EQ(reply.events[0].get("DurationMs"), "250");
    EXPECT_EQ(reply.events[0].get("Direction"), "Received");
    EXPECT_EQ(pbx.act({{"Action", "PlayDTMF"}, {"ActionID", "d"}, {"Channel", "SIP/9-1"}, {"Digit", "1"}}).bytes,
              "Response: Error\r\nActionID: d\r\nMessage: Channel not found\r\n\r\n");
    EXPECT_EQ(pbx.act({{"Action", "PlayDTMF"}, {"ActionID", "d"}, {"Channel", channel}}).bytes,
              "Response: Error\r\nActionID: d\r\nMessage: No digit specified\r\n\r\n");
}

TEST(SimCommands, MixMonitorMatchesFile11) {
    const auto recording = load("asterisk20-chansip", "11-mixmonitor.txt");
    Pbx pbx(Flavor::Asterisk20ChanSip);
    pbx.answered_call("2001", "2002");
    const std::string channel = pbx.channel_of("2001");
    for (const std::string id : {"bridge-a-002", "bridge-a-003", "bridge-a-004", "bridge-a-005", "bridge-a-006",
                                 "bridge-a-007", "bridge-a-008"}) {
        ami::Message action = *recorded_action(recording, id);
        if (action.get("Channel") == "SIP/2001-00000018") action.headers()[2].value = channel;
        const ActionReply reply = pbx.act(action);
        EXPECT_EQ(reply.bytes, recorded_answer(recording, id)) << id;
        for (const auto& event : reply.events) {
            const RecordedMessage* recorded = nullptr;
            for (const auto* r : after_action(recording, id))
                if (r->message.event() == event.event()) recorded = r;
            ASSERT_NE(recorded, nullptr) << id << " " << event.event();
            EXPECT_EQ(header_names(event), header_names(recorded->message)) << id;
            EXPECT_EQ(event.get("State"), recorded->message.get("State")) << id;
            EXPECT_EQ(event.get("Direction"), recorded->message.get("Direction")) << id;
        }
    }
    EXPECT_FALSE(pbx.sim.state().find_channel(channel)->recording);
}

TEST(SimCommands, SipNotifyTalkAnswersTheRingingPhone) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    const Outcome call = pbx.sim.start_call("2001", "2002", 1795801200);
    ActionReply reply = pbx.act({{"Action", "SIPnotify"}, {"ActionID", "n"}, {"Channel", "SIP/2002"}, {"Variable", "Event=talk"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: n\r\nMessage: Notify Sent\r\n\r\n");
    EXPECT_TRUE(pbx.sim.state().calls.find(call.detail)->answered);
    EXPECT_EQ(pbx.act({{"Action", "SIPnotify"}, {"ActionID", "n"}, {"Channel", "nosuch"}, {"Variable", "Event=talk"}}).bytes,
              "Response: Error\r\nActionID: n\r\nMessage: Could not create address\r\n\r\n");
    EXPECT_EQ(pbx.act({{"Action", "SIPnotify"}, {"ActionID", "n"}, {"Channel", "2006"}, {"Variable", "Event=talk"}}).bytes,
              "Response: Error\r\nActionID: n\r\nMessage: Could not create address\r\n\r\n");
    EXPECT_EQ(pbx.act({{"Action", "PJSIPNotify"}, {"ActionID", "n"}, {"Endpoint", "2002"}}).bytes,
              "Response: Error\r\nActionID: n\r\nMessage: Invalid/unknown command: PJSIPNotify. Use Action: "
              "ListCommands to show available commands.\r\n\r\n");
}

TEST(SimCommands, PjsipNotifyTalkAnswersTheRingingPhone) {
    Pbx pbx(Flavor::Asterisk22Pjsip);
    const Outcome call = pbx.sim.start_call("3001", "3002", 1795801200);
    const ActionReply reply =
        pbx.act({{"Action", "PJSIPNotify"}, {"ActionID", "n"}, {"Endpoint", "3002"}, {"Variable", "Event=talk"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: n\r\nMessage: NOTIFY sent\r\n\r\n");
    EXPECT_TRUE(pbx.sim.state().calls.find(call.detail)->answered);
    EXPECT_EQ(pbx.act({{"Action", "PJSIPNotify"}, {"ActionID", "n"}, {"Endpoint", "nosuch"}, {"Option", "clear-mwi"}}).bytes,
              "Response: Error\r\nActionID: n\r\nMessage: Unable to retrieve endpoint nosuch\r\n\r\n");
    EXPECT_EQ(pbx.act({{"Action", "PJSIPNotify"}, {"ActionID", "n"}, {"Endpoint", "3001"}, {"Option", "x"},
                       {"Variable", "Event=talk"}})
                  .bytes,
              "Response: Error\r\nActionID: n\r\nMessage: PJSIPNotify action can not handle a request specifying both "
              "'Variable' and 'Option'\r\n\r\n");
}

TEST(SimCommands, ReloadMatchesFile12) {
    const auto recording = load("asterisk20-chansip", "12-reload.txt");
    Pbx pbx(Flavor::Asterisk20ChanSip);
    for (const std::string id : {"bridge-a-002", "bridge-a-003", "bridge-a-004", "bridge-a-005", "bridge-a-009"}) {
        const ActionReply reply = pbx.act(*recorded_action(recording, id));
        EXPECT_EQ(reply.bytes, recorded_answer(recording, id)) << id;
        ASSERT_FALSE(reply.events.empty()) << id;
        std::vector<std::string> recorded_reloads;
        std::size_t recorded_hints = 0;
        for (const auto* r : after_action(recording, id)) {
            if (r->message.event() == "Reload") recorded_reloads.push_back(r->wire);
            if (r->message.event() == "ExtensionStatus") ++recorded_hints;
        }
        ASSERT_EQ(recorded_reloads.size(), 1u) << id;
        EXPECT_EQ(reply.events.back().serialize(), recorded_reloads[0]) << id;
        EXPECT_EQ(reply.events.size() - 1, recorded_hints) << id;
    }
}

// ------------------------------------------------------------------------------------------
// Actions that already existed, as the bridge's commands use them

TEST(SimCommands, DbPutOfDndDoesNotChangeTheDeviceOnlySetvarDoes) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    ActionReply reply = pbx.act({{"Action", "DBPut"}, {"ActionID", "1"}, {"Family", "DND"}, {"Key", "2001"}, {"Val", "YES"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: 1\r\nMessage: Updated database successfully\r\n\r\n");
    EXPECT_TRUE(reply.events.empty());
    EXPECT_EQ(pbx.sim.state().device_state("Custom:DND2001"), DeviceState::Unknown);
    reply = pbx.act({{"Action", "Setvar"}, {"ActionID", "2"}, {"Variable", "DEVICE_STATE(Custom:DND2001)"}, {"Value", "BUSY"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: 2\r\nMessage: Variable Set\r\n\r\n");
    EXPECT_EQ(pbx.sim.state().device_state("Custom:DND2001"), DeviceState::Busy);
    EXPECT_FALSE(reply.events.empty());
    reply = pbx.act({{"Action", "DBDel"}, {"ActionID", "3"}, {"Family", "DND"}, {"Key", "2001"}});
    EXPECT_EQ(reply.bytes, "Response: Success\r\nActionID: 3\r\nMessage: Key deleted successfully\r\n\r\n");
    EXPECT_EQ(pbx.sim.state().device_state("Custom:DND2001"), DeviceState::Busy);
}

TEST(SimCommands, QueueParkAndConferenceActionsChangeTheState) {
    Pbx pbx(Flavor::Asterisk20ChanSip);
    EXPECT_EQ(pbx.act({{"Action", "QueueAdd"}, {"ActionID", "q"}, {"Queue", "401"}, {"Interface", "SIP/2005"}}).bytes,
              "Response: Success\r\nActionID: q\r\nMessage: Added interface to queue\r\n\r\n");
    EXPECT_EQ(pbx.act({{"Action", "QueuePause"}, {"ActionID", "q"}, {"Queue", "401"}, {"Interface", "SIP/2005"},
                       {"Paused", "true"}})
                  .bytes,
              "Response: Success\r\nActionID: q\r\nMessage: Interface paused successfully\r\n\r\n");
    EXPECT_TRUE(pbx.sim.state().find_queue_member("401", "SIP/2005")->paused());
    EXPECT_EQ(pbx.act({{"Action", "QueueRemove"}, {"ActionID", "q"}, {"Queue", "401"}, {"Interface", "SIP/2005"}}).bytes,
              "Response: Success\r\nActionID: q\r\nMessage: Removed interface from queue\r\n\r\n");
    const Outcome call = pbx.answered_call("2001", "2002");
    const ActionReply park = pbx.act({{"Action", "Park"}, {"ActionID", "p"}, {"Channel", pbx.channel_of("2002")}});
    EXPECT_EQ(park.bytes, "Response: Success\r\nActionID: p\r\nMessage: Park successful\n\r\n\r\n");
    EXPECT_EQ(pbx.sim.state().parked_calls.size(), 1u);
    ASSERT_TRUE(pbx.sim.conf_join("800", "2003", 1795801400).ok());
    const std::string user = pbx.channel_of("2003");
    EXPECT_EQ(pbx.act({{"Action", "ConfbridgeMute"}, {"ActionID", "c"}, {"Conference", "800"}, {"Channel", user}}).bytes,
              "Response: Success\r\nActionID: c\r\nMessage: User muted\r\n\r\n");
    EXPECT_TRUE(pbx.sim.state().find_conference("800")->users[0].muted);
    EXPECT_EQ(pbx.act({{"Action", "ConfbridgeUnmute"}, {"ActionID", "c"}, {"Conference", "800"}, {"Channel", user}}).bytes,
              "Response: Success\r\nActionID: c\r\nMessage: User unmuted\r\n\r\n");
    EXPECT_EQ(pbx.act({{"Action", "ConfbridgeKick"}, {"ActionID", "c"}, {"Conference", "800"}, {"Channel", user}}).bytes,
              "Response: Success\r\nActionID: c\r\nMessage: User kicked\r\n\r\n");
    EXPECT_EQ(pbx.sim.state().find_conference("800"), nullptr);
    (void)call;
}

TEST(SimCommands, ActionLogKeepsEveryHeaderAsReceived) {
    ActionLog log;
    const std::string wire = "Action: Originate\r\nActionID: 7\r\nChannel: SIP/2001\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n";
    log.note("Originate", wire);
    log.note("Ping", "Action: Ping\r\n\r\n");
    Pbx pbx(Flavor::Asterisk20ChanSip);
    ControlContext context{pbx.sim, log, 1, 1795801300};
    EXPECT_EQ(run_control_command(context, "actions").reply, "OK 2");
    const std::string reply = run_control_command(context, "last-action originate").reply;
    ASSERT_EQ(reply.substr(0, 3), "OK ");
    EXPECT_NE(reply.find("Variable%3A%20A%3D1%0D%0AVariable%3A%20B%3D2"), std::string::npos) << reply;
}

}  // namespace
