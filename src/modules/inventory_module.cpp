#include "modules/inventory_module.hpp"

#include <nlohmann/json.hpp>

namespace modules {

void InventoryModule::start(Context& context) {
    Module::start(context);
    refresh(true);
}

void InventoryModule::refresh(bool force) {
    if (!context_) return;
    if (!context_->store.take_entities_changed(kCollections) && !force) return;
    nlohmann::ordered_json j;
    for (const char* collection : kCollections) {
        nlohmann::ordered_json ids = nlohmann::ordered_json::array();
        for (const auto& id : context_->store.entity_ids(collection)) ids.push_back(id);
        j[collection] = std::move(ids);
    }
    context_->store.set(context_->topics.bridge_inventory(),
                        j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace modules
