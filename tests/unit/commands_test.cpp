// MQTT commands through the pure core: the router's decoding and validation, the exact AMI
// actions each command sends, and the reply envelopes. The PBX is fixture 01 of Asterisk 20
// answered in-process (FixturePbx), so every action the core writes is recorded.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace commands_test {  // named: the unity build compiles several test files as one

using nlohmann::json;
using testsupport::FixturePbx;
using testsupport::RecordingPort;

struct Harness {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));

    explicit Harness(std::function<void(core::CoreOptions&)> tweak = {}) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.session.secret = "bridgepass";
        o.trunks = {"trunk1"};
        o.version = "test";
        o.started_at = "2026-11-27T00:00:00Z";
        if (tweak) tweak(o);
        core = std::make_unique<core::BridgeCore>(o, port);
        pbx = std::make_unique<FixturePbx>(testsupport::fixture("asterisk20-chansip/01-snapshot-actions.txt"));
        // The recorded answers to DND/CF/device-state actions.
        pbx->learn(testsupport::fixture("asterisk20-chansip/09-dnd-cf-devstate-userevent.txt"));
        core->start();
        core->ami_connected(now);
        pump(pbx->banner() + "\r\n");
    }
    void pump(std::string bytes) {
        for (int i = 0; i < 100 && !bytes.empty(); ++i) {
            core->ami_received(bytes, now);
            bytes = pbx->answer(core->take_ami_output());
        }
    }
    std::size_t actions() const { return pbx->actions().size(); }
};

// Sends the request and answers every action the core queues, like the other tests' pump().
std::vector<mqtt::OutgoingMessage> run(Harness& h, const std::string& topic, const std::string& payload,
                                       std::optional<std::string> response_topic = {},
                                       std::optional<std::string> correlation = {}, bool retained = false) {
    const std::size_t before = h.port.published.size();
    mqtt::IncomingMessage m;
    m.topic = topic;
    m.payload = payload;
    m.retained = retained;
    m.response_topic = std::move(response_topic);
    m.correlation_data = std::move(correlation);
    h.core->mqtt_message(m, h.now);
    for (int i = 0; i < 20; ++i) {
        std::string answer = h.pbx->answer(h.core->take_ami_output());
        if (answer.empty()) break;
        h.core->ami_received(answer, h.now);
    }
    std::vector<mqtt::OutgoingMessage> out;
    for (std::size_t i = before; i < h.port.published.size(); ++i)
        if (!h.port.published[i].retain) out.push_back(h.port.published[i]);
    return out;
}

std::vector<std::pair<std::string, std::string>> headers(const ami::Message& m) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& hd : m.headers())
        if (hd.name != "ActionID") out.emplace_back(hd.name, hd.value);
    return out;
}

TEST(Commands, SubscribesToTheCommandTopicsAtStart) {
    Harness h;
    EXPECT_EQ(h.port.subscriptions, (std::vector<std::string>{"pbx/cmd/+", "pbx/extensions/+/dnd/set", "pbx/extensions/+/cf/set",
                                                             "pbx/queues/+/members/+/paused/set", "pbx/bridge/request/log_level"}));
}

TEST(Commands, NoSubscriptionWhenCommandsAreOff) {
    Harness h([](core::CoreOptions& o) { o.commands.enabled = false; });
    EXPECT_TRUE(h.port.subscriptions.empty());
    const auto before = h.actions();
    EXPECT_TRUE(run(h, "pbx/cmd/dnd", R"({"extension":"2002","enabled":true})").empty());
    EXPECT_EQ(h.actions(), before);
}

TEST(Commands, DndSendsDbPutThenTheCustomDeviceState) {
    Harness h;
    const auto before = h.actions();
    auto replies = run(h, "pbx/cmd/dnd", R"({"extension":"2002","enabled":true,"transaction":"t1"})");
    // DBPut, Setvar, then the extension's four AstDB keys read again (DBPut raises no event).
    ASSERT_EQ(h.actions(), before + 6);
    for (std::size_t i = 2; i < 6; ++i) {
        EXPECT_EQ(h.pbx->actions()[before + i].get("Action"), "DBGet");
        EXPECT_EQ(h.pbx->actions()[before + i].get("Key"), "2002");
    }
    EXPECT_EQ(headers(h.pbx->actions()[before]),
              (std::vector<std::pair<std::string, std::string>>{{"Action", "DBPut"}, {"Family", "DND"}, {"Key", "2002"}, {"Val", "YES"}}));
    EXPECT_EQ(headers(h.pbx->actions()[before + 1]),
              (std::vector<std::pair<std::string, std::string>>{
                  {"Action", "Setvar"}, {"Variable", "DEVICE_STATE(Custom:DND2002)"}, {"Value", "BUSY"}}));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].topic, "pbx/cmd/dnd/result");
    EXPECT_FALSE(replies[0].retain);
    EXPECT_EQ(json::parse(replies[0].payload),
              json::parse(R"({"status":"ok","data":{"extension":"2002","dnd":true},"transaction":"t1"})"));
}

TEST(Commands, CallOriginatesFromTheExtensionsOwnDevice) {
    Harness h([](core::CoreOptions& o) { o.dial_prefix = "0"; });
    const auto before = h.actions();
    run(h, "pbx/cmd/call", R"({"from":"2001","to":"2002","auto_answer":true})");
    ASSERT_EQ(h.actions(), before + 1);
    EXPECT_EQ(headers(h.pbx->actions()[before]),
              (std::vector<std::pair<std::string, std::string>>{{"Action", "Originate"},
                                                                {"Channel", "SIP/2001"},
                                                                {"Context", "from-internal"},
                                                                {"Exten", "02002"},
                                                                {"Priority", "1"},
                                                                {"CallerID", "<2002>"},
                                                                {"Timeout", "30000"},
                                                                {"Variable", "SIPADDHEADER=Call-Info: answer-after=0"},
                                                                {"Async", "true"}}));
}

TEST(Commands, ReplyGoesToTheResponseTopicWithTheCorrelationData) {
    Harness h;
    auto replies = run(h, "pbx/cmd/nope", "{}", std::string("app/replies/7"), std::string("\x01\x02corr", 6));
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].topic, "app/replies/7");
    EXPECT_EQ(replies[0].correlation_data, std::string("\x01\x02corr", 6));
    EXPECT_EQ(json::parse(replies[0].payload),
              json::parse(R"({"status":"error","error":{"code":"unknown_command","message":"unknown command 'nope'"}})"));
}

TEST(Commands, RetainedCommandsAreNeverExecuted) {
    Harness h;
    const auto before = h.actions();
    EXPECT_TRUE(run(h, "pbx/cmd/dnd", R"({"extension":"2002","enabled":true})", {}, {}, true).empty());
    EXPECT_EQ(h.actions(), before);
}

TEST(Commands, AmiDownIsAnImmediatePbxUnavailable) {
    Harness h;
    h.core->ami_disconnected("test");
    auto replies = run(h, "pbx/cmd/dnd", R"({"extension":"2002","enabled":true})");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(json::parse(replies[0].payload)["error"]["code"], "pbx_unavailable");
}

TEST(Commands, DisabledCommandAndRawAmiOffByDefault) {
    Harness h([](core::CoreOptions& o) { o.commands.disabled = {"reload"}; });
    const auto before = h.actions();
    EXPECT_EQ(json::parse(run(h, "pbx/cmd/reload", "{}")[0].payload)["error"]["code"], "disabled");
    EXPECT_EQ(json::parse(run(h, "pbx/cmd/ami", R"({"action":"Ping"})")[0].payload)["error"]["code"], "disabled");
    EXPECT_EQ(h.actions(), before);
}

TEST(Commands, RawAmiOnlyForAllowedActions) {
    Harness h([](core::CoreOptions& o) {
        o.commands.raw_ami = true;
        o.commands.raw_ami_allow = {"CoreStatus"};
    });
    const auto before = h.actions();
    EXPECT_EQ(json::parse(run(h, "pbx/cmd/ami", R"({"action":"Originate"})")[0].payload)["error"]["code"], "forbidden");
    EXPECT_EQ(h.actions(), before);
    auto reply = json::parse(run(h, "pbx/cmd/ami", R"({"action":"CoreStatus"})")[0].payload);
    ASSERT_EQ(h.actions(), before + 1);
    EXPECT_EQ(reply["status"], "ok") << reply.dump();
    EXPECT_EQ(reply["data"]["response"]["Response"], "Success") << reply.dump();
    EXPECT_EQ(reply["data"]["response"]["CoreStartupDate"], "2026-11-27") << reply.dump();
}

TEST(Commands, DndSetterAcceptsOnOffAndRepliesOnlyWhenAsked) {
    Harness h;
    auto before = h.actions();
    EXPECT_TRUE(run(h, "pbx/extensions/2002/dnd/set", "ON").empty());
    ASSERT_EQ(h.actions(), before + 6);
    EXPECT_EQ(h.pbx->actions()[before].get("Key"), "2002");
    before = h.actions();
    auto replies = run(h, "pbx/extensions/2002/dnd/set", R"({"enabled":false,"transaction":42})");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].topic, "pbx/extensions/2002/dnd/result");
    EXPECT_EQ(json::parse(replies[0].payload)["status"], "ok") << replies[0].payload;
    EXPECT_EQ(json::parse(replies[0].payload)["transaction"], 42);
    EXPECT_EQ(h.pbx->actions()[before].get("Action"), "DBDel");
}

TEST(Commands, HealthCheckAnswersWithAPing) {
    Harness h;
    auto replies = run(h, "pbx/cmd/health_check", "{}");
    ASSERT_EQ(replies.size(), 1u);
    auto reply = json::parse(replies[0].payload);
    EXPECT_EQ(reply["status"], "ok");
    EXPECT_EQ(reply["data"]["healthy"], true) << reply.dump();
    EXPECT_EQ(reply["data"]["ami"]["connected"], true);
    EXPECT_EQ(reply["data"]["model"]["extensions"], 6);
    h.core->ami_disconnected("test");
    reply = json::parse(run(h, "pbx/cmd/health_check", "{}")[0].payload);
    EXPECT_EQ(reply["data"]["healthy"], false);
}

// Every refusal names its reason and sends nothing at all to AMI.
TEST(Commands, HostileRequestsAreRefusedBeforeAnythingIsSent) {
    Harness h([](core::CoreOptions& o) { o.commands.max_payload_bytes = 4096; });
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
        {"call", R"({"from":"2001","to":"2002\r\nAction: Hangup"})", "bad_request"},
        {"call", R"({"from":"2001\nChannel: x","to":"2002"})", "bad_request"},
        {"call", R"({"from":"2001","to":"20\u00002"})", "bad_request"},
        {"call", R"({"from":"2001","to":"2002","context":"from-internal\r\n"})", "bad_request"},
        {"call", R"({"from":"2001","to":"2002","context":"from-trunk"})", "forbidden"},
        {"call", R"({"from":"9999","to":"2002"})", "forbidden"},
        {"call", R"({"from":"2001","to":"2002;x"})", "bad_request"},
        {"call", R"({"from":"2001","to":2002})", "bad_request"},
        {"call", R"({"from":"2001"})", "bad_request"},
        {"call", R"({"from":"2001","to":"2002","form":"x"})", "bad_request"},
        {"call", R"({"from":"2001","to":"2002","caller_name":"a\"b"})", "bad_request"},
        {"call", "[1,2]", "bad_request"},
        {"call", "not json", "bad_request"},
        {"call", "\xff\xfe", "bad_request"},
        {"call", R"({"from":"2001","to":"\xc3\x28"})", "bad_request"},
        {"call", deep, "bad_request"},
        {"call", std::string(5000, ' '), "bad_request"},
        {"call", R"({"from":"2001","to":"2002","transaction":{"a":1}})", "bad_request"},
        {"dnd", R"({"extension":"2002","enabled":"yes"})", "bad_request"},
        {"dnd", R"({"extension":"2002\r\n","enabled":true})", "bad_request"},
        {"hangup", R"({"extension":"2001","channel":"SIP/2001-1"})", "bad_request"},
        {"hangup", R"({"channel":"SIP/2001-1\r\nAction: Originate"})", "bad_request"},
        {"hangup", R"({"extension":"2001"})", "not_in_call"},
        {"device_state", R"({"device":"Custom:x","state":"BUSY\r\n"})", "bad_request"},
        {"device_state", R"({"device":"Custom:a:b","state":"BUSY"})", "bad_request"},
        {"device_state", R"({"device":"lamp","state":"SORT_OF"})", "bad_request"},
        {"record_start", R"({"channel":"SIP/2001-1","file":"../../etc/passwd"})", "bad_request"},
        {"queue_member_pause", R"({"queue":"401","interface":"SIP/2001","reason":"lunch\rAction: x"})", "bad_request"},
        {"ami", R"({"action":"Command","headers":{"Command":"core stop now"}})", "disabled"},
        {"dtmf", R"({"channel":"SIP/2001-1","digits":"12x"})", "bad_request"},
        {"call_forward", R"({"extension":"2001","type":"sometimes","to":"2002"})", "bad_request"},
        {"call_forward", R"({"extension":"2001","type":"always","to":"2002","voicemail":true})", "bad_request"},
        {"unknown_thing", "{}", "unknown_command"},
        // A number beyond a double: nlohmann throws out_of_range, not parse_error (found by fuzzing).
        {"call", R"({"from":1e999,"to":"2002"})", "bad_request"},
        {"hangup", R"({"channel":"SIP/2001-1","x":-1e400})", "bad_request"},
    };
    const auto before = h.actions();
    for (const auto& [command, payload, code] : cases) {
        auto replies = run(h, "pbx/cmd/" + command, payload);
        ASSERT_EQ(replies.size(), 1u) << payload;
        auto reply = json::parse(replies[0].payload);
        EXPECT_EQ(reply["status"], "error") << payload;
        EXPECT_EQ(reply["error"]["code"], code) << payload << " -> " << reply.dump();
        EXPECT_FALSE(reply["error"]["message"].get<std::string>().empty());
    }
    EXPECT_EQ(h.actions(), before);
    EXPECT_EQ(h.core->router().in_flight(), 0u);
}

}  // namespace

namespace commands_test {

TEST(Commands, LogLevelIsSetOverMqttOnItsCommandAndOnTheBridgeRequestTopic) {
    std::vector<std::string> set;
    Harness h([&](core::CoreOptions& o) {
        o.set_log_level = [&](const std::string& level) {
            set.push_back(level);
            return true;
        };
    });
    const std::size_t actions = h.actions();
    auto out = run(h, "pbx/cmd/log_level", R"({"level":"debug","transaction":"t1"})");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].topic, "pbx/cmd/log_level/result");
    EXPECT_EQ(out[0].payload, R"({"status":"ok","data":{"level":"debug"},"transaction":"t1"})");
    // zigbee2mqtt's convention: bridge/request -> bridge/response.
    out = run(h, "pbx/bridge/request/log_level", R"({"level":"warn"})");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].topic, "pbx/bridge/response/log_level");
    EXPECT_EQ(out[0].payload, R"({"status":"ok","data":{"level":"warn"}})");
    EXPECT_EQ(set, (std::vector<std::string>{"debug", "warn"}));
    // Bad levels are refused and change nothing; nothing goes to AMI.
    out = run(h, "pbx/cmd/log_level", R"({"level":"verbose"})");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].payload.find(R"("code":"bad_request")"), std::string::npos) << out[0].payload;
    out = run(h, "pbx/bridge/request/log_level", "debug\r\nAction: Logoff");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].payload.find(R"("status":"error")"), std::string::npos) << out[0].payload;
    EXPECT_EQ(set.size(), 2u);
    EXPECT_EQ(h.actions(), actions);
}

TEST(Commands, LogLevelWithoutAWayToSetItIsUnsupported) {
    Harness h;
    const auto out = run(h, "pbx/cmd/log_level", R"({"level":"debug"})");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(out[0].payload.find(R"("code":"unsupported")"), std::string::npos) << out[0].payload;
}

// Two channels of one extension created in the same second: the commands take them in the
// order Asterisk created them, as the extension's conversations list them ("...243.9" before
// "...243.10", which a comparison of the uniqueids as text gets the wrong way round).
TEST(Commands, HangupOfAnExtensionEndsItsChannelsInTheOrderAsteriskCreatedThem) {
    // One wall-clock time for both channels, as a snapshot's whole seconds give them.
    Harness h([](core::CoreOptions& o) { o.wall_clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1795801243)); }; });
    // The recorded answer to a Hangup of SIP/2002-ffffffff: "No such channel", which a hangup of
    // several channels accepts (the first leg's end often ends the others).
    h.pbx->learn(testsupport::fixture("asterisk20-chansip/10-originate.txt"));
    auto newchannel = [](const std::string& channel, const std::string& uniqueid) {
        return "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: " + channel +
               "\r\nChannelState: 0\r\nChannelStateDesc: Down\r\nCallerIDNum: 2002\r\nCallerIDName: Bob Brown\r\n"
               "ConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\nLanguage: en\r\nAccountCode: \r\n"
               "Context: from-internal\r\nExten: 2001\r\nPriority: 1\r\nUniqueid: " +
               uniqueid + "\r\nLinkedid: " + uniqueid + "\r\n\r\n";
    };
    h.core->ami_received(newchannel("SIP/2002-ffffffff", "1795801243.9") + newchannel("SIP/2002-0000000a", "1795801243.10"), h.now);
    const auto before = h.actions();
    run(h, "pbx/cmd/hangup", R"({"extension":"2002"})");
    ASSERT_EQ(h.actions(), before + 2) << h.pbx->actions().back().serialize();
    EXPECT_EQ(h.pbx->actions()[before].get("Channel"), "SIP/2002-ffffffff");  // uniqueid ...243.9
    EXPECT_EQ(h.pbx->actions()[before + 1].get("Channel"), "SIP/2002-0000000a");  // ...243.10
}

TEST(Commands, UniqueidsCompareAsAsteriskCountsThem) {
    EXPECT_TRUE(calls::uniqueid_before("1795801243.9", "1795801243.10"));
    EXPECT_FALSE(calls::uniqueid_before("1795801243.10", "1795801243.9"));
    EXPECT_TRUE(calls::uniqueid_before("1795801243.99", "1795801300.2"));  // a later second
    EXPECT_TRUE(calls::uniqueid_before("pbx1-1795801243.9", "pbx1-1795801243.10"));  // [general] systemname
    EXPECT_FALSE(calls::uniqueid_before("1795801243.9", "1795801243.9"));
    EXPECT_TRUE(calls::uniqueid_before("1795801243.9", "not-a-uniqueid"));  // Asterisk's form first
    EXPECT_FALSE(calls::uniqueid_before("not-a-uniqueid", "1795801243.9"));
    EXPECT_TRUE(calls::uniqueid_before("a", "b"));
}

}  // namespace commands_test
