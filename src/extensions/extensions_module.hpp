#pragma once
// <base>/extensions/<exten> (astproxy's extension JSON) and <base>/extensions/<exten>/status.
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "modules/module.hpp"

namespace extensions {

class ExtensionsModule final : public modules::Module {
public:
    std::string_view name() const override { return "extensions"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    static std::string render(const ExtensionView& view, const nlohmann::ordered_json& conversations);

private:
    void publish(const std::string& exten);
    nlohmann::ordered_json conversations(const ExtensionView& view) const;
    // The payload to assert on topic: `payload`, or the one asserted now when the two differ
    // only in the conversations' `duration` (seconds as of the publication: only the clock moved).
    std::string unless_only_durations(const std::string& topic, std::string payload) const;
    std::set<std::string> skipped_;  // ids that cannot be a topic level (logged once)
};

}  // namespace extensions
