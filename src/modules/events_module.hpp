#pragma once
// Non-retained happenings for automations (doorbells, CRM pop-ups): call events on
// <base>/extensions/<exten>/event, queue/parking/voicemail events on <base>/events/<type>.
// They are published once, when they happen, and only while the broker is connected: an event
// is news, not state (the state is in the retained topics).
#include "modules/module.hpp"

namespace modules {

class EventsModule final : public Module {
public:
    std::string_view name() const override { return "events"; }
    void on_changes(const model::ChangeSet& changes) override;
};

}  // namespace modules
