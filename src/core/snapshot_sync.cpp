#include "core/snapshot_sync.hpp"

#include <spdlog/spdlog.h>

namespace core {

using ami::Action;
using ami::ActionResult;

namespace {
bool unknown_action(const ActionResult& r) {
    return r.status == ActionResult::Status::Error && r.message().find("Invalid/unknown command") != std::string::npos;
}
}  // namespace

void SnapshotSync::request(const Action& action, Handler handler, bool optional) {
    if (failed_) return;
    const std::string key = action.serialize("");
    if (auto it = in_flight_.find(key); it != in_flight_.end()) {
        it->second.push_back(std::move(handler));
        return;
    }
    in_flight_[key].push_back(std::move(handler));
    ++outstanding_;
    ++sent_;
    const std::string name = action.name;
    auto sent = session_.send(
        action,
        [this, self = shared_from_this(), name, key, optional](ActionResult&& r) {
            if (failed_) return;
            auto handlers = std::move(in_flight_[key]);
            in_flight_.erase(key);
            if (r.status == ActionResult::Status::Timeout || r.status == ActionResult::Status::Disconnected) {
                fail(name + ": " + r.message());
                return;
            }
            if (r.ok() || unknown_action(r)) {
                for (auto& handler : handlers) handler(r);
            } else if (optional) {
                spdlog::debug("snapshot: {} answered '{}'; skipped", name, r.message());
            } else {
                spdlog::warn("snapshot: {} failed: {}", name, r.message());
            }
            finish_one();
        },
        session_.now());
    if (!sent) {
        --outstanding_;
        fail(name + ": not logged in");
    }
}

void SnapshotSync::start(ami::Clock::time_point now) {
    (void)now;
    outstanding_ = 1;  // held until every first-level action is queued
    target_.request_snapshot(*this);
    finish_one();
}

void SnapshotSync::finish_one() {
    if (failed_ || finished_) return;
    if (--outstanding_ == 0) {
        finished_ = true;
        if (done_) done_(true, {});
    }
}

void SnapshotSync::fail(const std::string& error) {
    if (failed_ || finished_) return;
    failed_ = true;
    finished_ = true;
    if (done_) done_(false, error);
}

}  // namespace core
