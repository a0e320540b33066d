#pragma once
// Configuration reload (SIGHUP), the pure part: what differs between the running configuration
// and a freshly loaded one, and what of it the daemon applies without a restart. The daemon
// (src/app.cpp) loads the file, asks plan_reload() and applies the plan; nothing here logs.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace config {

struct ReloadPlan {
    // "section.key" of every changed setting that is applied, in config.toml.example order.
    // Names only: a changed password shows as "ami.password", never its value.
    std::vector<std::string> applied;
    // One warning per changed setting that is NOT applied (it needs a restart).
    std::vector<std::string> refused;

    bool log_level = false;         // [log] level: at once
    bool log_mirror = false;        // [log] mqtt: the mirror to <base>/bridge/log starts or stops
    bool commands = false;          // [commands], [ami] prefix/action_timeout: rules for new requests
    bool commands_enabled = false;  // [commands] enabled flipped: subscribe / unsubscribe
    bool ami_reconnect = false;     // [ami] host, port, username, password, keepalive: reconnect AMI
    bool ami_live = false;          // [ami] reconnect, reconnect_after, reconnect_max, action_timeout, prefix
    bool trunks = false;            // [pbx] trunks: re-classify (resync)
    bool mqtt_reconnect = false;    // [mqtt] connection settings: reconnect MQTT, republish the tree
    bool stats = false;             // [mqtt] stats_interval: the stats timer restarts with it

    bool unchanged() const { return applied.empty() && refused.empty(); }
};

// Compares two valid configurations (the `source` path is not compared).
ReloadPlan plan_reload(const Config& running, const Config& next);

// The configuration that runs once the plan is applied: `next`, except for the refused settings,
// which keep their running values.
Config reloaded_config(const Config& running, const Config& next);

}  // namespace config
