#include "oracle.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

namespace harness {

namespace {

using nlohmann::json;

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_time_key(const std::string& key) { return ends_with(key, "_at") || key == "startTime" || key == "duration"; }

// Seconds since the epoch of an ISO 8601 UTC time ("2026-11-27T17:41:32.603Z"), or of a
// startTime (epoch milliseconds); nullopt if neither.
std::optional<double> seconds_of(const json& v) {
    if (v.is_number()) return v.get<double>() / 1000.0;
    if (!v.is_string()) return std::nullopt;
    std::tm tm{};
    int ms = 0;
    const std::string s = v.get<std::string>();
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec, &ms) < 6)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

void diff_json(const json& a, const json& b, const std::string& path, const std::string& key, std::vector<std::string>& out) {
    if (is_time_key(key) && !a.is_object() && !b.is_object()) {
        if (a.is_null() != b.is_null()) {
            out.push_back(path + ": " + a.dump() + " vs " + b.dump());
            return;
        }
        if (a.is_null()) return;
        if (key == "duration") {
            if (!a.is_number() || !b.is_number() || a.get<double>() > b.get<double>())
                out.push_back(path + ": " + a.dump() + " vs " + b.dump());
            return;
        }
        const auto ta = seconds_of(a), tb = seconds_of(b);
        if (!ta || !tb || std::abs(*ta - *tb) > 2.5) out.push_back(path + ": " + a.dump() + " vs " + b.dump() + " (times too far apart)");
        return;
    }
    if (a.type() != b.type()) {
        out.push_back(path + ": " + a.dump() + " vs " + b.dump());
        return;
    }
    if (a.is_object()) {
        for (auto& [k, v] : a.items()) {
            if (!b.contains(k)) out.push_back(path + "/" + k + ": only in the faulted bridge's tree: " + v.dump());
            else diff_json(v, b[k], path + "/" + k, k, out);
        }
        for (auto& [k, v] : b.items())
            if (!a.contains(k)) out.push_back(path + "/" + k + ": missing (fresh bridge: " + v.dump() + ")");
        return;
    }
    if (a.is_array()) {
        if (a.size() != b.size()) {
            out.push_back(path + ": " + a.dump() + " vs " + b.dump());
            return;
        }
        for (std::size_t i = 0; i < a.size(); ++i) diff_json(a[i], b[i], path + "/" + std::to_string(i), key, out);
        return;
    }
    if (a != b) out.push_back(path + ": " + a.dump() + " vs " + b.dump());
}

// The first topic whose payload differs between two trees (or that only one has).
std::string first_differing_topic(const Tree& a, const Tree& b) {
    for (const auto& [topic, payload] : a)
        if (auto it = b.find(topic); it == b.end() || !tree_diff({{topic, payload}}, {{topic, it->second}}).empty()) return topic;
    for (const auto& [topic, payload] : b)
        if (!a.count(topic)) return topic;
    return {};
}

}  // namespace

Tree state_tree(const MqttProbe& probe, const std::string& base) {
    Tree out;
    for (const auto& [topic, payload] : probe.retained_tree(base)) {
        const std::string t = topic.substr(base.size() + 1);
        if (t.rfind("bridge/", 0) == 0) continue;
        out[t] = payload;
    }
    return out;
}

std::vector<std::string> tree_diff(const Tree& faulted, const Tree& fresh) {
    std::vector<std::string> out;
    for (const auto& [topic, payload] : faulted) {
        auto it = fresh.find(topic);
        if (it == fresh.end()) {
            out.push_back(topic + ": only in the faulted bridge's tree: " + payload);
            continue;
        }
        if (payload == it->second) continue;
        const json a = json::parse(payload, nullptr, false), b = json::parse(it->second, nullptr, false);
        if (a.is_discarded() || b.is_discarded() || !a.is_structured() || !b.is_structured()) {
            out.push_back(topic + ": " + payload + " vs " + it->second);
            continue;
        }
        diff_json(a, b, topic, "", out);
    }
    for (const auto& [topic, payload] : fresh)
        if (!faulted.count(topic)) out.push_back(topic + ": missing (fresh bridge: " + payload + ")");
    return out;
}

std::string compare_with_fresh_bridge(MqttProbe& probe, BridgeConfig config, std::chrono::milliseconds timeout,
                                      const std::string& base, const std::string& truth_base, const std::set<std::string>& ignore) {
    const auto tree = [&](const std::string& under) {
        Tree t = state_tree(probe, under);
        for (const auto& topic : ignore) t.erase(topic);
        return t;
    };
    config.base_topic = truth_base;
    config.mqtt_client_id.clear();  // a client id of its own
    probe.subscribe(truth_base + "/#");
    Bridge fresh(config);
    if (!fresh.process().wait_for_log("PBX snapshot:", timeout)) return "the fresh bridge read no snapshot:\n" + fresh.log();
    std::vector<std::string> diff;
    const bool equal = eventually([&] {
        const auto snap = probe.snapshot();
        const auto state = snap.retained.find(truth_base + "/ami/state");
        if (state == snap.retained.end() || state->second != "connected") {
            diff = {"the fresh bridge has not asserted " + truth_base + "/ami/state connected"};
            return false;
        }
        diff = tree_diff(tree(base), tree(truth_base));
        return diff.empty();
    }, timeout, 50ms);
    if (equal) return {};
    std::string out = "retained tree under " + base + " (faulted bridge) vs " + truth_base + " (fresh bridge):\n";
    for (const auto& line : diff) out += "  " + line + "\n";
    // What the faulted bridge sent last on the first differing topic.
    const std::string topic = base + "/" + first_differing_topic(tree(base), tree(truth_base));
    std::vector<std::string> lines;
    for (const auto& m : probe.snapshot().messages)
        if (m.topic == topic) lines.push_back((m.retained ? "  retained " : "  live     ") + m.payload.substr(0, 300));
    out += std::to_string(lines.size()) + " message(s) received on " + topic + (lines.empty() ? "" : ", the last ones:") + "\n";
    for (std::size_t i = lines.size() > 6 ? lines.size() - 6 : 0; i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
}

}  // namespace harness
