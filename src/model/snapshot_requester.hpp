#pragma once
// How a capability asks for the actions that read its part of the PBX state (the snapshot).
// Implemented by core::SnapshotSync on the AMI session; by fakes in tests.
#include <functional>

#include "ami/action.hpp"
#include "ami/session.hpp"
#include "model/time.hpp"

namespace model {

class SnapshotRequester {
public:
    using Handler = std::function<void(ami::ActionResult&)>;
    virtual ~SnapshotRequester() = default;
    // Sends `action`; `handler` runs with its result when it succeeded, or when Asterisk answered
    // that the action does not exist ("Invalid/unknown command": check r.ok()). Any other error
    // answer is logged and skipped when `optional`. A timeout or a lost link abandons the whole
    // snapshot. A handler may request more actions (SIPshowpeer for each peer of SIPpeers).
    virtual void request(const ami::Action& action, Handler handler, bool optional = true) = 0;
    // Wall-clock time of the snapshot (for "since" fields computed from durations).
    virtual Timestamp now() const = 0;
};

}  // namespace model
