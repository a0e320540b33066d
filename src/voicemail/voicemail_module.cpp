#include "voicemail/voicemail_module.hpp"

#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace voicemail {

std::optional<std::string> VoicemailModule::topic(const mqtt::Topics& topics, std::string_view id) {
    std::string level(id);
    for (char& c : level)
        if (c == '/' || c == '+' || c == '#') c = '_';
    if (!mqtt::is_topic_level(level)) return std::nullopt;
    return topics.base() + "/voicemail/" + level;
}

std::string VoicemailModule::render(const Mailbox& m) {
    nlohmann::ordered_json j;
    j["mailbox"] = m.id;
    j["context"] = m.context;
    j["name"] = m.name;
    j["new"] = m.new_messages;
    j["old"] = m.old_messages;
    j["waiting"] = m.waiting;
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void VoicemailModule::start(modules::Context& context) {
    Module::start(context);
    on_resync();
}

void VoicemailModule::publish(const std::string& id) {
    const auto t = topic(context_->topics, id);
    if (!t) {
        if (skipped_.insert(id).second) spdlog::warn("voicemail: '{}' cannot be an MQTT topic level; not published", id);
        return;
    }
    if (auto mailbox = context_->state.voicemail().mailbox(id)) context_->store.set(*t, render(*mailbox));
    else context_->store.clear(*t);
}

void VoicemailModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& id : changes.mailboxes) publish(id);
}

void VoicemailModule::on_resync() {
    if (!context_) return;
    std::map<std::string, std::string> wanted;
    for (const auto& [id, mailbox] : context_->state.voicemail().mailboxes())
        if (const auto t = topic(context_->topics, id)) wanted[*t] = render(mailbox);
    context_->store.replace_subtree(context_->topics.base() + "/voicemail/", std::move(wanted));
}

}  // namespace voicemail
