#include "trunks/trunks_module.hpp"

#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace trunks {

std::string TrunksModule::topic(const mqtt::Topics& topics, std::string_view name) {
    return topics.base() + "/trunks/" + std::string(name);
}

std::string TrunksModule::render(const TrunkView& v) {
    nlohmann::ordered_json j;
    j["name"] = v.name;
    j["tech"] = std::string(extensions::tech_name(v.tech));
    j["status"] = std::string(status_name(v.status));
    j["registration"] = std::string(registration_name(v.registration));
    j["ip"] = v.ip;
    j["port"] = v.port;
    j["active_calls"] = v.active_calls;
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void TrunksModule::start(modules::Context& context) {
    Module::start(context);
    on_resync();
}

bool TrunksModule::publishable(const std::string& name) {
    if (mqtt::is_topic_level(name)) return true;
    if (skipped_.insert(name).second) spdlog::warn("trunks: '{}' cannot be an MQTT topic level; not published", name);
    return false;
}

void TrunksModule::publish(const std::string& name) {
    if (!publishable(name)) return;
    const std::string t = topic(context_->topics, name);
    if (auto view = context_->state.trunks().view(name)) context_->store.set(t, render(*view));
    else context_->store.clear(t);
}

void TrunksModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& name : changes.trunks) publish(name);
}

void TrunksModule::on_resync() {
    if (!context_) return;
    std::map<std::string, std::string> wanted;
    const auto& state = context_->state.trunks();
    for (const auto& name : state.known()) {
        if (!publishable(name)) continue;
        if (auto view = state.view(name)) wanted[topic(context_->topics, name)] = render(*view);
    }
    context_->store.replace_subtree(topic(context_->topics, ""), std::move(wanted));
}

}  // namespace trunks
