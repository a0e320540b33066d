#include "trunks/trunks_state.hpp"

namespace trunks {

void TrunksState::request_snapshot(model::SnapshotRequester&) {}

void TrunksState::apply_event(const ami::Message&, model::Timestamp, model::ChangeSet&) {}

}  // namespace trunks
