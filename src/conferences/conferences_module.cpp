#include "conferences/conferences_module.hpp"

#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace conferences {

std::string ConferencesModule::render(const Conference& c) {
    using json = nlohmann::ordered_json;
    json j;
    j["room"] = c.room;
    j["locked"] = c.locked ? json(*c.locked) : json();
    j["started_at"] = c.started_at ? json(model::iso8601(*c.started_at)) : json();
    j["count"] = c.users.size();
    j["users"] = json::object();
    for (const auto& [channel, u] : c.users) {
        json user;
        user["channel"] = u.channel;
        user["number"] = u.number;
        user["name"] = u.name;
        user["admin"] = u.admin;
        user["marked"] = u.marked ? json(*u.marked) : json();
        user["muted"] = u.muted;
        user["talking"] = u.talking;
        user["joined_at"] = model::iso8601(u.joined_at);
        j["users"][channel] = std::move(user);
    }
    // The PBX may send any bytes in a name; never let invalid UTF-8 break the payload.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void ConferencesModule::start(modules::Context& context) {
    Module::start(context);
    on_resync();
}

std::string ConferencesModule::topic(const std::string& room) const { return context_->topics.base() + "/conferences/" + room; }

bool ConferencesModule::publishable(const std::string& room) {
    if (mqtt::is_topic_level(room)) return true;
    if (skipped_.insert(room).second) spdlog::warn("conferences: room '{}' cannot be an MQTT topic level; not published", room);
    return false;
}

void ConferencesModule::publish(const std::string& room) {
    if (!publishable(room)) return;
    if (const Conference* c = context_->state.conferences().conference(room)) context_->store.set(topic(room), render(*c));
    else context_->store.clear(topic(room));
}

void ConferencesModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& room : changes.conferences) publish(room);
}

void ConferencesModule::on_resync() {
    if (!context_) return;
    std::map<std::string, std::string> wanted;
    for (const auto& [room, c] : context_->state.conferences().conferences())
        if (publishable(room)) wanted[topic(room)] = render(c);
    context_->store.replace_subtree(context_->topics.base() + "/conferences/", std::move(wanted));
}

}  // namespace conferences
