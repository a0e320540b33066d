#pragma once
// <base>/parkings/<lot> (the lot and its occupied slots) and <base>/parkings/<lot>/<slot> (one
// parked call, retained while it is parked). docs/topics.md, "Parkings".
#include <map>
#include <set>
#include <string>

#include "modules/module.hpp"
#include "parkings/parkings_state.hpp"

namespace parkings {

class ParkingsModule final : public modules::Module {
public:
    std::string_view name() const override { return "parkings"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    static std::string render_lot(const Lot& lot);
    static std::string render_call(const ParkedCall& call);

private:
    // Topic names (mqtt::Topics has none for parkings yet).
    std::string lot_topic(const std::string& lot) const;
    std::string slot_topic(const std::string& lot, const std::string& slot) const;
    // The retained topics of one lot (the lot and its slots) as they should be now.
    void wanted_of(const Lot& lot, std::map<std::string, std::string>& wanted);
    void publish(const std::string& lot);
    std::set<std::string> skipped_;  // ids that cannot be a topic level (logged once)
};

}  // namespace parkings
