#pragma once
// Voicemail boxes: new and old message counts (VoicemailUsersList, MessageWaiting).
// Pure model part: fed with its snapshot answers and with every live event.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ami/message.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace voicemail {

struct Mailbox {
    std::string id;       // "3001@default": the box as MWI names it, also the topic id
    std::string mailbox;  // "3001"
    std::string context;  // "default"
    std::string name;     // the owner's full name ("" when only MWI events named the box)
    int new_messages = 0;
    int old_messages = 0;
    bool waiting = false;  // the message-waiting lamp: there are new messages
    bool operator==(const Mailbox&) const = default;
};

class VoicemailState {
public:
    // Queues the actions that read this capability's state into this (fresh) instance.
    void request_snapshot(model::SnapshotRequester& r);
    // A live event (every event reaches every capability); records what changed in `changes`.
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

    void add_user_entry(const ami::Message& m);  // VoicemailUsersList -> VoicemailUserEntry

    const std::map<std::string, Mailbox>& mailboxes() const noexcept { return mailboxes_; }
    std::optional<Mailbox> mailbox(std::string_view id) const;

private:
    std::map<std::string, Mailbox> mailboxes_;  // by id
};

}  // namespace voicemail
