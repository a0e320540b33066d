#include "mqtt/retained_store.hpp"

#include <vector>

namespace mqtt {

// A value goes by reference to a port that takes them (read from the store when sent), a clear
// (empty payload) always by value.
OutgoingMessage RetainedStore::message(const std::string& topic, const std::string& payload) const {
    if (!payload.empty() && port_.takes_references()) return OutgoingMessage{topic, std::string(), true, qos_, std::nullopt, true};
    return OutgoingMessage{topic, payload, true, qos_, std::nullopt};
}

void RetainedStore::send(const std::string& topic, const std::string& payload) {
    ++publishes_;
    if (port_.connected()) {
        port_.publish(message(topic, payload));
        clears_owed_.erase(topic);
    } else if (payload.empty()) {
        clears_owed_.insert(topic);
    } else {
        clears_owed_.erase(topic);
    }
}

void RetainedStore::track(const std::string& topic, bool present) {
    // <base>/<collection>/<id> exactly.
    std::size_t a = 0;
    if (base_prefix_.empty()) {
        a = topic.find('/');
        if (a == std::string::npos) return;
    } else {
        if (topic.size() <= base_prefix_.size() || topic.compare(0, base_prefix_.size(), base_prefix_) != 0) return;
        a = base_prefix_.size() - 1;
    }
    const std::size_t b = topic.find('/', a + 1);
    if (b == std::string::npos || topic.find('/', b + 1) != std::string::npos) return;
    std::string collection = topic.substr(a + 1, b - a - 1);
    auto& ids = entities_[collection];
    const std::string id = topic.substr(b + 1);
    if (present ? ids.insert(id).second : ids.erase(id) > 0) changed_collections_.insert(std::move(collection));
}

const std::set<std::string>& RetainedStore::entity_ids(const std::string& collection) const {
    static const std::set<std::string> none;
    auto it = entities_.find(collection);
    return it == entities_.end() ? none : it->second;
}

const std::string* RetainedStore::payload(const std::string& topic) {
    auto it = asserted_.find(topic);
    if (it == asserted_.end()) return nullptr;
    if (auto d = deferred_.find(topic); d != deferred_.end()) {
        const auto build = std::move(d->second);
        deferred_.erase(d);
        ++deferred_builds_;
        std::string value = build();
        if (!value.empty()) it->second = std::move(value);  // empty: nothing to build from any more (kept as it was)
    }
    return &it->second;
}

bool RetainedStore::set(const std::string& topic, std::string payload, bool (*equivalent)(std::string_view, std::string_view)) {
    if (!deferred_.empty()) deferred_.erase(topic);
    auto it = asserted_.lower_bound(topic);  // one search: also the place of a new topic
    const bool present = it != asserted_.end() && it->first == topic;
    if (present && (it->second == payload || (equivalent && !payload.empty() && equivalent(payload, it->second)))) return false;
    if (payload.empty()) return clear(topic);  // an empty retained payload means "cleared"
    if (!present) {
        track(topic, true);
        it = asserted_.emplace_hint(it, topic, std::move(payload));
    } else {
        it->second = std::move(payload);
    }
    send(topic, it->second);
    return true;
}

bool RetainedStore::clear(const std::string& topic) {
    if (!deferred_.empty()) deferred_.erase(topic);
    auto it = asserted_.find(topic);
    if (it == asserted_.end()) return false;
    asserted_.erase(it);
    track(topic, false);
    send(topic, std::string());
    return true;
}

std::size_t RetainedStore::clear_stale(const std::vector<std::string>& topics) {
    std::size_t n = 0;
    for (const auto& topic : topics) {
        if (asserted_.count(topic) > 0) continue;
        send(topic, std::string());
        ++n;
    }
    return n;
}

void RetainedStore::replace_subtree(const std::string& prefix, std::map<std::string, std::string> wanted) {
    std::vector<std::string> stale;
    for (auto it = asserted_.lower_bound(prefix); it != asserted_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        if (!wanted.count(it->first)) stale.push_back(it->first);
    for (const auto& topic : stale) clear(topic);
    for (auto& [topic, payload] : wanted) set(topic, std::move(payload));
}

void RetainedStore::reassert(const std::string& topic) {
    auto it = asserted_.find(topic);
    send(topic, it == asserted_.end() ? std::string() : it->second);
}

void RetainedStore::republish_all() {
    if (!port_.connected()) return;
    for (const auto& topic : clears_owed_) port_.publish(OutgoingMessage{topic, std::string(), true, qos_, std::nullopt});
    clears_owed_.clear();
    for (const auto& [topic, payload] : asserted_) port_.publish(message(topic, payload));
}

}  // namespace mqtt
