#pragma once
// --replay: the events a recorded `bridge` session received (messages without ActionID, the
// banner, responses and the login-time FullyBooted aside), with their times, to play to each
// client after it logs in with events on.
#include <vector>

#include "ami-sim/recording.hpp"

namespace amisim {

struct ReplayEvent {
    double at = 0;            // seconds after the login
    const RecordedMessage* recorded = nullptr;
};

// speed 0 plays everything at once (in order); 2 plays twice as fast as recorded.
std::vector<ReplayEvent> replay_schedule(const std::vector<RecordedMessage>& recording, double speed);

}  // namespace amisim
