#include "queues/queues_state.hpp"

namespace queues {

void QueuesState::request_snapshot(model::SnapshotRequester&) {}

void QueuesState::apply_event(const ami::Message&, model::Timestamp, model::ChangeSet&) {}

}  // namespace queues
