// Trunks (<base>/trunks/<name>) through the pure core: the snapshot answers of fixture 01 of
// each Asterisk version, then recorded live events, asserting the retained topics a user sees.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"
#include "trunks/trunks_state.hpp"

namespace trunks_test {  // named: the unity build compiles several test files as one

using testsupport::FixturePbx;
using testsupport::RecordingPort;

// The harness of bridge_core_test.cpp: a FixturePbx answering the core's actions.
struct Harness {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000));

    Harness(const std::string& flavor, std::set<std::string> trunks) {
        core::CoreOptions o;
        o.session.username = "bridge";
        o.session.secret = "bridgepass";
        o.trunks = std::move(trunks);
        o.version = "test";
        o.started_at = "2026-11-27T00:00:00Z";
        core = std::make_unique<core::BridgeCore>(o, port);
        pbx = std::make_unique<FixturePbx>(testsupport::fixture(flavor + "/01-snapshot-actions.txt"));
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
    void events(const std::string& transcript) {
        for (const auto& e : testsupport::transcript_events(testsupport::fixture(transcript))) pump(e.serialize());
    }
    nlohmann::json trunk(const std::string& name) {
        auto tree = port.retained();
        auto it = tree.find("pbx/trunks/" + name);
        return it == tree.end() ? nlohmann::json() : nlohmann::json::parse(it->second);
    }
    // One field of every payload published on the trunk's topic, consecutive repeats removed.
    std::vector<nlohmann::json> history(const std::string& name, const std::string& field) {
        std::vector<nlohmann::json> out;
        for (const auto& payload : port.values("pbx/trunks/" + name)) {
            const auto value = payload.empty() ? nlohmann::json() : nlohmann::json::parse(payload)[field];
            if (out.empty() || out.back() != value) out.push_back(value);
        }
        return out;
    }
    std::size_t actions_named(const std::string& name) {
        return std::count_if(pbx->actions().begin(), pbx->actions().end(), [&](const ami::Message& a) { return a.get("Action") == name; });
    }
};

using J = nlohmann::json;

TEST(Trunks, Asterisk22SnapshotShowsEachTrunkWithItsRegistration) {
    Harness h("asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"});
    // trunk1: endpoint with a static, unqualified contact + registration answered 403.
    EXPECT_EQ(h.trunk("trunk1"), J::parse(R"({"name":"trunk1","tech":"PJSIP","status":"unmonitored","registration":"rejected",
                                              "ip":"127.0.0.1","port":5060,"active_calls":0})"));
    // trunk2: only an outbound registration (to this PBX itself, as selftrunk), registered.
    EXPECT_EQ(h.trunk("trunk2"), J::parse(R"({"name":"trunk2","tech":"PJSIP","status":"unmonitored","registration":"registered",
                                              "ip":"127.0.0.1","port":5070,"active_calls":0})"));
    // selftrunk: the registrar side; its contact (registered by trunk2) is NonQualified. It does
    // not register anywhere itself, although trunk2's client URI is sip:selftrunk@...
    EXPECT_EQ(h.trunk("selftrunk"), J::parse(R"({"name":"selftrunk","tech":"PJSIP","status":"unmonitored","registration":"unmonitored",
                                                 "ip":"127.0.0.1","port":5070,"active_calls":0})"));
    auto tree = h.port.retained();
    for (const char* t : {"trunk1", "trunk2", "selftrunk"}) EXPECT_FALSE(tree.count(std::string("pbx/extensions/") + t)) << t;
    // The registrations were read with the one action that lists them.
    EXPECT_EQ(h.actions_named("PJSIPShowRegistrationsOutbound"), 1u);
}

TEST(Trunks, Asterisk22RegistrationEventsMoveOnlyTheirTrunk) {
    Harness h("asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"});
    h.events("asterisk22-pjsip/10-trunk-registration.txt");
    // PJSIPUnregister trunk2 -> Registry Unregistered; PJSIPRegister -> Unregistered, then Registered.
    EXPECT_EQ(h.history("trunk2", "registration"), (std::vector<J>{"registered", "unregistered", "registered"}));
    // Unregister/register of trunk1 only ever gets 403: it stays rejected, published once.
    EXPECT_EQ(h.port.values("pbx/trunks/trunk1").size(), 1u);
    EXPECT_EQ(h.trunk("trunk1")["registration"], "rejected");
    // trunk2's Registry events name sip:selftrunk@127.0.0.1:5070: they are not selftrunk's.
    EXPECT_EQ(h.history("selftrunk", "registration"), (std::vector<J>{"unmonitored"}));
    // selftrunk's contact is removed while trunk2 is unregistered, then comes back.
    EXPECT_EQ(h.history("selftrunk", "status"), (std::vector<J>{"unmonitored", "offline", "unmonitored"}));
    EXPECT_EQ(h.history("selftrunk", "ip"), (std::vector<J>{"127.0.0.1", "", "127.0.0.1"}));
}

TEST(Trunks, Asterisk22RestartAnnouncementsChangeNothing) {
    Harness h("asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"});
    // Fixture 12: after a restart Asterisk announces Registry trunk1 Rejected / trunk2 Registered
    // and selftrunk's restored contact (PeerStatus Reachable, ContactStatus NonQualified).
    h.events("asterisk22-pjsip/12-restart-boot-events.txt");
    for (const char* t : {"trunk1", "trunk2", "selftrunk"}) EXPECT_EQ(h.port.values(std::string("pbx/trunks/") + t).size(), 1u) << t;
    EXPECT_EQ(h.trunk("trunk1")["registration"], "rejected");
    EXPECT_EQ(h.trunk("trunk2")["registration"], "registered");
}

TEST(Trunks, Asterisk20ChanSipTrunkWithoutQualifyIsUnmonitored) {
    Harness h("asterisk20-chansip", {"trunk1"});
    // type=peer, host 127.0.0.1:5080, qualify=no (Status: Unmonitored); no register => line.
    EXPECT_EQ(h.trunk("trunk1"), J::parse(R"({"name":"trunk1","tech":"SIP","status":"unmonitored","registration":"unmonitored",
                                              "ip":"127.0.0.1","port":5080,"active_calls":0})"));
    EXPECT_FALSE(h.port.retained().count("pbx/extensions/trunk1"));
    EXPECT_EQ(h.actions_named("SIPshowregistry"), 1u);
}

TEST(Trunks, ConfiguredTrunkUnknownToThePbxIsNotPublished) {
    Harness h("asterisk20-chansip", {"trunk1", "nosuchtrunk"});
    EXPECT_TRUE(h.port.retained().count("pbx/trunks/trunk1"));
    EXPECT_FALSE(h.port.retained().count("pbx/trunks/nosuchtrunk"));
}

TEST(Trunks, NoTrunkConfiguredReadsAndPublishesNothing) {
    Harness h("asterisk13-chansip", {});
    for (const auto& [topic, payload] : h.port.retained()) EXPECT_EQ(topic.rfind("pbx/trunks/", 0), std::string::npos) << topic;
    EXPECT_EQ(h.actions_named("SIPshowregistry"), 0u);
    EXPECT_EQ(h.actions_named("PJSIPShowRegistrationsOutbound"), 0u);
}

TEST(Trunks, ActiveCallsCountTheTrunksChannels) {
    // Peer 2002 configured as a trunk: fixture 05's calls to and from 2002 are its calls.
    Harness h("asterisk20-chansip", {"trunk1", "2002"});
    EXPECT_EQ(h.trunk("2002")["status"], "online");  // qualify=yes, Status: OK
    EXPECT_EQ(h.trunk("2002")["active_calls"], 0);
    h.events("asterisk20-chansip/05-call-2001-2002.txt");
    // 2001 -> 2002 (answered, hung up), then 2002 -> 2001 (rejected): one channel at a time.
    EXPECT_EQ(h.history("2002", "active_calls"), (std::vector<J>{0, 1, 0, 1, 0}));
    EXPECT_EQ(h.history("trunk1", "active_calls"), (std::vector<J>{0}));
}

TEST(Trunks, ActiveCallsAtSnapshotComeFromCoreShowChannels) {
    // Every fixture 01 was recorded on an idle PBX (CoreShowChannels lists nothing): the model
    // is fed CoreShowChannel items directly. Only <TECH>/<trunk>-<suffix> channels count.
    trunks::TrunksState state({"trunk1"});
    ami::Message peer({{"Event", "PeerEntry"}, {"Channeltype", "SIP"}, {"ObjectName", "trunk1"}, {"ChanObjectType", "peer"},
                       {"IPaddress", "127.0.0.1"}, {"IPport", "5080"}, {"Status", "Unmonitored"}});
    state.add_peer_entry(peer);
    state.add_channel(ami::Message({{"Event", "CoreShowChannel"}, {"Channel", "SIP/trunk1-0000000a"}}));
    state.add_channel(ami::Message({{"Event", "CoreShowChannel"}, {"Channel", "SIP/trunk10-0000000b"}}));
    state.add_channel(ami::Message({{"Event", "CoreShowChannel"}, {"Channel", "SIP/2001-0000000c"}}));
    ASSERT_TRUE(state.view("trunk1"));
    EXPECT_EQ(state.view("trunk1")->active_calls, 1);
}

TEST(Trunks, ChanSipPeerStatusDrivesStatus) {
    // Peer 2004 configured as a trunk: fixture 04 unregisters and re-registers it.
    Harness h("asterisk20-chansip", {"2004"});
    h.events("asterisk20-chansip/04-phone-registration.txt");
    EXPECT_EQ(h.history("2004", "status"), (std::vector<J>{"online", "offline", "online"}));
    EXPECT_EQ(h.history("2004", "port"), (std::vector<J>{5077, 0, 5077}));
    h.pump("Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: SIP\r\nPeer: SIP/2004\r\nPeerStatus: Unreachable\r\nTime: 2001\r\n\r\n");
    EXPECT_EQ(h.trunk("2004")["status"], "offline");
    h.pump("Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: SIP\r\nPeer: SIP/2004\r\nPeerStatus: Reachable\r\nTime: 2\r\n\r\n");
    EXPECT_EQ(h.trunk("2004")["status"], "online");
}

TEST(Trunks, BusyDeviceMakesTheTrunkBusy) {
    Harness h("asterisk20-chansip", {"trunk1"});
    h.pump("Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: SIP/trunk1\r\nState: BUSY\r\n\r\n");
    EXPECT_EQ(h.trunk("trunk1")["status"], "busy");
    h.pump("Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: SIP/trunk1\r\nState: NOT_INUSE\r\n\r\n");
    EXPECT_EQ(h.trunk("trunk1")["status"], "unmonitored");
}

TEST(Trunks, ChanSipRegistrationMatchedByUsername) {
    trunks::TrunksState state({"provider"});
    state.add_peer_entry(ami::Message({{"Event", "PeerEntry"}, {"Channeltype", "SIP"}, {"ObjectName", "provider"},
                                       {"ChanObjectType", "peer"}, {"IPaddress", "192.0.2.10"}, {"IPport", "5060"},
                                       {"Status", "OK (12 ms)"}}));
    state.add_registry_entry(ami::Message({{"Event", "RegistryEntry"}, {"Host", "sip.example.net"}, {"Port", "5060"},
                                           {"Username", "provider"}, {"State", "Registered"}}));
    ASSERT_TRUE(state.view("provider"));
    EXPECT_EQ(state.view("provider")->registration, trunks::Registration::Registered);
    EXPECT_EQ(state.view("provider")->status, trunks::Status::Online);
    model::ChangeSet changes;
    state.apply_event(ami::Message({{"Event", "Registry"}, {"ChannelType", "SIP"}, {"Username", "provider"},
                                    {"Domain", "sip.example.net"}, {"Status", "Auth. Sent"}}),
                      {}, changes);
    EXPECT_EQ(changes.trunks, (std::set<std::string>{"provider"}));
    EXPECT_EQ(state.view("provider")->registration, trunks::Registration::Sent);
    changes = {};
    state.apply_event(ami::Message({{"Event", "Registry"}, {"ChannelType", "SIP"}, {"Username", "other"},
                                    {"Domain", "sip.example.net"}, {"Status", "Registered"}}),
                      {}, changes);
    EXPECT_TRUE(changes.trunks.empty());
}

TEST(Trunks, RegistrationVocabularyIsAstproxys) {
    using trunks::registration_from_asterisk;
    using trunks::registration_name;
    EXPECT_EQ(registration_name(registration_from_asterisk("Registered")), "registered");
    EXPECT_EQ(registration_name(registration_from_asterisk("Request Sent")), "sent");
    EXPECT_EQ(registration_name(registration_from_asterisk("Auth. Sent")), "sent");
    EXPECT_EQ(registration_name(registration_from_asterisk("Rejected")), "rejected");
    EXPECT_EQ(registration_name(registration_from_asterisk("No Authentication")), "noauth");
    EXPECT_EQ(registration_name(registration_from_asterisk("Failed")), "failed");
    EXPECT_EQ(registration_name(registration_from_asterisk("Timeout")), "failed");
    EXPECT_EQ(registration_name(registration_from_asterisk("Unregistered")), "unregistered");
    EXPECT_EQ(registration_name(registration_from_asterisk("Stopped")), "unregistered");
}

}  // namespace
