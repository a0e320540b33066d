#pragma once
// The live model of the whole PBX, pure: one part per capability, each fed with its snapshot
// answers and with every live event, each saying what it changed.
#include <set>
#include <string>
#include <string_view>

#include "ami/message.hpp"
#include "extensions/extensions_state.hpp"
#include "calls/calls_state.hpp"
#include "queues/queues_state.hpp"
#include "parkings/parkings_state.hpp"
#include "conferences/conferences_state.hpp"
#include "trunks/trunks_state.hpp"
#include "voicemail/voicemail_state.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace model {

class PbxState {
public:
    explicit PbxState(std::set<std::string> trunks = {});

    // Queues every snapshot action (CoreSettings and each capability's) on `r`, filling this state.
    void request_snapshot(SnapshotRequester& r);
    // A live event: every capability sees it; `changes` gets what changed.
    void apply_event(const ami::Message& event, Timestamp now, ChangeSet& changes);

    void set_core_settings(const ami::Message& m);  // CoreSettings response
    void set_banner(std::string_view banner);        // "Asterisk Call Manager/9.0.0"
    // This state was just read from a snapshot, to replace `previous`: entities that persist
    // keep the times `previous` saw them happen (the snapshot only estimates them, to the
    // second), so a resync republishes only what changed.
    void keep_known_times(const PbxState& previous);
    const std::string& asterisk_version() const noexcept { return asterisk_version_; }
    const std::string& ami_version() const noexcept { return ami_version_; }

    extensions::ExtensionsState& extensions() noexcept { return extensions_; }
    const extensions::ExtensionsState& extensions() const noexcept { return extensions_; }
    calls::CallsState& calls() noexcept { return calls_; }
    const calls::CallsState& calls() const noexcept { return calls_; }
    queues::QueuesState& queues() noexcept { return queues_; }
    const queues::QueuesState& queues() const noexcept { return queues_; }
    parkings::ParkingsState& parkings() noexcept { return parkings_; }
    const parkings::ParkingsState& parkings() const noexcept { return parkings_; }
    conferences::ConferencesState& conferences() noexcept { return conferences_; }
    const conferences::ConferencesState& conferences() const noexcept { return conferences_; }
    trunks::TrunksState& trunks() noexcept { return trunks_; }
    const trunks::TrunksState& trunks() const noexcept { return trunks_; }
    voicemail::VoicemailState& voicemail() noexcept { return voicemail_; }
    const voicemail::VoicemailState& voicemail() const noexcept { return voicemail_; }

private:
    extensions::ExtensionsState extensions_;
    calls::CallsState calls_;
    queues::QueuesState queues_;
    parkings::ParkingsState parkings_;
    conferences::ConferencesState conferences_;
    trunks::TrunksState trunks_;
    voicemail::VoicemailState voicemail_;
    std::string asterisk_version_;
    std::string ami_version_;
};

}  // namespace model
