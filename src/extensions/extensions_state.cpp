#include "extensions/extensions_state.hpp"

#include <algorithm>
#include <charconv>

namespace extensions {

using ami::iequals;
using ami::Message;

namespace {

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return std::string(s);
}

int to_int(std::string_view s, int fallback = 0) {
    int v = fallback;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc() ? v : fallback;
}

// chan_sip says "-none-" or "(null)" where there is no address.
bool is_address(std::string_view ip) { return !ip.empty() && ip != "-none-" && ip != "(null)" && ip != "(Unspecified)"; }

// `"Alice Anderson" <2001>` -> `Alice Anderson`; `<2001>` -> ``; `Alice` -> `Alice`.
std::string callerid_name(std::string_view cid) {
    const std::size_t lt = cid.rfind('<');
    std::string_view name = lt == std::string_view::npos ? cid : cid.substr(0, lt);
    std::string out = trim(name);
    if (out.size() >= 2 && out.front() == '"' && out.back() == '"') out = out.substr(1, out.size() - 2);
    return out;
}

// "SIP/2001" -> {"SIP", "2001"}; "SIP/2001-0000002a" is a channel, not a device: not split here.
std::pair<std::string_view, std::string_view> split_device(std::string_view device) {
    const std::size_t slash = device.find('/');
    if (slash == std::string_view::npos) return {{}, device};
    return {device.substr(0, slash), device.substr(slash + 1)};
}

bool hint_includes(std::string_view hint, std::string_view device) {
    while (!hint.empty()) {
        const std::size_t amp = hint.find('&');
        if (iequals(hint.substr(0, amp), device)) return true;
        if (amp == std::string_view::npos) break;
        hint.remove_prefix(amp + 1);
    }
    return false;
}

// "sip:3001-0x5@127.0.0.1:5091;ob" -> {"127.0.0.1", 5091}; "sip:[::1]:5060" -> {"::1", 5060}.
std::pair<std::string, int> uri_host_port(std::string_view uri) {
    if (const auto colon = uri.find(':'); colon != std::string_view::npos && colon < 6) uri.remove_prefix(colon + 1);
    if (const auto at = uri.find('@'); at != std::string_view::npos) uri.remove_prefix(at + 1);
    uri = uri.substr(0, std::min(uri.find(';'), uri.find('>')));
    std::string_view host = uri;
    int port = 0;
    if (!uri.empty() && uri.front() == '[') {
        const auto close = uri.find(']');
        host = uri.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
        if (close != std::string_view::npos && close + 1 < uri.size() && uri[close + 1] == ':')
            port = to_int(uri.substr(close + 2));
    } else if (const auto colon = uri.rfind(':'); colon != std::string_view::npos) {
        host = uri.substr(0, colon);
        port = to_int(uri.substr(colon + 1));
    }
    return {std::string(host), port};
}

bool contact_usable(const Contact& c) {
    return !iequals(c.status, "Unreachable") && !iequals(c.status, "Removed") && !iequals(c.status, "Unavailable");
}

// AstDB value of a call forward -> {number, voicemail box}.
std::pair<std::string, std::string> split_forward(std::optional<std::string_view> v) {
    if (!v || v->empty()) return {};
    if (v->substr(0, 3) == "vmu") return {"", std::string(v->substr(3))};
    if (v->front() == '*') return {"", std::string(v->substr(1))};
    return {std::string(*v), ""};
}

}  // namespace

std::string_view tech_name(Tech tech) noexcept {
    switch (tech) {
        case Tech::Sip: return "SIP";
        case Tech::Pjsip: return "PJSIP";
        case Tech::Iax2: return "IAX2";
    }
    return "SIP";
}

std::optional<Tech> tech_from_name(std::string_view name) noexcept {
    if (iequals(name, "SIP")) return Tech::Sip;
    if (iequals(name, "PJSIP")) return Tech::Pjsip;
    if (iequals(name, "IAX2")) return Tech::Iax2;
    return std::nullopt;
}

std::string Extension::device() const { return std::string(tech_name(tech)) + "/" + exten; }

ExtensionsState::ExtensionsState(std::set<std::string> trunks) : trunks_(std::move(trunks)) {}

bool ExtensionsState::is_trunk(std::string_view name) const { return trunks_.count(std::string(name)) > 0; }

void ExtensionsState::set_trunks(std::set<std::string> trunks) {
    trunks_ = std::move(trunks);
    for (auto it = extensions_.begin(); it != extensions_.end();)
        it = is_trunk(it->first) ? extensions_.erase(it) : std::next(it);
}

Extension* ExtensionsState::find(std::string_view exten) {
    auto it = extensions_.find(exten);
    return it == extensions_.end() ? nullptr : &it->second;
}

Extension* ExtensionsState::find_by_device(std::string_view device) {
    const auto [tech, resource] = split_device(device);
    const auto t = tech_from_name(tech);
    if (!t) return nullptr;
    Extension* ext = find(resource);
    return ext && ext->tech == *t ? ext : nullptr;
}

Extension& ExtensionsState::upsert(std::string_view exten, Tech tech) {
    auto it = extensions_.lower_bound(exten);  // one search: also the place of a new one
    if (it == extensions_.end() || it->first != exten) it = extensions_.emplace_hint(it, std::string(exten), Extension{});
    Extension& ext = it->second;
    if (ext.exten != exten) ext.exten = std::string(exten);
    ext.tech = tech;
    return ext;
}

// --- snapshot ---

void ExtensionsState::request_snapshot(model::SnapshotRequester& r) {
    using ami::Action;
    using ami::ActionResult;
    r.request(Action("SIPpeers"), [this, &r](ActionResult& res) {
        if (!res.ok()) return;  // no chan_sip
        for (const auto& item : res.events) {
            add_peer_entry(item);
            const std::string peer(item.get("ObjectName"));
            if (peer.empty() || is_trunk(peer) || !iequals(item.get("Channeltype"), "SIP")) continue;
            Action show("SIPshowpeer");
            show.set("Peer", peer);
            r.request(show, [this](ActionResult& sr) { if (sr.ok()) add_sip_show_peer(sr.response); });
        }
    });
    // IAX2 peers are extensions too (chan_iax2 answers PeerEntry items like chan_sip's).
    r.request(Action("IAXpeerlist"), [this](ActionResult& res) {
        if (!res.ok()) return;  // no chan_iax2
        for (const auto& item : res.events) add_peer_entry(item);
    });
    r.request(Action("PJSIPShowEndpoints"), [this, &r](ActionResult& res) {
        if (!res.ok()) return;  // no res_pjsip
        for (const auto& item : res.events) {
            add_endpoint_list(item);
            const std::string endpoint(item.get("ObjectName"));
            if (endpoint.empty() || is_trunk(endpoint)) continue;
            Action show("PJSIPShowEndpoint");
            show.set("Endpoint", endpoint);
            r.request(show, [this](ActionResult& sr) {
                for (const auto& detail : sr.events) add_endpoint_detail(detail);
            });
        }
        r.request(Action("PJSIPShowContacts"), [this](ActionResult& cr) {
            for (const auto& contact : cr.events) add_contact_list(contact);
        });
    });
    r.request(Action("ExtensionStateList"), [this](ActionResult& res) {
        for (const auto& item : res.events) add_extension_status(item);
    });
    r.request(Action("DeviceStateList"), [this](ActionResult& res) {
        for (const auto& item : res.events) add_device_state(item);
    });
    // FreePBX keeps DND and call forwards in AstDB, one family each.
    for (const std::string family : {"DND", "CF", "CFB", "CFU"}) {
        Action tree("DBGetTree");
        tree.set("Family", family);
        r.request(tree, [this, &r, family](ActionResult& res) {
            if (res.ok()) {
                for (const auto& item : res.events) add_db_entry(item);
                return;
            }
            // Asterisk 13 has no DBGetTree: read the family from the CLI instead.
            Action show("Command");
            show.set("Command", "database show " + family);
            r.request(show, [this](ActionResult& cr) { add_db_show_output(cr.response.get_all("Output")); });
        });
    }
}

void ExtensionsState::add_peer_entry(const Message& m) {
    const std::string name(m.get("ObjectName"));
    const auto tech = tech_from_name(m.get("Channeltype"));
    if (name.empty() || !tech || is_trunk(name) || !iequals(m.get("ChanObjectType", "peer"), "peer")) return;
    Extension& ext = upsert(name, *tech);
    if (ext.name.empty()) ext.name = trim(m.get("Description"));
    const std::string_view ip = m.get("IPaddress");
    ext.address_ip = is_address(ip) ? std::string(ip) : std::string();
    ext.address_port = ext.address_ip.empty() ? 0 : to_int(m.get("IPport"));
    ext.qualify_unreachable = m.get("Status").substr(0, 11) == "UNREACHABLE";
}

void ExtensionsState::add_sip_show_peer(const Message& m) {
    const std::string name(m.get("ObjectName"));
    if (name.empty() || is_trunk(name)) return;
    Extension& ext = upsert(name, tech_from_name(m.get("Channeltype")).value_or(Tech::Sip));
    const std::string cid = callerid_name(m.get("Callerid"));
    if (!cid.empty()) ext.name = cid;
    else if (ext.name.empty()) ext.name = trim(m.get("Description"));
    ext.context = std::string(m.get("Context"));
    // Address-IP tells the truth; Status: stays "OK" after an unregistration (fixture 04).
    const std::string_view ip = m.get("Address-IP");
    ext.address_ip = is_address(ip) ? std::string(ip) : std::string();
    ext.address_port = ext.address_ip.empty() ? 0 : to_int(m.get("Address-Port"));
    ext.user_agent = std::string(m.get("SIP-Useragent"));
}

void ExtensionsState::add_endpoint_list(const Message& m) {
    const std::string name(m.get("ObjectName"));
    if (name.empty() || is_trunk(name)) return;
    Extension& ext = upsert(name, Tech::Pjsip);
    // "Contacts: 3001/sip:3001-0x5@127.0.0.1:5091," — AOR/URI pairs, comma-terminated.
    std::string_view contacts = m.get("Contacts");
    while (!contacts.empty()) {
        const std::size_t comma = contacts.find(',');
        std::string_view item = contacts.substr(0, comma);
        if (const auto slash = item.find('/'); slash != std::string_view::npos) {
            const std::string uri(item.substr(slash + 1));
            if (!uri.empty() && !ext.contacts.count(uri)) ext.contacts[uri] = Contact{"Unknown", ""};
        }
        if (comma == std::string_view::npos) break;
        contacts.remove_prefix(comma + 1);
    }
}

void ExtensionsState::add_endpoint_detail(const Message& m) {
    if (iequals(m.event(), "EndpointDetail")) {
        const std::string name(m.get("ObjectName"));
        if (name.empty() || is_trunk(name)) return;
        Extension& ext = upsert(name, Tech::Pjsip);
        const std::string cid = callerid_name(m.get("Callerid"));
        if (!cid.empty()) ext.name = cid;
        ext.context = std::string(m.get("Context"));
    } else if (iequals(m.event(), "ContactStatusDetail")) {
        std::string endpoint(m.get("EndpointName"));
        if (endpoint.empty()) endpoint = std::string(m.get("AOR"));
        Extension* ext = find(endpoint);
        const std::string uri(m.get("URI"));
        if (!ext || uri.empty()) return;
        ext->contacts[uri] = Contact{std::string(m.get("Status")), std::string(m.get("UserAgent"))};
    }
}

void ExtensionsState::add_contact_list(const Message& m) {
    Extension* ext = find(m.get("Endpoint"));
    const std::string uri(m.get("Uri"));
    if (!ext || uri.empty()) return;
    ext->contacts[uri] = Contact{std::string(m.get("Status")), std::string(m.get("UserAgent"))};
}

void ExtensionsState::add_db_entry(const Message& m) {
    std::string_view key = m.get("Key");
    std::string family(m.get("Family"));
    if (family.empty()) {  // DBGetTreeResponse: Key: /DND/2001
        if (!key.empty() && key.front() == '/') key.remove_prefix(1);
        const std::size_t slash = key.rfind('/');
        if (slash == std::string_view::npos) return;
        family = std::string(key.substr(0, slash));
        key = key.substr(slash + 1);
    }
    db_[family + "/" + std::string(key)] = std::string(m.get("Val"));
}

void ExtensionsState::add_db_show_output(const std::vector<std::string_view>& lines) {
    for (std::string_view line : lines) {
        // "/DND/4001                                         : YES                      "
        if (line.empty() || line.front() != '/') continue;
        const std::size_t sep = line.find(" : ");
        const std::size_t colon = sep == std::string_view::npos ? line.find(':') : sep + 1;
        if (colon == std::string_view::npos) continue;
        const std::string key = trim(line.substr(1, colon - 1));
        db_[key] = trim(line.substr(colon + 1));
    }
}

void ExtensionsState::add_device_state(const Message& m) {
    const std::string_view device = m.get("Device");
    if (!device.empty()) device_states_[std::string(device)] = std::string(m.get("State"));
}

void ExtensionsState::add_extension_status(const Message& m) {
    const std::string_view exten = m.get("Exten");
    const Extension* ext = find(exten);
    const std::string_view hint = m.get("Hint");
    // Only the extension's own hint (2001 -> SIP/2001&Custom:DND2001), not *762001 or parking hints.
    if (ext && (hint.empty() ? hints_.count(exten) > 0 : hint_includes(hint, ext->device()))) {
        HintState& h = hints_[std::string(exten)];
        if (!hint.empty()) h.hint = std::string(hint);
        h.status = to_int(m.get("Status"), -1);
    } else if (!ext && !hint.empty()) {
        // The extension may not be known yet (snapshot order): keep hints that name SIP/PJSIP/IAX2/<exten>.
        for (const char* tech : {"SIP/", "PJSIP/", "IAX2/"})
            if (hint_includes(hint, std::string(tech) + std::string(exten))) {
                hints_[std::string(exten)] = HintState{std::string(hint), to_int(m.get("Status"), -1)};
                break;
            }
    }
}

// --- live ---

void ExtensionsState::apply_event(const Message& e, model::Timestamp, model::ChangeSet& changes) {
    const std::string_view name = e.event();
    if (iequals(name, "DeviceStateChange")) {
        const std::string_view device = e.get("Device");
        add_device_state(e);
        if (device.size() > 10 && iequals(device.substr(0, 10), "Custom:DND")) {
            const std::string exten(device.substr(10));
            dnd_live_[exten] = device_state_active(e.get("State"));
            if (find(exten)) changes.extensions.insert(exten);
        } else if (const Extension* ext = find_by_device(device)) {
            changes.extensions.insert(ext->exten);
        }
    } else if (iequals(name, "ExtensionStatus")) {
        add_extension_status(e);
        if (find(e.get("Exten"))) changes.extensions.insert(std::string(e.get("Exten")));
    } else if (iequals(name, "PeerStatus")) {
        Extension* ext = find_by_device(e.get("Peer"));
        if (!ext) return;
        const std::string_view status = e.get("PeerStatus");
        if (ext->tech == Tech::Pjsip) return;  // PJSIP reachability comes from ContactStatus
        if (iequals(status, "Registered")) {
            const auto [host, port] = uri_host_port(e.get("Address"));
            ext->address_ip = host;
            ext->address_port = port;
            ext->qualify_unreachable = false;
            changes.refresh_endpoints.insert(ext->exten);  // new user agent, contact
        } else if (iequals(status, "Unregistered")) {
            ext->address_ip.clear();
            ext->address_port = 0;
        } else if (iequals(status, "Unreachable")) {
            ext->qualify_unreachable = true;
        } else if (iequals(status, "Reachable") || iequals(status, "Lagged")) {
            ext->qualify_unreachable = false;
        }
        changes.extensions.insert(ext->exten);
    } else if (iequals(name, "ContactStatus")) {
        std::string endpoint(e.get("EndpointName"));
        if (endpoint.empty()) endpoint = std::string(e.get("AOR"));
        Extension* ext = find(endpoint);
        const std::string uri(e.get("URI"));
        if (!ext || uri.empty()) return;
        const std::string_view status = e.get("ContactStatus");
        if (iequals(status, "Removed")) {
            ext->contacts.erase(uri);
        } else {
            const bool is_new = !ext->contacts.count(uri);
            ext->contacts[uri].status = std::string(status);
            if (is_new) changes.refresh_endpoints.insert(ext->exten);
        }
        changes.extensions.insert(ext->exten);
    } else if (iequals(name, "Newexten")) {
        note_feature_code(e);
        if (!iequals(e.get("Application"), "Set")) return;
        // Feature codes write AstDB from the dialplan: Set(DB(DND/2004)=YES), Set(DB(CF/3003)=3002).
        const std::string_view data = e.get("AppData");
        if (data.substr(0, 3) != "DB(") return;
        const std::size_t close = data.find(")=");
        const std::size_t slash = data.find('/');
        if (close == std::string_view::npos || slash == std::string_view::npos || slash > close) return;
        const std::string family(data.substr(3, slash - 3));
        const std::string key(data.substr(slash + 1, close - slash - 1));
        const std::string value(data.substr(close + 2));
        db_[family + "/" + key] = value;
        if (family == "DND") dnd_live_[key] = value == "YES";
        if (find(key)) changes.extensions.insert(key);
    } else if (iequals(name, "Hangup")) {
        // The feature code's dialplan is over: whatever it wrote or deleted is in AstDB now.
        auto it = feature_channels_.find(e.get("Channel"));
        if (it == feature_channels_.end()) return;
        for (const auto& exten : it->second)
            if (find(exten)) changes.refresh_astdb.insert(exten);
        feature_channels_.erase(it);
    }
    return;
}

void ExtensionsState::note_feature_code(const Message& e) {
    // Clearing a forward runs Set(RES=${DB_DELETE(CF/4003)}), and Newexten shows it expanded
    // (`AppData: RES=4002`): the key is not named, so the extension's keys are read again once
    // its channel hangs up. Setting one is seen directly (Set(DB(CF/4003)=4002), above).
    const std::string_view channel = e.get("Channel");
    const std::string_view data = e.get("AppData");
    const bool feature_code = !e.get("Exten").empty() && e.get("Exten").front() == '*';
    const std::size_t del = data.find("DB_DELETE(");
    if (!feature_code && del == std::string_view::npos) return;
    std::set<std::string> extens;
    // The channel's own extension: SIP/4003-00000018 -> device SIP/4003.
    if (const std::size_t dash = channel.rfind('-'); dash != std::string_view::npos)
        if (const Extension* ext = find_by_device(channel.substr(0, dash))) extens.insert(ext->exten);
    // An unexpanded DB_DELETE(CF/4003) names its key: that extension too, whatever the channel.
    if (del != std::string_view::npos) {
        const std::string_view arg = data.substr(del + 10, data.find(')', del) - del - 10);
        if (const std::size_t slash = arg.rfind('/'); slash != std::string_view::npos) {
            const std::string family(arg.substr(0, slash));
            const auto& families = astdb_families();
            if (std::find(families.begin(), families.end(), family) != families.end() && find(arg.substr(slash + 1)))
                extens.insert(std::string(arg.substr(slash + 1)));
        }
    }
    if (extens.empty() || channel.empty()) return;
    feature_channels_[std::string(channel)].insert(extens.begin(), extens.end());
}

const std::vector<std::string>& ExtensionsState::astdb_families() {
    static const std::vector<std::string> families = {"DND", "CF", "CFB", "CFU"};
    return families;
}

model::ChangeSet ExtensionsState::apply_db_get(const std::string& family, const std::string& exten,
                                               const ami::ActionResult& result) {
    model::ChangeSet changes;
    std::optional<std::string> value;
    if (result.ok()) {
        for (const auto& item : result.events)
            if (iequals(item.event(), "DBGetResponse")) value = std::string(item.get("Val"));
        if (!value) return changes;  // an answer without the value: nothing learned
    } else if (result.status != ami::ActionResult::Status::Error || result.message() != "Database entry not found") {
        return changes;
    }
    const std::string key = family + "/" + exten;
    if (value) db_[key] = *value;
    else db_.erase(key);
    // AstDB, read after the change, is the truth again: DND is AstDB DND = YES or the
    // Custom:DND<exten> lamp (kept live by DeviceStateChange), as after a snapshot.
    if (family == "DND") dnd_live_.erase(exten);
    if (find(exten)) changes.extensions.insert(exten);
    return changes;
}

model::ChangeSet ExtensionsState::refresh_endpoint(const std::string& exten, const std::vector<Message>& details) {
    model::ChangeSet changes;
    if (!find(exten)) return changes;
    for (const auto& m : details) {
        if (m.is_response()) add_sip_show_peer(m);
        else add_endpoint_detail(m);
    }
    changes.extensions.insert(exten);
    return changes;
}

// --- views ---

std::optional<std::string_view> ExtensionsState::db_get(std::string_view family, std::string_view key) const {
    auto it = db_.find(std::string(family) + "/" + std::string(key));
    if (it == db_.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string_view> ExtensionsState::device_state(std::string_view device) const {
    auto it = device_states_.find(device);
    if (it == device_states_.end()) return std::nullopt;
    return it->second;
}

bool ExtensionsState::dnd_of(const Extension& ext) const {
    if (auto it = dnd_live_.find(ext.exten); it != dnd_live_.end()) return it->second;
    if (db_get("DND", ext.exten) == std::string_view("YES")) return true;
    const auto custom = device_state("Custom:DND" + ext.exten);
    return custom && device_state_active(*custom);
}

Presence ExtensionsState::presence(const Extension& ext) const {
    StatusInputs in;
    if (ext.tech == Tech::Pjsip) {
        in.registered = std::any_of(ext.contacts.begin(), ext.contacts.end(), [](const auto& c) { return contact_usable(c.second); });
    } else {
        in.registered = !ext.address_ip.empty() && !ext.qualify_unreachable;
    }
    Presence p;
    p.dnd = dnd_of(ext);
    const auto dev = device_state(ext.device());
    if (dev) in.device_state = *dev;
    if (auto h = hints_.find(ext.exten); h != hints_.end()) in.hint_status = h->second.status;
    in.dnd = p.dnd;
    p.status = derive_status(in);
    return p;
}

ExtensionView ExtensionsState::view(const Extension& ext) const {
    ExtensionView v;
    v.exten = ext.exten;
    v.tech = ext.tech;
    v.name = ext.name;
    v.context = ext.context;
    if (ext.tech == Tech::Pjsip) {
        for (const auto& [uri, contact] : ext.contacts) {
            if (!contact_usable(contact)) continue;
            std::tie(v.ip, v.port) = uri_host_port(uri);
            v.user_agent = contact.user_agent;
            break;
        }
    } else if (!ext.address_ip.empty()) {
        v.ip = ext.address_ip;
        v.port = ext.address_port;
        v.user_agent = ext.user_agent;
    }
    const Presence p = presence(ext);
    v.dnd = p.dnd;
    v.status = p.status;
    std::tie(v.cf, v.cf_vm) = split_forward(db_get("CF", ext.exten));
    std::tie(v.cfb, v.cfb_vm) = split_forward(db_get("CFB", ext.exten));
    std::tie(v.cfu, v.cfu_vm) = split_forward(db_get("CFU", ext.exten));
    return v;
}

std::optional<ExtensionView> ExtensionsState::view(std::string_view exten) const {
    auto it = extensions_.find(exten);
    if (it == extensions_.end()) return std::nullopt;
    return view(it->second);
}

}  // namespace extensions
