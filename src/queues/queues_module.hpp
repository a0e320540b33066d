#pragma once
// The queues topics (docs/topics.md, "Queues"): <base>/queues/<queue> and
// <base>/queues/<queue>/members/<member>. The queue happenings (caller join/leave/abandon,
// agent connect/complete) are made by QueuesState and published by the events module.
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "modules/module.hpp"
#include "queues/queues_state.hpp"

namespace queues {

// Topic names of this capability (built on the configured base).
std::string queue_topic(const mqtt::Topics& topics, std::string_view queue);
std::string member_topic(const mqtt::Topics& topics, std::string_view queue, std::string_view member);

class QueuesModule final : public modules::Module {
public:
    std::string_view name() const override { return "queues"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    static std::string render(const Queue& queue);
    static std::string render(const Member& member);

private:
    void publish(const std::string& queue);
    // The member topics of one queue, by topic (valid topic levels only).
    std::map<std::string, std::string> member_topics(const Queue& queue);
    bool publishable(const std::string& id, const char* what);
    std::set<std::string> skipped_;  // ids that cannot be a topic level (logged once)
};

}  // namespace queues
