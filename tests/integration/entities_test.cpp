// One test per published entity, through the simulator, the real bridge and a real mosquitto:
// the simulator is driven into a known state, then a subscriber that arrives late (it connects
// or subscribes only now) must see exactly the retained subtree of that entity; then the thing
// ends and its retained topics must be gone. Non-retained happenings (call events, queue,
// parking and voicemail events) are checked on a subscription made before the action.
//
// Values Asterisk or the clock makes up (channel names, uniqueids, linkedids, timestamps) are
// taken from the simulator's `state` answer, or checked to be ISO 8601 and within the test's run
// and then taken from the payload; everything else is written out.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "harness.hpp"
#include "model/time.hpp"

namespace entities_test {  // named: the unity build compiles several test files as one

using namespace harness;
using json = nlohmann::json;

constexpr auto kWait = 20s;

struct Stack {
    Mosquitto broker;
    Simulator sim;
    std::unique_ptr<Bridge> bridge;
    std::chrono::system_clock::time_point t0 = std::chrono::system_clock::now();
    explicit Stack(const std::string& flavor = "asterisk20-chansip", std::vector<std::string> trunks = {"trunk1"})
        : sim([&] {
              SimulatorOptions o;
              o.flavor = flavor;
              return o;
          }()) {
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = broker.uri();
        c.trunks = std::move(trunks);
        bridge = std::make_unique<Bridge>(c);
    }
    // The PBX is read and the broker connected (non-retained events are not queued before).
    bool synced() {
        return bridge->process().wait_for_log("PBX snapshot:", kWait) && bridge->process().wait_for_log("MQTT connected", kWait);
    }
    // "OK <x>" -> "<x>"; fails the test on ERR.
    std::string ok(const std::string& command) {
        const std::string reply = sim.control(command);
        EXPECT_EQ(reply.substr(0, 2), "OK") << command << " -> " << reply;
        return reply.size() > 3 ? reply.substr(3) : std::string();
    }
    json state() { return json::parse(ok("state")); }
    // The simulator's channels of a call, by channel name prefix ("SIP/2001-").
    json channel(const std::string& prefix) {
        const json st = state();
        for (const auto& c : st["channels"])
            if (c["name"].get<std::string>().rfind(prefix, 0) == 0) return c;
        ADD_FAILURE() << "no channel " << prefix << " in " << st.dump();
        return json::object();
    }
};

std::optional<std::chrono::system_clock::time_point> parse_time(const std::string& text) {
    static const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z)");
    if (!std::regex_match(text, iso)) return std::nullopt;
    std::tm tm{};
    int ms = 0;
    std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

// ISO 8601 UTC, between the test's start and now (a little slack each way).
::testing::AssertionResult plausible_time(const json& value, std::chrono::system_clock::time_point t0) {
    const auto at = value.is_string() ? parse_time(value.get<std::string>()) : std::nullopt;
    if (!at) return ::testing::AssertionFailure() << value.dump() << " is not an ISO 8601 UTC time";
    if (*at < t0 - 2s || *at > std::chrono::system_clock::now() + 1s)
        return ::testing::AssertionFailure() << value.dump() << " is not within this test's run";
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult plausible_ms(const json& value, std::chrono::system_clock::time_point t0) {
    if (!value.is_number_integer()) return ::testing::AssertionFailure() << value.dump() << " is not a number";
    const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(value.get<long long>()));
    if (at < t0 - 2s || at > std::chrono::system_clock::now() + 1s)
        return ::testing::AssertionFailure() << value.dump() << " is not within this test's run";
    return ::testing::AssertionSuccess();
}

// The retained topics under prefix, parsed (plain-text payloads as JSON strings).
json subtree(const Snapshot& snap, const std::string& prefix) {
    json out = json::object();
    for (const auto& [topic, payload] : snap.retained) {
        if (payload.empty() || (topic != prefix && topic.rfind(prefix + "/", 0) != 0)) continue;
        out[topic] = json::parse(payload, nullptr, false);
        if (out[topic].is_discarded()) out[topic] = payload;
    }
    return out;
}

// Waits until the retained subtree equals expected(subtree) and reports the difference if not.
// expected() may copy made-up values (times) from the actual tree after checking them.
::testing::AssertionResult subtree_becomes(MqttProbe& probe, const std::string& prefix,
                                           const std::function<json(const json& actual)>& expected,
                                           std::chrono::milliseconds timeout = kWait) {
    json last_actual, last_expected;
    probe.wait_for([&](const Snapshot& snap) {
        last_actual = subtree(snap, prefix);
        last_expected = expected(last_actual);
        return last_actual == last_expected;
    }, timeout);
    if (last_actual == last_expected) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "under " << prefix << "\nactual:   " << last_actual.dump() << "\nexpected: "
                                         << last_expected.dump() << "\ndiff: " << json::diff(last_expected, last_actual).dump();
}

// Non-retained messages received on topic, parsed.
std::vector<json> received(const MqttProbe& probe, const std::string& topic) {
    std::vector<json> out;
    for (const auto& m : probe.snapshot().messages)
        if (m.topic == topic) out.push_back(json::parse(m.payload));
    return out;
}

// Copies a time field from actual into expected when it is plausible (else leaves the mismatch).
void take_time(json& expected, const json& actual, const json::json_pointer& at, std::chrono::system_clock::time_point t0) {
    if (actual.contains(at) && plausible_time(actual[at], t0)) expected[at] = actual[at];
}

struct Phone {
    std::string exten, name;
};

struct Flavor {
    std::string flavor;
    std::vector<std::string> trunks;
    std::string tech;
    Phone a, b;
};

const Flavor kAst20{"asterisk20-chansip", {"trunk1"}, "SIP", {"2001", "Alice Anderson"}, {"2002", "Bob Brown"}};
const Flavor kAst22{"asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"}, "PJSIP", {"3001", "Alice Anderson"}, {"3002", "Bob Brown"}};
const Flavor kAst13{"asterisk13-chansip", {}, "SIP", {"4001", "Alice Anderson"}, {"4002", "Bob Brown"}};

class Calls : public ::testing::TestWithParam<Flavor> {};

// An answered call between two phones: pbx/calls/<linkedid> and both extensions' conversations,
// exactly; after the hang-up no call topic and no conversation is left.
TEST_P(Calls, AnsweredCallIsPublishedExactlyAndClearedAtHangup) {
    const Flavor& f = GetParam();
    Stack s(f.flavor, f.trunks);
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    const std::string call = s.ok("call " + f.a.exten + " " + f.b.exten);
    s.ok("answer " + call);
    const json ca = s.channel(f.tech + "/" + f.a.exten + "-");
    const json cb = s.channel(f.tech + "/" + f.b.exten + "-");
    const std::string linkedid = ca["linkedid"];
    ASSERT_EQ(cb["linkedid"], linkedid);
    const std::string cha = ca["name"], chb = cb["name"], ua = ca["uniqueid"], ub = cb["uniqueid"];

    MqttProbe probe;  // late: everything it gets on subscribing is retained
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/#");

    auto side = [&](const std::string& ch, const Phone& me, const Phone& other, const std::string& other_ch) {
        return json{{"type", f.tech},        {"channel", ch},       {"callerNum", me.exten},
                    {"callerName", me.name}, {"bridgedNum", other.exten}, {"bridgedName", other.name},
                    {"bridgedChannel", other_ch}, {"channelStatus", "up"}, {"startTime", nullptr}};
    };
    const std::string conv_id = cha + ">" + chb;
    auto conversation = [&](const Phone& owner, const std::string& uniqueid, const std::string& direction, const Phone& other) {
        return json{{"id", conv_id},        {"owner", owner.exten},  {"chSource", side(cha, f.a, f.b, chb)},
                    {"chDest", side(chb, f.b, f.a, cha)}, {"queueId", ""}, {"linkedId", linkedid},
                    {"uniqueId", uniqueid}, {"duration", nullptr}, {"connected", true},
                    {"recording", "false"}, {"direction", direction}, {"inConference", false},
                    {"throughQueue", false}, {"throughTrunk", false}, {"counterpartNum", other.exten},
                    {"counterpartName", other.name}};
    };
    auto channel = [&](const std::string& ch, const std::string& uid, const Phone& me, const Phone& other) {
        return json{{"channel", ch}, {"uniqueid", uid}, {"state", "up"}, {"number", me.exten}, {"name", me.name},
                    {"connected_number", other.exten}, {"connected_name", other.name}, {"extension", me.exten},
                    {"trunk", ""}, {"on_hold", false}, {"recording", "false"}, {"answered_at", nullptr}};
    };
    const std::string call_topic = "pbx/calls/" + linkedid;
    EXPECT_TRUE(subtree_becomes(probe, "pbx/calls", [&](const json& actual) {
        json e = {{"id", linkedid}, {"state", "up"}, {"direction", "internal"}, {"started_at", nullptr}, {"answered_at", nullptr},
                  {"queue", ""}, {"trunk", ""}, {"recording", "false"}, {"on_hold", false}, {"in_conference", false},
                  {"channels", {channel(cha, ua, f.a, f.b), channel(chb, ub, f.b, f.a)}}};
        const json a = actual.value(call_topic, json::object());
        take_time(e, a, "/started_at"_json_pointer, s.t0);
        take_time(e, a, "/answered_at"_json_pointer, s.t0);
        take_time(e, a, "/channels/0/answered_at"_json_pointer, s.t0);
        take_time(e, a, "/channels/1/answered_at"_json_pointer, s.t0);
        return json{{call_topic, e}};
    }));
    for (const auto& [me, uid, dir, other] : {std::tuple{f.a, ua, "out", f.b}, std::tuple{f.b, ub, "in", f.a}}) {
        const std::string topic = "pbx/extensions/" + me.exten;
        EXPECT_TRUE(subtree_becomes(probe, topic, [&, me = me, uid = uid, dir = dir, other = other](const json& actual) {
            json conv = conversation(me, uid, dir, other);
            const json a = actual.value(topic, json::object()).value("conversations", json::object()).value(conv_id, json::object());
            for (const char* p : {"/chSource/startTime", "/chDest/startTime"}) {
                const json::json_pointer ptr(p);
                if (a.contains(ptr) && plausible_ms(a[ptr], s.t0)) conv[ptr] = a[ptr];
            }
            // Seconds since the channel appeared, as of the last publish: small and not negative.
            if (a.contains("duration") && a["duration"].is_number_integer() && a["duration"] >= 0 && a["duration"] <= 60)
                conv["duration"] = a["duration"];
            json e = actual.value(topic, json::object());
            e["status"] = "busy";
            e["conversations"] = json{{conv_id, conv}};
            json r = actual;  // other topics under the extension (not this test's) as they are
            r[topic] = e;
            r[topic + "/status"] = "busy";
            return r;
        })) << me.exten;
    }

    s.ok("hangup " + call);
    EXPECT_TRUE(subtree_becomes(probe, "pbx/calls", [](const json&) { return json::object(); }));
    for (const auto& me : {f.a, f.b}) {
        const std::string topic = "pbx/extensions/" + me.exten;
        EXPECT_TRUE(subtree_becomes(probe, topic, [&](const json& actual) {
            json e = actual.value(topic, json::object());
            e["conversations"] = json::object();
            e["status"] = e.value("dnd", false) ? "dnd" : "online";
            json r = actual;
            r[topic] = e;
            r[topic + "/status"] = e["status"];
            return r;
        })) << me.exten;
    }
}

INSTANTIATE_TEST_SUITE_P(Entities, Calls, ::testing::Values(kAst20, kAst22, kAst13),
                         [](const auto& info) { return std::string(info.param.flavor == "asterisk20-chansip"   ? "Asterisk20"
                                                                   : info.param.flavor == "asterisk22-pjsip" ? "Asterisk22"
                                                                                                              : "Asterisk13"); });

// pbx/extensions/<ext>/event: a subscriber connected before the call gets each happening once.
TEST(Entities, CallEventsReachAnEarlySubscriber) {
    Stack s;
    MqttProbe probe;
    probe.connect(s.broker.uri());
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    probe.subscribe("pbx/extensions/+/event");
    const std::string call = s.ok("call 2001 2002");
    const json ca = s.channel("SIP/2001-"), cb = s.channel("SIP/2002-");
    s.ok("answer " + call);
    s.ok("hold " + call);
    s.ok("unhold " + call);
    s.ok("hangup " + call);
    const std::string linkedid = ca["linkedid"];
    auto event = [&](const std::string& type, const json& ch, const std::string& dir) {
        json e = {{"event_type", type}, {"call_id", linkedid}, {"channel", ch["name"]}, {"uniqueid", ch["uniqueid"]},
                  {"direction", dir}, {"caller_number", "2001"}, {"caller_name", "Alice Anderson"},
                  {"callee_number", "2002"}, {"callee_name", "Bob Brown"}, {"cause", nullptr}, {"cause_txt", nullptr}};
        if (type == "hangup") {
            e["cause"] = 16;
            e["cause_txt"] = "Normal Clearing";
        }
        return e;
    };
    json dialing = event("dialing", ca, "out");
    dialing["callee_name"] = "";  // the phone dialed a number: the callee's name comes with its connected line
    const std::vector<json> expected_a = {dialing, event("answered", ca, "out"), event("hold", ca, "out"),
                                          event("unhold", ca, "out"), event("hangup", ca, "out")};
    const std::vector<json> expected_b = {event("ringing", cb, "in"), event("answered", cb, "in"), event("hangup", cb, "in")};
    probe.wait_for([&](const Snapshot& snap) {
        return snap.count("pbx/extensions/2001/event") >= expected_a.size() && snap.count("pbx/extensions/2002/event") >= expected_b.size();
    }, kWait);
    EXPECT_EQ(received(probe, "pbx/extensions/2001/event"), expected_a);
    EXPECT_EQ(received(probe, "pbx/extensions/2002/event"), expected_b);
    for (const auto& m : probe.snapshot().messages) EXPECT_FALSE(m.retained) << m.topic;
}

// A queue with a waiting caller: the queue and its members exactly; queue events on the way.
TEST(Entities, QueueWithAWaitingCallerThenAnsweredAndCompleted) {
    Stack s;
    MqttProbe probe;
    probe.connect(s.broker.uri());
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    probe.subscribe("pbx/events/#");
    const std::string call = s.ok("queue-join 401 2001");
    const json caller = s.channel("SIP/2001-");
    probe.subscribe("pbx/queues/#");  // late for the queue tree: what comes first is retained
    const json member3 = {{"name", "Carol Clark"}, {"interface", "SIP/2003"}, {"state_interface", "SIP/2003"}, {"type", "static"},
                          {"logged_in", true}, {"paused", false}, {"paused_reason", ""}, {"status", "ringing"},
                          {"in_call", false}, {"calls_taken", 0}, {"last_call", nullptr}, {"penalty", 0}};
    json member4 = member3;
    member4["name"] = "Dave Davis";
    member4["interface"] = member4["state_interface"] = "SIP/2004";
    const json caller_entry = {{"position", 1}, {"number", "2001"}, {"name", "Alice Anderson"}, {"channel", caller["name"]},
                               {"uniqueid", caller["uniqueid"]}, {"joined_at", nullptr}};
    EXPECT_TRUE(subtree_becomes(probe, "pbx/queues", [&](const json& actual) {
        const json q = actual.value("pbx/queues/401", json::object());
        // Strategy and running figures: QueueParams of fixture 01 (ringall, all 0, service level 60).
        json e = {{"name", "401"}, {"strategy", "ringall"}, {"calls_waiting", 1}, {"callers", json::array({caller_entry})},
                  {"members", {{"available", 0}, {"busy", 2}, {"paused", 0}, {"total", 2}}}, {"completed", 0},
                  {"abandoned", 0}, {"holdtime", 0}, {"talktime", 0}, {"service_level", 60}, {"service_level_perf", 0.0}};
        take_time(e, q, "/callers/0/joined_at"_json_pointer, s.t0);
        return json{{"pbx/queues/401", e}, {"pbx/queues/401/members/SIP_2003", member3}, {"pbx/queues/401/members/SIP_2004", member4}};
    }));
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/events/queue_caller_join") == 1; }, kWait));
    EXPECT_EQ(received(probe, "pbx/events/queue_caller_join"),
              std::vector<json>{json({{"queue", "401"}, {"position", 1}, {"number", "2001"}, {"name", "Alice Anderson"},
                                      {"channel", caller["name"]}, {"uniqueid", caller["uniqueid"]}, {"calls_waiting", 1}})});

    s.ok("queue-answer 401 2003");
    s.ok("queue-hangup 401 caller");
    EXPECT_TRUE(probe.wait_for([](const Snapshot& snap) {
        return snap.count("pbx/events/queue_agent_complete") == 1 && snap.count("pbx/events/queue_caller_leave") == 1;
    }, kWait));
    const auto leave = received(probe, "pbx/events/queue_caller_leave");
    ASSERT_EQ(leave.size(), 1u);
    EXPECT_EQ(leave[0], json({{"queue", "401"}, {"position", 1}, {"number", "2001"}, {"name", "Alice Anderson"},
                              {"channel", caller["name"]}, {"uniqueid", caller["uniqueid"]}, {"calls_waiting", 0}}));
    const auto complete = received(probe, "pbx/events/queue_agent_complete");
    ASSERT_EQ(complete.size(), 1u);
    EXPECT_EQ(complete[0]["member"], "SIP_2003");
    EXPECT_EQ(complete[0]["reason"], "caller");
    EXPECT_EQ(complete[0]["channel"], caller["name"]);
    // Nobody waits; Carol took one call and is idle again.
    EXPECT_TRUE(subtree_becomes(probe, "pbx/queues", [&](const json& actual) {
        json e = actual;
        json& q = e["pbx/queues/401"];
        q["completed"] = 1;  // +1 at AgentComplete
        q["calls_waiting"] = 0;
        q["callers"] = json::array();
        q["members"] = {{"available", 2}, {"busy", 0}, {"paused", 0}, {"total", 2}};
        json m3 = member3, m4 = member4;
        m3["status"] = m4["status"] = "not_in_use";
        m3["calls_taken"] = 1;
        m3["last_call"] = nullptr;
        take_time(m3, actual.value("pbx/queues/401/members/SIP_2003", json::object()), "/last_call"_json_pointer, s.t0);
        e["pbx/queues/401/members/SIP_2003"] = m3;
        e["pbx/queues/401/members/SIP_2004"] = m4;
        return e;
    }));
    // A static member cannot be removed (app_queue: "Member not dynamic"); a dynamic one can.
    EXPECT_EQ(s.sim.control("queue-remove 401 SIP/2004").substr(0, 3), "ERR");
    s.ok("queue-add 401 SIP/2002 Bob Brown");
    EXPECT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.retained.count("pbx/queues/401/members/SIP_2002") > 0; }, kWait));
    s.ok("queue-remove 401 SIP/2002");
    EXPECT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.retained.count("pbx/queues/401/members/SIP_2002") == 0; }, kWait))
        << "a removed member's topic is not cleared";
}

// A parked call: the slot topic and the lot exactly; retrieved: the slot topic is gone.
TEST(Entities, ParkedCallThenRetrieved) {
    Stack s;
    MqttProbe probe;
    probe.connect(s.broker.uri());
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    probe.subscribe("pbx/events/#");
    const std::string call = s.ok("call 2001 2002");
    s.ok("answer " + call);
    const json parkee = s.channel("SIP/2002-");
    const std::string space = s.ok("park " + call);
    ASSERT_EQ(space, "71");
    probe.subscribe("pbx/parkings/#");
    const json slot = {{"slot", "71"}, {"lot", "default"},
                       {"parkee", {{"channel", parkee["name"]}, {"number", "2002"}, {"name", "Bob Brown"}, {"uniqueid", parkee["uniqueid"]}}},
                       {"parker", {{"channel", ""}, {"number", "2001"}, {"name", "Alice Anderson"}}},
                       {"parked_at", nullptr}, {"timeout_at", nullptr}};
    auto slot_from = [&](const json& actual) {
        json e = slot;
        const json a = actual.value("pbx/parkings/default/71", json::object());
        take_time(e, a, "/parked_at"_json_pointer, s.t0);
        // timeout_at = parked_at + the lot's 45 s.
        if (a.contains("parked_at") && a.contains("timeout_at") && a["parked_at"].is_string())
            if (const auto at = parse_time(a["parked_at"].get<std::string>()))
                e["timeout_at"] = model::iso8601(*at + 45s);
        return e;
    };
    EXPECT_TRUE(subtree_becomes(probe, "pbx/parkings", [&](const json& actual) {
        const json sl = slot_from(actual);
        return json{{"pbx/parkings/default", {{"name", "default"}, {"start_space", 71}, {"stop_space", 79}, {"timeout", 45},
                                              {"parked", 1}, {"slots", {{"71", sl}}}}},
                    {"pbx/parkings/default/71", sl}};
    }));
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/events/parked_call") == 1; }, kWait));
    EXPECT_EQ(received(probe, "pbx/events/parked_call").at(0), slot_from(probe.snapshot().retained.count("pbx/parkings/default/71")
                                                                             ? subtree(probe.snapshot(), "pbx/parkings")
                                                                             : json::object()));

    s.ok("unpark 71 2003");
    EXPECT_TRUE(subtree_becomes(probe, "pbx/parkings", [&](const json&) {
        return json{{"pbx/parkings/default", {{"name", "default"}, {"start_space", 71}, {"stop_space", 79}, {"timeout", 45},
                                              {"parked", 0}, {"slots", json::object()}}}};
    }));
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/events/unparked_call") == 1; }, kWait));
    const json unparked = received(probe, "pbx/events/unparked_call").at(0);
    EXPECT_EQ(unparked["slot"], "71");
    EXPECT_EQ(unparked["parkee"], slot["parkee"]);
    EXPECT_EQ(unparked["retriever"]["number"], "2003");
    EXPECT_EQ(unparked["retriever"]["name"], "Carol Clark");
    EXPECT_TRUE(unparked["duration"].is_number_integer());
    s.ok("hangup-all");
    EXPECT_TRUE(probe.wait_for([](const Snapshot& snap) {
        for (const auto& [topic, payload] : snap.retained)
            if (topic.rfind("pbx/calls/", 0) == 0 && !payload.empty()) return false;
        return true;
    }, kWait));
}

// A conference with two users (one muted): the room exactly; ended: the topic is gone.
TEST(Entities, ConferenceWithTwoUsersThenEnded) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    const std::string ch1 = s.ok("conf-join 800 2001");
    const std::string ch2 = s.ok("conf-join 800 2002");
    s.ok("conf-mute 800 2002 on");
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/#");
    auto user = [](const std::string& ch, const std::string& number, const std::string& name, bool muted) {
        return json{{"channel", ch}, {"number", number}, {"name", name}, {"admin", false}, {"marked", nullptr},
                    {"muted", muted}, {"talking", false}, {"joined_at", nullptr}};
    };
    EXPECT_TRUE(subtree_becomes(probe, "pbx/conferences", [&](const json& actual) {
        json e = {{"room", "800"}, {"locked", false}, {"started_at", nullptr}, {"count", 2},
                  {"users", {{ch1, user(ch1, "2001", "Alice Anderson", false)}, {ch2, user(ch2, "2002", "Bob Brown", true)}}}};
        const json a = actual.value("pbx/conferences/800", json::object());
        take_time(e, a, "/started_at"_json_pointer, s.t0);
        for (const auto& ch : {ch1, ch2})  // a '/' in a JSON pointer token is written ~1
            take_time(e, a, json::json_pointer("/users/" + std::regex_replace(ch, std::regex("/"), "~1") + "/joined_at"), s.t0);
        return json{{"pbx/conferences/800", e}};
    }));
    EXPECT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/bridge/inventory");
        return v && json::parse(*v)["conferences"] == json::array({"800"});
    }, kWait));
    // The users' calls are in the conference.
    const json calls = subtree(probe.snapshot(), "pbx/calls");
    EXPECT_EQ(calls.size(), 2u) << calls.dump();
    for (const auto& [topic, c] : calls.items()) EXPECT_EQ(c["in_conference"], true) << topic;

    s.ok("conf-leave 800 2001");
    s.ok("conf-leave 800 2002");
    EXPECT_TRUE(subtree_becomes(probe, "pbx/conferences", [](const json&) { return json::object(); }));
    EXPECT_TRUE(subtree_becomes(probe, "pbx/calls", [](const json&) { return json::object(); }));
    EXPECT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/bridge/inventory");
        return v && json::parse(*v)["conferences"] == json::array();
    }, kWait));
}

// A chan_sip trunk whose outbound registration succeeds, then carries a call.
TEST(Entities, TrunkRegisteredAndCarryingACall) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    s.ok("trunk-register trunk1 registered");
    const std::string call = s.ok("call 2001 0123456 via trunk1");
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/#");
    json trunk = {{"name", "trunk1"}, {"tech", "SIP"}, {"status", "unmonitored"}, {"registration", "registered"},
                  {"ip", "127.0.0.1"}, {"port", 5080}, {"active_calls", 1}};
    EXPECT_TRUE(subtree_becomes(probe, "pbx/trunks", [&](const json&) { return json{{"pbx/trunks/trunk1", trunk}}; }));
    // The call goes out through the trunk.
    EXPECT_TRUE(probe.wait_for([](const Snapshot& snap) {
        for (const auto& [topic, payload] : snap.retained)
            if (topic.rfind("pbx/calls/", 0) == 0 && !payload.empty()) {
                const json c = json::parse(payload);
                return c["direction"] == "out" && c["trunk"] == "trunk1";
            }
        return false;
    }, kWait)) << subtree(probe.snapshot(), "pbx/calls").dump();
    s.ok("hangup " + call);
    trunk["active_calls"] = 0;
    EXPECT_TRUE(subtree_becomes(probe, "pbx/trunks", [&](const json&) { return json{{"pbx/trunks/trunk1", trunk}}; }));
    s.ok("trunk-register trunk1 rejected");
    trunk["registration"] = "rejected";
    EXPECT_TRUE(subtree_becomes(probe, "pbx/trunks", [&](const json&) { return json{{"pbx/trunks/trunk1", trunk}}; }));
}

// A mailbox with messages: the box exactly; the voicemail event on the way.
TEST(Entities, MailboxWithMessages) {
    Stack s;
    MqttProbe probe;
    probe.connect(s.broker.uri());
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    probe.subscribe("pbx/events/voicemail");
    s.ok("voicemail 1234 2 1");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/events/voicemail") == 1; }, kWait));
    EXPECT_EQ(received(probe, "pbx/events/voicemail").at(0), json({{"mailbox", "1234@default"}, {"new", 2}, {"old", 1}}));
    probe.subscribe("pbx/voicemail/#");
    auto box = [](const std::string& mailbox, const std::string& context, const std::string& name, int n, int o) {
        return json{{"mailbox", mailbox}, {"context", context}, {"name", name}, {"new", n}, {"old", o}, {"waiting", n > 0}};
    };
    json expected = {{"pbx/voicemail/1234@default", box("1234@default", "default", "Example Mailbox", 2, 1)},
                     {"pbx/voicemail/1234@other", box("1234@other", "other", "Company2 User", 0, 0)}};
    EXPECT_TRUE(subtree_becomes(probe, "pbx/voicemail", [&](const json&) { return expected; }));
    // Listened to: no event (no new message), the lamp goes out.
    s.ok("voicemail 1234 0 3");
    expected["pbx/voicemail/1234@default"] = box("1234@default", "default", "Example Mailbox", 0, 3);
    EXPECT_TRUE(subtree_becomes(probe, "pbx/voicemail", [&](const json&) { return expected; }));
    EXPECT_EQ(probe.snapshot().count("pbx/events/voicemail"), 1u);
}

// pbx/bridge/inventory lists every published id, and follows what appears and disappears.
TEST(Entities, InventoryListsEveryPublishedIdAndFollowsChanges) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    s.ok("conf-join 801 2003");
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/#");
    // Every id the inventory lists has its topic, and every topic's id is listed.
    auto consistent = [](const Snapshot& snap) {
        const auto v = snap.value("pbx/bridge/inventory");
        if (!v || v->empty()) return false;
        const json inv = json::parse(*v);
        for (const char* collection : {"extensions", "queues", "parkings", "trunks", "conferences", "voicemail"}) {
            std::set<std::string> listed, published;
            for (const auto& id : inv[collection]) listed.insert(id.get<std::string>());
            const std::string prefix = std::string("pbx/") + collection + "/";
            for (const auto& [topic, payload] : snap.retained)
                if (!payload.empty() && topic.rfind(prefix, 0) == 0 && topic.find('/', prefix.size()) == std::string::npos)
                    published.insert(topic.substr(prefix.size()));
            if (listed != published) return false;
        }
        return true;
    };
    const json expected = {{"extensions", {"2001", "2002", "2003", "2004", "2005", "2006"}},
                           {"queues", {"401"}},
                           {"parkings", {"default"}},
                           {"trunks", {"trunk1"}},
                           {"conferences", {"801"}},
                           {"voicemail", {"1234@default", "1234@other"}}};
    EXPECT_TRUE(subtree_becomes(probe, "pbx/bridge/inventory", [&](const json&) { return json{{"pbx/bridge/inventory", expected}}; }));
    EXPECT_TRUE(probe.wait_for(consistent, kWait));
    s.ok("conf-leave 801 2003");
    json after = expected;
    after["conferences"] = json::array();
    EXPECT_TRUE(subtree_becomes(probe, "pbx/bridge/inventory", [&](const json&) { return json{{"pbx/bridge/inventory", after}}; }));
    EXPECT_TRUE(probe.wait_for(consistent, kWait));
}

}  // namespace
