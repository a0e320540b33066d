#include "modules/events_module.hpp"

#include <spdlog/spdlog.h>

namespace modules {

void EventsModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& h : changes.happenings) {
        if (!mqtt::is_topic_level(h.id)) {
            spdlog::debug("events: '{}' cannot be a topic level; event dropped", h.id);
            continue;
        }
        const std::string topic = h.topic_kind == "extension" ? context_->topics.extension_event(h.id) : context_->topics.event(h.id);
        if (!context_->port.connected()) continue;
        context_->port.publish(mqtt::OutgoingMessage{topic, h.json(), false, context_->qos, std::nullopt});
    }
}

}  // namespace modules
