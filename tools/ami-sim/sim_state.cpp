#include "ami-sim/sim_state.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

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

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_true(std::string_view value) {
    return ami::iequals(value, "yes") || ami::iequals(value, "true") || ami::iequals(value, "y") ||
           ami::iequals(value, "t") || value == "1" || ami::iequals(value, "on");
}

bool is_false(std::string_view value) {
    return ami::iequals(value, "no") || ami::iequals(value, "false") || ami::iequals(value, "n") ||
           ami::iequals(value, "f") || value == "0" || ami::iequals(value, "off");
}

bool is_trunk(const Peer& peer) {
    for (const auto& h : peer.peer_entry)
        if (h.name == "Dynamic") return h.value == "no";
    return !peer.endpoint_list.empty() && peer.auths.empty();
}

std::string header_value(const std::vector<ami::Header>& headers, std::string_view name) {
    for (const auto& h : headers)
        if (h.name == name) return h.value;
    return {};
}

void set_header(std::vector<ami::Header>& headers, std::string_view name, std::string value) {
    for (auto& h : headers)
        if (h.name == name) {
            h.value = std::move(value);
            return;
        }
}

std::vector<std::string_view> hint_devices(std::string_view hint) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < hint.size()) {
        std::size_t amp = hint.find('&', start);
        if (amp == std::string_view::npos) amp = hint.size();
        if (amp > start) out.push_back(hint.substr(start, amp - start));
        start = amp + 1;
    }
    return out;
}

void SimState::index_peers() const {
    if (peer_index_.size() == peers.size()) return;
    peer_index_.clear();
    for (std::size_t i = 0; i < peers.size(); ++i) peer_index_.emplace(peers[i].name, i);
}

Peer* SimState::find_peer(std::string_view name) {
    index_peers();
    auto it = peer_index_.find(name);
    return it == peer_index_.end() ? nullptr : &peers[it->second];
}

const Peer* SimState::find_peer(std::string_view name) const {
    index_peers();
    auto it = peer_index_.find(name);
    return it == peer_index_.end() ? nullptr : &peers[it->second];
}

Channel& SimState::add_channel(Channel channel) {
    auto& names = channels_by_peer_[channel.peer];
    if (std::find(names.begin(), names.end(), channel.name) == names.end()) names.push_back(channel.name);
    std::string key = channel.name;
    return channels.insert(std::move(key), std::move(channel));
}

void SimState::remove_channel(std::string_view name) {
    const Channel* channel = channels.find(name);
    if (!channel) return;
    if (auto it = channels_by_peer_.find(channel->peer); it != channels_by_peer_.end()) {
        std::erase(it->second, std::string(name));
        if (it->second.empty()) channels_by_peer_.erase(it);
    }
    channels.erase(name);
}

const std::vector<std::string>& SimState::channels_of_peer(std::string_view peer) const {
    static const std::vector<std::string> kNone;
    auto it = channels_by_peer_.find(peer);
    return it == channels_by_peer_.end() ? kNone : it->second;
}

Call* SimState::find_call_of_channel(std::string_view channel) {
    if (const Channel* c = channels.find(channel); c && !c->call_id.empty()) return calls.find(c->call_id);
    return nullptr;
}

void SimState::index_devices() const {
    if (device_index_.size() == devices.size()) return;
    device_index_.clear();
    for (std::size_t i = 0; i < devices.size(); ++i) device_index_.emplace(lower_ascii(devices[i].first), i);
}

bool SimState::device_cached(std::string_view device) const {
    index_devices();
    return device_index_.count(lower_ascii(device)) > 0;
}

DeviceState SimState::device_state(std::string_view device) const {
    index_devices();
    if (auto it = device_index_.find(lower_ascii(device)); it != device_index_.end()) return devices[it->second].second;
    const std::string prefix = tech + "/";
    if (device.size() > prefix.size() && ami::iequals(device.substr(0, prefix.size()), prefix)) {
        if (const Peer* peer = find_peer(device.substr(prefix.size()))) return natural_device_state(*peer);
        return DeviceState::Invalid;
    }
    // res_parking: "park:71@parkedcalls" is in use while a call is parked in that space; an empty
    // space keeps the state it was recorded in (Unavailable on 22 before its first use).
    bool park_space = false;
    if (device.size() > 5 && ami::iequals(device.substr(0, 5), "park:")) {
        const std::string_view rest = device.substr(5);
        const auto at = rest.find('@');
        const int number = std::atoi(std::string(rest.substr(0, at)).c_str());
        for (const auto& lot : parking_lots) {
            if (at != std::string_view::npos && rest.substr(at + 1) != lot.context) continue;
            if (number < lot.start || number > lot.stop) continue;
            park_space = true;
            for (const auto& parked : parked_calls)
                if (parked.space == number && parked.lot == lot.name) return DeviceState::InUse;
        }
    }
    if (auto it = provider_states.find(std::string(device)); it != provider_states.end()) return it->second;
    return park_space ? DeviceState::NotInUse : DeviceState::Unknown;
}

void SimState::cache_device_state(std::string_view device, DeviceState state) {
    index_devices();
    if (auto it = device_index_.find(lower_ascii(device)); it != device_index_.end()) {
        devices[it->second].second = state;
        return;
    }
    devices.emplace_back(std::string(device), state);
    device_index_.emplace(lower_ascii(device), devices.size() - 1);
}

DeviceState SimState::natural_device_state(const Peer& peer) const {
    bool ringing = false, inuse = false, held = false, busy = false;
    for (const auto& name : channels_of_peer(peer.name)) {
        const Channel* c = channels.find(name);
        if (!c) continue;
        // PJSIP derives the device from its channels' states; chan_sip counts calls.
        if (c->state == 7 && tech == "PJSIP") busy = true;
        else if (c->dialed && c->state != 6) ringing = true;
        else if (c->on_hold) held = true;
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
    return static_cast<int>(channels_of_peer(peer.name).size());
}

int SimState::hint_status(const Hint& hint) const {
    std::vector<DeviceState> states;
    for (std::string_view device : hint_devices(hint.hint)) states.push_back(device_state(device));
    return extension_status(aggregate_device_states(states));
}

void SimState::index_hints() const {
    if (hints_indexed_ == hints.size()) return;
    for (std::size_t i = hints_indexed_; i < hints.size(); ++i)
        for (std::string_view device : hint_devices(hints[i].hint)) {
            auto& list = hint_index_[lower_ascii(device)];
            if (list.empty() || list.back() != i) list.push_back(i);
        }
    hints_indexed_ = hints.size();
}

const std::vector<std::size_t>& SimState::hints_of_device(std::string_view device) const {
    static const std::vector<std::size_t> kNone;
    index_hints();
    auto it = hint_index_.find(lower_ascii(device));
    return it == hint_index_.end() ? kNone : it->second;
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

void SimState::add_contact(Contact contact) {
    auto& ids = contacts_by_aor_[contact.aor];
    if (std::find(ids.begin(), ids.end(), contact.id) == ids.end()) ids.push_back(contact.id);
    std::string id = contact.id;
    contacts[std::move(id)] = std::move(contact);
}

void SimState::remove_contact(std::string_view id) {
    auto it = contacts.find(std::string(id));
    if (it == contacts.end()) return;
    if (auto list = contacts_by_aor_.find(it->second.aor); list != contacts_by_aor_.end()) std::erase(list->second, it->first);
    contacts.erase(it);
}

std::vector<const Contact*> SimState::contacts_of_aor(std::string_view aor) const {
    std::vector<const Contact*> out;
    auto list = contacts_by_aor_.find(aor);
    if (list == contacts_by_aor_.end()) return out;
    for (const auto& id : list->second)
        if (auto it = contacts.find(id); it != contacts.end()) out.push_back(&it->second);
    // PJSIPShowContacts order (by id), whatever order they were added in.
    std::sort(out.begin(), out.end(), [](const Contact* a, const Contact* b) { return a->id < b->id; });
    return out;
}

Queue* SimState::find_queue(std::string_view name) {
    for (auto& q : queues)
        if (q.name == name) return &q;
    return nullptr;
}

QueueMember* SimState::find_queue_member(std::string_view queue, std::string_view interface) {
    for (auto& m : queue_members)
        if (m.queue == queue && ami::iequals(m.interface(), interface)) return &m;
    return nullptr;
}

ParkingLot* SimState::find_parking_lot(std::string_view name) {
    for (auto& lot : parking_lots)
        if (lot.name == name) return &lot;
    return nullptr;
}

ParkedCall* SimState::find_parked_call(int space) {
    for (auto& p : parked_calls)
        if (p.space == space) return &p;
    return nullptr;
}

ParkedCall* SimState::find_parked_channel(std::string_view channel) {
    for (auto& p : parked_calls)
        if (p.channel == channel) return &p;
    return nullptr;
}

Conference* SimState::find_conference(std::string_view name) {
    for (auto& c : conferences)
        if (c.name == name) return &c;
    return nullptr;
}

Registration* SimState::find_registration(std::string_view name) {
    for (auto& r : registrations)
        if (r.name == name) return &r;
    return nullptr;
}

Mailbox* SimState::find_mailbox(std::string_view id) {
    for (auto& m : mailboxes)
        if (m.id == id) return &m;
    return nullptr;
}

}  // namespace amisim
