#pragma once
// <base>/bridge/state (online; "offline" is the MQTT last will) and <base>/bridge/info.
#include <string>

#include "modules/module.hpp"

namespace modules {

class BridgeModule final : public Module {
public:
    std::string_view name() const override { return "bridge"; }
    void start(Context& context) override;
    void on_bridge_status() override { publish_info(); }
    void on_resync() override { publish_info(); }
    void on_changes(const model::ChangeSet& changes) override {
        if (changes.pbx_info) publish_info();
    }
    static std::string render_info(const BridgeStatus& status);

private:
    void publish_info();
};

}  // namespace modules
