// ami-sim trunks, voicemail, trunk calls, the control commands of the newer entities, and scale:
// PJSIP outbound registrations against 22/10-trunk-registration and MessageWaiting/MailboxCount/
// VoicemailUsersList against 22/09-mwi-voicemail, byte for byte; --extensions and "calls" at
// 10,000 extensions and 2,000 calls, with the snapshot answers timed.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "ami-sim/actions.hpp"
#include "ami-sim/control.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/responses.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/simulator.hpp"

namespace sim_trunks_test {  // named: the unity build compiles several test files as one

using namespace amisim;

std::vector<RecordedMessage> load(const std::string& flavor, const std::string& file) {
    return parse_recording(read_text_file(std::string(PBX2MQTT_FIXTURES_DIR) + "/ami/" + flavor + "/" + file));
}

// The recorded answer to a request (the messages with its ActionID) and the other events of the
// bridge session until the next request, of the given names.
struct Recorded {
    std::string answer;
    std::vector<std::string> events;
};

Recorded recorded_after(const Exchange& e, const std::set<std::string>& names) {
    Recorded r;
    for (const auto* m : e.replies) {
        if (m->message.action_id() == e.request->message.action_id() && !e.request->message.action_id().empty())
            r.answer += m->wire;
        else if (m->message.is_event() && !m->message.has("ActionID") && names.count(std::string(m->message.event())))
            r.events.push_back(m->wire);
    }
    return r;
}

std::vector<std::string> wires(const Events& events, const std::set<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& e : events)
        if (names.count(std::string(e.event()))) out.push_back(e.serialize());
    return out;
}

TEST(SimTrunks, PjsipRegistrationsMatchFile10) {
    const auto recording = load("asterisk22-pjsip", "10-trunk-registration.txt");
    Simulator sim(Flavor::Asterisk22Pjsip, default_state(Flavor::Asterisk22Pjsip));
    ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(Flavor::Asterisk22Pjsip, {}));
    const std::set<std::string> names{"Registry", "PeerStatus", "ContactStatus", "DeviceStateChange"};
    int compared = 0;
    for (const Exchange& e : exchanges(recording)) {
        const ami::Message& request = e.request->message;
        const std::string action(request.get("Action"));
        if (action != "PJSIPShowRegistrationsOutbound" && action != "PJSIPRegister" && action != "PJSIPUnregister")
            continue;
        const Recorded want = recorded_after(e, names);
        const ActionReply reply = handler.handle(request, 0);
        EXPECT_EQ(reply.bytes, want.answer) << action << " " << request.action_id();
        EXPECT_EQ(wires(reply.events, names), want.events) << action << " " << request.action_id();
        ++compared;
    }
    EXPECT_EQ(compared, 8);
    EXPECT_EQ(sim.state().find_registration("trunk2")->status, "Registered");
}

TEST(SimTrunks, TrunkRegisterCommandEmitsTheRecordedEvents) {
    Simulator sim(Flavor::Asterisk22Pjsip, default_state(Flavor::Asterisk22Pjsip));
    // trunk2 registers to this PBX's own "selftrunk": the inbound side shows it too (22/10).
    Outcome down = sim.set_registration("trunk2", "unregistered", 1795803000);
    ASSERT_TRUE(down.ok()) << down.error;
    ASSERT_EQ(down.events.size(), 4u);
    EXPECT_EQ(down.events[0].get("PeerStatus"), "Unreachable");
    EXPECT_EQ(down.events[1].get("State"), "UNAVAILABLE");
    EXPECT_EQ(down.events[2].serialize(),
              "Event: Registry\r\nPrivilege: system,all\r\nChannelType: PJSIP\r\nUsername: sip:selftrunk@127.0.0.1:5070\r\n"
              "Domain: sip:127.0.0.1:5070\r\nStatus: Unregistered\r\n\r\n");
    EXPECT_EQ(down.events[3].get("ContactStatus"), "Removed");
    EXPECT_EQ(sim.state().device_state("PJSIP/selftrunk"), DeviceState::Unavailable);
    Outcome up = sim.set_registration("trunk2", "Registered", 1795803010);
    ASSERT_EQ(up.events.size(), 4u);
    EXPECT_EQ(up.events[2].get("PeerStatus"), "Reachable");
    EXPECT_EQ(up.events[3].get("ContactStatus"), "NonQualified");
    // trunk1 goes to a far end: only its Registry event.
    Outcome rejected = sim.set_registration("trunk1", "registered", 0);
    ASSERT_EQ(rejected.events.size(), 1u);
    EXPECT_EQ(rejected.events[0].get("Status"), "Registered");
    EXPECT_EQ(sim.state().find_registration("trunk1")->status, "Registered");
    EXPECT_FALSE(sim.set_registration("nosuch", "registered", 0).ok());
    EXPECT_FALSE(sim.set_registration("trunk1", "maybe", 0).ok());
}

TEST(SimTrunks, ChanSipRegistryAndTrunkCalls) {
    Simulator sim(Flavor::Asterisk20ChanSip, default_state(Flavor::Asterisk20ChanSip), 1, 1795801200);
    // As recorded in 20/01: no registration, RegistrationsComplete with no items.
    EXPECT_EQ(sip_show_registry(sim.state(), "a1"),
              "Response: Success\r\nActionID: a1\r\nEventList: start\r\nMessage: Registrations will follow\r\n\r\n"
              "Event: RegistrationsComplete\r\nActionID: a1\r\nEventList: Complete\r\nListItems: 0\r\n\r\n");
    Outcome reg = sim.set_registration("trunk1", "registered", 1795801300);
    ASSERT_TRUE(reg.ok()) << reg.error;
    ASSERT_EQ(reg.events.size(), 1u);
    EXPECT_EQ(reg.events[0].serialize(),
              "Event: Registry\r\nPrivilege: system,all\r\nChannelType: SIP\r\nUsername: trunk1\r\nDomain: 127.0.0.1\r\n"
              "Status: Registered\r\n\r\n");
    EXPECT_NE(sip_show_registry(sim.state(), "a2").find("Event: RegistryEntry\r\nActionID: a2\r\nHost: 127.0.0.1\r\n"),
              std::string::npos);
    EXPECT_FALSE(sim.set_registration("2001", "registered", 0).ok());  // a phone, not a trunk

    // Outbound through trunk1, then an inbound call from it.
    Outcome out = sim.start_trunk_call("2001", "5551234", "trunk1", 1795801310);
    ASSERT_TRUE(out.ok()) << out.error;
    const Call* call = sim.state().calls.find(out.detail);
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->callee.rfind("SIP/trunk1-", 0), 0u);
    bool dial_string = false;
    for (const auto& e : out.events)
        dial_string |= e.event() == "DialBegin" && e.get("DialString") == "trunk1/5551234";
    EXPECT_TRUE(dial_string);
    ASSERT_TRUE(sim.answer_call(out.detail, 1795801312).ok());
    ASSERT_TRUE(sim.hangup_call(out.detail, HangupSide::Caller, 16, 1795801320).ok());

    Outcome in = sim.incoming_call("trunk1", "0049301234", "2002", 1795801330);
    ASSERT_TRUE(in.ok()) << in.error;
    ASSERT_FALSE(in.events.empty());
    EXPECT_EQ(in.events[0].event(), "Newchannel");
    EXPECT_EQ(in.events[0].get("Channel").substr(0, 11), "SIP/trunk1-");
    EXPECT_EQ(in.events[0].get("Context"), "from-trunk");
    EXPECT_EQ(in.events[0].get("CallerIDNum"), "0049301234");
    EXPECT_EQ(in.events[0].get("Exten"), "2002");
    EXPECT_EQ(sim.state().device_state("SIP/2002"), DeviceState::Ringing);
    EXPECT_FALSE(sim.incoming_call("2001", "1", "2002", 0).ok());  // not a trunk
    Simulator old(Flavor::Asterisk13ChanSip, default_state(Flavor::Asterisk13ChanSip));
    EXPECT_FALSE(old.incoming_call("trunk1", "1", "4002", 0).ok());  // Asterisk 13 had no trunk

    Simulator pjsip(Flavor::Asterisk22Pjsip, default_state(Flavor::Asterisk22Pjsip));
    Outcome p = pjsip.start_trunk_call("3001", "5551234", "trunk1", 1795802000);
    ASSERT_TRUE(p.ok()) << p.error;
    dial_string = false;
    for (const auto& e : p.events) dial_string |= e.event() == "DialBegin" && e.get("DialString") == "5551234@trunk1";
    EXPECT_TRUE(dial_string);
}

TEST(SimVoicemail, MessageWaitingAndMailboxAnswersMatchFile09) {
    const auto recording = load("asterisk22-pjsip", "09-mwi-voicemail.txt");
    Simulator sim(Flavor::Asterisk22Pjsip, default_state(Flavor::Asterisk22Pjsip));
    ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(Flavor::Asterisk22Pjsip, {}));
    // What the recorded PBX's boxes held after each step of the file.
    std::vector<std::string> waiting;  // recorded channel-less MessageWaiting events
    for (const auto& m : recording)
        if (m.message.event() == "MessageWaiting" && !m.message.has("Channel")) waiting.push_back(m.wire);
    ASSERT_EQ(waiting.size(), 2u);
    int compared = 0;
    for (const Exchange& e : exchanges(recording)) {
        const ami::Message& request = e.request->message;
        const std::string action(request.get("Action"));
        if (action == "Originate") {  // a message is left (its MessageWaiting carries the Local channel)
            const std::string box = request.get("Channel") == "Local/3001@vm-leave" ? "3001" : "3002";
            ASSERT_TRUE(sim.set_mailbox(box, 1, 0).ok());
        } else if (action == "VoicemailMove") {
            const Outcome o = sim.set_mailbox("3001@default", 0, 1);
            ASSERT_EQ(o.events.size(), 2u);
            EXPECT_EQ(o.events[0].serialize(), waiting[0]);
            EXPECT_EQ(o.events[1].serialize(), "Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: MWI:3001@default\r\n"
                                               "State: NOT_INUSE\r\n\r\n");
        } else if (action == "VoicemailRemove") {
            const Outcome o = sim.set_mailbox("3001@default", 0, 0);
            ASSERT_EQ(o.events.size(), 1u);  // MWI:3001@default stays NOT_INUSE
            EXPECT_EQ(o.events[0].serialize(), waiting[1]);
        } else if (action == "MailboxCount" || action == "MailboxStatus" || action == "VoicemailUsersList") {
            EXPECT_EQ(handler.handle(request, 0).bytes, recorded_after(e, {}).answer) << action << " "
                                                                                       << request.action_id();
            ++compared;
        }
    }
    EXPECT_EQ(compared, 6);
    EXPECT_EQ(sim.state().device_state("MWI:3002@default"), DeviceState::InUse);
}

TEST(SimVoicemail, MailboxesPerFlavor) {
    const SimState twenty = default_state(Flavor::Asterisk20ChanSip);
    std::vector<std::string> boxes;
    for (const auto& m : twenty.mailboxes)
        if (m.configured) boxes.push_back(m.id + "=" + m.fullname);
    EXPECT_EQ(boxes, (std::vector<std::string>{"1234@other=Company2 User", "1234@default=Example Mailbox"}));
    const SimState thirteen = default_state(Flavor::Asterisk13ChanSip);
    boxes.clear();
    for (const auto& m : thirteen.mailboxes) boxes.push_back(m.id + "=" + m.fullname);
    EXPECT_EQ(boxes, (std::vector<std::string>{"4001@default=Alice Anderson", "4002@default=Bob Brown"}));
    // The VoicemailUserEntry header set (recorded on 22 only) is used by every flavor.
    const std::string list = voicemail_users_list(thirteen, "x");
    EXPECT_NE(list.find("VMContext: default\r\nVoiceMailbox: 4001\r\nFullname: Alice Anderson\r\n"), std::string::npos);
    EXPECT_NE(list.find("Event: VoicemailUserEntryComplete\r\nActionID: x\r\nEventList: Complete\r\nListItems: 2\r\n"),
              std::string::npos);
}

struct Control {
    explicit Control(Flavor flavor) : sim(flavor, default_state(flavor), 5, 1795801200.0) {}
    ControlResult operator()(std::string_view line, double now = 1795801300.0) {
        ControlContext context{sim, log, 1, now};
        return run_control_command(context, line);
    }
    bool has(const ControlResult& r, std::string_view event) const {
        for (const auto& e : r.broadcast)
            if (e.event() == event) return true;
        return false;
    }
    Simulator sim;
    ActionLog log;
};

TEST(SimControl, QueueCommands) {
    Control control(Flavor::Asterisk20ChanSip);
    ControlResult join = control("queue-join 401 2001");
    ASSERT_EQ(join.reply.substr(0, 3), "OK ");
    EXPECT_TRUE(control.has(join, "QueueCallerJoin"));
    EXPECT_TRUE(control.has(join, "AgentCalled"));  // 2003 and 2004 ring
    const std::string call = join.reply.substr(3);
    ControlResult second = control("queue-join 401 2002");
    EXPECT_TRUE(control.has(second, "QueueCallerJoin"));
    EXPECT_FALSE(control.has(second, "AgentCalled"));  // second in line: nobody rings for it yet
    ControlResult answer = control("queue-answer 401 2003", 1795801305.0);
    EXPECT_EQ(answer.reply, "OK " + call);
    EXPECT_TRUE(control.has(answer, "AgentConnect"));
    EXPECT_TRUE(control.has(answer, "QueueCallerLeave"));
    EXPECT_TRUE(control.has(answer, "AgentCalled"));  // 2004 now rings for the next caller
    const std::string status = queue_status(control.sim.state(), "401", "q", 1795801306.0);
    EXPECT_NE(status.find("Event: QueueEntry\r\nQueue: 401\r\nPosition: 1\r\n"), std::string::npos);
    ControlResult done = control("queue-hangup 401", 1795801320.0);
    EXPECT_EQ(done.reply, "OK");
    EXPECT_TRUE(control.has(done, "AgentComplete"));
    ControlResult abandon = control("queue-abandon 401", 1795801325.0);
    EXPECT_EQ(abandon.reply, "OK");
    EXPECT_TRUE(control.has(abandon, "QueueCallerAbandon"));
    EXPECT_TRUE(control.sim.state().calls.empty());
    EXPECT_EQ(control("queue-abandon 401").reply, "ERR no caller waits in queue 401");
    EXPECT_EQ(control("queue-join 999 2001").reply, "ERR unknown queue 999");
    EXPECT_EQ(control("queue-pause 401 SIP/2003 on Lunch").reply, "OK");
    EXPECT_TRUE(control.sim.state().queue_members.front().paused());
    EXPECT_EQ(control.sim.state().queue_members.front().get("PausedReason"), "Lunch");
    EXPECT_EQ(control("queue-add 401 SIP/2005 Eve Evans").reply, "OK");
    EXPECT_EQ(control("queue-penalty 401 SIP/2005 3").reply, "OK");
    EXPECT_EQ(control("queue-remove 401 SIP/2005").reply, "OK");
    EXPECT_EQ(control("queue-remove 401 SIP/2005").reply, "ERR Unable to remove interface: Not there");
    EXPECT_EQ(control("queue-remove 401 SIP/2003").reply, "ERR Member not dynamic");
}

TEST(SimControl, ParkingAndConferenceCommands) {
    Control control(Flavor::Asterisk22Pjsip);
    const std::string call = control("call 3001 3002").reply.substr(3);
    ASSERT_EQ(control("answer " + call).reply, "OK");
    ControlResult parked = control("park " + call);
    EXPECT_EQ(parked.reply, "OK 71");
    EXPECT_TRUE(control.has(parked, "ParkedCall"));
    EXPECT_EQ(control.sim.state().device_state("park:71@parkedcalls"), DeviceState::InUse);
    ControlResult back = control("unpark 71 3003");
    ASSERT_EQ(back.reply.substr(0, 3), "OK ");
    EXPECT_TRUE(control.has(back, "UnParkedCall"));
    EXPECT_EQ(control("hangup " + back.reply.substr(3) + " caller").reply, "OK");
    EXPECT_TRUE(control.sim.state().channels.empty());

    const std::string again = control("call 3001 3002").reply.substr(3);
    control("answer " + again);
    EXPECT_EQ(control("park " + again).reply, "OK 71");
    EXPECT_TRUE(control.has(control("park-giveup 71"), "ParkedCallGiveUp"));
    const std::string third = control("call 3001 3002").reply.substr(3);
    control("answer " + third);
    control("park " + third);
    ControlResult timeout = control("park-timeout 71", 1795801400.0);
    ASSERT_EQ(timeout.reply.substr(0, 3), "OK ");  // the parked 3002 rings 3001 again
    EXPECT_TRUE(control.has(timeout, "ParkedCallTimeOut"));
    EXPECT_EQ(control.sim.state().device_state("PJSIP/3001"), DeviceState::Ringing);
    EXPECT_EQ(control("answer " + timeout.reply.substr(3)).reply, "OK");
    EXPECT_EQ(control("park-giveup 72").reply, "ERR no call is parked in 72");
    EXPECT_EQ(control("hangup-all").reply, "OK 1");

    ControlResult joined = control("conf-join 801 3001");
    ASSERT_EQ(joined.reply.substr(0, 10), "OK PJSIP/3");
    EXPECT_TRUE(control.has(joined, "ConfbridgeStart"));
    EXPECT_FALSE(control.has(control("conf-join 801 3002"), "ConfbridgeStart"));
    ControlResult talk = control("conf-talk 801 3002 on");
    ASSERT_EQ(talk.broadcast.size(), 1u);
    EXPECT_EQ(talk.broadcast[0].get("TalkingStatus"), "on");
    EXPECT_EQ(talk.broadcast[0].headers().back().name, "Admin");
    EXPECT_EQ(control("conf-mute 801 3002 on").broadcast[0].event(), "ConfbridgeMute");
    EXPECT_EQ(control("conf-mute 801 3002 off").broadcast[0].event(), "ConfbridgeUnmute");
    EXPECT_EQ(control("conf-lock 801 on").reply, "OK");
    EXPECT_EQ(control("conf-join 801 3003").reply, "ERR conference 801 is locked");
    EXPECT_FALSE(control.has(control("conf-leave 801 3001"), "ConfbridgeEnd"));
    EXPECT_TRUE(control.has(control("conf-leave 801 3002"), "ConfbridgeEnd"));
    EXPECT_EQ(control("conf-leave 801 3002").reply, "ERR No Conference by that name found.");
    EXPECT_EQ(control("conf-mute 801 3002 maybe").reply, "ERR usage: conf-mute <room> <ext> on|off");
}

TEST(SimControl, TrunkVoicemailAndLoadCommands) {
    Control control(Flavor::Asterisk22Pjsip);
    EXPECT_EQ(control("trunk-register trunk2 unregistered").reply, "OK");
    EXPECT_EQ(control("trunk-register trunk2 bogus").reply,
              "ERR usage: trunk-register <name> registered|unregistered|rejected");
    ControlResult mwi = control("voicemail 3001 2 1");
    EXPECT_EQ(mwi.reply, "OK");
    ASSERT_EQ(mwi.broadcast.size(), 2u);
    EXPECT_EQ(mwi.broadcast[0].serialize(),
              "Event: MessageWaiting\r\nPrivilege: call,all\r\nMailbox: 3001@default\r\nWaiting: 1\r\nNew: 2\r\nOld: 1\r\n\r\n");
    EXPECT_EQ(control("voicemail 3001 x 1").reply, "ERR usage: voicemail <mailbox> <new> <old>");
    EXPECT_EQ(control("call 3001 5550100 via trunk1").reply.substr(0, 3), "OK ");
    EXPECT_EQ(control("incoming trunk1 5550199 3002").reply.substr(0, 3), "OK ");
    EXPECT_EQ(control("incoming nosuch 5550199 3002").reply, "ERR unknown trunk nosuch");
    EXPECT_EQ(control("hangup-all").reply, "OK 2");
    EXPECT_EQ(control("calls 1").reply, "OK 3 3");  // 3001 and 3002 are the only idle pair... and 3003/3004
    EXPECT_EQ(control("calls 5").reply, "ERR only 2 idle extensions for 5 calls");
    EXPECT_EQ(control("calls x").reply, "ERR usage: calls <count>");
    const std::string state = control("state").reply;
    EXPECT_NE(state.find("\"registrations\":[{\"name\":\"trunk1\""), std::string::npos);
    EXPECT_NE(state.find("\"mailboxes\""), std::string::npos);
}

// --extensions 10000 and 2,000 answered calls: every snapshot answer stays fast and consistent.
TEST(SimScale, TenThousandExtensionsAndTwoThousandCalls) {
    for (Flavor flavor : {Flavor::Asterisk20ChanSip, Flavor::Asterisk22Pjsip}) {
        SimState state = default_state(flavor);
        const std::size_t seeded = state.peers.size();
        generate_extensions(state, flavor, 10000);
        ASSERT_EQ(state.peers.size(), seeded + 10000);
        Simulator sim(flavor, std::move(state), 1, 1795801200);
        ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(flavor, {}));
        const auto started = std::chrono::steady_clock::now();
        const Outcome calls = sim.start_answered_calls(2000, 1795801300);
        const double call_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        ASSERT_TRUE(calls.ok()) << calls.error;
        EXPECT_EQ(calls.detail, "1 2000");
        EXPECT_EQ(sim.state().calls.size(), 2000u);
        EXPECT_EQ(sim.state().channels.size(), 4000u);
        // Timings are reported, not asserted (no timed tests; bench/ measures): the scale is.
        ::testing::Test::RecordProperty(std::string(traits(flavor).name) + "_calls_seconds", std::to_string(call_seconds));
        std::size_t bridge_enters = 0;
        for (const auto& e : calls.events) bridge_enters += e.event() == "BridgeEnter";
        EXPECT_EQ(bridge_enters, 4000u);

        auto timed = [&](const char* action, std::string_view complete_event) {
            ami::Message request;
            request.add("Action", action);
            request.add("ActionID", "scale");
            const auto t0 = std::chrono::steady_clock::now();
            const ActionReply reply = handler.handle(request, 1795801310);
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            ::testing::Test::RecordProperty(std::string(action) + "_seconds", std::to_string(seconds));
            const auto at = reply.bytes.rfind("Event: " + std::string(complete_event) + "\r\n");
            EXPECT_NE(at, std::string::npos) << action;
            return reply.bytes.substr(at);
        };
        const std::string peers = traits(flavor).pjsip ? timed("PJSIPShowEndpoints", "EndpointListComplete")
                                                       : timed("SIPpeers", "PeerlistComplete");
        EXPECT_NE(peers.find("ListItems: " + std::to_string(seeded + 10000) + "\r\n"), std::string::npos) << peers;
        EXPECT_NE(timed("ExtensionStateList", "ExtensionStateListComplete").find("ListItems: "), std::string::npos);
        EXPECT_NE(timed("DeviceStateList", "DeviceStateListComplete").find("ListItems: "), std::string::npos);
        EXPECT_NE(timed("CoreShowChannels", "CoreShowChannelsComplete").find("ListItems: 4000\r\n"), std::string::npos);
        EXPECT_NE(timed("BridgeList", "BridgeListComplete").find("ListItems: 2000\r\n"), std::string::npos);
        EXPECT_NE(timed("Status", "StatusComplete").find("ListItems: 4000\r\n"), std::string::npos);
        if (traits(flavor).pjsip) timed("PJSIPShowContacts", "ContactListComplete");
        // The generated phones are in use: their hints say so.
        const Hint* hint = sim.state().find_hint("100000", "ext-local");
        ASSERT_NE(hint, nullptr);
        EXPECT_EQ(sim.state().hint_status(*hint), 1);
        const auto t0 = std::chrono::steady_clock::now();
        const Outcome ended = sim.hangup_everything(1795801400);
        EXPECT_EQ(ended.detail, "2000");
        EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
        EXPECT_TRUE(sim.state().channels.empty());
        EXPECT_EQ(sim.state().bridges.size(), 0u);
    }
}

TEST(SimScale, GeneratedExtensionsLookLikeTheRecordedOnes) {
    SimState state = default_state(Flavor::Asterisk20ChanSip);
    generate_extensions(state, Flavor::Asterisk20ChanSip, 2);
    const Peer* p = state.find_peer("100001");
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->registered);
    EXPECT_EQ(p->callerid.name, "Extension 100001");
    const Hint* hint = state.find_hint("100001", "ext-local");
    ASSERT_NE(hint, nullptr);
    EXPECT_EQ(hint->hint, "SIP/100001&Custom:DND100001");
    const std::string peers = sip_peers(state, "p");
    EXPECT_NE(peers.find("Event: PeerEntry\r\nActionID: p\r\nChanneltype: SIP\r\nObjectName: 100001\r\n"),
              std::string::npos);
    EXPECT_NE(sip_show_peer(state, "100001", "s").find("Callerid: \"Extension 100001\" <100001>\r\n"), std::string::npos);

    SimState pjsip = default_state(Flavor::Asterisk22Pjsip);
    generate_extensions(pjsip, Flavor::Asterisk22Pjsip, 1);
    EXPECT_EQ(pjsip.find_hint("100000", "ext-local")->hint, "PJSIP/100000");
    const std::string endpoint = pjsip_show_endpoint(pjsip, "100000", "e");
    EXPECT_NE(endpoint.find("Event: AorDetail\r\nActionID: e\r\nObjectType: aor\r\nObjectName: 100000\r\n"),
              std::string::npos);
    EXPECT_NE(endpoint.find("Event: ContactStatusDetail"), std::string::npos);
    EXPECT_NE(pjsip_show_endpoints(pjsip, "l").find("ObjectName: 100000\r\nTransport: transport-udp\r\nAor: 100000\r\n"),
              std::string::npos);
}

}  // namespace
