#include "parkings/parkings_state.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace parkings {

using ami::iequals;
using ami::Message;

namespace {

// A remaining time above this is not a time: res_parking prints `start + limit - now` as
// unsigned, so a call parked without a time limit (or past it) shows as ~1.8e19.
constexpr unsigned long long kMaxRemainingSeconds = 100000000ULL;

std::optional<unsigned long long> to_unsigned(std::string_view s) {
    unsigned long long v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<int> to_int(std::string_view s) {
    int v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

// Asterisk says "<unknown>" for a caller id it does not have.
std::string clean(std::string_view s) { return s == "<unknown>" ? std::string() : std::string(s); }

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "SIP/2001" -> "2001", "Local/2001@from-internal/n" -> "2001", "SIP/trunk1/0123" -> "0123".
std::string number_of_dial_string(std::string_view dial) {
    dial = dial.substr(0, dial.find('&'));
    const std::size_t slash = dial.find('/');
    if (slash == std::string_view::npos) return {};
    std::string_view rest = dial.substr(slash + 1);
    rest = rest.substr(0, rest.find('@'));
    if (const std::size_t last = rest.rfind('/'); last != std::string_view::npos) rest = rest.substr(last + 1);
    return std::string(rest);
}

Party read_party(const Message& m, std::string_view prefix) {
    const std::string p(prefix);
    return Party{clean(m.get(p + "Channel")), clean(m.get(p + "CallerIDNum")), clean(m.get(p + "CallerIDName")),
                 std::string(m.get(p + "Uniqueid"))};
}

bool same_call(const ParkedCall& a, const ParkedCall& b) {
    return !a.parkee.uniqueid.empty() ? a.parkee.uniqueid == b.parkee.uniqueid : a.parkee.channel == b.parkee.channel;
}

}  // namespace

bool SlotLess::operator()(std::string_view a, std::string_view b) const noexcept {
    const bool da = all_digits(a), db = all_digits(b);
    if (da && db && a.size() != b.size()) return a.size() < b.size();
    if (da != db) return da;  // numeric spaces first
    return a < b;
}

// --- snapshot ---

void ParkingsState::request_snapshot(model::SnapshotRequester& r) {
    using ami::Action;
    using ami::ActionResult;
    // Lots first so that parked calls land in configured lots; both are pipelined anyway and
    // lot_for() creates a lot a parked call names before its Parkinglot item arrives.
    r.request(Action("Parkinglots"), [this](ActionResult& res) {
        if (!res.ok()) return;  // no res_parking
        for (const auto& item : res.events)
            if (iequals(item.event(), "Parkinglot")) add_parking_lot(item);
    });
    r.request(Action("ParkedCalls"), [this, &r](ActionResult& res) {
        if (!res.ok()) return;
        for (const auto& item : res.events)
            if (iequals(item.event(), "ParkedCall")) add_parked_call(item, r.now());
    });
}

void ParkingsState::add_parking_lot(const Message& m) {
    const std::string name(m.get("Name"));
    if (name.empty()) return;
    Lot& lot = lot_for(name);
    lot.configured = true;
    lot.start_space = to_int(m.get("StartSpace"));
    lot.stop_space = to_int(m.get("StopSpace"));
    lot.timeout = to_int(m.get("Timeout"));
}

void ParkingsState::add_parked_call(const Message& m, model::Timestamp now) {
    ParkedCall call = read_call(m, now);
    if (call.lot.empty() || call.slot.empty()) return;
    lot_for(call.lot).slots[call.slot] = std::move(call);
}

Lot& ParkingsState::lot_for(const std::string& name) {
    Lot& lot = lots_[name];
    lot.name = name;
    return lot;
}

ParkedCall ParkingsState::read_call(const Message& m, model::Timestamp now) const {
    ParkedCall call;
    call.lot = std::string(m.get("Parkinglot"));
    call.slot = std::string(m.get("ParkingSpace"));
    call.parkee = read_party(m, "Parkee");
    // res_parking documents Parker* headers but sends only ParkerDialString, the device the
    // call returns to on timeout ("SIP/2001"; the parkee's own device for a Park action without
    // TimeoutChannel). Its resource is the parker's extension.
    call.parker = read_party(m, "Parker");
    call.parker.uniqueid.clear();
    if (call.parker.number.empty()) call.parker.number = number_of_dial_string(m.get("ParkerDialString"));
    if (call.parker.name.empty() && !call.parker.number.empty()) {
        if (call.parker.number == clean(m.get("ParkeeConnectedLineNum"))) call.parker.name = clean(m.get("ParkeeConnectedLineName"));
        else if (call.parker.number == call.parkee.number) call.parker.name = call.parkee.name;
    }
    const auto duration = to_unsigned(m.get("ParkingDuration")).value_or(0);
    call.parked_at = now - std::chrono::seconds(duration <= kMaxRemainingSeconds ? duration : 0);
    const auto remaining = to_unsigned(m.get("ParkingTimeout"));
    const Lot* known = lot(call.lot);
    const bool no_limit = remaining && *remaining == 0 && duration == 0 && known && known->timeout == 0;
    if (remaining && *remaining <= kMaxRemainingSeconds && !no_limit)
        call.timeout_at = now + std::chrono::seconds(*remaining);
    return call;
}

// --- live ---

void ParkingsState::keep_known_times(const ParkingsState& previous) {
    for (auto& [name, lot] : lots_) {
        const Lot* known_lot = previous.lot(name);
        if (!known_lot) continue;
        for (auto& [slot, call] : lot.slots) {
            auto it = known_lot->slots.find(slot);
            if (it == known_lot->slots.end()) continue;
            const ParkedCall& known = it->second;
            const bool same = !call.parkee.uniqueid.empty() ? known.parkee.uniqueid == call.parkee.uniqueid
                                                            : known.parkee.channel == call.parkee.channel;
            if (!same) continue;
            call.parked_at = known.parked_at;
            call.timeout_at = known.timeout_at;
        }
    }
}

void ParkingsState::apply_event(const Message& e, model::Timestamp now, model::ChangeSet& changes) {
    const std::string_view name = e.event();
    const bool parked = iequals(name, "ParkedCall");
    const bool swapped = iequals(name, "ParkedCallSwap");
    std::string happening;
    if (iequals(name, "UnParkedCall")) happening = "unparked_call";
    else if (iequals(name, "ParkedCallTimeOut")) happening = "parked_call_timeout";
    else if (iequals(name, "ParkedCallGiveUp")) happening = "parked_call_giveup";
    if (!parked && !swapped && happening.empty()) return;

    ParkedCall call = read_call(e, now);
    if (call.lot.empty() || call.slot.empty()) return;
    Lot& lot = lot_for(call.lot);
    changes.parkings.insert(lot.name);
    auto it = lot.slots.find(call.slot);

    if (parked || swapped) {
        // The same call again (an event replayed after a snapshot that already had it): keep
        // the times first computed, so the retained payload does not change.
        if (parked && it != lot.slots.end() && same_call(it->second, call)) {
            call.parked_at = it->second.parked_at;
            call.timeout_at = it->second.timeout_at;
        }
        if (parked) changes.happenings.push_back({"events", "parked_call", to_json(call)});
        lot.slots[call.slot] = std::move(call);
        return;
    }

    // The call left its slot: retrieved, timed out (back to the parker) or hung up.
    nlohmann::ordered_json payload = to_json(it != lot.slots.end() && same_call(it->second, call) ? it->second : call);
    if (happening == "unparked_call") {
        const Party retriever = read_party(e, "Retriever");
        payload["retriever"] = {{"channel", retriever.channel}, {"number", retriever.number}, {"name", retriever.name}};
    }
    payload["duration"] = to_unsigned(e.get("ParkingDuration")).value_or(0);
    changes.happenings.push_back({"events", happening, std::move(payload)});
    if (it != lot.slots.end()) lot.slots.erase(it);
    // A lot Parkinglots never listed (a dynamic lot) goes away with its last call.
    if (!lot.configured && lot.slots.empty()) lots_.erase(call.lot);
}

// --- views ---

const Lot* ParkingsState::lot(std::string_view name) const {
    auto it = lots_.find(std::string(name));
    return it == lots_.end() ? nullptr : &it->second;
}

const ParkedCall* ParkingsState::parked(std::string_view channel) const {
    for (const auto& [name, lot] : lots_)
        for (const auto& [slot, call] : lot.slots)
            if (call.parkee.channel == channel) return &call;
    return nullptr;
}

nlohmann::ordered_json ParkingsState::to_json(const ParkedCall& c) {
    nlohmann::ordered_json j;
    j["slot"] = c.slot;
    j["lot"] = c.lot;
    j["parkee"] = {{"channel", c.parkee.channel}, {"number", c.parkee.number}, {"name", c.parkee.name}, {"uniqueid", c.parkee.uniqueid}};
    j["parker"] = {{"channel", c.parker.channel}, {"number", c.parker.number}, {"name", c.parker.name}};
    j["parked_at"] = model::iso8601(c.parked_at);
    j["timeout_at"] = c.timeout_at ? nlohmann::ordered_json(model::iso8601(*c.timeout_at)) : nlohmann::ordered_json();
    return j;
}

}  // namespace parkings
