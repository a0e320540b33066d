// ami-sim's control port commands, percent-encoding, client framing and the lively scenario.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "ami-sim/control.hpp"
#include "ami-sim/framer.hpp"
#include "ami-sim/percent.hpp"
#include "ami-sim/scenario.hpp"
#include "ami-sim/seed.hpp"
#include "ami/parser.hpp"

namespace sim_control_test {  // named: the unity build compiles several test files as one

using namespace amisim;

struct Control {
    explicit Control(Flavor flavor = Flavor::Asterisk20ChanSip) : sim(flavor, default_state(flavor), 5, 1795801200.0) {}
    ControlResult operator()(std::string_view line) {
        ControlContext context{sim, log, 2, 1795801300.0};
        return run_control_command(context, line);
    }
    Simulator sim;
    ActionLog log;
};

TEST(SimControl, RegistrationAndDeviceCommands) {
    Control control;
    ControlResult r = control("unregister 2004");
    EXPECT_EQ(r.reply, "OK");
    ASSERT_EQ(r.broadcast.size(), 3u);
    EXPECT_EQ(r.broadcast[0].get("PeerStatus"), "Unregistered");
    EXPECT_EQ(control("unregister 2004").reply, "ERR 2004 is not registered");
    r = control("register 2004 10.0.0.7 5099");
    EXPECT_EQ(r.reply, "OK");
    EXPECT_EQ(r.broadcast.back().get("Address"), "10.0.0.7:5099");
    EXPECT_EQ(control("register 2005 10.0.0.8 99999").reply, "ERR bad port 99999");
    EXPECT_EQ(control("register nosuch").reply, "ERR unknown peer nosuch");
    r = control("devstate Custom:DND2002 BUSY");
    EXPECT_EQ(r.reply, "OK");
    EXPECT_EQ(r.broadcast.size(), 3u);
    EXPECT_EQ(control("devstate Custom:DND2002 SLEEPY").reply, "ERR unknown device state SLEEPY");
    EXPECT_EQ(control("dnd 2003 on").reply, "OK");
    EXPECT_EQ(control.sim.state().db_get("DND", "2003").value_or(""), "YES");
    EXPECT_EQ(control("dnd 2003 maybe").reply, "ERR usage: dnd <ext> on|off");
}

TEST(SimControl, CallCommands) {
    Control control;
    ControlResult r = control("call 2001 2002");
    EXPECT_EQ(r.reply, "OK 1");
    EXPECT_FALSE(r.broadcast.empty());
    EXPECT_EQ(control("answer 1").reply, "OK");
    EXPECT_EQ(control("answer 1").reply, "ERR call 1 is already answered");
    EXPECT_EQ(control("hold 1").reply, "OK");
    EXPECT_EQ(control("unhold 1").reply, "OK");
    EXPECT_EQ(control("hangup 1 caller").reply, "OK");
    EXPECT_EQ(control("hangup 1").reply, "ERR unknown call 1");
    EXPECT_EQ(control("call 2001 2003").reply, "OK 2");
    EXPECT_EQ(control("hangup 2 sideways").reply, "ERR usage: hangup <callid> [caller|callee]");
    r = control("hangup 2");  // the callee rejects it
    EXPECT_EQ(r.reply, "OK");
    EXPECT_TRUE(control.sim.state().channels.empty());
}

TEST(SimControl, RawEventAndDatabase) {
    Control control;
    ControlResult r = control("event UserEvent UserEvent=Hello Text=a%20b%3Ac Empty=");
    EXPECT_EQ(r.reply, "OK");
    ASSERT_EQ(r.broadcast.size(), 1u);
    EXPECT_EQ(r.broadcast[0].serialize(), "Event: UserEvent\r\nUserEvent: Hello\r\nText: a b:c\r\nEmpty: \r\n\r\n");
    EXPECT_EQ(control("event X broken").reply, "ERR expected Key=Value, got broken");
    EXPECT_EQ(control("event X K=%zz").reply, "ERR bad percent-encoding");
    r = control("raw Response%3A%20Success%0D%0A%00%FF");
    EXPECT_EQ(r.reply, "OK 21");
    ASSERT_TRUE(r.raw);
    EXPECT_EQ(*r.raw, std::string("Response: Success\r\n\0\xff", 21));
    EXPECT_EQ(control("db put CF 2001 9000 and more").reply, "OK");
    EXPECT_EQ(control.sim.state().db_get("CF", "2001").value_or(""), "9000 and more");
    EXPECT_EQ(control("db del CF 2001").reply, "OK");
    EXPECT_EQ(control("db del CF 2001").reply, "ERR no such key");
}

TEST(SimControl, ServerCommandsAndQueries) {
    Control control;
    EXPECT_TRUE(control("drop").drop);
    EXPECT_TRUE(control("shutdown").shutdown);
    EXPECT_EQ(control("pause-reads on").pause_reads, std::optional<bool>(true));
    EXPECT_EQ(control("pause-reads off").pause_reads, std::optional<bool>(false));
    EXPECT_EQ(control("clients").reply, "OK 2");
    EXPECT_EQ(control("actions").reply, "OK 0");
    control.log.note("Login", "Action: Login\r\nSecret: x y\r\n\r\n");
    control.log.note("Ping", "Action: Ping\r\n\r\n");
    EXPECT_EQ(control("actions").reply, "OK 2");
    EXPECT_EQ(control("last-action login").reply, "OK Action%3A%20Login%0D%0ASecret%3A%20x%20y%0D%0A%0D%0A");
    EXPECT_EQ(control("last-action Originate").reply, "ERR no Originate action received");
    EXPECT_EQ(control("frobnicate").reply, "ERR unknown command");
    EXPECT_EQ(control("").reply, "ERR unknown command");
    EXPECT_EQ(control("register").reply, "ERR unknown command");

    const ControlResult state = control("state\r\n");
    ASSERT_EQ(state.reply.rfind("OK {", 0), 0u);
    const auto json = nlohmann::json::parse(state.reply.substr(3));
    EXPECT_EQ(json["flavor"], "asterisk20-chansip");
    EXPECT_EQ(json["peers"].size(), 7u);
    EXPECT_EQ(json["peers"][0]["device_state"], "NOT_INUSE");
    EXPECT_EQ(json["hints"].size(), 24u);
}

TEST(SimControl, PercentCoding) {
    const std::string all = [] {
        std::string s;
        for (int c = 0; c < 256; ++c) s += static_cast<char>(c);
        return s;
    }();
    EXPECT_EQ(percent_decode(percent_encode(all)), all);
    EXPECT_EQ(percent_encode("a b-c_d.e~f/"), "a%20b-c_d.e~f%2F");
    EXPECT_EQ(percent_decode("a+b%41"), "a+bA");
    EXPECT_FALSE(percent_decode("%4"));
    EXPECT_FALSE(percent_decode("%"));
    EXPECT_FALSE(percent_decode("%g0"));
}

TEST(SimControl, FramerSplitsClientMessagesKeepingTheirBytes) {
    const std::string stream = "\r\nAction: Login\r\nUsername: a\r\n\r\nAction: Ping\n\n\r\n\r\nActionID: x\r\n\r\n";
    ClientFramer whole;
    const auto pieces = whole.feed(stream);
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_EQ(pieces[0].wire, "Action: Login\r\nUsername: a\r\n\r\n");
    EXPECT_EQ(pieces[1].wire, "Action: Ping\n\n");
    EXPECT_EQ(pieces[2].wire, "ActionID: x\r\n\r\n");
    // Any split of the stream gives the same pieces.
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        ClientFramer split;
        auto first = split.feed(std::string_view(stream).substr(0, cut));
        auto second = split.feed(std::string_view(stream).substr(cut));
        first.insert(first.end(), second.begin(), second.end());
        ASSERT_EQ(first.size(), 3u) << cut;
        for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(first[i].wire, pieces[i].wire) << cut;
    }
}

TEST(SimControl, FramerDropsOversizedMessages) {
    ClientFramer framer;
    std::string huge = "Action: Ping\r\nX: " + std::string(ami::Parser::kMaxMessageBytes + 10, 'x');
    auto pieces = framer.feed(huge);
    EXPECT_TRUE(pieces.empty());
    pieces = framer.feed("\r\nmore: stuff\r\n\r\nAction: Ping\r\n\r\n");
    ASSERT_EQ(pieces.size(), 2u);
    EXPECT_TRUE(pieces[0].oversized);
    EXPECT_LE(pieces[0].wire.size(), 300u);
    EXPECT_FALSE(pieces[1].oversized);
    EXPECT_EQ(pieces[1].wire, "Action: Ping\r\n\r\n");
}

TEST(SimControl, LivelyScenarioIsDeterministicAndValid) {
    for (Flavor flavor : {Flavor::Asterisk20ChanSip, Flavor::Asterisk22Pjsip, Flavor::Asterisk13ChanSip}) {
        std::vector<std::string> runs[2];
        for (auto& commands : runs) {
            Control control(flavor);
            LivelyScenario scenario(42);
            for (int i = 0; i < 300; ++i) {
                const auto delay = scenario.next_delay();
                EXPECT_GE(delay.count(), 500);
                EXPECT_LE(delay.count(), 2000);
                const std::string command = scenario.next_command(control.sim);
                ASSERT_FALSE(command.empty());
                const ControlResult result = control(command);
                EXPECT_EQ(result.reply.rfind("OK", 0), 0u) << command << ": " << result.reply;
                commands.push_back(command);
            }
        }
        EXPECT_EQ(runs[0], runs[1]);
        std::set<std::string> kinds;
        for (const auto& c : runs[0]) kinds.insert(c.substr(0, c.find(' ')));
        EXPECT_EQ(kinds, (std::set<std::string>{"answer", "call", "dnd", "hangup", "register", "unregister"}));
    }
}

}  // namespace
