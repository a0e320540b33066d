#include "voicemail/voicemail_state.hpp"

#include <charconv>

namespace voicemail {

using ami::iequals;
using ami::Message;

namespace {

int to_int(std::string_view s) {
    int v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() ? v : 0;
}

// "3001@default" -> {"3001", "default"}. The context is after the last '@': an alias box of
// voicemail.conf's aliasescontext is "1234@devices@myaliases" (fixture asterisk20 14).
std::pair<std::string, std::string> split_id(std::string_view id) {
    const auto at = id.rfind('@');
    if (at == std::string_view::npos) return {std::string(id), "default"};
    return {std::string(id.substr(0, at)), std::string(id.substr(at + 1))};
}

}  // namespace

void VoicemailState::request_snapshot(model::SnapshotRequester& r) {
    // Every box with its counts in one list. Without app_voicemail (or where the action is not
    // allowed) boxes appear with their first MessageWaiting event.
    r.request(ami::Action("VoicemailUsersList"), [this](ami::ActionResult& res) {
        for (const auto& item : res.events) add_user_entry(item);
    });
}

void VoicemailState::add_user_entry(const Message& m) {
    if (!iequals(m.event(), "VoicemailUserEntry")) return;
    const std::string box(m.get("VoiceMailbox"));
    const std::string context(m.get("VMContext", "default"));
    if (box.empty()) return;
    Mailbox& mb = mailboxes_[box + "@" + context];
    mb.id = box + "@" + context;
    mb.mailbox = box;
    mb.context = context;
    mb.name = std::string(m.get("Fullname"));
    mb.new_messages = to_int(m.get("NewMessageCount"));
    mb.old_messages = to_int(m.get("OldMessageCount"));
    mb.waiting = mb.new_messages > 0;
}

void VoicemailState::apply_event(const Message& e, model::Timestamp, model::ChangeSet& changes) {
    if (!iequals(e.event(), "MessageWaiting")) return;
    // Raised by a channel (VoiceMail()), the event starts with that channel's headers, Context
    // and Exten included: only Mailbox/Waiting/New/Old describe the box.
    const std::string id(e.get("Mailbox"));
    if (id.empty()) return;
    const bool known = mailboxes_.count(id) > 0;
    Mailbox& mb = mailboxes_[id];
    const Mailbox before = mb;
    if (!known) {
        mb.id = id;
        std::tie(mb.mailbox, mb.context) = split_id(id);
    }
    mb.new_messages = to_int(e.get("New"));
    mb.old_messages = to_int(e.get("Old"));
    // Not the Waiting header: Asterisk computes it apart from the counts, and at boot it says 0
    // for a box with new messages (fixture asterisk22 12: Waiting 0, New 1).
    mb.waiting = mb.new_messages > 0;
    if (known && mb == before) return;
    changes.mailboxes.insert(id);
    // A new message: more new messages than the model knew of. Not for a box seen for the first
    // time (Asterisk announces every box at boot) nor when a message is only moved or read.
    if (known && mb.new_messages > before.new_messages) {
        nlohmann::ordered_json payload;
        payload["mailbox"] = id;
        payload["new"] = mb.new_messages;
        payload["old"] = mb.old_messages;
        changes.happenings.push_back(model::Happening{"events", "voicemail", std::move(payload)});
    }
}

std::optional<Mailbox> VoicemailState::mailbox(std::string_view id) const {
    auto it = mailboxes_.find(std::string(id));
    if (it == mailboxes_.end()) return std::nullopt;
    return it->second;
}

}  // namespace voicemail
