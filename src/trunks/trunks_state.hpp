#pragma once
// Trunks: status and registration of the peers/endpoints named in [pbx] trunks.
// Pure model part: fed with its snapshot answers and with every live event.
#include <set>
#include <string>

#include "ami/message.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace trunks {

class TrunksState {
public:
    explicit TrunksState(std::set<std::string> trunks = {}) : trunks_(std::move(trunks)) {}
    // Queues the actions that read this capability's state into this (fresh) instance.
    void request_snapshot(model::SnapshotRequester& r);
    // A live event (every event reaches every capability); records what changed in `changes`.
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

private:
    std::set<std::string> trunks_;
};

}  // namespace trunks
