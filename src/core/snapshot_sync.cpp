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

void SnapshotSync::send(const Action& action, Handler handler, bool optional, ami::Clock::time_point now) {
    ++outstanding_;
    ++sent_;
    const std::string name = action.name;
    auto sent = session_.send(
        action,
        [this, self = shared_from_this(), name, optional, handler = std::move(handler)](ActionResult&& r) {
            if (failed_) return;
            if (r.status == ActionResult::Status::Timeout || r.status == ActionResult::Status::Disconnected) {
                fail(name + ": " + r.message());
                return;
            }
            if (r.ok() || unknown_action(r)) {
                handler(r);
            } else if (optional) {
                spdlog::debug("snapshot: {} answered '{}'; skipped", name, r.message());
            } else {
                spdlog::warn("snapshot: {} failed: {}", name, r.message());
            }
            finish_one();
        },
        now);
    if (!sent) {
        --outstanding_;
        fail(name + ": not logged in");
    }
}

void SnapshotSync::start(ami::Clock::time_point now) {
    now_ = now;
    outstanding_ = 1;  // held until every first-level action is queued
    send(Action("CoreSettings"), [this](ActionResult& r) { target_.set_core_settings(r.response); }, true, now);

    send(Action("SIPpeers"),
         [this](ActionResult& r) {
             if (!r.ok()) return;  // no chan_sip
             for (const auto& item : r.events) {
                 target_.add_peer_entry(item);
                 const std::string peer(item.get("ObjectName"));
                 if (peer.empty() || target_.is_trunk(peer) || !ami::iequals(item.get("Channeltype"), "SIP")) continue;
                 Action show("SIPshowpeer");
                 show.set("Peer", peer);
                 send(show, [this](ActionResult& sr) { if (sr.ok()) target_.add_sip_show_peer(sr.response); }, true, now_);
             }
         },
         true, now);

    // IAX2 peers are extensions too (chan_iax2 answers PeerEntry items like chan_sip's).
    send(Action("IAXpeerlist"),
         [this](ActionResult& r) {
             if (!r.ok()) return;  // no chan_iax2
             for (const auto& item : r.events) target_.add_peer_entry(item);
         },
         true, now);

    send(Action("PJSIPShowEndpoints"),
         [this](ActionResult& r) {
             if (!r.ok()) return;  // no res_pjsip
             for (const auto& item : r.events) {
                 target_.add_endpoint_list(item);
                 const std::string endpoint(item.get("ObjectName"));
                 if (endpoint.empty() || target_.is_trunk(endpoint)) continue;
                 Action show("PJSIPShowEndpoint");
                 show.set("Endpoint", endpoint);
                 send(show,
                      [this](ActionResult& sr) {
                          for (const auto& detail : sr.events) target_.add_endpoint_detail(detail);
                      },
                      true, now_);
             }
             send(Action("PJSIPShowContacts"),
                  [this](ActionResult& cr) {
                      for (const auto& contact : cr.events) target_.add_contact_list(contact);
                  },
                  true, now_);
         },
         true, now);

    send(Action("ExtensionStateList"),
         [this](ActionResult& r) {
             for (const auto& item : r.events) target_.add_extension_status(item);
         },
         true, now);
    send(Action("DeviceStateList"),
         [this](ActionResult& r) {
             for (const auto& item : r.events) target_.add_device_state(item);
         },
         true, now);
    for (const char* family : {"DND", "CF", "CFB", "CFU"}) db_family(family, now);
    finish_one();
}

void SnapshotSync::db_family(const std::string& family, ami::Clock::time_point now) {
    Action tree("DBGetTree");
    tree.set("Family", family);
    send(tree,
         [this, family](ActionResult& r) {
             if (r.ok()) {
                 for (const auto& item : r.events) target_.add_db_entry(item);
                 return;
             }
             // Asterisk 13 has no DBGetTree: read the family from the CLI instead.
             Action show("Command");
             show.set("Command", "database show " + family);
             send(show, [this](ActionResult& cr) { target_.add_db_show_output(cr.response.get_all("Output")); }, true, now_);
         },
         true, now);
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
