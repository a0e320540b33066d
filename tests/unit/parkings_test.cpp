// Parkings: the recorded parking transcripts of the three Asterisk versions replayed through the
// pure core (snapshot of fixture 01, then the live events), asserting the retained topics and the
// non-retained happenings a subscriber sees; and ParkingsState alone for what no transcript shows.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"
#include "parkings/parkings_module.hpp"
#include "parkings/parkings_state.hpp"

namespace parkings_test {  // named: the unity build compiles several test files as one

using nlohmann::json;
using testsupport::FixturePbx;
using testsupport::RecordingPort;
using namespace std::chrono_literals;

// The pure bridge fed by a FixturePbx, with the wall clock at each event's recorded time.
struct Harness {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));
    std::chrono::system_clock::time_point wall{};

    // `snapshot`: the transcript whose recorded answers the FixturePbx gives to the snapshot actions.
    Harness(const std::string& flavor, std::set<std::string> trunks, std::chrono::system_clock::time_point start,
            const std::string& snapshot = "01-snapshot-actions.txt")
        : wall(start) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.session.secret = "bridgepass";
        o.trunks = std::move(trunks);
        o.version = "test";
        o.started_at = "2026-11-27T00:00:00Z";
        o.wall_clock = [this] { return wall; };
        core = std::make_unique<core::BridgeCore>(o, port);
        pbx = std::make_unique<FixturePbx>(testsupport::fixture(flavor + "/" + snapshot));
        core->start();
        core->ami_connected(now);
        pump(pbx->banner() + "\r\n");
    }
    // Feeds bytes and answers whatever the core sends until it is quiet.
    void pump(std::string bytes) {
        for (int i = 0; i < 100 && !bytes.empty(); ++i) {
            core->ami_received(bytes, now);
            bytes = pbx->answer(core->take_ami_output());
        }
    }
    // Replays the recorded events at or after `from`; `after` runs after each one.
    void events(const std::vector<testsupport::TimedEvent>& recorded, std::chrono::system_clock::time_point from = {},
                const std::function<void(const ami::Message&)>& after = {}) {
        for (const auto& e : recorded) {
            if (e.at < from) continue;
            wall = e.at;
            pump(e.event.serialize());
            if (after) after(e.event);
        }
    }
    json retained(const std::string& topic) const {
        const auto tree = port.retained();
        auto it = tree.find(topic);
        return it == tree.end() ? json() : json::parse(it->second);
    }
    // Every payload published on `topic` (retained or not), "" for a clear.
    std::vector<std::string> values(const std::string& topic) const { return port.values(topic); }
    std::vector<mqtt::OutgoingMessage> on(const std::string& topic) const {
        std::vector<mqtt::OutgoingMessage> out;
        for (const auto& m : port.published)
            if (m.topic == topic) out.push_back(m);
        return out;
    }
};

std::vector<testsupport::TimedEvent> recorded(const std::string& transcript) {
    return testsupport::timed_transcript_events(testsupport::fixture(transcript));
}

std::chrono::system_clock::time_point at(const std::string& iso) { return testsupport::parse_iso8601(iso); }
std::chrono::system_clock::time_point when(const json& iso) { return at(iso.get<std::string>()); }

struct Version {
    std::string flavor;
    std::set<std::string> trunks;
    std::string transcript;
    char ext;                   // the first digit of the extensions: 2001, 3001, 4001
    std::string tech;           // SIP, PJSIP
    std::chrono::seconds second_timeout;  // the second park: Park with Timeout 30000, or BlindTransfer to 70
};

void PrintTo(const Version& v, std::ostream* os) { *os << v.flavor << "/" << v.transcript; }

std::string exten(const Version& v, int n) { return std::string(1, v.ext) + "00" + std::to_string(n); }

class ParkingsReplay : public ::testing::TestWithParam<Version> {};

TEST_P(ParkingsReplay, SlotAppearsWhileParkedAndIsClearedWhenTheCallLeaves) {
    const Version& v = GetParam();
    const auto events = recorded(v.flavor + "/" + v.transcript);
    ASSERT_FALSE(events.empty());
    Harness h(v.flavor, v.trunks, events.front().at);

    // Snapshot: the configured lot, empty.
    const json lot0 = h.retained("pbx/parkings/default");
    ASSERT_TRUE(lot0.is_object()) << "lot not published at snapshot";
    EXPECT_EQ(lot0, json::parse(R"({"name":"default","start_space":71,"stop_space":79,"timeout":45,"parked":0,"slots":{}})"));

    json first_slot;
    bool seen_parked_in_state = false;
    h.events(events, {}, [&](const ami::Message& e) {
        if (e.event() == "ParkedCall" && first_slot.is_null()) {
            first_slot = h.retained("pbx/parkings/default/71");
            const auto* call = h.core->state().parkings().parked(e.get("ParkeeChannel"));
            seen_parked_in_state = call && call->slot == "71";
        }
    });

    // While parked, slot 71 showed the parked call.
    ASSERT_TRUE(first_slot.is_object()) << "slot 71 not retained after ParkedCall";
    EXPECT_TRUE(seen_parked_in_state);
    EXPECT_EQ(first_slot["slot"], "71");
    EXPECT_EQ(first_slot["lot"], "default");
    EXPECT_EQ(first_slot["parkee"]["number"], exten(v, 2));
    EXPECT_EQ(first_slot["parkee"]["name"], "Bob Brown");
    EXPECT_EQ(first_slot["parkee"]["channel"].get<std::string>().rfind(v.tech + "/" + exten(v, 2) + "-", 0), 0u);
    EXPECT_FALSE(first_slot["parkee"]["uniqueid"].get<std::string>().empty());
    // Parked by the Park action with TimeoutChannel = 2001's channel: the call returns to 2001.
    EXPECT_EQ(first_slot["parker"]["number"], exten(v, 1));
    EXPECT_EQ(first_slot["parker"]["name"], "Alice Anderson");
    EXPECT_EQ(when(first_slot["timeout_at"]) - when(first_slot["parked_at"]), 45s);

    // The lot counted 0 -> 1 -> 0 (retrieved by 2003) -> 1 -> 0 (the parked caller hung up).
    std::vector<int> counts;
    for (const auto& p : h.values("pbx/parkings/default")) counts.push_back(json::parse(p)["parked"].get<int>());
    EXPECT_EQ(counts, (std::vector<int>{0, 1, 0, 1, 0}));

    // The slot topic: set, cleared, set again, cleared; always retained.
    const auto slot = h.on("pbx/parkings/default/71");
    ASSERT_EQ(slot.size(), 4u);
    for (const auto& m : slot) EXPECT_TRUE(m.retain);
    EXPECT_FALSE(slot[0].payload.empty());
    EXPECT_TRUE(slot[1].payload.empty());
    EXPECT_FALSE(slot[2].payload.empty());
    EXPECT_TRUE(slot[3].payload.empty());
    const json second = json::parse(slot[2].payload);
    EXPECT_NE(second["parkee"]["channel"], first_slot["parkee"]["channel"]);
    EXPECT_EQ(when(second["timeout_at"]) - when(second["parked_at"]), v.second_timeout);

    // Happenings, not retained.
    const auto parked = h.on("pbx/events/parked_call");
    const auto unparked = h.on("pbx/events/unparked_call");
    const auto giveup = h.on("pbx/events/parked_call_giveup");
    ASSERT_EQ(parked.size(), 2u);
    ASSERT_EQ(unparked.size(), 1u);
    ASSERT_EQ(giveup.size(), 1u);
    EXPECT_TRUE(h.on("pbx/events/parked_call_timeout").empty());
    for (const auto* list : {&parked, &unparked, &giveup})
        for (const auto& m : *list) EXPECT_FALSE(m.retain) << m.topic;
    EXPECT_EQ(json::parse(parked[0].payload), first_slot);
    const json u = json::parse(unparked[0].payload);
    EXPECT_EQ(u["parkee"], first_slot["parkee"]);
    EXPECT_EQ(u["parked_at"], first_slot["parked_at"]);
    EXPECT_EQ(u["retriever"]["number"], exten(v, 3));
    EXPECT_EQ(u["retriever"]["name"], "Carol Clark");
    EXPECT_EQ(u["duration"], 3);
    const json g = json::parse(giveup[0].payload);
    EXPECT_EQ(g["parkee"], second["parkee"]);
    EXPECT_EQ(g["duration"], 3);

    // Nothing of a parked call remains: no slot topic, an empty lot, nothing in the model.
    for (const auto& [topic, payload] : h.port.retained())
        EXPECT_NE(topic.rfind("pbx/parkings/default/", 0), 0u) << "still retained: " << topic;
    EXPECT_EQ(h.retained("pbx/parkings/default")["parked"], 0);
    EXPECT_EQ(h.retained("pbx/parkings/default")["slots"], json::object());
    EXPECT_EQ(h.core->state().parkings().parked(first_slot["parkee"]["channel"].get<std::string>()), nullptr);
}

INSTANTIATE_TEST_SUITE_P(
    Parkings, ParkingsReplay,
    ::testing::Values(Version{"asterisk20-chansip", {"trunk1"}, "07-parking.txt", '2', "SIP", 30s},
                      // 22 parks the second call with a BlindTransfer to 70: the lot's 45 s.
                      Version{"asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"}, "05-parking.txt", '3', "PJSIP", 45s},
                      Version{"asterisk13-chansip", {}, "05-parking.txt", '4', "SIP", 30s}),
    [](const auto& info) {
        std::string name = info.param.flavor;
        for (char& c : name)
            if (!isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

TEST(ParkingsBridge, StartedWhileACallIsParkedPublishesItFromTheSnapshot) {
    // The ParkedCalls answer recorded 3 s after the park (17:41:35.609: ParkingTimeout 42 left,
    // ParkingDuration 3) serves as the snapshot; then the rest of the transcript is replayed.
    const auto snapshot_at = at("2026-11-27T17:41:35.609Z");
    Harness h("asterisk20-chansip", {"trunk1"}, snapshot_at, "07-parking.txt");
    const json slot = h.retained("pbx/parkings/default/71");
    ASSERT_TRUE(slot.is_object());
    EXPECT_EQ(slot["parkee"]["channel"], "SIP/2002-0000000a");
    EXPECT_EQ(slot["parker"]["number"], "2001");
    EXPECT_EQ(slot["parked_at"], "2026-11-27T17:41:32.609Z");
    EXPECT_EQ(slot["timeout_at"], "2026-11-27T17:42:17.609Z");
    EXPECT_EQ(h.retained("pbx/parkings/default")["parked"], 1);
    EXPECT_EQ(h.retained("pbx/parkings/default")["slots"]["71"], slot);

    h.events(recorded("asterisk20-chansip/07-parking.txt"), snapshot_at);
    EXPECT_TRUE(h.retained("pbx/parkings/default/71").is_null());
    EXPECT_EQ(h.retained("pbx/parkings/default")["parked"], 0);
    ASSERT_EQ(h.on("pbx/events/unparked_call").size(), 1u);
    // The happening carries the times the snapshot computed.
    EXPECT_EQ(json::parse(h.on("pbx/events/unparked_call")[0].payload)["parked_at"], "2026-11-27T17:41:32.609Z");
}

// --- ParkingsState alone ---

ami::Message event(std::vector<ami::Header> headers) { return ami::Message(std::move(headers)); }

ami::Message park_event(const std::string& name, const std::string& lot, const std::string& slot, const std::string& channel,
                        const std::string& timeout, const std::string& duration) {
    return event({{"Event", name},
                  {"ParkeeChannel", channel},
                  {"ParkeeCallerIDNum", "2002"},
                  {"ParkeeCallerIDName", "Bob Brown"},
                  {"ParkeeConnectedLineNum", "<unknown>"},
                  {"ParkeeConnectedLineName", "<unknown>"},
                  {"ParkeeUniqueid", channel + ".uid"},
                  {"ParkerDialString", "Local/2001@from-internal/n"},
                  {"Parkinglot", lot},
                  {"ParkingSpace", slot},
                  {"ParkingTimeout", timeout},
                  {"ParkingDuration", duration}});
}

const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795801000));

TEST(ParkingsState, ALotWithoutTimeLimitHasNoTimeoutAt) {
    // res_parking prints start + limit - now unsigned: without a limit it wraps around.
    parkings::ParkingsState s;
    model::ChangeSet changes;
    s.apply_event(park_event("ParkedCall", "nolimit", "701", "SIP/2002-1", "18446744073709551613", "3"), t0, changes);
    const auto* call = s.parked("SIP/2002-1");
    ASSERT_NE(call, nullptr);
    EXPECT_FALSE(call->timeout_at.has_value());
    EXPECT_EQ(call->parked_at, t0 - 3s);
    EXPECT_TRUE(parkings::ParkingsState::to_json(*call)["timeout_at"].is_null());
    // The dial string's resource is the parker; no name when the parkee was connected to nobody known.
    EXPECT_EQ(call->parker.number, "2001");
    EXPECT_EQ(call->parker.name, "");
    EXPECT_EQ(call->parkee.number, "2002");
}

TEST(ParkingsState, ADynamicLotGoesAwayWithItsLastCallAConfiguredOneStays) {
    parkings::ParkingsState s;
    s.add_parking_lot(event({{"Event", "Parkinglot"}, {"Name", "default"}, {"StartSpace", "71"}, {"StopSpace", "79"}, {"Timeout", "45"}}));
    model::ChangeSet changes;
    s.apply_event(park_event("ParkedCall", "dyn", "801", "SIP/2002-1", "45", "0"), t0, changes);
    s.apply_event(park_event("ParkedCall", "default", "71", "SIP/2002-2", "45", "0"), t0, changes);
    ASSERT_NE(s.lot("dyn"), nullptr);
    EXPECT_FALSE(s.lot("dyn")->start_space.has_value());
    EXPECT_EQ(changes.parkings, (std::set<std::string>{"default", "dyn"}));
    s.apply_event(park_event("ParkedCallGiveUp", "dyn", "801", "SIP/2002-1", "40", "5"), t0 + 5s, changes);
    s.apply_event(park_event("UnParkedCall", "default", "71", "SIP/2002-2", "40", "5"), t0 + 5s, changes);
    EXPECT_EQ(s.lot("dyn"), nullptr);
    ASSERT_NE(s.lot("default"), nullptr);
    EXPECT_TRUE(s.lot("default")->slots.empty());
    // The module clears the vanished lot and keeps the configured one.
    EXPECT_EQ(parkings::ParkingsModule::render_lot(*s.lot("default")),
              R"({"name":"default","start_space":71,"stop_space":79,"timeout":45,"parked":0,"slots":{}})");
}

TEST(ParkingsState, TimeoutClearsTheSlotAndSwapReplacesTheParkee) {
    parkings::ParkingsState s;
    model::ChangeSet changes;
    s.apply_event(park_event("ParkedCall", "default", "71", "SIP/2002-1", "45", "0"), t0, changes);
    ASSERT_EQ(changes.happenings.size(), 1u);
    EXPECT_EQ(changes.happenings[0].id, "parked_call");
    EXPECT_EQ(changes.happenings[0].topic_kind, "events");

    // Swap (an attended transfer into the slot): another channel, same slot, no happening.
    model::ChangeSet swap;
    s.apply_event(park_event("ParkedCallSwap", "default", "71", "SIP/2005-9", "40", "5"), t0 + 5s, swap);
    EXPECT_TRUE(swap.happenings.empty());
    EXPECT_EQ(swap.parkings, (std::set<std::string>{"default"}));
    EXPECT_EQ(s.parked("SIP/2002-1"), nullptr);
    ASSERT_NE(s.parked("SIP/2005-9"), nullptr);
    EXPECT_EQ(s.parked("SIP/2005-9")->timeout_at, t0 + 45s);

    model::ChangeSet timeout;
    s.apply_event(park_event("ParkedCallTimeOut", "default", "71", "SIP/2005-9", "0", "45"), t0 + 45s, timeout);
    ASSERT_EQ(timeout.happenings.size(), 1u);
    EXPECT_EQ(timeout.happenings[0].id, "parked_call_timeout");
    EXPECT_EQ(timeout.happenings[0].payload["duration"], 45);
    EXPECT_EQ(timeout.happenings[0].payload["parkee"]["channel"], "SIP/2005-9");
    EXPECT_EQ(s.parked("SIP/2005-9"), nullptr);
}

TEST(ParkingsState, SlotsAreOrderedAsNumbers) {
    parkings::ParkingsState s;
    model::ChangeSet changes;
    for (const char* slot : {"100", "9", "71"})
        s.apply_event(park_event("ParkedCall", "big", slot, std::string("SIP/x-") + slot, "45", "0"), t0, changes);
    std::vector<std::string> order;
    for (const auto& [slot, call] : s.lot("big")->slots) order.push_back(slot);
    EXPECT_EQ(order, (std::vector<std::string>{"9", "71", "100"}));
}

TEST(ParkingsState, OtherEventsChangeNothing) {
    parkings::ParkingsState s;
    model::ChangeSet changes;
    s.apply_event(event({{"Event", "Hangup"}, {"Channel", "SIP/2002-1"}}), t0, changes);
    s.apply_event(event({{"Event", "ParkedCall"}}), t0, changes);  // no lot/space: ignored
    EXPECT_TRUE(changes.empty());
    EXPECT_TRUE(s.lots().empty());
}

}  // namespace
