#pragma once
// Reads the whole PBX state into a fresh model: every capability queues the snapshot actions
// Asterisk really answers (see tests/fixtures/ami/*/01-snapshot-actions.txt), whatever its
// version; all are pipelined on the one session and the result is reported once.
#include <functional>
#include <map>
#include <vector>
#include <memory>
#include <set>
#include <string>

#include "ami/session.hpp"
#include "model/pbx_state.hpp"
#include "model/snapshot_requester.hpp"

namespace core {

class SnapshotSync : public model::SnapshotRequester, public std::enable_shared_from_this<SnapshotSync> {
public:
    // ok == false: the snapshot is incomplete (an action timed out or the link dropped) and
    // must not replace the model; `error` says why.
    using Done = std::function<void(bool ok, const std::string& error)>;

    // Held by shared_ptr: the session's pending callbacks keep it alive, whatever happens to
    // the bridge meanwhile (a new connection, a new snapshot).
    static std::shared_ptr<SnapshotSync> create(ami::Session& session, std::set<std::string> trunks,
                                               std::function<model::Timestamp()> wall_now, Done done) {
        return std::shared_ptr<SnapshotSync>(
            new SnapshotSync(session, std::move(trunks), std::move(wall_now), std::move(done)));
    }

    void start(ami::Clock::time_point now);  // `now` is the session's clock too
    // The model read so far (all of it once Done reported ok).
    model::PbxState& state() noexcept { return target_; }
    // Stop reporting: a newer snapshot or connection superseded this one.
    void cancel() noexcept { failed_ = finished_ = true; }
    bool finished() const noexcept { return finished_; }
    std::size_t actions_sent() const noexcept { return sent_; }

    void request(const ami::Action& action, Handler handler, bool optional = true) override;
    model::Timestamp now() const override { return wall_now_(); }

private:
    SnapshotSync(ami::Session& session, std::set<std::string> trunks, std::function<model::Timestamp()> wall_now, Done done)
        : session_(session), target_(std::move(trunks)), wall_now_(std::move(wall_now)), done_(std::move(done)) {}

    void finish_one();
    void fail(const std::string& error);

    ami::Session& session_;
    // Capabilities ask for some of the same lists (SIPpeers, CoreShowChannels...): an action
    // already on its way is not sent again, its answer goes to every handler that asked.
    std::map<std::string, std::vector<Handler>> in_flight_;
    model::PbxState target_;
    std::function<model::Timestamp()> wall_now_;
    Done done_;
    std::size_t outstanding_ = 0;
    std::size_t sent_ = 0;
    bool finished_ = false;
    bool failed_ = false;
};

}  // namespace core
