#include "voicemail/voicemail_state.hpp"

namespace voicemail {

void VoicemailState::request_snapshot(model::SnapshotRequester&) {}

void VoicemailState::apply_event(const ami::Message&, model::Timestamp, model::ChangeSet&) {}

}  // namespace voicemail
