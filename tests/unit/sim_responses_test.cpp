// ami-sim answers, byte for byte against the recorded Asterisk answers: the client side of each
// flavor's 01-snapshot-actions transcript is replayed against a simulator seeded from the same
// transcript, with no recorded answers to fall back on, so every compared answer is formatted
// from the simulator's state.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "ami-sim/actions.hpp"
#include "ami-sim/canned.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/responses.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/session.hpp"

namespace sim_responses_test {  // named: the unity build compiles several test files as one

using namespace amisim;

std::string fixture_path(const std::string& flavor, const std::string& file) {
    return std::string(PBX2MQTT_FIXTURES_DIR) + "/ami/" + flavor + "/" + file;
}

std::vector<RecordedMessage> load(const std::string& flavor, const std::string& file) {
    return parse_recording(read_text_file(fixture_path(flavor, file)));
}

std::string answer_of(const Exchange& e) {
    std::string out;
    for (const auto* r : e.replies) out += r->wire;
    return out;
}

// The recorded answer to the action with this ActionID: the messages carrying it (and the lone
// CRLF some answers end with), not the events that came in between.
std::string recorded_answer(const std::vector<RecordedMessage>& recording, std::string_view action_id) {
    for (const Exchange& e : exchanges(recording)) {
        if (e.request->message.action_id() != action_id) continue;
        std::string out;
        bool kept = false;
        for (const auto* r : e.replies) {
            kept = r->message.action_id() == action_id || (kept && r->wire == "\r\n");
            if (kept) out += r->wire;
        }
        return out;
    }
    ADD_FAILURE() << "no action " << action_id;
    return {};
}

double recorded_timestamp(const Exchange& e) {
    if (e.replies.empty()) return 0;
    const std::string stamp(e.replies.front()->message.get("Timestamp"));
    return stamp.empty() ? 1795801225.0 : std::strtod(stamp.c_str(), nullptr);
}

// What the real simulator answers from the embedded recording, not from its state.
bool answered_from_recording(const ami::Message& request) {
    if (ami::iequals(request.get("Action"), "CoreStatus")) return true;
    if (!ami::iequals(request.get("Action"), "Command")) return false;
    const std::string_view command = request.get("Command");
    return command.rfind("database show", 0) != 0 && command != "sip show peers" && command != "no such cli command";
}

struct ReplayResult {
    std::set<std::string> compared;  // actions answered from the state and compared
    int mismatches = 0;
};

// Every client message of the transcript through a session; answers compared byte for byte
// unless the simulator has no model for the action (it would replay a recorded answer).
ReplayResult replay_snapshot(Flavor flavor, const std::string& name) {
    const auto recording = load(name, "01-snapshot-actions.txt");
    Simulator sim(flavor, seed_state(flavor, recording), 7, 1795801200.0);
    ActionHandler handler(sim, CannedAnswers{}, ActionCatalog(flavor, recording));
    std::vector<User> users{{"bridge", "bridgepass", false}};
    AmiSession session(sim, handler, users);
    ReplayResult result;
    for (const Exchange& e : exchanges(recording)) {
        const ami::Message& request = e.request->message;
        const SessionStep step = session.on_message(request, recorded_timestamp(e));
        const std::string action(request.get("Action"));
        if (step.reply.find("ami-sim does not simulate") != std::string::npos) continue;
        if (answered_from_recording(request)) continue;
        result.compared.insert(action.empty() ? "(no action)" : action);
        const std::string expected = answer_of(e);
        if (step.reply != expected) {
            ++result.mismatches;
            ADD_FAILURE() << name << ": answer to " << action << " " << request.action_id() << " differs\n--- expected\n"
                          << expected << "--- got\n" << step.reply;
        }
    }
    return result;
}

void expect_compared(const ReplayResult& result, std::initializer_list<const char*> actions) {
    for (const char* action : actions) EXPECT_TRUE(result.compared.count(action)) << action << " was not compared";
}

TEST(SimResponses, Asterisk20SnapshotAnswersMatchTheRecording) {
    const auto result = replay_snapshot(Flavor::Asterisk20ChanSip, "asterisk20-chansip");
    EXPECT_EQ(result.mismatches, 0);
    expect_compared(result, {"Login", "Ping", "SIPpeers", "SIPshowpeer", "ExtensionStateList", "ExtensionState",
                             "DeviceStateList", "QueueStatus", "QueueSummary", "DBPut", "DBGet", "DBGetTree", "DBDel",
                             "Getvar", "Command", "ListCommands", "NoSuchAction", "(no action)", "Logoff",
                             "CoreShowChannels", "Status", "BridgeList", "Parkinglots", "ParkedCalls",
                             "ConfbridgeListRooms", "ConfbridgeList", "SIPshowregistry"});
}

TEST(SimResponses, Asterisk22SnapshotAnswersMatchTheRecording) {
    const auto result = replay_snapshot(Flavor::Asterisk22Pjsip, "asterisk22-pjsip");
    EXPECT_EQ(result.mismatches, 0);
    expect_compared(result, {"Login", "PJSIPShowEndpoints", "PJSIPShowEndpoint", "PJSIPShowContacts",
                             "ExtensionStateList", "ExtensionState", "DeviceStateList", "QueueStatus", "QueueSummary",
                             "DBGet", "DBGetTree", "Getvar", "Command", "NoSuchAction", "Logoff", "CoreShowChannels",
                             "Status", "BridgeList", "Parkinglots", "ParkedCalls", "ConfbridgeListRooms",
                             "ConfbridgeList", "PJSIPShowRegistrationsOutbound", "MailboxCount", "MailboxStatus",
                             "VoicemailUsersList"});
}

TEST(SimResponses, Asterisk13SnapshotAnswersMatchTheRecording) {
    const auto result = replay_snapshot(Flavor::Asterisk13ChanSip, "asterisk13-chansip");
    EXPECT_EQ(result.mismatches, 0);
    expect_compared(result, {"Login", "SIPpeers", "SIPshowpeer", "ExtensionStateList", "ExtensionState",
                             "DeviceStateList", "QueueStatus", "DBPut", "DBGet", "DBGetTree", "DBDel", "Getvar",
                             "Command", "ListCommands", "NoSuchAction", "(no action)", "Logoff", "CoreShowChannels",
                             "Status", "BridgeList", "Parkinglots", "ParkedCalls", "ConfbridgeListRooms",
                             "ConfbridgeList", "SIPshowregistry", "MailboxCount"});
}

// The snapshot answers named in the brief, one by one, from the built-in default state.
TEST(SimResponses, DefaultStateAnswersEqualTheRecordedOnes) {
    {
        const auto rec = load("asterisk20-chansip", "01-snapshot-actions.txt");
        SimState state = default_state(Flavor::Asterisk20ChanSip);
        EXPECT_EQ(sip_peers(state, "bridge-a-007"), recorded_answer(rec, "bridge-a-007"));
        EXPECT_EQ(sip_show_peer(state, "2001", "bridge-a-008"), recorded_answer(rec, "bridge-a-008"));
        EXPECT_EQ(sip_show_peer(state, "nosuchpeer", "bridge-a-010"), recorded_answer(rec, "bridge-a-010"));
        EXPECT_EQ(extension_state_list(state, "bridge-a-012"), recorded_answer(rec, "bridge-a-012"));
        EXPECT_EQ(device_state_list(state, "bridge-a-015"), recorded_answer(rec, "bridge-a-015"));
        state.db_put("DND", "2001", "YES");  // the transcript's DBPut just before
        EXPECT_EQ(db_get_tree(state, "DND", "", "bridge-a-029"), recorded_answer(rec, "bridge-a-029"));
        EXPECT_EQ(command_output(Flavor::Asterisk20ChanSip, "bridge-a-038", sip_show_peers_lines(state)),
                  recorded_answer(rec, "bridge-a-038"));
    }
    {
        const auto rec = load("asterisk22-pjsip", "01-snapshot-actions.txt");
        const SimState state = default_state(Flavor::Asterisk22Pjsip);
        EXPECT_EQ(pjsip_show_endpoints(state, "bridge-a-007"), recorded_answer(rec, "bridge-a-007"));
        EXPECT_EQ(pjsip_show_endpoint(state, "3001", "bridge-a-008"), recorded_answer(rec, "bridge-a-008"));
        EXPECT_EQ(pjsip_show_endpoint(state, "3005", "bridge-a-009"), recorded_answer(rec, "bridge-a-009"));
        EXPECT_EQ(pjsip_show_endpoint(state, "nosuchendpoint", "bridge-a-010"), recorded_answer(rec, "bridge-a-010"));
        EXPECT_EQ(pjsip_show_contacts(state, "bridge-a-011"), recorded_answer(rec, "bridge-a-011"));
        EXPECT_EQ(extension_state_list(state, "bridge-a-017"), recorded_answer(rec, "bridge-a-017"));
        EXPECT_EQ(device_state_list(state, "bridge-a-020"), recorded_answer(rec, "bridge-a-020"));
        EXPECT_EQ(db_get_tree(state, "", "", "bridge-a-034"), recorded_answer(rec, "bridge-a-034"));
        EXPECT_EQ(db_get_tree(state, "AMPUSER", "3001", "bridge-a-036"), recorded_answer(rec, "bridge-a-036"));
        EXPECT_EQ(db_get_tree(state, "NOSUCHFAMILY", "", "bridge-a-037"), recorded_answer(rec, "bridge-a-037"));
    }
    {
        const auto rec = load("asterisk13-chansip", "01-snapshot-actions.txt");
        SimState state = default_state(Flavor::Asterisk13ChanSip);
        EXPECT_EQ(sip_peers(state, "bridge-a-007"), recorded_answer(rec, "bridge-a-007"));
        EXPECT_EQ(sip_show_peer(state, "4001", "bridge-a-008"), recorded_answer(rec, "bridge-a-008"));
        EXPECT_EQ(extension_state_list(state, "bridge-a-012"), recorded_answer(rec, "bridge-a-012"));
        state.db_put("DND", "4001", "YES");
        EXPECT_EQ(command_output(Flavor::Asterisk13ChanSip, "bridge-a-031", database_show_lines(state, "DND", "")),
                  recorded_answer(rec, "bridge-a-031"));
        EXPECT_EQ(command_output(Flavor::Asterisk13ChanSip, "bridge-a-041", sip_show_peers_lines(state)),
                  recorded_answer(rec, "bridge-a-041"));
    }
}

// After an unregistration the snapshots change the way the recordings show.
TEST(SimResponses, UnregisteredPeerAnswersMatchTheRecordings) {
    {
        Simulator sim(Flavor::Asterisk20ChanSip, default_state(Flavor::Asterisk20ChanSip));
        ASSERT_TRUE(sim.unregister_peer("2004").ok());
        const auto rec = load("asterisk20-chansip", "04-phone-registration.txt");
        // Stale "Status: OK (1 ms)", Address-IP (null), LastMsgsSent -1.
        EXPECT_EQ(sip_show_peer(sim.state(), "2004", "bridge-a-002"), recorded_answer(rec, "bridge-a-002"));
        const std::string peers = sip_peers(sim.state(), "x");
        EXPECT_NE(peers.find("ObjectName: 2004\r\nChanObjectType: peer\r\nIPaddress: -none-\r\nIPport: 0\r\n"),
                  std::string::npos);
    }
    {
        Simulator sim(Flavor::Asterisk22Pjsip, default_state(Flavor::Asterisk22Pjsip));
        ASSERT_TRUE(sim.unregister_peer("3004").ok());
        const auto rec = load("asterisk22-pjsip", "02-phone-registration.txt");
        EXPECT_EQ(pjsip_show_endpoint(sim.state(), "3004", "bridge-a-002"), recorded_answer(rec, "bridge-a-002"));
        EXPECT_EQ(pjsip_show_contacts(sim.state(), "bridge-a-003"), recorded_answer(rec, "bridge-a-003"));
    }
}

TEST(SimResponses, CommandOutputForms) {
    EXPECT_EQ(command_output(Flavor::Asterisk20ChanSip, "a", {}),
              "Response: Success\r\nActionID: a\r\nMessage: Command output follows\r\nOutput: \r\n\r\n");
    EXPECT_EQ(command_output(Flavor::Asterisk13ChanSip, "", {"x", "y"}),
              "Response: Follows\r\nPrivilege: Command\r\nx\ny\n--END COMMAND--\r\n\r\n");
    EXPECT_EQ(unknown_cli_command_line("no such cli command"),
              "No such command 'no such cli command' (type 'core show help no such' for other possible commands)");
}

}  // namespace
