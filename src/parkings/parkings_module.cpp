#include "parkings/parkings_module.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace parkings {

namespace {
std::string dump(const nlohmann::ordered_json& j) {
    // The PBX may send any bytes in a name; never let invalid UTF-8 break the payload.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}
nlohmann::ordered_json optional_number(const std::optional<int>& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(); }
}  // namespace

std::string ParkingsModule::render_call(const ParkedCall& call) { return dump(ParkingsState::to_json(call)); }

std::string ParkingsModule::render_lot(const Lot& lot) {
    nlohmann::ordered_json j;
    j["name"] = lot.name;
    j["start_space"] = optional_number(lot.start_space);
    j["stop_space"] = optional_number(lot.stop_space);
    j["timeout"] = optional_number(lot.timeout);
    j["parked"] = lot.slots.size();
    j["slots"] = nlohmann::ordered_json::object();
    for (const auto& [slot, call] : lot.slots) j["slots"][slot] = ParkingsState::to_json(call);
    return dump(j);
}

void ParkingsModule::start(modules::Context& context) {
    Module::start(context);
    on_resync();
}

std::string ParkingsModule::lot_topic(const std::string& lot) const { return context_->topics.base() + "/parkings/" + lot; }

std::string ParkingsModule::slot_topic(const std::string& lot, const std::string& slot) const {
    return lot_topic(lot) + "/" + slot;
}

void ParkingsModule::wanted_of(const Lot& lot, std::map<std::string, std::string>& wanted) {
    if (!mqtt::is_topic_level(lot.name)) {
        if (skipped_.insert(lot.name).second) spdlog::warn("parkings: lot '{}' cannot be an MQTT topic level; not published", lot.name);
        return;
    }
    wanted[lot_topic(lot.name)] = render_lot(lot);
    for (const auto& [slot, call] : lot.slots) {
        if (mqtt::is_topic_level(slot)) wanted[slot_topic(lot.name, slot)] = render_call(call);
        else if (skipped_.insert(lot.name + "/" + slot).second)
            spdlog::warn("parkings: slot '{}' cannot be an MQTT topic level; not published", slot);
    }
}

void ParkingsModule::publish(const std::string& name) {
    if (!mqtt::is_topic_level(name)) return;
    std::map<std::string, std::string> wanted;
    if (const Lot* lot = context_->state.parkings().lot(name)) wanted_of(*lot, wanted);
    // The slots first: the lot's own topic is not under "<lot>/".
    std::map<std::string, std::string> slots;
    const std::string lot = lot_topic(name);
    for (const auto& [topic, payload] : wanted)
        if (topic != lot) slots.emplace(topic, payload);
    context_->store.replace_subtree(lot + "/", std::move(slots));
    if (auto it = wanted.find(lot); it != wanted.end()) context_->store.set(lot, it->second);
    else context_->store.clear(lot);
}

void ParkingsModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& lot : changes.parkings) publish(lot);
}

void ParkingsModule::on_resync() {
    if (!context_) return;
    std::map<std::string, std::string> wanted;
    for (const auto& [name, lot] : context_->state.parkings().lots()) wanted_of(lot, wanted);
    context_->store.replace_subtree(context_->topics.base() + "/parkings/", std::move(wanted));
}

}  // namespace parkings
