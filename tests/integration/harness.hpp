// Black-box test harness: real processes (mosquitto, ami-sim, pbx2mqtt) on loopback and a real
// MQTT client to observe them. Every wait is bounded; every process started is stopped and reaped.
//
// Logs and generated config files of a test live in <build>/test-output/<Suite.Test>/, which is
// emptied the first time a test uses it in a run, and kept afterwards for post-mortems.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harness {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A port that was free a moment ago on 127.0.0.1 (bind to port 0, read it, close).
std::uint16_t free_tcp_port();

// True once a TCP connect to 127.0.0.1:port succeeds, false if it never did within timeout.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

// <build>/test-output/<Suite.Test>/ of the running test ("no-test" outside a test); created on use.
std::filesystem::path test_output_dir();
// build-node/ (scripts/node-deps.sh: node_modules of the Node-RED and web panel tests), or
// $PBX2MQTT_NODE_DIR.
std::filesystem::path node_dir();

// A path in test_output_dir() not used yet in this run: stem + extension, stem-2 + extension...
std::filesystem::path unique_output_path(const std::string& stem, const std::string& extension = {});

// Polls pred every few milliseconds until it is true or timeout passes; returns its last result.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = 10ms);

// The whole content of a file ("" if it cannot be read).
std::string read_file(const std::filesystem::path& path);

// A child process whose stdout and stderr go to <test output>/<name>.log; stdin is /dev/null
// and it inherits no other file descriptor (so it never keeps our sockets open).
class Process {
public:
    // argv[0] is a path or a name looked up in PATH. extra_env adds to or overrides our
    // environment. name defaults to the file name of argv[0]. Throws if the spawn fails.
    explicit Process(std::vector<std::string> argv, std::map<std::string, std::string> extra_env = {},
                     std::string name = {});
    ~Process();  // stop(): no process and no zombie outlives its object
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    const std::vector<std::string>& argv() const { return argv_; }
    // False once the child has exited (it is reaped here).
    bool running();
    // Sends sig if the child still runs; false if it had already exited.
    bool signal(int sig);
    // Waits for the exit; stores the raw wait status (see WIFEXITED...) in *status when given.
    bool wait_exit(std::chrono::milliseconds timeout, int* status = nullptr);
    // SIGTERM, then SIGKILL after timeout; returns the raw wait status.
    int stop(std::chrono::milliseconds timeout = 5s);
    // Raw wait status once the child has been reaped.
    std::optional<int> exit_status() const { return status_; }

    const std::filesystem::path& log_path() const { return log_path_; }
    // Everything the child wrote to stdout and stderr so far.
    std::string log() const;
    // True once needle appears in the log.
    bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout) const;

private:
    bool try_reap();

    std::vector<std::string> argv_;
    std::filesystem::path log_path_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// Extra mosquitto configuration: `global` goes before the default listener (e.g.
// "per_listener_settings true"), `extra` after it (more listeners, TLS, password files).
struct MosquittoOptions {
    std::string global;
    std::string extra;
};

// A private mosquitto broker: listener on a free 127.0.0.1 port, anonymous, no persistence.
class Mosquitto {
public:
    explicit Mosquitto(MosquittoOptions options = {});  // starts it and waits until the port accepts connections; throws on failure
    ~Mosquitto();
    Mosquitto(const Mosquitto&) = delete;
    Mosquitto& operator=(const Mosquitto&) = delete;

    std::uint16_t port() const { return port_; }
    std::string uri() const;  // tcp://127.0.0.1:<port>
    const std::filesystem::path& config_path() const { return config_path_; }
    bool running() const;
    // SIGTERM, resent once (an early SIGTERM is sometimes lost, STACK.md trap 10), then SIGKILL.
    void stop();
    // Starts again on the same port (retained messages are gone: no persistence).
    void start();
    void restart();
    std::string log() const;  // log of the current (or last) run

private:
    bool launch();  // false if the broker exited before its port opened

    MosquittoOptions options_;
    std::uint16_t port_ = 0;
    std::filesystem::path config_path_;
    std::unique_ptr<Process> process_;
};

// One message as the probe received it.
struct Message {
    std::string topic;
    std::string payload;
    bool retained = false;  // the publisher's retain flag (subscriptions use retain-as-published)
    int qos = 0;
    Clock::time_point arrival;
    std::optional<std::string> correlation_data;  // MQTT 5 property, when the publisher set one
};

// What a probe has seen since connect() or the last clear().
struct Snapshot {
    std::vector<Message> messages;                // in arrival order
    std::map<std::string, std::string> latest;    // last payload per topic, retained or not
    std::map<std::string, std::string> retained;  // last retained payload per topic; "" removes it

    std::optional<std::string> value(const std::string& topic) const;
    std::size_t count(const std::string& topic) const;  // messages received on topic
};

// A real MQTT 5 client (Paho C++ async_client) that records what it receives.
//
// Each MqttProbe is exactly one Paho client, and a test should use as few as it can: in one
// process every Paho client after the first takes 1-2 s to connect (Paho C 1.3.12, STACK.md
// trap 6). One probe can subscribe to many filters and also publish, so one is usually enough.
class MqttProbe {
public:
    MqttProbe();
    ~MqttProbe();  // disconnects (bounded)
    MqttProbe(const MqttProbe&) = delete;
    MqttProbe& operator=(const MqttProbe&) = delete;

    // Clean start, MQTT 5 (or version 4: MQTT 3.1.1). Throws on failure or timeout.
    void connect(const std::string& uri, std::chrono::milliseconds timeout = 10s, int version = 5);
    // Username and password for the next connect() (a broker with a password file).
    void set_credentials(std::string username, std::string password);
    // After a lost connection (broker restarted): connects again and repeats the subscriptions.
    void reconnect(std::chrono::milliseconds timeout = 10s);
    void disconnect(std::chrono::milliseconds timeout = 5s);
    bool connected() const;
    const std::string& client_id() const;

    // Waits for the SUBACK; throws if refused. Retained messages arrive with retained = true,
    // and so do later retained publishes (retain-as-published), so retained_tree() stays current.
    void subscribe(const std::string& filter, int qos = 1, std::chrono::milliseconds timeout = 10s);
    // Waits until the broker has it (PUBACK for QoS 1). Throws on failure or timeout.
    void publish(const std::string& topic, const std::string& payload, bool retain = false, int qos = 1,
                 std::chrono::milliseconds timeout = 10s);
    // An MQTT 5 request: publish with the Response Topic and Correlation Data properties (QoS 1,
    // waits for the PUBACK).
    void request(const std::string& topic, const std::string& payload, const std::string& response_topic,
                 const std::string& correlation_data, std::chrono::milliseconds timeout = 10s);

    // True once pred holds on what was received. pred runs under the probe's lock: it must not
    // call back into the probe.
    bool wait_for(const std::function<bool(const Snapshot&)>& pred, std::chrono::milliseconds timeout);
    // Waits until the last payload on topic is expected; returns the last payload seen (nullopt
    // if none), so EXPECT_EQ(probe.wait_for_value(t, "online", 5s), "online") reports what came.
    std::optional<std::string> wait_for_value(const std::string& topic, const std::string& expected,
                                              std::chrono::milliseconds timeout);
    // Latest non-empty retained payloads of the topics under prefix ("pbx" matches "pbx" and
    // "pbx/..." but not "pbx2/..."; "" matches everything).
    std::map<std::string, std::string> retained_tree(const std::string& prefix) const;
    Snapshot snapshot() const;
    // Forgets everything received so far (the broker's retained store is untouched).
    void clear();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct SimulatorOptions {
    std::string flavor = "asterisk20-chansip";
    std::string scenario = "idle";
    std::string username = "bridge";
    std::string secret = "bridgepass";
    std::optional<unsigned> seed;
    std::optional<std::filesystem::path> record;  // --record FILE
    std::vector<std::string> extra_args;          // appended last
    // Fixed ports (a PBX that comes back where it was); unset: any free port.
    std::optional<std::uint16_t> ami_port;
    std::optional<std::uint16_t> control_port;
};

// The AMI simulator (PBX2MQTT_SIM_BIN) on ports it picks itself (--port 0 --control-port 0), or
// on the ports of SimulatorOptions (a new simulator where a killed one was).
class Simulator {
public:
    // Starts it and waits for its port file; throws if it exits or times out.
    explicit Simulator(SimulatorOptions options = {});
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    std::uint16_t ami_port() const { return ami_port_; }
    std::uint16_t control_port() const { return control_port_; }
    // Sends one control line ("call 2001 2002") on a fresh connection and returns the reply line
    // ("OK 1", "ERR ...") without its line end. Throws on I/O failure or timeout.
    std::string control(const std::string& line, std::chrono::milliseconds timeout = 5s);
    Process& process() { return *process_; }
    std::string log() const { return process_->log(); }
    void stop() { process_->stop(); }

private:
    std::unique_ptr<Process> process_;
    std::uint16_t ami_port_ = 0;
    std::uint16_t control_port_ = 0;
};

// Runs a shell command (fixed strings only: openssl, mosquitto_passwd) with its output appended to
// shell.log in the test's directory; throws with that log when it fails.
void sh(const std::string& command);

// A TOML string literal with the needed escapes.
std::string toml_string(std::string_view text);

// Settings of a bridge under test (keys as in config.toml.example; durations in ms). Typed fields
// cover what most tests set; anything else goes through set() as a raw TOML literal, e.g.
// set("ami", "keepalive", "1000"). Keys not written take the bridge's defaults.
struct BridgeConfig {
    std::string ami_host = "127.0.0.1";
    std::uint16_t ami_port = 0;
    std::string ami_username = "bridge";
    std::string ami_password = "bridgepass";
    bool ami_reconnect = true;
    int ami_reconnect_after_ms = 200;
    int ami_reconnect_max_ms = 1000;  // written as at least ami_reconnect_after_ms (the bridge requires it)
    std::string mqtt_uri;
    std::string mqtt_client_id;  // empty: a unique one
    std::string base_topic = "pbx";
    std::vector<std::string> trunks = {"trunk1"};
    std::string log_level = "debug";

    // Adds or replaces a key; toml_literal is written as is ("5", "true", "\"text\"", "[1, 2]").
    BridgeConfig& set(const std::string& section, const std::string& key, const std::string& toml_literal);
    // Leaves a key out of the file, typed or not (to test the bridge's defaults or its errors).
    BridgeConfig& unset(const std::string& section, const std::string& key);
    // The config file's text.
    std::string render() const;

    std::map<std::string, std::map<std::string, std::optional<std::string>>> overrides;
};

// The bridge binary (PBX2MQTT_BRIDGE_BIN) with a config written to the test output directory.
// It does not wait for anything: observe it through an MqttProbe or its log.
class Bridge {
public:
    explicit Bridge(const BridgeConfig& config, std::vector<std::string> extra_args = {},
                    std::map<std::string, std::string> extra_env = {});
    // Stops the bridge if it still runs (SIGTERM) and fails the current test if it did not
    // exit cleanly or if a sanitizer (LeakSanitizer included) reported anything in its log.
    ~Bridge();
    Bridge(const Bridge&) = delete;
    Bridge& operator=(const Bridge&) = delete;

    Process& process() { return *process_; }
    const std::filesystem::path& config_path() const { return config_path_; }
    std::string log() const { return process_->log(); }
    int stop(std::chrono::milliseconds timeout = 5s) { return process_->stop(timeout); }

private:
    std::filesystem::path config_path_;
    std::unique_ptr<Process> process_;
};

}  // namespace harness
