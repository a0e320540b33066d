#pragma once
// A model in the middle of a recorded call (asterisk20-chansip/05, 2001 calls 2002), built by the
// real core from the recorded snapshot and events: the state command plans are built against
// (the documentation test, the command decoder fuzzer).
#include <memory>

#include "ami/session.hpp"
#include "core/bridge_core.hpp"
#include "core_rig.hpp"

namespace testsupport {

struct MidCall : CoreRig {
    // While 2002 rings (`ringing`), or once it has answered and both are bridged.
    explicit MidCall(bool ringing = false);
};

// A successful answer to an action (with its completion event, OriginateResponse..., when it has one).
ami::ActionResult success_for(const ami::Action& action);

}  // namespace testsupport
