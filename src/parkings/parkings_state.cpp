#include "parkings/parkings_state.hpp"

namespace parkings {

void ParkingsState::request_snapshot(model::SnapshotRequester&) {}

void ParkingsState::apply_event(const ami::Message&, model::Timestamp, model::ChangeSet&) {}

}  // namespace parkings
