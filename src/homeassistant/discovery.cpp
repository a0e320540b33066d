#include "homeassistant/discovery.hpp"

#include <nlohmann/json.hpp>

#include "mqtt/topics.hpp"

namespace homeassistant {

namespace {

using nlohmann::ordered_json;

std::string id_part(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) c = '_';
    return out;
}

ordered_json device(const DiscoveryOptions& o) {
    ordered_json d;
    d["identifiers"] = {node_id(o.base_topic)};
    d["name"] = "Asterisk PBX (" + o.base_topic + ")";
    d["manufacturer"] = "Asterisk";
    d["model"] = "Asterisk PBX via pbx2mqtt";
    if (!o.asterisk_version.empty()) d["sw_version"] = o.asterisk_version;
    return d;
}

struct Builder {
    explicit Builder(const DiscoveryOptions& options) : o(options), node(node_id(options.base_topic)) {}
    const DiscoveryOptions& o;
    std::string node;
    std::map<std::string, std::string> out;

    // The keys every entity has; `object` is unique within the bridge.
    ordered_json entity(const std::string& object, const std::string& name) const {
        ordered_json j;
        j["name"] = name;
        j["unique_id"] = node + "_" + object;
        j["object_id"] = node + "_" + object;
        j["availability"] = ordered_json::array({{{"topic", o.base_topic + "/bridge/state"},
                                                  {"payload_available", "online"},
                                                  {"payload_not_available", "offline"}}});
        j["device"] = device(o);
        j["origin"] = {{"name", "pbx2mqtt"}, {"sw_version", o.bridge_version}};
        return j;
    }
    // A sensor counting something in a JSON state topic (active calls, waiting callers...).
    void counter(const std::string& object, const std::string& name, const std::string& state_topic,
                 const std::string& value_template, const std::string& icon) {
        ordered_json j = entity(object, name);
        j["state_topic"] = state_topic;
        j["value_template"] = value_template;
        j["state_class"] = "measurement";
        j["icon"] = icon;
        add("sensor", object, j);
    }
    void add(const std::string& component, const std::string& object, const ordered_json& config) {
        out[o.discovery_prefix + "/" + component + "/" + node + "/" + node + "_" + object + "/config"] = config.dump();
    }
};

}  // namespace

std::string node_id(std::string_view base_topic) { return "pbx2mqtt_" + id_part(base_topic); }

std::string device_json(const DiscoveryOptions& options) { return device(options).dump(); }

std::map<std::string, std::string> extension_configs(const model::PbxState& state, const std::string& exten,
                                                     const DiscoveryOptions& options) {
    Builder b(options);
    const auto& all = state.extensions().extensions();
    const auto it = all.find(exten);
    if (it == all.end() || !mqtt::is_topic_level(exten)) return {};  // not published: nothing to describe
    const mqtt::Topics topics(options.base_topic);
    const std::string who = it->second.name.empty() ? exten : exten + " " + it->second.name;
    const std::string id = "ext_" + id_part(exten);

    ordered_json status = b.entity(id + "_status", who + " status");
    status["state_topic"] = topics.extension_status(exten);
    status["device_class"] = "enum";
    status["options"] = kStatuses;
    status["icon"] = "mdi:phone";
    b.add("sensor", id + "_status", status);

    ordered_json dnd = b.entity(id + "_dnd", who + " do not disturb");
    dnd["command_topic"] = topics.extension_dnd(exten) + "/set";
    dnd["state_topic"] = topics.extension_dnd(exten);
    dnd["payload_on"] = "ON";
    dnd["payload_off"] = "OFF";
    dnd["state_on"] = "true";
    dnd["state_off"] = "false";
    dnd["icon"] = "mdi:phone-cancel";
    b.add("switch", id + "_dnd", dnd);

    b.counter(id + "_calls", who + " active calls", topics.extension(exten), "{{ value_json.conversations | length }}",
              "mdi:phone-in-talk");

    ordered_json events = b.entity(id + "_call_event", who + " call event");
    events["state_topic"] = topics.extension_event(exten);
    events["event_types"] = kCallEventTypes;
    events["icon"] = "mdi:phone-ring";
    b.add("event", id + "_call_event", events);
    return std::move(b.out);
}

std::map<std::string, std::string> queue_configs(const model::PbxState& state, const std::string& name,
                                                 const DiscoveryOptions& options) {
    if (!state.queues().queues().count(name) || !mqtt::is_topic_level(name)) return {};
    Builder b(options);
    const std::string id = "queue_" + id_part(name);
    const std::string topic = options.base_topic + "/queues/" + name;

    b.counter(id + "_waiting", "Queue " + name + " waiting callers", topic, "{{ value_json.calls_waiting }}", "mdi:account-clock");
    b.counter(id + "_available", "Queue " + name + " available members", topic, "{{ value_json.members.available }}",
              "mdi:account-check");
    return std::move(b.out);
}

std::map<std::string, std::string> parking_configs(const model::PbxState& state, const std::string& lot,
                                                   const DiscoveryOptions& options) {
    if (!state.parkings().lots().count(lot) || !mqtt::is_topic_level(lot)) return {};
    Builder b(options);
    const std::string id = "parking_" + id_part(lot);
    b.counter(id + "_parked", "Parking " + lot + " parked calls", options.base_topic + "/parkings/" + lot,
              "{{ value_json.parked }}", "mdi:car-brake-parking");
    return std::move(b.out);
}

std::map<std::string, std::string> discovery_configs(const model::PbxState& state, const DiscoveryOptions& options) {
    std::map<std::string, std::string> out;
    for (const auto& [exten, ext] : state.extensions().extensions()) out.merge(extension_configs(state, exten, options));
    for (const auto& [name, queue] : state.queues().queues()) out.merge(queue_configs(state, name, options));
    for (const auto& [name, lot] : state.parkings().lots()) out.merge(parking_configs(state, name, options));
    return out;
}

}  // namespace homeassistant
