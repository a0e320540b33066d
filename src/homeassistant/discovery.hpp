#pragma once
// Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery),
// pure: which discovery configs describe the PBX as it is now. One HA device per PBX (bridge);
// per extension a status sensor (enum), a DND switch wired to the DND setter topic, an active
// calls sensor and an event entity for its call events; per queue a waiting callers sensor and
// an available members sensor; per parking lot a parked calls sensor. Every entity has a
// unique_id, the bridge's availability topic and the device. The entities read the bridge's own
// topics (docs/topics.md): discovery adds no state of its own.
#include <map>
#include <string>
#include <string_view>

#include "model/pbx_state.hpp"

namespace homeassistant {

struct DiscoveryOptions {
    std::string discovery_prefix = "homeassistant";
    std::string base_topic = "pbx";        // the bridge's base topic (its state topics)
    std::string bridge_version;            // pbx2mqtt's version (origin)
    std::string asterisk_version;          // the PBX's (device sw_version); may be empty
};

// The device all entities belong to, as HA's `device` object.
std::string device_json(const DiscoveryOptions& options);

// Discovery config topic -> JSON payload of one extension's, queue's or parking lot's entities
// (none when the model does not have it, or its id cannot be a topic level).
std::map<std::string, std::string> extension_configs(const model::PbxState& state, const std::string& exten,
                                                     const DiscoveryOptions& options);
std::map<std::string, std::string> queue_configs(const model::PbxState& state, const std::string& queue,
                                                 const DiscoveryOptions& options);
std::map<std::string, std::string> parking_configs(const model::PbxState& state, const std::string& lot,
                                                   const DiscoveryOptions& options);

// Discovery config topic -> JSON payload, for every entity of the current model.
// Topics: <prefix>/<component>/<node id>/<object id>/config, node id "pbx2mqtt_<base>", object id
// "<node id>_<entity>_<what>" (also the entity's object_id and unique_id).
std::map<std::string, std::string> discovery_configs(const model::PbxState& state, const DiscoveryOptions& options);

// The node id of a bridge in discovery topics and unique ids: "pbx2mqtt_" + the base topic with
// every character HA does not allow in an id ([a-zA-Z0-9_-]) replaced by '_'.
std::string node_id(std::string_view base_topic);

// The status vocabulary of extensions (the enum sensor's options).
inline constexpr std::string_view kStatuses[] = {"online", "offline", "busy", "ringing", "busy_ringing", "onhold", "dnd"};
// The event types of <base>/extensions/<exten>/event.
inline constexpr std::string_view kCallEventTypes[] = {"dialing", "ringing", "answered", "hold", "unhold", "hangup"};

}  // namespace homeassistant
