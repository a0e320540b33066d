#include "homeassistant/homeassistant_module.hpp"

#include <spdlog/spdlog.h>

namespace homeassistant {

void HomeAssistantModule::start(modules::Context& context) {
    Module::start(context);
    asterisk_version_ = context.bridge.asterisk_version;
    publish_all();
}

void HomeAssistantModule::stop() {
    topics_.clear();
    names_.clear();
    Module::stop();
}

DiscoveryOptions HomeAssistantModule::options() const {
    DiscoveryOptions o;
    o.discovery_prefix = prefix_;
    o.base_topic = context_->topics.base();
    o.bridge_version = bridge_version_;
    o.asterisk_version = asterisk_version_;
    return o;
}

void HomeAssistantModule::update(const std::string& entity, std::map<std::string, std::string> configs) {
    auto& mine = topics_[entity];
    for (auto it = mine.begin(); it != mine.end();) {
        if (configs.count(*it)) {
            ++it;
            continue;
        }
        context_->store.clear(*it);  // an empty retained config removes the entity from HA
        it = mine.erase(it);
    }
    for (auto& [topic, payload] : configs) {
        mine.insert(topic);
        context_->store.set(topic, std::move(payload));
    }
    if (mine.empty()) topics_.erase(entity);
}

void HomeAssistantModule::publish_all() {
    if (!context_) return;
    const auto o = options();
    const model::PbxState& state = context_->state;
    std::set<std::string> present;
    names_.clear();
    for (const auto& [exten, ext] : state.extensions().extensions()) {
        present.insert("extension/" + exten);
        names_["extension/" + exten] = ext.name;
        update("extension/" + exten, extension_configs(state, exten, o));
    }
    for (const auto& [name, queue] : state.queues().queues()) {
        present.insert("queue/" + name);
        update("queue/" + name, queue_configs(state, name, o));
    }
    for (const auto& [name, lot] : state.parkings().lots()) {
        present.insert("parking/" + name);
        update("parking/" + name, parking_configs(state, name, o));
    }
    std::vector<std::string> gone;
    for (const auto& [entity, topics] : topics_)
        if (!present.count(entity)) gone.push_back(entity);
    for (const auto& entity : gone) update(entity, {});
}

void HomeAssistantModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    if (changes.pbx_info) {
        publish_all();
        return;
    }
    const auto o = options();
    const model::PbxState& state = context_->state;
    // Only existence and names shape the configs: a status change (most events) builds nothing.
    const auto& extensions = state.extensions().extensions();
    for (const auto& exten : changes.extensions) {
        const auto it = extensions.find(exten);
        const std::string entity = "extension/" + exten;
        if (it != extensions.end() && topics_.count(entity) && names_[entity] == it->second.name) continue;
        if (it != extensions.end()) names_[entity] = it->second.name;
        else names_.erase(entity);
        update(entity, extension_configs(state, exten, o));
    }
    for (const auto& name : changes.queues)
        if (topics_.count("queue/" + name) != state.queues().queues().count(name)) update("queue/" + name, queue_configs(state, name, o));
    for (const auto& name : changes.parkings)
        if (topics_.count("parking/" + name) != state.parkings().lots().count(name))
            update("parking/" + name, parking_configs(state, name, o));
}

void HomeAssistantModule::on_bridge_status() {
    if (!context_ || context_->bridge.asterisk_version == asterisk_version_) return;
    asterisk_version_ = context_->bridge.asterisk_version;  // the device's sw_version
    publish_all();
}

void HomeAssistantModule::home_assistant_status(const std::string& payload) {
    if (!context_ || payload != "online") return;
    spdlog::info("Home Assistant is online: publishing {} discovery configs again", entity_configs());
    for (const auto& [entity, topics] : topics_)
        for (const auto& topic : topics) context_->store.reassert(topic);
}

std::size_t HomeAssistantModule::entity_configs() const {
    std::size_t n = 0;
    for (const auto& [entity, topics] : topics_) n += topics.size();
    return n;
}

}  // namespace homeassistant
