#pragma once
// <base>/extensions/<exten> (astproxy's extension JSON) and <base>/extensions/<exten>/status.
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "modules/module.hpp"

namespace extensions {

// True when two rendered payloads are equal but for the numbers after their "duration" keys.
// A key is an unescaped quote (a quote inside a JSON string is escaped: an odd number of
// backslashes before it). Linear, no parsing: it runs for every change of an extension in a
// call (parsing both payloads cost a third of the bridge's CPU under load).
bool equal_but_durations(std::string_view a, std::string_view b);

class ExtensionsModule final : public modules::Module {
public:
    std::string_view name() const override { return "extensions"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    // <base>/extensions/<ext>; `conversations`: the JSON object of conversations_of().
    static std::string render(const ExtensionView& view, std::string_view conversations);

private:
    void publish(const std::string& exten);
    std::string conversations(const ExtensionView& view) const;
    // The payload to assert on topic: `payload`, or the one asserted now when the two differ
    // only in the conversations' `duration` (seconds as of the publication: only the clock moved).
    std::string unless_only_durations(const std::string& topic, std::string payload) const;
    std::set<std::string> skipped_;  // ids that cannot be a topic level (logged once)
};

}  // namespace extensions
