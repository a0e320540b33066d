#pragma once
// <base>/conferences/<room>: one ConfBridge conference and its users, retained while it
// exists. docs/topics.md, "Conferences".
#include <set>
#include <string>

#include "conferences/conferences_state.hpp"
#include "modules/module.hpp"

namespace conferences {

class ConferencesModule final : public modules::Module {
public:
    std::string_view name() const override { return "conferences"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    static std::string render(const Conference& conference);

private:
    // Topic names (mqtt::Topics has none for conferences yet).
    std::string topic(const std::string& room) const;
    bool publishable(const std::string& room);
    void publish(const std::string& room);
    std::set<std::string> skipped_;  // rooms that cannot be a topic level (logged once)
};

}  // namespace conferences
