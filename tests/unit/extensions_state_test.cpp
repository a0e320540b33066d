// Feature codes run from a phone (FreePBX *72/*73/*76/*78/*79/*90...) change AstDB from the
// dialplan. Setting a key shows in Newexten (Set(DB(CF/4003)=4002)); deleting one does not
// (Set(RES=${DB_DELETE(CF/4003)}) shows as `AppData: RES=4002`). The bridge reads the extension's
// DND/CF/CFB/CFU keys again with four DBGet once the feature code's channel hangs up.
//
// The transcripts' events are replayed through the whole core; DBGet is answered as the recorded
// Asterisk answered it: the first DBGet of the same key the transcript's own client sent at or
// after that moment (its recorded answer), else "Database entry not found" (the key was in none
// of the snapshot's AstDB families, or was deleted since).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>

#include "ami/parser.hpp"
#include "core/bridge_core.hpp"
#include "extensions/extensions_state.hpp"
#include "fixture_pbx.hpp"

namespace extensions_state_test {  // named: the unity build compiles several test files as one

using testsupport::FixturePbx;
using testsupport::RecordingPort;
using Time = std::chrono::system_clock::time_point;

struct RecordedDbGet {
    Time at;
    std::string family, key;
    std::optional<std::string> value;  // nullopt: "Database entry not found"
};

// The DBGet actions the transcript's client sent, with Asterisk's recorded answers.
std::vector<RecordedDbGet> recorded_db_gets(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    Time at{};
    std::vector<RecordedDbGet> out;
    std::map<std::string, std::size_t> by_id;  // ActionID -> index in out
    std::vector<std::string> block;
    bool sent = false;
    auto flush = [&] {
        std::map<std::string, std::string> h;
        for (const auto& l : block)
            if (const auto colon = l.find(": "); colon != std::string::npos) h[l.substr(0, colon)] = l.substr(colon + 2);
            else if (!l.empty() && l.back() == ':') h[l.substr(0, l.size() - 1)] = "";
        if (sent && h["Action"] == "DBGet") {
            by_id[h["ActionID"]] = out.size();
            out.push_back({at, h["Family"], h["Key"], std::nullopt});
        } else if (!sent && by_id.count(h["ActionID"])) {
            auto& r = out[by_id[h["ActionID"]]];
            if (h["Event"] == "DBGetResponse") r.value = h["Val"];
        }
        block.clear();
    };
    while (std::getline(in, line)) {
        if (line.rfind("#@ ", 0) == 0) {
            flush();
            at = testsupport::parse_iso8601(line.substr(3, line.find(' ', 3) - 3));
            sent = line.find(" send ") != std::string::npos;
        } else if (line.rfind(">>> ", 0) == 0 || line.rfind("<<< ", 0) == 0) {
            block.push_back(line.substr(4));
        }
    }
    flush();
    return out;
}

std::string db_get_answer(const ami::Message& action, const std::vector<RecordedDbGet>& recorded, Time now) {
    const std::string id(action.action_id());
    for (const auto& r : recorded) {
        if (r.at < now || r.family != action.get("Family") || r.key != action.get("Key")) continue;
        if (!r.value) break;
        return "Response: Success\r\nActionID: " + id + "\r\nEventList: start\r\nMessage: Result will follow\r\n\r\n" +
               "Event: DBGetResponse\r\nFamily: " + r.family + "\r\nKey: " + r.key + "\r\nVal: " + *r.value +
               "\r\nActionID: " + id + "\r\n\r\nEvent: DBGetComplete\r\nActionID: " + id +
               "\r\nEventList: Complete\r\nListItems: 1\r\n\r\n";
    }
    return "Response: Error\r\nActionID: " + id + "\r\nMessage: Database entry not found\r\n\r\n";
}

struct Replay {
    RecordingPort port;
    Time wall{};
    std::unique_ptr<core::BridgeCore> core;
    FixturePbx pbx;
    std::vector<RecordedDbGet> recorded;
    std::vector<ami::Message> db_gets;  // DBGet actions the core sent after the snapshot
    std::size_t db_get_trees = 0;       // DBGetTree actions after the snapshot
    const ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));

    Replay(const std::string& flavor, std::set<std::string> trunks)
        : pbx(testsupport::fixture(flavor + "/01-snapshot-actions.txt")) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.trunks = std::move(trunks);
        o.version = "test";
        o.started_at = "2026-11-27T00:00:00Z";
        o.wall_clock = [this] { return wall; };
        core = std::make_unique<core::BridgeCore>(o, port);
        core->start();
        core->ami_connected(now);
        pump(pbx.banner() + "\r\n", false);
    }
    void pump(std::string bytes, bool live = true) {
        for (int i = 0; i < 100 && !bytes.empty(); ++i) {
            core->ami_received(bytes, now);
            const std::string sent = core->take_ami_output();
            bytes.clear();
            ami::Parser parser(false);
            std::string to_pbx;
            for (auto& item : parser.feed(sent)) {
                auto* m = std::get_if<ami::Message>(&item);
                if (!m) continue;
                if (live && m->get("Action") == "DBGet") {
                    db_gets.push_back(*m);
                    bytes += db_get_answer(*m, recorded, wall);
                    continue;
                }
                if (live && m->get("Action") == "DBGetTree") ++db_get_trees;
                to_pbx += m->serialize();
            }
            bytes += pbx.answer(to_pbx);
        }
    }
    void events(const std::string& transcript) {
        const std::string path = testsupport::fixture(transcript);
        recorded = recorded_db_gets(path);
        ASSERT_FALSE(recorded.empty()) << path;
        for (const auto& e : testsupport::timed_transcript_events(path)) {
            wall = e.at;
            pump(e.event.serialize());
        }
    }
    // The distinct successive values of one field of an extension's payload.
    std::vector<std::string> field_history(const std::string& exten, const std::string& field) const {
        std::vector<std::string> out;
        for (const auto& v : port.values("pbx/extensions/" + exten)) {
            if (v.empty()) continue;
            const auto j = nlohmann::json::parse(v)[field];
            const std::string s = j.is_string() ? j.get<std::string>() : j.dump();
            if (out.empty() || out.back() != s) out.push_back(s);
        }
        return out;
    }
    std::vector<std::string> db_gets_of(const std::string& key) const {
        std::vector<std::string> out;
        for (const auto& a : db_gets)
            if (a.get("Key") == key) out.push_back(std::string(a.get("Family")));
        return out;
    }
};

const std::vector<std::string> kFourKeys = {"DND", "CF", "CFB", "CFU"};

TEST(ExtensionsAstDbRefresh, Asterisk13CallForwardClearedByStar73IsFollowed) {
    // 13/07: 4003 dials *724002 (CF on), is called and forwarded, then dials *73 (CF off).
    Replay r("asterisk13-chansip", {});
    r.events("asterisk13-chansip/07-dnd-cf.txt");
    const auto cf = r.field_history("4003", "cf");
    ASSERT_GE(cf.size(), 3u);
    EXPECT_EQ(cf[0], "");
    EXPECT_EQ(cf[1], "4002");
    EXPECT_EQ(cf[2], "") << "CF/4003 deleted by *73 is still published";
    // Four targeted reads per feature code of 4003 (*724002, *73), never a whole family.
    EXPECT_EQ(r.db_gets_of("4003"), (std::vector<std::string>{"DND", "CF", "CFB", "CFU", "DND", "CF", "CFB", "CFU"}));
    EXPECT_EQ(r.db_get_trees, 0u);
}

TEST(ExtensionsAstDbRefresh, Asterisk22CallForwardClearedByStar73AndDndByStar79) {
    Replay r("asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"});
    r.events("asterisk22-pjsip/07-dnd-cf.txt");
    const auto cf = r.field_history("3003", "cf");
    ASSERT_GE(cf.size(), 3u);
    EXPECT_EQ(cf[0], "");
    EXPECT_EQ(cf[1], "3002");
    EXPECT_EQ(cf[2], "");
    EXPECT_EQ(nlohmann::json::parse(r.port.retained()["pbx/extensions/3003"])["cf"], "");
    // 3004: *78 (DND on) then *79 (DND off, DB_DELETE(DND/3004)): re-read after each, off at the end.
    EXPECT_EQ(r.db_gets_of("3004").size(), 8u);
    const auto dnd = r.field_history("3004", "dnd");
    EXPECT_EQ(dnd, (std::vector<std::string>{"false", "true", "false"}));
    EXPECT_EQ(r.db_get_trees, 0u);
}

TEST(ExtensionsAstDbRefresh, Asterisk20DndToggleStar76EndsOnline) {
    Replay r("asterisk20-chansip", {"trunk1"});
    r.events("asterisk20-chansip/09-dnd-cf-devstate-userevent.txt");
    EXPECT_EQ(r.db_gets_of("2004").size(), 8u);  // *76 twice
    EXPECT_EQ(r.field_history("2004", "dnd"), (std::vector<std::string>{"false", "true", "false"}));
    EXPECT_EQ(r.port.retained()["pbx/extensions/2004/status"], "online");
}

// The pure state, with hand-made events in the recorded layout.
ami::Message msg(std::vector<ami::Header> headers) { return ami::Message(std::move(headers)); }

struct PureState {
    extensions::ExtensionsState s;
    PureState() {
        s.add_peer_entry(msg({{"Event", "PeerEntry"}, {"Channeltype", "SIP"}, {"ObjectName", "4003"}, {"ChanObjectType", "peer"},
                              {"IPaddress", "127.0.0.1"}, {"IPport", "5115"}, {"Status", "OK (1 ms)"}}));
        s.add_peer_entry(msg({{"Event", "PeerEntry"}, {"Channeltype", "SIP"}, {"ObjectName", "4004"}, {"ChanObjectType", "peer"},
                              {"IPaddress", "127.0.0.1"}, {"IPport", "5117"}, {"Status", "OK (1 ms)"}}));
        s.add_db_entry(msg({{"Event", "DBGetTreeResponse"}, {"Key", "/CF/4003"}, {"Val", "4002"}}));
    }
    model::ChangeSet event(std::vector<ami::Header> headers) {
        model::ChangeSet c;
        s.apply_event(msg(std::move(headers)), {}, c);
        return c;
    }
    static ami::ActionResult answer(ami::ActionResult::Status status, std::vector<ami::Header> response,
                                    std::vector<ami::Message> events = {}) {
        ami::ActionResult r;
        r.status = status;
        r.response = msg(std::move(response));
        r.events = std::move(events);
        return r;
    }
};

TEST(ExtensionsAstDbRefresh, OnlyFeatureCodeChannelsOfAnExtensionAreReadAgainAtTheirHangup) {
    PureState p;
    // An ordinary call of 4004: no refresh.
    p.event({{"Event", "Newexten"}, {"Channel", "SIP/4004-00000001"}, {"Exten", "4002"}, {"Application", "Dial"}, {"AppData", "SIP/4002"}});
    EXPECT_TRUE(p.event({{"Event", "Hangup"}, {"Channel", "SIP/4004-00000001"}}).refresh_astdb.empty());
    // 4003 at *73: nothing while the dialplan runs, the extension at its Hangup, once.
    EXPECT_TRUE(p.event({{"Event", "Newexten"}, {"Channel", "SIP/4003-00000018"}, {"Exten", "*73"}, {"Application", "Answer"}, {"AppData", ""}})
                    .refresh_astdb.empty());
    EXPECT_TRUE(p.event({{"Event", "Newexten"}, {"Channel", "SIP/4003-00000018"}, {"Exten", "*73"}, {"Application", "Set"}, {"AppData", "RES=4002"}})
                    .refresh_astdb.empty());
    EXPECT_EQ(p.event({{"Event", "Hangup"}, {"Channel", "SIP/4003-00000018"}}).refresh_astdb, (std::set<std::string>{"4003"}));
    EXPECT_TRUE(p.event({{"Event", "Hangup"}, {"Channel", "SIP/4003-00000018"}}).refresh_astdb.empty());
    // A Local channel whose AppData names the deleted key (unexpanded DB_DELETE): that extension.
    p.event({{"Event", "Newexten"}, {"Channel", "Local/4004@test-cf-off-00000002;1"}, {"Exten", "s"}, {"Application", "Set"},
             {"AppData", "RES=${DB_DELETE(CF/4004)}"}});
    EXPECT_EQ(p.event({{"Event", "Hangup"}, {"Channel", "Local/4004@test-cf-off-00000002;1"}}).refresh_astdb,
              (std::set<std::string>{"4004"}));
}

TEST(ExtensionsAstDbRefresh, NotFoundClearsAValueSetsAndOtherFailuresChangeNothing) {
    using S = ami::ActionResult::Status;
    PureState p;
    ASSERT_EQ(p.s.view("4003")->cf, "4002");
    // A timeout or another error says nothing about the key.
    EXPECT_TRUE(p.s.apply_db_get("CF", "4003", PureState::answer(S::Timeout, {})).extensions.empty());
    EXPECT_TRUE(p.s.apply_db_get("CF", "4003", PureState::answer(S::Error, {{"Response", "Error"}, {"Message", "Permission denied"}}))
                    .extensions.empty());
    EXPECT_EQ(p.s.view("4003")->cf, "4002");
    // Not found: cleared.
    EXPECT_EQ(p.s.apply_db_get("CF", "4003", PureState::answer(S::Error, {{"Response", "Error"}, {"Message", "Database entry not found"}}))
                  .extensions,
              (std::set<std::string>{"4003"}));
    EXPECT_EQ(p.s.view("4003")->cf, "");
    // Found: the value (a voicemail target goes to cfuVm).
    p.s.apply_db_get("CFU", "4003",
                     PureState::answer(S::Success, {{"Response", "Success"}},
                                       {msg({{"Event", "DBGetResponse"}, {"Family", "CFU"}, {"Key", "4003"}, {"Val", "vmu4003"}})}));
    EXPECT_EQ(p.s.view("4003")->cfu_vm, "4003");
    // DND read from AstDB replaces the last live dialplan signal.
    p.event({{"Event", "Newexten"}, {"Channel", "SIP/4003-00000019"}, {"Exten", "*78"}, {"Application", "Set"}, {"AppData", "DB(DND/4003)=YES"}});
    ASSERT_TRUE(p.s.view("4003")->dnd);
    p.s.apply_db_get("DND", "4003", PureState::answer(S::Error, {{"Response", "Error"}, {"Message", "Database entry not found"}}));
    EXPECT_FALSE(p.s.view("4003")->dnd);
}

}  // namespace
