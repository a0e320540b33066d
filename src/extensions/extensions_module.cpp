#include "extensions/extensions_module.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "calls/calls_view.hpp"

namespace extensions {

std::string ExtensionsModule::render(const ExtensionView& v, const nlohmann::ordered_json& conversations) {
    nlohmann::ordered_json j;
    j["exten"] = v.exten;
    j["name"] = v.name;
    j["status"] = status_name(v.status);
    j["ip"] = v.ip;
    j["port"] = v.port;
    j["sipuseragent"] = v.user_agent;
    j["context"] = v.context;
    j["dnd"] = v.dnd;
    j["cf"] = v.cf;
    j["cfb"] = v.cfb;
    j["cfu"] = v.cfu;
    j["cfVm"] = v.cf_vm;
    j["cfbVm"] = v.cfb_vm;
    j["cfuVm"] = v.cfu_vm;
    j["conversations"] = conversations;
    j["tech"] = std::string(tech_name(v.tech));
    // The PBX may send any bytes in a name; never let invalid UTF-8 break the payload.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

nlohmann::ordered_json ExtensionsModule::conversations(const ExtensionView& v) const {
    const auto& state = context_->state;
    return calls::conversations_of(state.calls(), tech_name(v.tech), v.exten, state.extensions().trunks(), context_->wall_clock());
}

std::string ExtensionsModule::unless_only_durations(const std::string& topic, std::string payload) const {
    const auto& asserted = context_->store.asserted();
    const auto it = asserted.find(topic);
    if (it == asserted.end() || it->second == payload || payload.find("\"duration\"") == std::string::npos) return payload;
    auto without_durations = [](const std::string& text) {
        auto j = nlohmann::ordered_json::parse(text, nullptr, false);
        if (j.is_object() && j.contains("conversations") && j["conversations"].is_object())
            for (auto& [id, conversation] : j["conversations"].items())
                if (conversation.is_object()) conversation.erase("duration");
        return j;
    };
    const auto now = without_durations(payload);
    return !now.is_discarded() && now == without_durations(it->second) ? it->second : payload;
}

void ExtensionsModule::start(modules::Context& context) {
    Module::start(context);
    on_resync();
}

void ExtensionsModule::publish(const std::string& exten) {
    if (!mqtt::is_topic_level(exten)) {
        if (skipped_.insert(exten).second)
            spdlog::warn("extensions: '{}' cannot be an MQTT topic level; not published", exten);
        return;
    }
    auto& store = context_->store;
    const auto& topics = context_->topics;
    if (auto view = context_->state.extensions().view(exten)) {
        store.set(topics.extension(exten), unless_only_durations(topics.extension(exten), render(*view, conversations(*view))));
        store.set(topics.extension_status(exten), std::string(status_name(view->status)));
        store.set(topics.extension_dnd(exten), view->dnd ? "true" : "false");
    } else {
        store.clear(topics.extension(exten));
        store.clear(topics.extension_status(exten));
        store.clear(topics.extension_dnd(exten));
    }
}

void ExtensionsModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& exten : changes.extensions) publish(exten);
}

void ExtensionsModule::on_resync() {
    if (!context_) return;
    std::map<std::string, std::string> wanted;
    const auto& topics = context_->topics;
    for (const auto& [exten, ext] : context_->state.extensions().extensions()) {
        if (!mqtt::is_topic_level(exten)) continue;
        const auto view = context_->state.extensions().view(ext);
        wanted[topics.extension(exten)] = unless_only_durations(topics.extension(exten), render(view, conversations(view)));
        wanted[topics.extension_status(exten)] = std::string(status_name(view.status));
        wanted[topics.extension_dnd(exten)] = view.dnd ? "true" : "false";
    }
    context_->store.replace_subtree(topics.extension("").c_str(), wanted);
}

}  // namespace extensions
