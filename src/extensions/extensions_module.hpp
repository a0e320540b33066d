#pragma once
// <base>/extensions/<exten> (astproxy's extension JSON) and <base>/extensions/<exten>/status.
#include <set>
#include <string>

#include "modules/module.hpp"

namespace extensions {

class ExtensionsModule final : public modules::Module {
public:
    std::string_view name() const override { return "extensions"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    static std::string render(const ExtensionView& view);

private:
    void publish(const std::string& exten);
    std::set<std::string> skipped_;  // ids that cannot be a topic level (logged once)
};

}  // namespace extensions
