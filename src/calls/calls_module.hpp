#pragma once
// <base>/calls/<linkedid>: one retained JSON per live call, cleared when its last channel hangs up.
#include "modules/module.hpp"

namespace calls {

class CallsModule final : public modules::Module {
public:
    std::string_view name() const override { return "calls"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

private:
    void publish(const std::string& linkedid);
};

}  // namespace calls
