// ami-sim storms (storm.cpp): every step's events agree with the state it leaves (queue callers
// included), held calls survive a storm at --extensions scale, a devstate step always changes
// its extension's status, a prepared storm is the live storm's bytes, and the control commands.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "ami-sim/control.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/simulator.hpp"
#include "ami-sim/storm.hpp"

namespace sim_storm_test {  // named: the unity build compiles several test files as one

using namespace amisim;

constexpr double kNow = 1795801200;
constexpr Flavor kFlavors[] = {Flavor::Asterisk20ChanSip, Flavor::Asterisk22Pjsip, Flavor::Asterisk13ChanSip};

Simulator make_sim(Flavor flavor, int extensions) {
    SimState state = default_state(flavor);
    if (extensions > 0) generate_extensions(state, flavor, extensions);
    return Simulator(flavor, std::move(state), 1, kNow);
}

// Runs a storm to its end, one step at a time.
struct StormRun {
    Events events;
    std::vector<StormStep> steps;
};
StormRun run_storm(Simulator& sim, const StormOptions& options) {
    Storm storm(sim, options);
    StormRun run;
    while (!storm.done()) {
        Events batch = storm.next(256, kNow, &run.steps);
        std::move(batch.begin(), batch.end(), std::back_inserter(run.events));
    }
    return run;
}

std::map<StormStepKind, int> kinds(const StormRun& run) {
    std::map<StormStepKind, int> count;
    for (const auto& step : run.steps) ++count[step.kind];
    return count;
}

int count_events(const Events& events, std::string_view name) {
    int n = 0;
    for (const auto& e : events)
        if (e.event() == name) ++n;
    return n;
}

// Six rounds over every extension: device cycle, registrations and calls, queue callers.
std::uint64_t full_mix_events(const Simulator& sim) { return 400 * sim.state().peers.size(); }

TEST(SimStorm, MixedStormLeavesAStateThatAgreesWithItsEvents) {
    for (Flavor flavor : kFlavors) {
        SCOPED_TRACE(traits(flavor).name);
        Simulator sim = make_sim(flavor, 0);
        std::map<std::string, int> completed_before, abandoned_before;
        for (const auto& q : sim.state().queues) {
            completed_before[q.name] = q.completed;
            abandoned_before[q.name] = q.abandoned;
        }
        const StormRun run = run_storm(sim, StormOptions{.events = full_mix_events(sim)});
        std::uint32_t total = 0;
        for (const auto& step : run.steps) total += step.events;
        EXPECT_EQ(total, run.events.size());

        auto count = kinds(run);
        EXPECT_GT(count.at(StormStepKind::Devstate), 0);
        EXPECT_GT(count.at(StormStepKind::Register), 0);
        EXPECT_GT(count.at(StormStepKind::Unregister), 0);
        EXPECT_GT(count.at(StormStepKind::Call), 0);
        EXPECT_GT(count[StormStepKind::QueueAnswered], 0);
        EXPECT_GT(count[StormStepKind::QueueAbandoned], 0);

        // Whole calls and whole queue calls: nothing is left open, and the queue counters moved
        // exactly as the events say.
        EXPECT_TRUE(sim.state().calls.empty());
        EXPECT_TRUE(sim.state().channels.empty());
        EXPECT_EQ(count_events(run.events, "Newchannel"), count_events(run.events, "Hangup"));
        EXPECT_EQ(count_events(run.events, "QueueCallerJoin"), count_events(run.events, "QueueCallerLeave"));
        EXPECT_EQ(count_events(run.events, "QueueCallerJoin"),
                  count[StormStepKind::QueueAnswered] + count[StormStepKind::QueueAbandoned]);
        EXPECT_EQ(count_events(run.events, "AgentConnect"), count[StormStepKind::QueueAnswered]);
        EXPECT_EQ(count_events(run.events, "QueueCallerAbandon"), count[StormStepKind::QueueAbandoned]);
        int completed = 0, abandoned = 0;
        for (const auto& q : sim.state().queues) {
            EXPECT_TRUE(q.callers.empty()) << q.name;
            completed += q.completed - completed_before[q.name];
            abandoned += q.abandoned - abandoned_before[q.name];
        }
        EXPECT_EQ(completed, count_events(run.events, "AgentComplete"));
        EXPECT_EQ(abandoned, count_events(run.events, "QueueCallerAbandon"));

        // The last DeviceStateChange and ExtensionStatus of each device and hint are the state's.
        std::map<std::string, std::string> last_device, last_hint;
        for (const auto& e : run.events) {
            if (e.event() == "DeviceStateChange") last_device[std::string(e.get("Device"))] = e.get("State");
            if (e.event() == "ExtensionStatus")
                last_hint[std::string(e.get("Exten")) + "@" + std::string(e.get("Context"))] = e.get("Status");
        }
        for (const auto& [device, state] : last_device)
            EXPECT_EQ(state, device_state_name(sim.state().device_state(device))) << device;
        for (const auto& [hint, status] : last_hint) {
            const auto at = hint.find('@');
            const Hint* h = sim.state().find_hint(hint.substr(0, at), hint.substr(at + 1));
            ASSERT_NE(h, nullptr) << hint;
            EXPECT_EQ(status, std::to_string(sim.state().hint_status(*h))) << hint;
        }
    }
}

// The load scenario of the benchmark, scaled down for a Debug build: held calls are left alone
// (their phones only see device state changes), the other extensions call each other.
TEST(SimStorm, HeldCallsSurviveAStormAtScale) {
    for (Flavor flavor : {Flavor::Asterisk20ChanSip, Flavor::Asterisk22Pjsip}) {
        SCOPED_TRACE(traits(flavor).name);
        Simulator sim = make_sim(flavor, 2000);
        ASSERT_TRUE(sim.start_answered_calls(400, kNow).ok());
        std::map<std::string, Call> held;
        std::set<std::string> busy;
        for (const auto& call : sim.state().calls) {
            held[call.id] = call;
            busy.insert(sim.state().find_channel(call.caller)->peer);
            busy.insert(sim.state().find_channel(call.callee)->peer);
        }
        ASSERT_EQ(busy.size(), 800u);
        const StormRun run = run_storm(sim, StormOptions{.events = 60 * sim.state().peers.size()});
        Storm names(sim, {});
        std::size_t rounds_done = run.steps.size() / names.extensions().size();
        EXPECT_GE(rounds_done, 6u);  // every kind of round went by
        EXPECT_GT(kinds(run).at(StormStepKind::Call), 500);
        for (const auto& step : run.steps) {
            if (!busy.count(names.extensions()[step.extension])) continue;
            EXPECT_TRUE(step.kind == StormStepKind::Devstate || step.kind == StormStepKind::Bounce)
                << names.extensions()[step.extension] << " " << storm_step_kind_name(step.kind);
        }
        ASSERT_EQ(sim.state().calls.size(), held.size());
        for (const auto& [id, call] : held) {
            const Call* now = sim.state().calls.find(id);
            ASSERT_NE(now, nullptr) << id;
            EXPECT_TRUE(now->answered);
            EXPECT_NE(sim.state().find_channel(call.caller), nullptr);
            EXPECT_NE(sim.state().find_channel(call.callee), nullptr);
        }
        EXPECT_EQ(sim.state().channels.size(), 2 * held.size());
    }
}

// The benchmark's latency probe: with devstate, each step is one device state change of one
// extension, and its hint's status changes every time (held calls' phones included).
TEST(SimStorm, DevstateStepChangesTheExtensionStatusEveryTime) {
    for (Flavor flavor : kFlavors) {
        SCOPED_TRACE(traits(flavor).name);
        Simulator sim = make_sim(flavor, 40);
        ASSERT_TRUE(sim.start_answered_calls(5, kNow).ok());
        Storm storm(sim, StormOptions{.events = 1000000, .devstate_only = true});
        const std::size_t steps = 9 * storm.extensions().size();  // more than two device cycles
        for (std::size_t i = 0; i < steps; ++i) {
            std::vector<StormStep> step;
            const Events events = storm.next(1, kNow, &step);
            ASSERT_EQ(step.size(), 1u);
            const std::string& ext = storm.extensions()[step[0].extension];
            EXPECT_EQ(step[0].kind, StormStepKind::Devstate) << ext;
            int own = 0;  // a queue member's change may also change its queue's _avail device
            for (const auto& e : events)
                if (e.event() == "DeviceStateChange" && e.get("Device") == sim.state().tech + "/" + ext) ++own;
            EXPECT_EQ(own, 1) << ext;
            if (ext.rfind("1000", 0) != 0) continue;  // recorded phones' hints may name other devices
            int statuses = 0;
            for (const auto& e : events)
                if (e.event() == "ExtensionStatus" && e.get("Exten") == ext) ++statuses;
            EXPECT_EQ(statuses, 1) << ext << " step " << i;
        }
    }
}

TEST(SimStorm, PreparedStormIsTheLiveStormsBytesAndState) {
    for (Flavor flavor : kFlavors) {
        SCOPED_TRACE(traits(flavor).name);
        for (bool devstate : {false, true}) {
            Simulator live = make_sim(flavor, 30);
            Simulator ahead = make_sim(flavor, 30);
            const StormOptions options{.events = 5000, .devstate_only = devstate};
            const StormRun run = run_storm(live, options);
            const PreparedStorm prepared = prepare_storm(ahead, options, kNow);
            std::string bytes;
            for (const auto& e : run.events) append_wire(bytes, e);
            EXPECT_EQ(prepared.bytes, bytes);
            EXPECT_EQ(prepared.events, run.events.size());
            EXPECT_GE(prepared.events, 5000u);
            ASSERT_EQ(prepared.steps.size(), run.steps.size());
            std::uint64_t events = 0;
            for (std::size_t i = 0; i < run.steps.size(); ++i) {
                events += run.steps[i].events;
                EXPECT_EQ(prepared.steps[i].events, events);
                EXPECT_EQ(prepared.steps[i].extension, run.steps[i].extension);
                EXPECT_EQ(prepared.steps[i].kind, run.steps[i].kind);
            }
            EXPECT_EQ(prepared.steps.back().end, prepared.bytes.size());
            // The state jumped to where the whole storm leaves it.
            EXPECT_EQ(state_json(ahead), state_json(live));
        }
    }
}

TEST(SimStorm, ControlCommands) {
    Simulator sim = make_sim(Flavor::Asterisk20ChanSip, 0);
    ActionLog actions;
    ControlContext context{.sim = sim, .actions = actions};
    auto run = [&](std::string_view line) { return run_control_command(context, line); };

    ControlResult prepare = run("storm-prepare 1000 devstate");
    ASSERT_TRUE(prepare.storm_prepare);
    EXPECT_EQ(prepare.storm_prepare->events, 1000u);
    EXPECT_TRUE(prepare.storm_prepare->devstate_only);
    EXPECT_EQ(run("storm-prepare 0").reply, "ERR usage: storm-prepare <events> [devstate]");
    EXPECT_EQ(run("storm-prepare 10 calls").reply, "ERR usage: storm-prepare <events> [devstate]");
    EXPECT_EQ(run("storm-go").reply, "ERR no storm is prepared (storm-prepare)");

    context.storm.state = "prepared";
    EXPECT_EQ(run("storm 10").reply, "ERR a storm is prepared (storm-go sends it, storm-stop drops it)");
    EXPECT_EQ(run("storm-prepare 10").reply, "ERR a storm is prepared (storm-go sends it, storm-stop drops it)");
    ControlResult go = run("storm-go 1000");
    ASSERT_TRUE(go.storm_go);
    EXPECT_EQ(*go.storm_go, 1000);
    EXPECT_EQ(*run("storm-go").storm_go, 0);
    EXPECT_EQ(run("storm-go fast").reply, "ERR usage: storm-go [events-per-second, 0: as fast as read]");

    context.storm.state = "running";
    EXPECT_EQ(run("storm-prepare 10").reply, "ERR a storm is running");
    EXPECT_EQ(run("storm-go").reply, "ERR no storm is prepared (storm-prepare)");

    EXPECT_EQ(*run("storm-log /tmp/steps.log").storm_log, "/tmp/steps.log");
    EXPECT_EQ(*run("storm-log off").storm_log, "");
    context.storm = StormStatus{"done", 1234, 1200, 0.5};
    EXPECT_EQ(run("storm-status").reply, "OK done 1234 1200 0.500");
}

}  // namespace sim_storm_test
