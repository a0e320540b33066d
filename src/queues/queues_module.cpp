#include "queues/queues_module.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace queues {

std::string queue_topic(const mqtt::Topics& topics, std::string_view queue) {
    return topics.base() + "/queues/" + std::string(queue);
}

std::string member_topic(const mqtt::Topics& topics, std::string_view queue, std::string_view member) {
    return queue_topic(topics, queue) + "/members/" + std::string(member);
}

namespace {
std::string dump(const nlohmann::ordered_json& j) {
    // The PBX may send any bytes in a name; never let invalid UTF-8 break the payload.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}
}  // namespace

std::string QueuesModule::render(const Queue& q) {
    nlohmann::ordered_json j;
    j["name"] = q.name;
    j["strategy"] = q.strategy;
    j["calls_waiting"] = q.callers.size();
    auto callers = nlohmann::ordered_json::array();
    for (const auto& c : q.callers) {
        nlohmann::ordered_json caller;
        caller["position"] = c.position;
        caller["number"] = c.number;
        caller["name"] = c.name;
        caller["channel"] = c.channel;
        caller["uniqueid"] = c.uniqueid;
        caller["joined_at"] = model::iso8601(c.joined_at);
        callers.push_back(std::move(caller));
    }
    j["callers"] = std::move(callers);
    const MemberCounts n = count_members(q);
    j["members"] = {{"available", n.available}, {"busy", n.busy}, {"paused", n.paused}, {"total", n.total}};
    j["completed"] = q.completed;
    j["abandoned"] = q.abandoned;
    j["holdtime"] = q.holdtime;
    j["talktime"] = q.talktime;
    j["service_level"] = q.service_level;
    j["service_level_perf"] = q.service_level_perf;
    return dump(j);
}

std::string QueuesModule::render(const Member& m) {
    nlohmann::ordered_json j;
    j["name"] = m.name;
    j["interface"] = m.interface;
    j["state_interface"] = m.state_interface;
    j["type"] = m.membership;
    j["logged_in"] = m.logged_in();
    j["paused"] = m.paused;
    j["paused_reason"] = m.paused_reason;
    j["status"] = std::string(member_status_name(m.status));
    j["in_call"] = m.in_call();
    j["calls_taken"] = m.calls_taken;
    if (m.last_call > 0) j["last_call"] = model::iso8601(model::Timestamp(std::chrono::seconds(m.last_call)));
    else j["last_call"] = nullptr;
    j["penalty"] = m.penalty;
    return dump(j);
}

void QueuesModule::start(modules::Context& context) {
    Module::start(context);
    on_resync();
}

bool QueuesModule::publishable(const std::string& id, const char* what) {
    if (mqtt::is_topic_level(id)) return true;
    if (skipped_.insert(std::string(what) + " " + id).second)
        spdlog::warn("queues: {} '{}' cannot be an MQTT topic level; not published", what, id);
    return false;
}

std::map<std::string, std::string> QueuesModule::member_topics(const Queue& q) {
    std::map<std::string, std::string> out;
    for (const auto& [interface, member] : q.members) {
        const std::string id = member_id(interface);
        if (publishable(id, "member")) out[member_topic(context_->topics, q.name, id)] = render(member);
    }
    return out;
}

void QueuesModule::publish(const std::string& queue) {
    if (!publishable(queue, "queue")) return;
    auto& store = context_->store;
    const std::string topic = queue_topic(context_->topics, queue);
    if (const Queue* q = context_->state.queues().find(queue)) {
        store.set(topic, render(*q));
        store.replace_subtree(topic + "/members/", member_topics(*q));
    } else {
        store.clear(topic);
        store.replace_subtree(topic + "/members/", {});
    }
}

void QueuesModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& queue : changes.queues) publish(queue);
}

void QueuesModule::on_resync() {
    if (!context_) return;
    std::map<std::string, std::string> wanted;
    for (const auto& [name, q] : context_->state.queues().queues()) {
        if (!publishable(name, "queue")) continue;
        wanted[queue_topic(context_->topics, name)] = render(q);
        wanted.merge(member_topics(q));
    }
    context_->store.replace_subtree(queue_topic(context_->topics, ""), std::move(wanted));
}

}  // namespace queues
