#pragma once
// <base>/bridge/inventory: the ids of every published extension, queue, parking lot, trunk,
// conference and mailbox, so a dashboard can list them without subscribing to wildcards.
// Republished only when an id appears or disappears.
#include "modules/module.hpp"

namespace modules {

class InventoryModule final : public Module {
public:
    std::string_view name() const override { return "inventory"; }
    void start(Context& context) override;
    void on_changes(const model::ChangeSet&) override { refresh(); }
    void on_resync() override { refresh(); }
    // The collections listed, in the order of the payload.
    static constexpr const char* kCollections[] = {"extensions", "queues", "parkings", "trunks", "conferences", "voicemail"};

private:
    void refresh(bool force = false);
};

}  // namespace modules
