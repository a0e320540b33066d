#pragma once
// The daemon's configuration: a TOML file (toml++) turned into validated plain structs.
// Parsing collects every problem with its file:line:col instead of stopping at the first,
// so one run of `pbx2mqtt --check-config` shows everything that needs fixing.
// Nothing here logs; errors are values. No toml++ type leaks out of this header.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "process/cpu_affinity.hpp"

namespace config {

// A password. There is deliberately no operator<< and no fmt formatter, so it cannot end up
// in a log line by accident: printing needs an explicit reveal() or redacted().
class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}

    const std::string& reveal() const noexcept { return value_; }
    bool empty() const noexcept { return value_.empty(); }
    // "" when unset, "***" otherwise: safe for logs and config dumps.
    std::string redacted() const { return value_.empty() ? std::string{} : std::string{"***"}; }

    bool operator==(const Secret&) const = default;

private:
    std::string value_;
};

struct AmiConfig {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5038;
    std::string username;                                // required
    Secret password;
    bool reconnect = true;
    std::chrono::milliseconds reconnect_after{3000};     // first retry delay; doubles up to reconnect_max
    std::chrono::milliseconds reconnect_max{30000};      // backoff cap
    std::chrono::milliseconds keepalive{15000};          // Ping interval; a dead peer is noticed within 2x
    std::chrono::milliseconds action_timeout{10000};     // how long to wait for an action's response
    std::string prefix;                                  // dial prefix prepended by originate (astproxy)

    bool operator==(const AmiConfig&) const = default;
};

struct MqttConfig {
    std::string uri = "tcp://127.0.0.1:1883";
    std::string client_id = "pbx2mqtt";
    std::string username;
    Secret password;
    std::string base_topic = "pbx";
    int version = 5;                                     // 5, or 4 for MQTT 3.1.1
    int qos = 1;
    std::chrono::seconds keepalive{30};
    std::chrono::seconds stats_interval{60};             // <base>/bridge/stats every so often; 0: never
    // TLS (ssl://, mqtts://, wss:// URIs): PEM files, resolved against the config file's directory.
    std::string ca_file;                                 // CA to verify the broker with (default: the system's)
    std::string cert_file;                               // client certificate (with key_file)
    std::string key_file;
    Secret key_password;                                 // of an encrypted key_file
    bool tls_verify_hostname = true;                     // the broker's certificate must name its host

    bool uses_tls() const { return uri.rfind("ssl://", 0) == 0 || uri.rfind("mqtts://", 0) == 0 || uri.rfind("wss://", 0) == 0; }
    bool operator==(const MqttConfig&) const = default;
};

struct PbxConfig {
    std::vector<std::string> trunks;                     // peer/endpoint names that are trunks, not extensions
    // One PBX among many on one MQTT fabric: its topics live under <base_topic>/<node_id>/
    // (docs/scaling.md). Empty: directly under <base_topic>, the single-PBX tree.
    std::string node_id;

    bool operator==(const PbxConfig&) const = default;
};

// MQTT commands (docs/topics.md "Commands"). Every MQTT byte is untrusted: these are the limits.
struct CommandsConfig {
    bool enabled = true;                                 // false: no command topic is subscribed
    std::vector<std::string> disabled;                   // command names refused with `disabled`
    std::string context = "from-internal";               // dialplan context for call, transfers, pickup
    std::vector<std::string> allowed_contexts{"from-internal"};  // contexts a request may name; default: {context}
    std::string dial_pattern = "^[0-9*#+]{1,40}$";        // ECMAScript regex a destination must match whole
    bool allow_unknown_from = false;                     // call/spy from an extension the model does not know
    std::size_t max_payload_bytes = 64 * 1024;
    std::size_t max_in_flight = 256;                     // more concurrent commands are refused with `busy`
    std::chrono::milliseconds ring_timeout{30000};       // Originate: how long the first phone rings
    std::string pickup_prefix = "**";                    // directed pickup feature code (FreePBX)
    std::string parking_context = "parkedcalls";         // where parked calls are retrieved from
    std::string recording_format = "wav";                // MixMonitor file extension
    bool raw_ami = false;                                // the `ami` command; off by default
    std::vector<std::string> raw_ami_allow;              // action names it may send (case-insensitive)

    bool operator==(const CommandsConfig&) const = default;
};

struct LogConfig {
    std::string level = "info";                          // trace|debug|info|warn|error|critical|off
    bool mqtt = false;                                   // mirror warnings and errors to <base>/bridge/log

    bool operator==(const LogConfig&) const = default;
};

// Home Assistant MQTT discovery (src/homeassistant).
struct HomeAssistantConfig {
    bool enabled = false;                                // the example config turns it on
    std::string discovery_prefix = "homeassistant";      // HA's own default

    bool operator==(const HomeAssistantConfig&) const = default;
};

// Active/standby bridges for one PBX (docs/scaling.md, "Failover").
struct FailoverConfig {
    bool enabled = false;                                // false: a single bridge, no leader topic
    std::string instance_id;                             // this instance's name; empty: <hostname>-<pid>

    bool operator==(const FailoverConfig&) const = default;
};

// The process itself (src/process).
struct ProcessConfig {
    process::CpuSetting cpu;                             // "one" (default), "any", or a CPU number

    bool operator==(const ProcessConfig&) const = default;
};

struct Config {
    AmiConfig ami;
    MqttConfig mqtt;
    PbxConfig pbx;
    CommandsConfig commands;
    LogConfig log;
    HomeAssistantConfig homeassistant;
    FailoverConfig failover;
    ProcessConfig process;
    std::string source;                                  // file path, or the name given to parse_string

    // The root of every topic of this bridge: "<base_topic>/<node_id>", or base_topic alone.
    std::string topic_root() const { return pbx.node_id.empty() ? mqtt.base_topic : mqtt.base_topic + "/" + pbx.node_id; }
    bool operator==(const Config&) const = default;
};

struct ConfigError {
    std::string file;
    int line = 0;                                        // 1-based; 0 when the position is unknown
    int column = 0;
    std::string message;                                 // never contains a password

    // "file:line:col: message", or "file: message" when the position is unknown.
    std::string to_string() const;

    bool operator==(const ConfigError&) const = default;
};

// Looks up one environment variable; injected so tests need not touch the real environment.
using Getenv = std::function<std::optional<std::string>(const std::string&)>;
Getenv process_environment();

// Environment variables that, when set (even to an empty value), replace the password from the file.
inline constexpr std::string_view kAmiPasswordEnv = "PBX2MQTT_AMI_PASSWORD";
inline constexpr std::string_view kMqttPasswordEnv = "PBX2MQTT_MQTT_PASSWORD";

// Bounds on what is read from disk, so a wrong path (/dev/zero) cannot exhaust memory.
inline constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;
inline constexpr std::size_t kMaxPasswordFileBytes = 64 * 1024;

struct LoadResult {
    std::optional<Config> config;                        // set only when errors is empty
    std::vector<ConfigError> errors;                     // positioned errors in file order, then the rest
    bool ok() const { return config.has_value(); }
};

// A relative password_file is resolved against the working directory.
LoadResult parse_string(std::string_view toml_text, std::string source_name, const Getenv& env);
// A relative password_file is resolved against the directory of `path`.
// An unreadable file gives one error "path: cannot read file: <strerror>".
LoadResult load_file(const std::string& path, const Getenv& env);

}  // namespace config
