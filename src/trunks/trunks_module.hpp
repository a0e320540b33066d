#pragma once
// <base>/trunks/<name>: status and registration of each configured trunk (docs/topics.md).
#include <set>
#include <string>

#include "modules/module.hpp"
#include "trunks/trunks_state.hpp"

namespace trunks {

class TrunksModule final : public modules::Module {
public:
    std::string_view name() const override { return "trunks"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    static std::string render(const TrunkView& view);
    static std::string topic(const mqtt::Topics& topics, std::string_view name);  // <base>/trunks/<name>

private:
    void publish(const std::string& name);
    bool publishable(const std::string& name);  // logs once when it cannot be a topic level
    std::set<std::string> skipped_;
};

}  // namespace trunks
