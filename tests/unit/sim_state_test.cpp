// ami-sim's PBX model: Asterisk's device-state aggregation for hints, and the state seeded from
// each flavor's 01-snapshot-actions transcript (the built-in default).
#include <gtest/gtest.h>

#include <algorithm>

#include "ami-sim/seed.hpp"
#include "ami-sim/sim_state.hpp"

namespace sim_state_test {  // named: the unity build compiles several test files as one

using namespace amisim;
using DS = DeviceState;

int hint_of(std::vector<DS> devices) { return extension_status(aggregate_device_states(devices)); }

TEST(SimState, HintAggregationFollowsAsterisk) {
    EXPECT_EQ(hint_of({DS::NotInUse, DS::Unknown}), 0);        // SIP/2001&Custom:DND2001 (never set)
    EXPECT_EQ(hint_of({DS::Unavailable, DS::Unknown}), 4);     // 2005: unregistered, DND never set
    EXPECT_EQ(hint_of({DS::Unavailable, DS::NotInUse}), 0);    // 2004 unregistered, DND2004 NOT_INUSE: Idle
    EXPECT_EQ(hint_of({DS::NotInUse, DS::Busy}), 2);           // DND on
    EXPECT_EQ(hint_of({DS::InUse, DS::Ringing}), 9);           // InUse&Ringing
    EXPECT_EQ(hint_of({DS::RingInUse}), 9);
    EXPECT_EQ(hint_of({DS::OnHold, DS::NotInUse}), 16);
    EXPECT_EQ(hint_of({DS::Ringing, DS::Unknown}), 8);
    EXPECT_EQ(hint_of({DS::InUse}), 1);
    EXPECT_EQ(hint_of({}), 4);                                 // no device: INVALID -> Unavailable
    EXPECT_EQ(extension_status_text(9), "InUse&Ringing");
    EXPECT_EQ(extension_status_text(17), "InUse&Hold");
    EXPECT_EQ(extension_status_text(-1), "Unknown");
    EXPECT_EQ(extension_state_name(0), "NOT_INUSE");
    EXPECT_EQ(device_state_text(DS::NotInUse), "Not in use");
    EXPECT_EQ(parse_device_state("ringinuse"), DS::RingInUse);
    EXPECT_FALSE(parse_device_state("SLEEPING"));
    EXPECT_EQ(queue_member_status(DS::Unavailable), 5);
}

TEST(SimState, CallerIdsParseAndFormat) {
    const CallerId id = parse_callerid("\"Alice Anderson\" <2001>");
    EXPECT_EQ(id.name, "Alice Anderson");
    EXPECT_EQ(id.number, "2001");
    EXPECT_EQ(format_callerid(id), "\"Alice Anderson\" <2001>");
    EXPECT_TRUE(hint_has_device("SIP/2004&Custom:DND2004", "custom:dnd2004"));
    EXPECT_FALSE(hint_has_device("SIP/20041", "SIP/2004"));
}

std::vector<std::string> registered(const SimState& s) {
    std::vector<std::string> out;
    for (const auto& p : s.peers)
        if (p.registered) out.push_back(p.name);
    return out;
}

TEST(SimState, Asterisk20DefaultComesFromItsSnapshot) {
    const SimState s = default_state(Flavor::Asterisk20ChanSip);
    EXPECT_EQ(s.tech, "SIP");
    ASSERT_EQ(s.peers.size(), 7u);
    EXPECT_EQ(registered(s), (std::vector<std::string>{"2001", "2002", "2003", "2004", "trunk1"}));
    EXPECT_EQ(s.find_peer("2001")->callerid.name, "Alice Anderson");
    EXPECT_EQ(s.find_peer("2003")->callerid.name, "Carol Clark");  // from its queue membership
    EXPECT_EQ(s.find_peer("2002")->callerid.name, "Bob Brown");    // from the README
    EXPECT_EQ(s.find_peer("2002")->default_username, "2002-0x560c86fb5600");  // from "sip show peers"
    EXPECT_EQ(s.hints.size(), 24u);
    for (const auto& h : s.hints) EXPECT_EQ(s.hint_status(h), h.last_status) << h.exten << "@" << h.context;
    EXPECT_EQ(s.hint_status(*s.find_hint("2005", "ext-local")), 4);
    EXPECT_EQ(s.device_state("Custom:DND2002"), DS::NotInUse);
    EXPECT_EQ(s.device_state("Custom:DND2001"), DS::Unknown);
    EXPECT_EQ(s.device_state("SIP/2006"), DS::Unavailable);
    EXPECT_EQ(s.devices.size(), 13u);
    EXPECT_TRUE(s.db.empty());  // DBPut DND/2001 then DBDel
    ASSERT_EQ(s.queue_members.size(), 2u);
    EXPECT_EQ(s.globals.at("RINGTIMER"), "20");
}

TEST(SimState, Asterisk22DefaultComesFromItsSnapshot) {
    const SimState s = default_state(Flavor::Asterisk22Pjsip);
    EXPECT_EQ(s.tech, "PJSIP");
    ASSERT_EQ(s.peers.size(), 8u);
    EXPECT_EQ(registered(s), (std::vector<std::string>{"3001", "3002", "3003", "3004", "selftrunk", "trunk1"}));
    EXPECT_EQ(s.contacts.size(), 5u);
    EXPECT_EQ(s.aors.at("trunk1").static_contacts, std::vector<std::string>{"trunk1/sip:127.0.0.1:5060"});
    EXPECT_EQ(s.find_peer("3002")->callerid.name, "Bob Brown");  // AMPUSER/3002/cidname
    EXPECT_EQ(s.find_peer("3002")->endpoint_detail.size(), s.find_peer("3001")->endpoint_detail.size());
    EXPECT_EQ(s.hints.size(), 21u);
    for (const auto& h : s.hints) EXPECT_EQ(s.hint_status(h), h.last_status) << h.exten << "@" << h.context;
    EXPECT_EQ(s.device_state("park:71@parkedcalls"), DS::Unavailable);  // as its hint was recorded
    EXPECT_EQ(s.db.size(), 47u);
    EXPECT_EQ(s.db_get("DND", "3001").value_or(""), "YES");
    EXPECT_EQ(s.db_get("CF", "3002").value_or(""), "3004");
    EXPECT_EQ(s.db_tree("AMPUSER", "3001").size(), 4u);
    EXPECT_EQ(s.auths.at("3001-auth").headers.size(), 14u);
}

TEST(SimState, Asterisk13DefaultComesFromItsSnapshot) {
    const SimState s = default_state(Flavor::Asterisk13ChanSip);
    ASSERT_EQ(s.peers.size(), 6u);
    EXPECT_EQ(registered(s), (std::vector<std::string>{"4001", "4002", "4003", "4004"}));
    EXPECT_EQ(s.find_peer("4001")->voicemailbox, "4001@default");
    for (const auto& h : s.hints) EXPECT_EQ(s.hint_status(h), h.last_status) << h.exten << "@" << h.context;
    EXPECT_TRUE(s.db.empty());
}

TEST(SimState, AstDbTreesFollowAsteriskOrder) {
    SimState s;
    s.db_put("DND", "2002", "YES");
    s.db_put("CF", "2003", "2002");
    s.db_put("CFB", "2005", "2002");
    s.db_put("CF", "2001", "9000");
    const auto cf = s.db_tree("CF", "");
    ASSERT_EQ(cf.size(), 2u);  // not CFB
    EXPECT_EQ(cf[0].first, "/CF/2001");
    EXPECT_EQ(s.db_tree("", "").size(), 4u);
    EXPECT_EQ(s.db_del_tree("CF", ""), 2);
    EXPECT_FALSE(s.db_del("CF", "2001"));
    EXPECT_TRUE(s.db_del("DND", "2002"));
}

}  // namespace
