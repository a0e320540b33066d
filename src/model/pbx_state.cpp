#include "model/pbx_state.hpp"

namespace model {

PbxState::PbxState(std::set<std::string> trunks) : extensions_(trunks), trunks_(std::move(trunks)) {}

void PbxState::request_snapshot(SnapshotRequester& r) {
    r.request(ami::Action("CoreSettings"), [this](ami::ActionResult& res) { if (res.ok()) set_core_settings(res.response); });
    extensions_.request_snapshot(r);
    calls_.request_snapshot(r);
    queues_.request_snapshot(r);
    parkings_.request_snapshot(r);
    conferences_.request_snapshot(r);
    trunks_.request_snapshot(r);
    voicemail_.request_snapshot(r);
}

void PbxState::apply_event(const ami::Message& event, Timestamp now, ChangeSet& changes) {
    extensions_.apply_event(event, now, changes);
    calls_.apply_event(event, now, changes);
    queues_.apply_event(event, now, changes);
    parkings_.apply_event(event, now, changes);
    conferences_.apply_event(event, now, changes);
    trunks_.apply_event(event, now, changes);
    voicemail_.apply_event(event, now, changes);
}

void PbxState::keep_known_times(const PbxState& previous) {
    calls_.keep_known_times(previous.calls_);
    queues_.keep_known_times(previous.queues_);
    parkings_.keep_known_times(previous.parkings_);
    conferences_.keep_known_times(previous.conferences_);
}

void PbxState::set_core_settings(const ami::Message& m) {
    if (m.has("AsteriskVersion")) asterisk_version_ = std::string(m.get("AsteriskVersion"));
    if (m.has("AMIversion")) ami_version_ = std::string(m.get("AMIversion"));
}

void PbxState::set_banner(std::string_view banner) {
    const std::size_t slash = banner.rfind('/');
    if (slash != std::string_view::npos) ami_version_ = std::string(banner.substr(slash + 1));
}

}  // namespace model
