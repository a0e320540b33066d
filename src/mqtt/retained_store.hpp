#pragma once
// The retained state the bridge asserts on the broker, topic by topic.
// Publishes a topic only when its payload changes, clears (empty retained payload) a topic
// that is no longer true, and republishes everything after a broker reconnect (a broker
// without persistence forgets retained messages). While the broker is unreachable only the
// latest value of each topic is kept: updates coalesce, memory is bounded by the tree's size.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mqtt/port.hpp"

namespace mqtt {

class RetainedStore {
public:
    // `base`: the root of the bridge's topics (one level or more: "pbx", "pbx/site-a"), which the
    // entity ids are counted from; empty: the first level of each topic.
    RetainedStore(Port& port, int qos, const std::string& base = {})
        : port_(port), qos_(qos), base_prefix_(base.empty() ? std::string() : base + "/") {}

    // Publishes when the value differs from the one asserted now; returns whether it did change.
    bool set(const std::string& topic, std::string payload) { return set(topic, std::move(payload), nullptr); }
    // The same, but the value asserted now stays when `equivalent(payload, asserted)` says the
    // two mean the same (an extension whose calls changed only in their running durations).
    bool set(const std::string& topic, std::string payload, bool (*equivalent)(std::string_view, std::string_view));
    // A value that costs to build (an extension's JSON with its calls), of a topic asserted now
    // whose message already waits in the client's queue as a reference: the store keeps `build`
    // instead of building the value now, and calls it once, when the message leaves (payload()).
    // In a storm the bridge reads thousands of events between two publishes of a topic, and built
    // the value again for most of them, to be replaced before it left. Returns false, keeping
    // nothing, when the topic is not asserted or its message does not wait as a reference: the
    // caller builds it and set()s it now. `build` reads the model when it is called; a topic
    // deferred already keeps the one it has. A set() or clear() of the topic drops what was
    // deferred; asserted() shows a deferred topic's value as of its last build.
    template <typename Build>
    bool defer(const std::string& topic, Build&& build) {
        if (deferred_.count(topic) > 0) return true;
        if (!port_.waiting(topic) || asserted_.find(topic) == asserted_.end()) return false;
        deferred_.emplace(topic, std::forward<Build>(build));
        return true;
    }
    // Clears a topic asserted before; returns whether there was one.
    bool clear(const std::string& topic);
    // Clears topics found on the broker that this store never asserted (see stale_topics.hpp);
    // a topic asserted meanwhile is left alone. Returns how many were cleared.
    std::size_t clear_stale(const std::vector<std::string>& topics);
    // Makes the subtree under `prefix` equal `wanted`: clears the others, sets these.
    // `wanted` by value: its payloads are moved into the store, not copied.
    void replace_subtree(const std::string& prefix, std::map<std::string, std::string> wanted);
    // Publishes a topic's current state again: its value, or its clear when not asserted (after a
    // publish of it failed). Topics outside the store's concern are the caller's to filter.
    void reassert(const std::string& topic);
    // After a (re)connect: publishes every asserted topic again.
    void republish_all();

    const std::map<std::string, std::string>& asserted() const noexcept { return asserted_; }
    // The value asserted now, or null: the PayloadSource of by_reference messages. A deferred
    // value is built here.
    const std::string* payload(const std::string& topic);
    // Ids of the entities of one collection: the third level of the topics <base>/<collection>/<id>.
    const std::set<std::string>& entity_ids(const std::string& collection) const;
    // True once after ids of one of `collections` appeared or disappeared (for the inventory: a
    // call starting or ending, pbx/calls/<id>, must not rebuild the list of 10,000 extensions).
    template <typename Collections>
    bool take_entities_changed(const Collections& collections) {
        bool changed = false;
        for (const auto& c : collections) changed = changed || changed_collections_.count(c) > 0;
        changed_collections_.clear();
        return changed;
    }
    std::size_t publish_count() const noexcept { return publishes_; }
    std::size_t owed_clears() const noexcept { return clears_owed_.size(); }
    std::size_t deferred() const noexcept { return deferred_.size(); }
    std::uint64_t deferred_builds() const noexcept { return deferred_builds_; }  // deferred values built since the start

private:
    void send(const std::string& topic, const std::string& payload);
    OutgoingMessage message(const std::string& topic, const std::string& payload) const;

    Port& port_;
    int qos_;
    std::string base_prefix_;  // "<base>/", or "" (then the base is the first level)
    std::map<std::string, std::string> asserted_;
    // Topics cleared while the broker was unreachable: their empty payload is still owed.
    std::set<std::string> clears_owed_;
    std::map<std::string, std::set<std::string>> entities_;  // collection -> ids
    std::set<std::string, std::less<>> changed_collections_;
    void track(const std::string& topic, bool present);
    std::size_t publishes_ = 0;
    // Topics whose value is built when their waiting message leaves (defer()).
    std::unordered_map<std::string, std::function<std::string()>> deferred_;
    std::uint64_t deferred_builds_ = 0;
};

}  // namespace mqtt
