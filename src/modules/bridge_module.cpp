#include "modules/bridge_module.hpp"

#include <nlohmann/json.hpp>

namespace modules {

void BridgeModule::start(Context& context) {
    Module::start(context);
    context.store.set(context.topics.bridge_state(), "online");
    publish_info();
}

std::string BridgeModule::render_info(const BridgeStatus& s) {
    nlohmann::ordered_json j;
    j["version"] = s.version;
    j["started_at"] = s.started_at;
    j["node_id"] = s.node_id;
    j["asterisk"] = {{"version", s.asterisk_version}, {"ami_version", s.ami_version}};
    j["ami"] = {{"connected", s.ami_connected}, {"state", s.ami_state}, {"host", s.ami_host}, {"port", s.ami_port}};
    return j.dump();
}

void BridgeModule::publish_info() {
    if (!context_) return;
    context_->store.set(context_->topics.bridge_info(), render_info(context_->bridge));
    // The link to Asterisk alone, for automations that only need to know whether the PBX is seen.
    context_->store.set(context_->topics.ami_state(), context_->bridge.ami_connected ? "connected" : "disconnected");
}

}  // namespace modules
