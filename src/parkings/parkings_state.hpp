#pragma once
// Parking lots and parked calls (Parkinglots/ParkedCalls + park events).
// Pure model part: fed with its snapshot answers and with every live event.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ami/message.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace parkings {

// One side of a parked call, as Asterisk's Parkee* / Parker* / Retriever* headers describe it.
struct Party {
    std::string channel;   // "" when Asterisk does not name it (the parker, always so far)
    std::string number;
    std::string name;
    std::string uniqueid;
    bool operator==(const Party&) const = default;
};

struct ParkedCall {
    std::string lot;
    std::string slot;                            // ParkingSpace, "71"
    Party parkee;
    Party parker;                                // derived from ParkerDialString when no Parker* headers
    model::Timestamp parked_at{};                // seen time - ParkingDuration
    std::optional<model::Timestamp> timeout_at;  // seen time + ParkingTimeout (remaining); none = never
    bool operator==(const ParkedCall&) const = default;
};

// Parking spaces are numbers: "9" < "10" (not the string order).
struct SlotLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept;
};

struct Lot {
    std::string name;
    std::optional<int> start_space, stop_space, timeout;  // unknown for a lot seen only in events
    bool configured = false;                              // listed by Parkinglots (kept when empty)
    std::map<std::string, ParkedCall, SlotLess> slots;    // occupied slots only
    bool operator==(const Lot&) const = default;
};

class ParkingsState {
public:
    // Queues the actions that read this capability's state into this (fresh) instance.
    void request_snapshot(model::SnapshotRequester& r);
    // A live event (every event reaches every capability); records what changed in `changes`.
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

    // --- snapshot answers ---
    void add_parking_lot(const ami::Message& m);                          // Parkinglots -> Parkinglot
    void add_parked_call(const ami::Message& m, model::Timestamp now);    // ParkedCalls -> ParkedCall

    // --- views ---
    const std::map<std::string, Lot>& lots() const noexcept { return lots_; }
    const Lot* lot(std::string_view name) const;
    // The parked call whose parkee is `channel` ("SIP/2002-0000000a"), or nullptr.
    const ParkedCall* parked(std::string_view channel) const;

    // The JSON of one parked call: the <base>/parkings/<lot>/<slot> payload, and the base of
    // every parking happening.
    static nlohmann::ordered_json to_json(const ParkedCall& call);

    // This model was just read from a snapshot (parked_at = now - ParkingDuration, whole
    // seconds): a call `previous` already knew parked in the same slot keeps its times.
    void keep_known_times(const ParkingsState& previous);

private:
    Lot& lot_for(const std::string& name);
    ParkedCall read_call(const ami::Message& m, model::Timestamp now) const;

    std::map<std::string, Lot> lots_;
};

}  // namespace parkings
