#pragma once
// The `storm` control command: many realistic AMI events in a row, for load and soak tests.
// Pure: a Storm makes the simulator change its state step by step (device states, registrations,
// whole calls) and hands back the events of those steps; the server decides when to send them
// (as fast as the AMI clients read, or at a given rate). Every event comes from a real state
// change, so a snapshot taken at any time between two batches agrees with the events sent.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ami-sim/simulator.hpp"

namespace amisim {

struct StormOptions {
    std::uint64_t events = 0;  // stop once at least this many events went out
    double rate = 0;           // events per second; 0: as fast as the clients read
    bool devstate_only = false;  // only device state changes (no registrations, no calls)
};

// What `storm-status` reports.
struct StormStatus {
    std::string state = "idle";  // idle, running, done, stopped
    std::uint64_t emitted = 0;
    std::uint64_t target = 0;
    double seconds = 0;  // since the storm started (until it ended)
};

class Storm {
public:
    // The extensions: every peer that is not a trunk, in the simulator's order.
    Storm(Simulator& sim, StormOptions options);

    // The events of the next steps: whole steps (a call is one step: Newchannel ... Hangup) until
    // at least `max_events` events or the target is reached. Empty once done.
    Events next(std::size_t max_events, double now);
    // How many events may go now at the configured rate, `elapsed` seconds after the start.
    std::size_t allowance(double elapsed, std::size_t max_events) const;

    bool done() const { return emitted_ >= options_.events || extensions_.empty(); }
    std::uint64_t emitted() const { return emitted_; }
    const StormOptions& options() const { return options_; }

private:
    void step(double now, Events& out);
    bool device_step(const std::string& peer, Events& out);
    bool register_step(const std::string& peer, double now, Events& out);
    bool call_step(std::size_t index, double now, Events& out);

    Simulator& sim_;
    StormOptions options_;
    std::vector<std::string> extensions_;
    std::vector<int> phase_;                  // per extension: where its device state cycle is
    std::vector<DeviceState> original_;       // per extension: its state when the cycle began
    std::uint64_t steps_ = 0;
    std::uint64_t emitted_ = 0;
};

}  // namespace amisim
