#include "config/reload.hpp"

namespace config {

namespace {

struct Differ {
    ReloadPlan& plan;
    template <typename T>
    void operator()(const char* name, const T& a, const T& b, bool& flag) {
        if (a == b) return;
        plan.applied.emplace_back(name);
        flag = true;
    }
};

}  // namespace

ReloadPlan plan_reload(const Config& running, const Config& next) {
    ReloadPlan plan;
    Differ diff{plan};
    const AmiConfig& a = running.ami;
    const AmiConfig& b = next.ami;
    diff("ami.host", a.host, b.host, plan.ami_reconnect);
    diff("ami.port", a.port, b.port, plan.ami_reconnect);
    diff("ami.username", a.username, b.username, plan.ami_reconnect);
    diff("ami.password", a.password, b.password, plan.ami_reconnect);
    diff("ami.reconnect", a.reconnect, b.reconnect, plan.ami_live);
    diff("ami.reconnect_after", a.reconnect_after, b.reconnect_after, plan.ami_live);
    diff("ami.reconnect_max", a.reconnect_max, b.reconnect_max, plan.ami_live);
    diff("ami.keepalive", a.keepalive, b.keepalive, plan.ami_reconnect);
    diff("ami.action_timeout", a.action_timeout, b.action_timeout, plan.ami_live);
    diff("ami.prefix", a.prefix, b.prefix, plan.ami_live);
    if (a.action_timeout != b.action_timeout || a.prefix != b.prefix) plan.commands = true;

    const MqttConfig& m = running.mqtt;
    const MqttConfig& n = next.mqtt;
    diff("mqtt.uri", m.uri, n.uri, plan.mqtt_reconnect);
    diff("mqtt.client_id", m.client_id, n.client_id, plan.mqtt_reconnect);
    diff("mqtt.username", m.username, n.username, plan.mqtt_reconnect);
    diff("mqtt.password", m.password, n.password, plan.mqtt_reconnect);
    if (m.base_topic != n.base_topic)
        plan.refused.emplace_back("mqtt.base_topic changes need a restart (still publishing under '" + m.base_topic + "')");
    diff("mqtt.version", m.version, n.version, plan.mqtt_reconnect);
    if (m.qos != n.qos)
        plan.refused.emplace_back("mqtt.qos changes need a restart (still publishing with QoS " + std::to_string(m.qos) + ")");
    diff("mqtt.keepalive", m.keepalive, n.keepalive, plan.mqtt_reconnect);
    diff("mqtt.ca_file", m.ca_file, n.ca_file, plan.mqtt_reconnect);
    diff("mqtt.cert_file", m.cert_file, n.cert_file, plan.mqtt_reconnect);
    diff("mqtt.key_file", m.key_file, n.key_file, plan.mqtt_reconnect);
    diff("mqtt.key_password", m.key_password, n.key_password, plan.mqtt_reconnect);
    diff("mqtt.tls_verify_hostname", m.tls_verify_hostname, n.tls_verify_hostname, plan.mqtt_reconnect);

    diff("pbx.trunks", running.pbx.trunks, next.pbx.trunks, plan.trunks);
    if (running.pbx.node_id != next.pbx.node_id)
        plan.refused.emplace_back("pbx.node_id changes need a restart (still publishing under '" + running.topic_root() + "')");

    const CommandsConfig& c = running.commands;
    const CommandsConfig& d = next.commands;
    diff("commands.enabled", c.enabled, d.enabled, plan.commands_enabled);
    diff("commands.disabled", c.disabled, d.disabled, plan.commands);
    diff("commands.context", c.context, d.context, plan.commands);
    diff("commands.allowed_contexts", c.allowed_contexts, d.allowed_contexts, plan.commands);
    diff("commands.dial_pattern", c.dial_pattern, d.dial_pattern, plan.commands);
    diff("commands.allow_unknown_from", c.allow_unknown_from, d.allow_unknown_from, plan.commands);
    diff("commands.max_payload_bytes", c.max_payload_bytes, d.max_payload_bytes, plan.commands);
    diff("commands.max_in_flight", c.max_in_flight, d.max_in_flight, plan.commands);
    diff("commands.ring_timeout", c.ring_timeout, d.ring_timeout, plan.commands);
    diff("commands.pickup_prefix", c.pickup_prefix, d.pickup_prefix, plan.commands);
    diff("commands.parking_context", c.parking_context, d.parking_context, plan.commands);
    diff("commands.recording_format", c.recording_format, d.recording_format, plan.commands);
    diff("commands.raw_ami", c.raw_ami, d.raw_ami, plan.commands);
    diff("commands.raw_ami_allow", c.raw_ami_allow, d.raw_ami_allow, plan.commands);
    if (plan.commands_enabled) plan.commands = true;

    diff("mqtt.stats_interval", running.mqtt.stats_interval, next.mqtt.stats_interval, plan.stats);
    diff("log.level", running.log.level, next.log.level, plan.log_level);
    diff("log.mqtt", running.log.mqtt, next.log.mqtt, plan.log_mirror);
    if (running.homeassistant != next.homeassistant)
        plan.refused.emplace_back("homeassistant changes need a restart (discovery stays as it was)");
    if (running.failover != next.failover)
        plan.refused.emplace_back("failover changes need a restart (the election stays as it was)");
    if (running.process != next.process)
        plan.refused.emplace_back("process.cpu changes need a restart (the process stays on the CPUs it has)");
    return plan;
}

Config reloaded_config(const Config& running, const Config& next) {
    Config out = next;
    out.mqtt.base_topic = running.mqtt.base_topic;
    out.pbx.node_id = running.pbx.node_id;
    out.mqtt.qos = running.mqtt.qos;
    out.homeassistant = running.homeassistant;
    out.failover = running.failover;
    out.process = running.process;
    return out;
}

}  // namespace config
