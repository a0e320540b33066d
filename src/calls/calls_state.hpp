#pragma once
// Calls and conversations: channels, bridges, who talks to whom (CoreShowChannels + channel/bridge events).
// Pure model part: fed with its snapshot answers and with every live event.
#include <set>
#include <string>

#include "ami/message.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace calls {

class CallsState {
public:
    // Queues the actions that read this capability's state into this (fresh) instance.
    void request_snapshot(model::SnapshotRequester& r);
    // A live event (every event reaches every capability); records what changed in `changes`.
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

private:
};

}  // namespace calls
