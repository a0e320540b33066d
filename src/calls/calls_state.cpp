#include "calls/calls_state.hpp"

namespace calls {

void CallsState::request_snapshot(model::SnapshotRequester&) {}

void CallsState::apply_event(const ami::Message&, model::Timestamp, model::ChangeSet&) {}

}  // namespace calls
