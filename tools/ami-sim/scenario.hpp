#pragma once
// --scenario lively: every 0.5-2 s one realistic change (a phone unregisters or registers, a
// call rings, is answered, hangs up, DND is toggled), as a control-port command line so it
// takes exactly the path a test's command takes. Deterministic for a seed and a state.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ami-sim/simulator.hpp"

namespace amisim {

class LivelyScenario {
public:
    explicit LivelyScenario(std::uint32_t seed) : rng_(seed) {}

    std::chrono::milliseconds next_delay();
    // The next control command ("call 2001 2002"), or "" when nothing fits the state.
    std::string next_command(const Simulator& sim);

private:
    std::mt19937 rng_;
};

}  // namespace amisim
