#pragma once
// One PBX capability = one module (zigbee2mqtt's lib/extension/*): the constructor does
// nothing, start() registers and publishes, stop() unregisters. Modules turn model changes
// into retained topics; they never talk to sockets.
#include <functional>
#include <string>
#include <string_view>

#include "model/pbx_state.hpp"
#include "mqtt/retained_store.hpp"
#include "mqtt/topics.hpp"

namespace modules {

// What the bridge says about itself on <base>/bridge/info.
struct BridgeStatus {
    std::string version;
    std::string started_at;  // ISO 8601, UTC
    std::string node_id;     // [pbx] node_id; "" for a single PBX
    bool ami_connected = false;
    std::string ami_state = "disconnected";  // disconnected, connecting, authenticating, synchronizing, connected
    std::string ami_host;
    int ami_port = 0;
    std::string asterisk_version;
    std::string ami_version;
    bool operator==(const BridgeStatus&) const = default;
};

struct Context {
    const model::PbxState& state;
    mqtt::RetainedStore& store;  // retained state
    mqtt::Port& port;            // non-retained messages (events)
    const mqtt::Topics& topics;
    const BridgeStatus& bridge;
    int qos = 1;
    std::function<model::Timestamp()> wall_clock = [] { return std::chrono::system_clock::now(); };
};

class Module {
public:
    virtual ~Module() = default;
    virtual std::string_view name() const = 0;
    virtual void start(Context& context) { context_ = &context; }
    virtual void stop() { context_ = nullptr; }
    // Some entities changed (a live event).
    virtual void on_changes(const model::ChangeSet&) {}
    // The whole model was replaced by a fresh snapshot: make the topics equal it.
    virtual void on_resync() {}
    // BridgeStatus changed.
    virtual void on_bridge_status() {}

protected:
    Context* context_ = nullptr;
};

}  // namespace modules
