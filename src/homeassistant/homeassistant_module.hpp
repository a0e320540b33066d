#pragma once
// Home Assistant MQTT discovery (homeassistant/discovery.hpp) as a module: publishes the retained
// discovery configs of the entities the model has, clears (empty retained config) those of
// entities that disappeared, and republishes all of them when Home Assistant announces itself
// (its birth message "online" on <discovery prefix>/status).
#include <map>
#include <set>
#include <string>

#include "homeassistant/discovery.hpp"
#include "modules/module.hpp"

namespace homeassistant {

class HomeAssistantModule final : public modules::Module {
public:
    HomeAssistantModule(std::string discovery_prefix, std::string bridge_version)
        : prefix_(std::move(discovery_prefix)), bridge_version_(std::move(bridge_version)) {}
    std::string_view name() const override { return "homeassistant"; }
    void start(modules::Context& context) override;
    void stop() override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override { publish_all(); }
    void on_bridge_status() override;

    // The topic Home Assistant's birth and last will are published on.
    std::string status_topic() const { return prefix_ + "/status"; }
    // Home Assistant (re)started: every discovery config is published again.
    void home_assistant_status(const std::string& payload);
    std::size_t entity_configs() const;

private:
    DiscoveryOptions options() const;
    void publish_all();
    // Makes the configs of one entity ("extension/2001", "queue/401"...) equal `configs`.
    void update(const std::string& entity, std::map<std::string, std::string> configs);

    std::string prefix_;
    std::string bridge_version_;
    std::string asterisk_version_;
    std::map<std::string, std::set<std::string>> topics_;  // entity -> its discovery config topics
    std::map<std::string, std::string> names_;             // extension entity -> the name its configs show
};

}  // namespace homeassistant
