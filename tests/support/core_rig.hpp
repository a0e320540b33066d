#pragma once
// The real core driven by a recorded PBX, no sockets: a BridgeCore publishing into a
// RecordingPort, logged in to a FixturePbx that answers its actions from a snapshot transcript.
#include <memory>
#include <string>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace testsupport {

struct CoreRig {
    RecordingPort port;
    std::unique_ptr<core::BridgeCore> core;
    std::unique_ptr<FixturePbx> pbx;
    ami::Clock::time_point now;

    // `snapshot`: a transcript under tests/fixtures/ami ("asterisk20-chansip/01-snapshot-actions.txt").
    // Starts the core, connects and logs in, and lets it read the whole PBX.
    CoreRig(core::CoreOptions options, const std::string& snapshot,
            ami::Clock::time_point now = ami::Clock::time_point(std::chrono::seconds(1000)));
    // Feeds bytes and answers whatever the core sends until it is quiet.
    void pump(std::string bytes);
    // Every event of a transcript, in order.
    void events(const std::string& transcript);
};

}  // namespace testsupport
