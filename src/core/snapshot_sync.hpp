#pragma once
// Reads the whole PBX state into a fresh model with the snapshot actions Asterisk really
// answers (see tests/fixtures/ami/*/01-snapshot-actions.txt), whatever its version:
//   CoreSettings; SIPpeers + SIPshowpeer per peer (chan_sip) and PJSIPShowEndpoints +
//   PJSIPShowEndpoint per endpoint + PJSIPShowContacts (PJSIP), each tolerated when the module
//   is absent; ExtensionStateList; DeviceStateList; DBGetTree per FreePBX family (DND, CF, CFB,
//   CFU), or `database show FAMILY` where DBGetTree does not exist (Asterisk 13); IAXpeerlist
//   for IAX2 peers.
// All actions are pipelined on the one session; the result is reported once, complete or not.
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "ami/session.hpp"
#include "model/pbx_state.hpp"

namespace core {

class SnapshotSync : public std::enable_shared_from_this<SnapshotSync> {
public:
    // ok == false: the snapshot is incomplete (an action timed out or the link dropped) and
    // must not replace the model; `error` says why.
    using Done = std::function<void(bool ok, const std::string& error)>;

    // Held by shared_ptr: the session's pending callbacks keep it alive, whatever happens to
    // the bridge meanwhile (a new connection, a new snapshot).
    static std::shared_ptr<SnapshotSync> create(ami::Session& session, std::set<std::string> trunks, Done done) {
        return std::shared_ptr<SnapshotSync>(new SnapshotSync(session, std::move(trunks), std::move(done)));
    }

    void start(ami::Clock::time_point now);
    // The model read so far (all of it once Done reported ok).
    model::PbxState& state() noexcept { return target_; }
    // Stop reporting: a newer snapshot or connection superseded this one.
    void cancel() noexcept { failed_ = finished_ = true; }
    bool finished() const noexcept { return finished_; }
    std::size_t actions_sent() const noexcept { return sent_; }

private:
    SnapshotSync(ami::Session& session, std::set<std::string> trunks, Done done)
        : session_(session), target_(std::move(trunks)), done_(std::move(done)) {}

    using Handler = std::function<void(ami::ActionResult&)>;
    // Sends an action; `handler` sees successful results; an Error answer is tolerated when
    // `optional` (a module that is not loaded, a permission the user lacks).
    void send(const ami::Action& action, Handler handler, bool optional, ami::Clock::time_point now);
    void db_family(const std::string& family, ami::Clock::time_point now);
    void finish_one();
    void fail(const std::string& error);

    ami::Session& session_;
    model::PbxState target_;
    Done done_;
    std::size_t outstanding_ = 0;
    std::size_t sent_ = 0;
    bool finished_ = false;
    bool failed_ = false;
    ami::Clock::time_point now_{};
};

}  // namespace core
