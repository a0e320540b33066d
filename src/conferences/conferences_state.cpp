#include "conferences/conferences_state.hpp"

namespace conferences {

void ConferencesState::request_snapshot(model::SnapshotRequester&) {}

void ConferencesState::apply_event(const ami::Message&, model::Timestamp, model::ChangeSet&) {}

}  // namespace conferences
