#pragma once
// The `storm` control commands: many realistic AMI events in a row, for load and soak tests and
// benchmarks.
// Pure: a Storm makes the simulator change its state step by step (device states, registrations,
// whole calls, queue callers) and hands back the events of those steps; the server decides when
// to send them (as fast as the AMI clients read, or at a given rate). Every event comes from a
// real state change, so a snapshot taken at any time between two batches agrees with the events
// sent. A prepared storm (prepare_storm) makes all the changes at once and keeps their wire
// bytes, so that sending costs nothing but the writes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ami-sim/simulator.hpp"

namespace amisim {

struct StormOptions {
    std::uint64_t events = 0;  // stop once at least this many events went out
    double rate = 0;           // events per second; 0: as fast as the clients read
    bool devstate_only = false;  // only device state changes (no registrations, calls, queues)
};

// What `storm-status` reports.
struct StormStatus {
    std::string state = "idle";  // idle, prepared, running, done, stopped
    std::uint64_t emitted = 0;
    std::uint64_t target = 0;
    double seconds = 0;  // since the storm started (done: until its last byte was written)
};

// What one step did, for the storm log (`storm-log`).
enum class StormStepKind : std::uint8_t { Devstate, Register, Unregister, Call, QueueAnswered, QueueAbandoned, Bounce };
std::string_view storm_step_kind_name(StormStepKind kind);  // "devstate", "queue-answered"...

struct StormStep {
    std::uint32_t extension = 0;  // index into Storm::extensions()
    StormStepKind kind = StormStepKind::Devstate;
    std::uint32_t events = 0;     // how many events the step emitted
};

class Storm {
public:
    // The extensions: every peer that is not a trunk, in the simulator's order.
    Storm(Simulator& sim, StormOptions options);

    // The events of the next steps: whole steps (a call is one step: Newchannel ... Hangup) until
    // at least `max_events` events or the target is reached. Empty once done. `steps`, when
    // given, gets one entry per step.
    Events next(std::size_t max_events, double now, std::vector<StormStep>* steps = nullptr);
    // How many events may go now at the configured rate, `elapsed` seconds after the start.
    std::size_t allowance(double elapsed, std::size_t max_events) const;

    bool done() const { return emitted_ >= options_.events || extensions_.empty(); }
    std::uint64_t emitted() const { return emitted_; }
    const StormOptions& options() const { return options_; }
    const std::vector<std::string>& extensions() const { return extensions_; }

private:
    StormStepKind step(double now, Events& out);
    StormStepKind device_step(std::size_t index, std::uint64_t kind, Events& out);
    std::optional<StormStepKind> register_step(const std::string& peer, double now, Events& out);
    bool call_step(std::size_t index, double now, Events& out);
    std::optional<StormStepKind> queue_step(std::size_t index, double now, Events& out);
    // Registered and in no call: the storm may make it call, be called or join a queue.
    bool idle(const std::string& peer) const;

    Simulator& sim_;
    StormOptions options_;
    std::vector<std::string> extensions_;
    std::vector<DeviceState> original_;       // per extension: its state when the cycle began
    std::size_t callee_cursor_ = 0;           // where the search for the next idle callee resumes
    std::size_t queue_cursor_ = 0;            // the queue the next queue caller dials
    std::uint64_t no_callee_until_ = 0;       // after a scan found no idle callee: no call steps before this step
    std::uint64_t steps_ = 0;
    std::uint64_t emitted_ = 0;
};

// A storm made in advance (`storm-prepare`): the state already changed, the events serialized.
struct PreparedStorm {
    struct Step {
        std::uint64_t end = 0;     // offset in `bytes` just past the step's events
        std::uint64_t events = 0;  // events up to and including this step
        std::uint32_t extension = 0;
        StormStepKind kind = StormStepKind::Devstate;
    };
    std::string bytes;
    std::vector<Step> steps;
    std::vector<std::string> extensions;
    std::uint64_t events = 0;
    bool devstate_only = false;
};

// Runs the storm of `options` (rate ignored) to its end and keeps what it would have sent.
PreparedStorm prepare_storm(Simulator& sim, const StormOptions& options, double now);

// Appends an event's wire form ("Name: value\r\n" per header, then a blank line).
void append_wire(std::string& out, const ami::Message& event);

}  // namespace amisim
