#include "trunks/trunks_state.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace trunks {

using ami::iequals;
using ami::Message;

namespace {

int to_int(std::string_view s) {
    int v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() ? v : 0;
}

// chan_sip says "-none-" or "(null)" where there is no address.
bool is_address(std::string_view ip) { return !ip.empty() && ip != "-none-" && ip != "(null)" && ip != "(Unspecified)"; }

// chan_sip's peer Status, "OK (1 ms)" or "LAGGED (2001 ms)" or "Unmonitored", as its upper-cased first word.
std::string qualify_word(std::string_view status) {
    status = status.substr(0, status.find(' '));
    std::string out(status);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// "sip:trunk2@127.0.0.1:5070;transport=udp" -> {"127.0.0.1", 5070}; "sip:[::1]:5060" -> {"::1", 5060}.
std::pair<std::string, int> uri_host_port(std::string_view uri) {
    if (const auto colon = uri.find(':'); colon != std::string_view::npos && colon < 6) uri.remove_prefix(colon + 1);
    if (const auto at = uri.find('@'); at != std::string_view::npos) uri.remove_prefix(at + 1);
    uri = uri.substr(0, std::min(uri.find(';'), uri.find('>')));
    std::string_view host = uri;
    int port = 0;
    if (!uri.empty() && uri.front() == '[') {
        const auto close = uri.find(']');
        host = uri.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
        if (close != std::string_view::npos && close + 1 < uri.size() && uri[close + 1] == ':') port = to_int(uri.substr(close + 2));
    } else if (const auto colon = uri.rfind(':'); colon != std::string_view::npos) {
        host = uri.substr(0, colon);
        port = to_int(uri.substr(colon + 1));
    }
    return {std::string(host), port};
}

// "PJSIP/trunk1-0000002a" -> {"PJSIP", "trunk1"}; nullopt for anything that is not <tech>/<name>-<suffix>.
std::optional<std::pair<std::string_view, std::string_view>> split_channel(std::string_view channel) {
    const auto slash = channel.find('/');
    const auto dash = channel.rfind('-');
    if (slash == std::string_view::npos || dash == std::string_view::npos || dash <= slash + 1) return std::nullopt;
    return std::make_pair(channel.substr(0, slash), channel.substr(slash + 1, dash - slash - 1));
}

bool contact_up(std::string_view status) { return iequals(status, "Reachable"); }
// A contact nobody qualifies: Asterisk cannot tell whether it answers.
bool contact_unmonitored(std::string_view status) {
    return iequals(status, "NonQualified") || iequals(status, "Unknown") || iequals(status, "Created");
}

}  // namespace

std::string_view status_name(Status s) noexcept {
    switch (s) {
        case Status::Online: return "online";
        case Status::Offline: return "offline";
        case Status::Busy: return "busy";
        case Status::Unmonitored: return "unmonitored";
    }
    return "offline";
}

std::string_view registration_name(Registration r) noexcept {
    switch (r) {
        case Registration::Registered: return "registered";
        case Registration::Sent: return "sent";
        case Registration::Rejected: return "rejected";
        case Registration::NoAuth: return "noauth";
        case Registration::Failed: return "failed";
        case Registration::Unregistered: return "unregistered";
        case Registration::Unmonitored: return "unmonitored";
    }
    return "unmonitored";
}

Registration registration_from_asterisk(std::string_view state) noexcept {
    if (iequals(state, "Registered")) return Registration::Registered;
    if (iequals(state, "Request Sent") || iequals(state, "Auth. Sent")) return Registration::Sent;
    if (iequals(state, "Rejected")) return Registration::Rejected;
    if (iequals(state, "No Authentication")) return Registration::NoAuth;
    if (iequals(state, "Failed") || iequals(state, "Timeout")) return Registration::Failed;
    // "Unregistered", PJSIP's "Stopped"/"Stopping", anything unknown: not registered.
    return Registration::Unregistered;
}

// --- snapshot ---

void TrunksState::request_snapshot(model::SnapshotRequester& r) {
    using ami::Action;
    using ami::ActionResult;
    if (trunks_.empty()) return;  // nothing configured: read nothing
    // SIPpeers, PJSIPShowEndpoints, PJSIPShowContacts (and CoreShowChannels) are also asked for
    // by other capabilities: the extensions drop the trunks' entries. SnapshotSync sends an
    // action already in flight only once and hands its answer to every capability that asked,
    // so asking here keeps the capabilities independent without a second listing.
    r.request(Action("SIPpeers"), [this, &r](ActionResult& res) {
        if (!res.ok()) return;  // no chan_sip
        for (const auto& item : res.events) add_peer_entry(item);
        r.request(Action("SIPshowregistry"), [this](ActionResult& rr) {
            for (const auto& item : rr.events) add_registry_entry(item);
        });
    });
    r.request(Action("PJSIPShowEndpoints"), [this, &r](ActionResult& res) {
        if (!res.ok()) return;  // no res_pjsip
        for (const auto& item : res.events) add_endpoint_list(item);
        r.request(Action("PJSIPShowContacts"), [this](ActionResult& cr) {
            for (const auto& item : cr.events) add_contact_list(item);
        });
        r.request(Action("PJSIPShowRegistrationsOutbound"), [this](ActionResult& rr) {
            for (const auto& item : rr.events) add_outbound_registration(item);
        });
    });
    // The trunks' live channels (active_calls); Newchannel/Hangup keep them up to date.
    r.request(Action("CoreShowChannels"), [this](ActionResult& res) {
        for (const auto& item : res.events) add_channel(item);
    });
}

void TrunksState::add_peer_entry(const Message& m) {
    const std::string name(m.get("ObjectName"));
    const auto tech = extensions::tech_from_name(m.get("Channeltype"));
    if (!is_trunk(name) || !tech || !iequals(m.get("ChanObjectType", "peer"), "peer")) return;
    Peer& peer = peers_[name];
    peer.tech = *tech;
    peer.qualify = qualify_word(m.get("Status"));
    const std::string_view ip = m.get("IPaddress");
    peer.ip = is_address(ip) ? std::string(ip) : std::string();
    peer.port = peer.ip.empty() ? 0 : to_int(m.get("IPport"));
}

void TrunksState::add_registry_entry(const Message& m) {
    if (!iequals(m.event(), "RegistryEntry")) return;
    Outbound reg;
    reg.tech = Tech::Sip;
    reg.username = std::string(m.get("Username"));
    reg.host = std::string(m.get("Host"));
    reg.port = to_int(m.get("Port"));
    reg.state = std::string(m.get("State"));
    registrations_.push_back(std::move(reg));
}

void TrunksState::add_endpoint_list(const Message& m) {
    const std::string name(m.get("ObjectName"));
    if (!is_trunk(name)) return;
    Endpoint& endpoint = endpoints_[name];
    // "Contacts: trunk1/sip:127.0.0.1:5060," (AOR/URI pairs, comma-terminated), without a status:
    // a static contact nobody qualifies is listed here and nowhere else.
    std::string_view contacts = m.get("Contacts");
    while (!contacts.empty()) {
        const std::size_t comma = contacts.find(',');
        const std::string_view item = contacts.substr(0, comma);
        if (const auto slash = item.find('/'); slash != std::string_view::npos) {
            const std::string uri(item.substr(slash + 1));
            if (!uri.empty() && !endpoint.contacts.count(uri)) endpoint.contacts[uri] = "Unknown";
        }
        if (comma == std::string_view::npos) break;
        contacts.remove_prefix(comma + 1);
    }
    const std::string_view state = m.get("DeviceState");  // "Not in use", "Busy", ...
    if (!state.empty()) device_states_["PJSIP/" + name] = std::string(state);
}

void TrunksState::add_contact_list(const Message& m) {
    auto it = endpoints_.find(std::string(m.get("Endpoint")));
    const std::string uri(m.get("Uri"));
    if (it == endpoints_.end() || uri.empty()) return;
    it->second.contacts[uri] = std::string(m.get("Status"));
}

void TrunksState::add_outbound_registration(const Message& m) {
    if (!iequals(m.event(), "OutboundRegistrationDetail")) return;  // not the AuthDetail items
    Outbound reg;
    reg.tech = Tech::Pjsip;
    reg.object_name = std::string(m.get("ObjectName"));
    reg.endpoint = std::string(m.get("Endpoint"));
    reg.username = std::string(m.get("ClientUri"));
    reg.host = std::string(m.get("ServerUri"));
    reg.state = std::string(m.get("Status"));
    registrations_.push_back(std::move(reg));
}

void TrunksState::add_channel(const Message& m) {
    const std::string channel(m.get("Channel"));
    const auto parts = split_channel(channel);
    if (parts && extensions::tech_from_name(parts->first) && is_trunk(parts->second)) channels_.insert(channel);
}

// --- live ---

bool TrunksState::apply(const Message& e) {
    const std::string_view name = e.event();
    if (iequals(name, "Newchannel")) {
        const std::size_t before = channels_.size();
        add_channel(e);
        return channels_.size() != before;
    }
    if (iequals(name, "Hangup")) return channels_.erase(std::string(e.get("Channel"))) > 0;
    if (iequals(name, "Rename")) {  // a masquerade renamed a channel
        if (channels_.erase(std::string(e.get("Channel"))) == 0) return false;
        Message renamed;
        renamed.add("Channel", std::string(e.get("Newname")));
        add_channel(renamed);
        return true;
    }
    if (iequals(name, "DeviceStateChange")) {
        const std::string_view device = e.get("Device");
        const auto slash = device.find('/');
        if (slash == std::string_view::npos || !is_trunk(device.substr(slash + 1))) return false;
        device_states_[std::string(device)] = std::string(e.get("State"));
        return true;
    }
    if (iequals(name, "PeerStatus")) {
        const std::string_view peer_name = e.get("Peer");  // "SIP/trunk1"
        const auto slash = peer_name.find('/');
        if (slash == std::string_view::npos) return false;
        auto it = peers_.find(std::string(peer_name.substr(slash + 1)));
        // Only the chan_sip peer's own ("PJSIP/x" only repeats what ContactStatus says).
        if (it == peers_.end() || !iequals(peer_name.substr(0, slash), extensions::tech_name(it->second.tech))) return false;
        Peer& peer = it->second;
        const std::string_view status = e.get("PeerStatus");
        if (iequals(status, "Registered")) {
            std::tie(peer.ip, peer.port) = uri_host_port(e.get("Address"));
        } else if (iequals(status, "Unregistered")) {
            peer.ip.clear();
            peer.port = 0;
        } else if (iequals(status, "Reachable")) {
            peer.qualify = "OK";
        } else if (iequals(status, "Lagged")) {
            peer.qualify = "LAGGED";
        } else if (iequals(status, "Unreachable")) {
            peer.qualify = "UNREACHABLE";
        }
        return true;
    }
    if (iequals(name, "ContactStatus")) {
        std::string endpoint(e.get("EndpointName"));
        if (endpoint.empty()) endpoint = std::string(e.get("AOR"));
        auto it = endpoints_.find(endpoint);
        const std::string uri(e.get("URI"));
        if (it == endpoints_.end() || uri.empty()) return false;
        const std::string_view status = e.get("ContactStatus");
        if (iequals(status, "Removed")) it->second.contacts.erase(uri);
        else it->second.contacts[uri] = std::string(status);
        return true;
    }
    if (iequals(name, "Registry")) {
        // chan_sip: Username + Domain (the register line's host). PJSIP: Username is the client
        // URI and Domain the server URI of the registration object read in the snapshot.
        const std::string_view tech = e.get("ChannelType");
        const bool pjsip = iequals(tech, "PJSIP");
        if (!pjsip && !iequals(tech, "SIP")) return false;
        const std::string_view username = e.get("Username");
        const std::string_view host = e.get("Domain");
        for (auto& reg : registrations_) {
            if (reg.tech == (pjsip ? Tech::Pjsip : Tech::Sip) && reg.username == username && reg.host == host) {
                reg.state = std::string(e.get("Status"));
                return true;
            }
        }
        // A chan_sip registration added since the snapshot: chan_sip names it the same way.
        // A PJSIP one cannot be tied to its object name without PJSIPShowRegistrationsOutbound.
        if (pjsip) return false;
        registrations_.push_back(Outbound{Tech::Sip, "", "", std::string(username), std::string(host), 0,
                                          std::string(e.get("Status"))});
        return true;
    }
    return false;
}

void TrunksState::apply_event(const Message& event, model::Timestamp, model::ChangeSet& changes) {
    if (trunks_.empty()) return;
    static constexpr std::string_view kRelevant[] = {"Newchannel", "Hangup",       "Rename",       "DeviceStateChange",
                                                     "PeerStatus", "ContactStatus", "Registry"};
    const std::string_view name = event.event();
    if (std::none_of(std::begin(kRelevant), std::end(kRelevant), [&](std::string_view r) { return iequals(r, name); })) return;
    std::map<std::string, std::optional<TrunkView>> before;
    for (const auto& trunk : trunks_) before[trunk] = view(trunk);
    if (!apply(event)) return;
    for (const auto& [trunk, was] : before)
        if (view(trunk) != was) changes.trunks.insert(trunk);
}

// --- views ---

const TrunksState::Outbound* TrunksState::registration_of(const std::string& name) const {
    // PJSIP: the registration object named like the trunk, else the one whose endpoint it is.
    for (const auto& reg : registrations_)
        if (reg.tech == Tech::Pjsip && reg.object_name == name) return &reg;
    for (const auto& reg : registrations_)
        if (reg.tech == Tech::Pjsip && !reg.endpoint.empty() && reg.endpoint == name) return &reg;
    // chan_sip's register => lines name no peer: the one whose user is the trunk's name, else the
    // only one whose host is the peer's address.
    for (const auto& reg : registrations_)
        if (reg.tech == Tech::Sip && reg.username == name) return &reg;
    auto peer = peers_.find(name);
    if (peer == peers_.end() || peer->second.ip.empty()) return nullptr;
    const Outbound* found = nullptr;
    for (const auto& reg : registrations_) {
        if (reg.tech != Tech::Sip || reg.host != peer->second.ip) continue;
        if (found) return nullptr;  // ambiguous
        found = &reg;
    }
    return found;
}

int TrunksState::calls_of(const std::string& prefix) const {
    int n = 0;
    for (auto it = channels_.lower_bound(prefix); it != channels_.end() && it->compare(0, prefix.size(), prefix) == 0; ++it) ++n;
    return n;
}

std::vector<std::string> TrunksState::known() const {
    std::vector<std::string> out;
    for (const auto& trunk : trunks_)
        if (peers_.count(trunk) || endpoints_.count(trunk) || registration_of(trunk)) out.push_back(trunk);
    return out;
}

std::optional<TrunkView> TrunksState::view(std::string_view name_view) const {
    const std::string name(name_view);
    if (!is_trunk(name)) return std::nullopt;
    const auto peer = peers_.find(name);
    const auto endpoint = endpoints_.find(name);
    const Outbound* reg = registration_of(name);
    if (peer == peers_.end() && endpoint == endpoints_.end() && !reg) return std::nullopt;

    TrunkView v;
    v.name = name;
    v.tech = peer != peers_.end() ? peer->second.tech : endpoint != endpoints_.end() ? Tech::Pjsip : reg->tech;
    const auto device = device_states_.find(std::string(extensions::tech_name(v.tech)) + "/" + name);
    // chan_sip call-limit / PJSIP device_state_busy_at reached.
    const bool busy = device != device_states_.end() && iequals(device->second, "BUSY");

    if (peer != peers_.end()) {
        const Peer& p = peer->second;
        v.ip = p.ip;
        v.port = p.port;
        if (p.ip.empty() || p.qualify == "UNREACHABLE" || p.qualify == "UNKNOWN") v.status = Status::Offline;
        else if (busy) v.status = Status::Busy;
        else if (p.qualify == "UNMONITORED") v.status = Status::Unmonitored;
        else v.status = Status::Online;
    } else if (endpoint != endpoints_.end()) {
        bool up = false, unmonitored = false;
        for (const auto& [uri, status] : endpoint->second.contacts) {
            if (v.ip.empty()) std::tie(v.ip, v.port) = uri_host_port(uri);
            up = up || contact_up(status);
            unmonitored = unmonitored || contact_unmonitored(status);
        }
        if (!up && !unmonitored) v.status = Status::Offline;
        else if (busy) v.status = Status::Busy;
        else v.status = up ? Status::Online : Status::Unmonitored;
    } else {
        // Only a registration: nothing tells whether the other side answers.
        v.status = Status::Unmonitored;
    }

    if (reg) {
        v.registration = registration_from_asterisk(reg->state);
        if (v.ip.empty() && reg->tech == Tech::Pjsip) {
            std::tie(v.ip, v.port) = uri_host_port(reg->host);
        } else if (v.ip.empty()) {
            v.ip = reg->host;
            v.port = reg->port;
        }
    }
    v.active_calls = calls_of(std::string(extensions::tech_name(v.tech)) + "/" + name + "-");
    return v;
}

}  // namespace trunks
