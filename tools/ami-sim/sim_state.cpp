#include "ami-sim/sim_state.hpp"

#include <algorithm>
#include <array>

namespace amisim {

namespace {

struct StateNames {
    DeviceState state;
    std::string_view name;
    std::string_view text;
    int order;  // ast_devstate_aggregate's ranking
};

constexpr std::array<StateNames, 9> kStates{{
    {DeviceState::Unknown, "UNKNOWN", "Unknown", 1},
    {DeviceState::NotInUse, "NOT_INUSE", "Not in use", 3},
    {DeviceState::InUse, "INUSE", "In use", 6},
    {DeviceState::Busy, "BUSY", "Busy", 7},
    {DeviceState::Invalid, "INVALID", "Invalid", 0},
    {DeviceState::Unavailable, "UNAVAILABLE", "Unavailable", 2},
    {DeviceState::Ringing, "RINGING", "Ringing", 5},
    {DeviceState::RingInUse, "RINGINUSE", "Ring+Inuse", 8},
    {DeviceState::OnHold, "ONHOLD", "On Hold", 4},
}};

const StateNames& names(DeviceState state) { return kStates[static_cast<std::size_t>(state)]; }

std::string db_path(std::string_view family, std::string_view key) {
    std::string path = "/";
    path += family;
    if (!key.empty()) {
        path += '/';
        path += key;
    }
    return path;
}

}  // namespace

std::string_view device_state_name(DeviceState state) { return names(state).name; }
std::string_view device_state_text(DeviceState state) { return names(state).text; }

std::optional<DeviceState> parse_device_state(std::string_view name) {
    for (const auto& s : kStates)
        if (ami::iequals(s.name, name)) return s.state;
    return std::nullopt;
}

DeviceState aggregate_device_states(const std::vector<DeviceState>& states) {
    DeviceState result = DeviceState::Invalid;
    bool ringing = false, inuse = false;
    for (DeviceState s : states) {
        if (s == DeviceState::Ringing) ringing = true;
        else if (s == DeviceState::InUse || s == DeviceState::OnHold || s == DeviceState::Busy) inuse = true;
        if (ringing && inuse) result = DeviceState::RingInUse;
        else if (names(s).order > names(result).order) result = s;
    }
    return result;
}

int extension_status(DeviceState aggregate) {
    switch (aggregate) {
        case DeviceState::OnHold: return 16;
        case DeviceState::Busy: return 2;
        case DeviceState::Unknown: return 0;
        case DeviceState::Unavailable:
        case DeviceState::Invalid: return 4;
        case DeviceState::RingInUse: return 9;
        case DeviceState::Ringing: return 8;
        case DeviceState::InUse: return 1;
        case DeviceState::NotInUse: return 0;
    }
    return 0;
}

std::string_view extension_status_text(int status) {
    switch (status) {
        case -2: return "Removed";
        case -1: return "Unknown";
        case 0: return "Idle";
        case 1: return "InUse";
        case 2: return "Busy";
        case 4: return "Unavailable";
        case 8: return "Ringing";
        case 9: return "InUse&Ringing";
        case 16: return "Hold";
        case 17: return "InUse&Hold";
    }
    return "Unknown";
}

std::string_view extension_state_name(int status) {
    switch (status) {
        case 0: return "NOT_INUSE";
        case 1: return "INUSE";
        case 2: return "BUSY";
        case 4: return "UNAVAILABLE";
        case 8: return "RINGING";
        case 9: return "RINGINUSE";
        case 16: return "ONHOLD";
        case 17: return "HOLDINUSE";
    }
    return "UNKNOWN";
}

int queue_member_status(DeviceState state) { return static_cast<int>(state); }

CallerId parse_callerid(std::string_view text) {
    CallerId id;
    const auto lt = text.rfind('<');
    const auto gt = text.rfind('>');
    std::string_view name = text;
    if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt) {
        id.number = std::string(text.substr(lt + 1, gt - lt - 1));
        name = text.substr(0, lt);
    }
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    id.name = std::string(name);
    return id;
}

std::string format_callerid(const CallerId& id) { return "\"" + id.name + "\" <" + id.number + ">"; }

std::string_view channel_state_text(int state) {
    switch (state) {
        case 0: return "Down";
        case 1: return "Rsrvd";
        case 2: return "OffHook";
        case 3: return "Dialing";
        case 4: return "Ring";
        case 5: return "Ringing";
        case 6: return "Up";
        case 7: return "Busy";
    }
    return "Unknown";
}

bool hint_has_device(std::string_view hint, std::string_view device) {
    std::size_t start = 0;
    while (start <= hint.size()) {
        std::size_t amp = hint.find('&', start);
        if (amp == std::string_view::npos) amp = hint.size();
        if (ami::iequals(hint.substr(start, amp - start), device)) return true;
        start = amp + 1;
    }
    return false;
}

Peer* SimState::find_peer(std::string_view name) {
    for (auto& p : peers)
        if (p.name == name) return &p;
    return nullptr;
}

const Peer* SimState::find_peer(std::string_view name) const {
    for (const auto& p : peers)
        if (p.name == name) return &p;
    return nullptr;
}

Channel* SimState::find_channel(std::string_view name) {
    for (auto& c : channels)
        if (c.name == name) return &c;
    return nullptr;
}

const Channel* SimState::find_channel(std::string_view name) const {
    for (const auto& c : channels)
        if (c.name == name) return &c;
    return nullptr;
}

Call* SimState::find_call(std::string_view id) {
    for (auto& c : calls)
        if (c.id == id) return &c;
    return nullptr;
}

Call* SimState::find_call_of_channel(std::string_view channel) {
    for (auto& c : calls)
        if (c.caller == channel || c.callee == channel) return &c;
    return nullptr;
}

DeviceState SimState::device_state(std::string_view device) const {
    for (const auto& [name, state] : devices)
        if (ami::iequals(name, device)) return state;
    const std::string prefix = tech + "/";
    if (device.size() > prefix.size() && ami::iequals(device.substr(0, prefix.size()), prefix)) {
        if (const Peer* peer = find_peer(device.substr(prefix.size()))) return natural_device_state(*peer);
        return DeviceState::Invalid;
    }
    if (auto it = provider_states.find(std::string(device)); it != provider_states.end()) return it->second;
    return DeviceState::Unknown;
}

void SimState::cache_device_state(std::string_view device, DeviceState state) {
    for (auto& [name, cached] : devices)
        if (ami::iequals(name, device)) {
            cached = state;
            return;
        }
    devices.emplace_back(std::string(device), state);
}

DeviceState SimState::natural_device_state(const Peer& peer) const {
    bool ringing = false, inuse = false, held = false, busy = false;
    for (const auto& c : channels) {
        if (c.peer != peer.name) continue;
        // PJSIP derives the device from its channels' states; chan_sip counts calls.
        if (c.state == 7 && tech == "PJSIP") busy = true;
        else if (c.dialed && c.state != 6) ringing = true;
        else if (c.on_hold) held = true;
        else inuse = true;
    }
    if (busy) return DeviceState::Busy;
    if (ringing && (inuse || held)) return DeviceState::RingInUse;
    if (ringing) return DeviceState::Ringing;
    if (inuse) return DeviceState::InUse;
    if (held) return DeviceState::OnHold;
    return peer.registered ? DeviceState::NotInUse : DeviceState::Unavailable;
}

int SimState::active_channels(const Peer& peer) const {
    return static_cast<int>(std::count_if(channels.begin(), channels.end(),
                                          [&](const Channel& c) { return c.peer == peer.name; }));
}

int SimState::hint_status(const Hint& hint) const {
    std::vector<DeviceState> states;
    std::string_view text = hint.hint;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t amp = text.find('&', start);
        if (amp == std::string_view::npos) amp = text.size();
        if (amp > start) states.push_back(device_state(text.substr(start, amp - start)));
        start = amp + 1;
    }
    return extension_status(aggregate_device_states(states));
}

const Hint* SimState::find_hint(std::string_view exten, std::string_view context) const {
    for (const auto& h : hints)
        if (h.exten == exten && h.context == context) return &h;
    for (const auto& h : hints)
        if (h.exten == exten) return &h;
    return nullptr;
}

std::optional<std::string> SimState::db_get(std::string_view family, std::string_view key) const {
    auto it = db.find(db_path(family, key));
    if (it == db.end()) return std::nullopt;
    return it->second;
}

void SimState::db_put(std::string_view family, std::string_view key, std::string_view value) {
    db[db_path(family, key)] = std::string(value);
}

bool SimState::db_del(std::string_view family, std::string_view key) { return db.erase(db_path(family, key)) > 0; }

int SimState::db_del_tree(std::string_view family, std::string_view key) {
    int deleted = 0;
    for (const auto& [path, value] : db_tree(family, key)) {
        db.erase(path);
        ++deleted;
    }
    return deleted;
}

std::vector<std::pair<std::string, std::string>> SimState::db_tree(std::string_view family,
                                                                  std::string_view key) const {
    std::vector<std::pair<std::string, std::string>> out;
    const std::string prefix = family.empty() ? std::string("/") : db_path(family, key) + "/";
    for (auto it = db.lower_bound(prefix); it != db.end() && it->first.rfind(prefix, 0) == 0; ++it)
        out.emplace_back(it->first, it->second);
    return out;
}

std::vector<const Contact*> SimState::contacts_of_aor(std::string_view aor) const {
    std::vector<const Contact*> out;
    for (const auto& [id, c] : contacts)
        if (c.aor == aor) out.push_back(&c);
    return out;
}

}  // namespace amisim
