#include "extensions/extensions_module.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "calls/calls_view.hpp"
#include "model/json_writer.hpp"

namespace extensions {

std::string ExtensionsModule::render(const ExtensionView& v, std::string_view conversations) {
    // The PBX may send any bytes in a name: the writer never lets invalid UTF-8 break the payload.
    model::JsonWriter w(384 + conversations.size());
    w.begin_object();
    w.field("exten", v.exten);
    w.field("name", v.name);
    w.field("status", status_name(v.status));
    w.field("ip", v.ip);
    w.field("port", v.port);
    w.field("sipuseragent", v.user_agent);
    w.field("context", v.context);
    w.field("dnd", v.dnd);
    w.field("cf", v.cf);
    w.field("cfb", v.cfb);
    w.field("cfu", v.cfu);
    w.field("cfVm", v.cf_vm);
    w.field("cfbVm", v.cfb_vm);
    w.field("cfuVm", v.cfu_vm);
    w.key("conversations").raw(conversations);
    w.field("tech", tech_name(v.tech));
    w.end_object();
    return w.take();
}

std::string ExtensionsModule::conversations(const ExtensionView& v) const {
    const auto& state = context_->state;
    return calls::conversations_of(state.calls(), tech_name(v.tech), v.exten, state.extensions().trunks(), context_->wall_clock());
}

bool equal_but_durations(std::string_view a, std::string_view b) {
    static constexpr std::string_view kKey = "\"duration\":";
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i] == '"' && a.substr(i, kKey.size()) == kKey && b.substr(j, kKey.size()) == kKey) {
            std::size_t backslashes = 0;
            while (backslashes < i && a[i - 1 - backslashes] == '\\') ++backslashes;
            if (backslashes % 2 == 0) {
                i += kKey.size();
                j += kKey.size();
                auto skip_number = [](std::string_view s, std::size_t& k) {
                    if (k < s.size() && s[k] == '-') ++k;
                    while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
                };
                skip_number(a, i);
                skip_number(b, j);
                continue;
            }
        }
        if (a[i] != b[j]) return false;
        ++i;
        ++j;
    }
    return i == a.size() && j == b.size();
}

std::string ExtensionsModule::unless_only_durations(const std::string& topic, std::string payload) const {
    const auto& asserted = context_->store.asserted();
    const auto it = asserted.find(topic);
    if (it == asserted.end() || it->second == payload || payload.find("\"duration\"") == std::string::npos) return payload;
    return equal_but_durations(payload, it->second) ? it->second : payload;
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
    const auto& state = context_->state.extensions();
    if (auto it = state.extensions().find(exten); it != state.extensions().end()) {
        const std::string topic = topics.extension(exten);
        // Its JSON (with its calls: the dearest payload of the bridge) is built when its message
        // leaves, if one waits already. Otherwise now, and not republished when only the running
        // durations of its calls moved on.
        const bool deferred = store.defer(topic, [this, exten]() -> std::string {
            if (!context_) return {};
            const auto current = context_->state.extensions().view(exten);
            return current ? render(*current, conversations(*current)) : std::string();
        });
        Presence presence;
        if (deferred) {
            presence = state.presence(it->second);
        } else {
            const ExtensionView view = state.view(it->second);
            store.set(topic, render(view, conversations(view)), &equal_but_durations);
            presence = {view.status, view.dnd};
        }
        store.set(topics.extension_status(exten), std::string(status_name(presence.status)));
        store.set(topics.extension_dnd(exten), presence.dnd ? "true" : "false");
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
    context_->store.replace_subtree(topics.extension("").c_str(), std::move(wanted));
}

}  // namespace extensions
