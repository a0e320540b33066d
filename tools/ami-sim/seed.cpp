#include "ami-sim/seed.hpp"

#include <cstdlib>
#include <sstream>

namespace amisim {

namespace {

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string item(text.substr(start, comma - start));
        while (!item.empty() && item.front() == ' ') item.erase(0, 1);
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (!item.empty()) out.push_back(item);
        start = comma + 1;
    }
    return out;
}

int to_int(std::string_view text) { return std::atoi(std::string(text).c_str()); }

std::string_view action_of(const Exchange& e) { return e.request->message.get("Action"); }

bool succeeded(const Exchange& e) {
    return !e.replies.empty() && ami::iequals(e.replies.front()->message.response(), "Success");
}

std::vector<const ami::Message*> items(const Exchange& e, std::string_view event) {
    std::vector<const ami::Message*> out;
    for (const auto* r : e.replies)
        if (ami::iequals(r->message.event(), event)) out.push_back(&r->message);
    return out;
}

// The lines of a Command answer: Output: headers (14+), or the raw text the parser turned into
// Output: headers (13).
std::vector<std::string_view> command_output(const Exchange& e) {
    if (e.replies.empty()) return {};
    return e.replies.front()->message.get_all("Output");
}

Peer& peer_named(SimState& state, std::string_view name) {
    if (Peer* p = state.find_peer(name)) return *p;
    Peer p;
    p.name = std::string(name);
    state.peers.push_back(std::move(p));
    return state.peers.back();
}

void seed_sip_peers(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "PeerEntry")) {
        Peer& p = peer_named(state, m->get("ObjectName"));
        p.peer_entry = headers_without(*m, {"Event", "ActionID"});
        const std::string_view ip = m->get("IPaddress");
        p.registered = !ip.empty() && ip != "-none-";
        if (p.registered) {
            p.ip = std::string(ip);
            p.port = to_int(m->get("IPport"));
        }
        p.status = std::string(m->get("Status"));
        p.description = std::string(m->get("Description"));
    }
}

void seed_sip_show_peer(SimState& state, const Exchange& e) {
    if (!succeeded(e)) return;
    const ami::Message& m = e.replies.front()->message;
    Peer& p = peer_named(state, m.get("ObjectName"));
    p.show_peer = headers_without(m, {"Response", "ActionID"});
    p.callerid = parse_callerid(m.get("Callerid"));
    p.useragent = std::string(m.get("SIP-Useragent"));
    p.reg_contact = std::string(m.get("Reg-Contact"));
    p.default_username = std::string(m.get("Default-Username"));
    p.voicemailbox = std::string(m.get("VoiceMailbox"));
    p.reg_expire = std::string(m.get("RegExpire"));
    p.last_msgs_sent = std::string(m.get("LastMsgsSent"));
    p.status = std::string(m.get("Status"));
    p.description = std::string(m.get("Description"));
}

// "2001/2001-0x5569e1b33600  127.0.0.1 ..." gives the username of peers without SIPshowpeer.
void seed_sip_show_peers_output(SimState& state, const Exchange& e) {
    for (auto line : command_output(e)) {
        const std::string_view first = line.substr(0, line.find(' '));
        const auto slash = first.find('/');
        if (slash == std::string_view::npos) continue;
        if (Peer* p = state.find_peer(first.substr(0, slash)); p && p->default_username.empty())
            p->default_username = std::string(first.substr(slash + 1));
    }
}

// "/DND/4001                                         : YES                      "
void seed_database_show_output(SimState& state, const Exchange& e) {
    for (auto line : command_output(e)) {
        if (line.empty() || line.front() != '/') continue;
        const auto sep = line.find(": ");
        if (sep == std::string_view::npos) continue;
        std::string key(line.substr(0, sep));
        std::string value(line.substr(sep + 2));
        while (!key.empty() && key.back() == ' ') key.pop_back();
        while (!value.empty() && value.back() == ' ') value.pop_back();
        state.db[key] = value;
    }
}

void seed_endpoints(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "EndpointList")) {
        Peer& p = peer_named(state, m->get("ObjectName"));
        p.endpoint_list = headers_without(*m, {"Event", "ActionID"});
        p.aors = split_list(m->get("Aor"));
        p.auths = split_list(m->get("Auths"));
        p.outbound_auths = split_list(m->get("OutboundAuths"));
    }
}

void seed_endpoint_detail(SimState& state, const Exchange& e) {
    for (const auto* r : e.replies) {
        const ami::Message& m = r->message;
        const std::string_view event = m.event();
        if (ami::iequals(event, "EndpointDetail")) {
            Peer& p = peer_named(state, m.get("ObjectName"));
            p.endpoint_detail = headers_without(m, {"Event", "ActionID"});
            p.callerid = parse_callerid(m.get("Callerid"));
        } else if (ami::iequals(event, "AuthDetail")) {
            Auth& a = state.auths[std::string(m.get("ObjectName"))];
            a.name = std::string(m.get("ObjectName"));
            a.headers = headers_without(m, {"Event", "ActionID", "EndpointName"});
        } else if (ami::iequals(event, "TransportDetail")) {
            state.transport = headers_without(m, {"Event", "ActionID", "EndpointName"});
        } else if (ami::iequals(event, "AorDetail")) {
            Aor& a = state.aors[std::string(m.get("ObjectName"))];
            a.name = std::string(m.get("ObjectName"));
            if (a.headers.empty())
                a.headers = headers_without(m, {"Event", "ActionID", "TotalContacts", "ContactsRegistered", "EndpointName"});
        }
    }
}

void seed_aors(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "AorList")) {
        Aor& a = state.aors[std::string(m->get("ObjectName"))];
        a.name = std::string(m->get("ObjectName"));
        a.headers = headers_without(*m, {"Event", "ActionID"});
    }
}

void seed_auths(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "AuthList")) {
        Auth& a = state.auths[std::string(m->get("ObjectName"))];
        a.name = std::string(m->get("ObjectName"));
        if (a.headers.empty()) a.headers = headers_without(*m, {"Event", "ActionID"});
    }
}

void seed_contacts(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "ContactList")) {
        Contact c;
        c.id = std::string(m->get("ObjectName"));
        c.aor = c.id.substr(0, c.id.find(';'));
        c.endpoint = std::string(m->get("Endpoint"));
        c.uri = std::string(m->get("Uri"));
        c.via_addr = std::string(m->get("ViaAddr"));
        c.via_port = to_int(m->get("ViaPort"));
        c.call_id = std::string(m->get("CallId"));
        c.user_agent = std::string(m->get("UserAgent"));
        c.expiration_time = std::string(m->get("ExpirationTime"));
        c.qualify_frequency = std::string(m->get("QualifyFrequency"));
        c.status = std::string(m->get("Status"));
        c.roundtrip_usec = std::string(m->get("RoundtripUsec"));
        state.contacts[c.id] = c;
    }
}

void seed_hints(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "ExtensionStatus")) {
        Hint h{std::string(m->get("Exten")), std::string(m->get("Context")), std::string(m->get("Hint")),
               to_int(m->get("Status"))};
        bool known = false;
        for (auto& existing : state.hints)
            if (existing.exten == h.exten && existing.context == h.context) known = true;
        if (!known) state.hints.push_back(std::move(h));
    }
}

void seed_devices(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "DeviceStateChange"))
        if (auto s = parse_device_state(m->get("State"))) state.cache_device_state(m->get("Device"), *s);
}

void seed_queues(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "QueueParams")) {
        bool known = false;
        for (const auto& q : state.queues) known = known || q.name == m->get("Queue");
        if (!known) state.queues.push_back({std::string(m->get("Queue")), headers_without(*m, {"Event", "ActionID"})});
    }
    for (const auto* m : items(e, "QueueMember")) {
        bool known = false;
        for (const auto& qm : state.queue_members) {
            for (const auto& h : qm.headers)
                if (h.name == "Location" && h.value == m->get("Location") && qm.queue == m->get("Queue")) known = true;
        }
        if (!known)
            state.queue_members.push_back({std::string(m->get("Queue")), std::string(m->get("StateInterface")),
                                           headers_without(*m, {"Event", "ActionID"})});
    }
}

void seed_db(SimState& state, const Exchange& e) {
    const std::string_view action = action_of(e);
    const ami::Message& req = e.request->message;
    if (ami::iequals(action, "DBGetTree")) {
        for (const auto* m : items(e, "DBGetTreeResponse")) state.db[std::string(m->get("Key"))] = std::string(m->get("Val"));
    } else if (ami::iequals(action, "DBGet")) {
        for (const auto* m : items(e, "DBGetResponse")) state.db_put(m->get("Family"), m->get("Key"), m->get("Val"));
    } else if (ami::iequals(action, "DBPut") && succeeded(e)) {
        state.db_put(req.get("Family"), req.get("Key"), req.get("Val"));
    } else if (ami::iequals(action, "DBDel") && succeeded(e)) {
        state.db_del(req.get("Family"), req.get("Key"));
    } else if (ami::iequals(action, "DBDelTree") && succeeded(e)) {
        state.db_del_tree(req.get("Family"), req.get("Key"));
    }
}

// Fills what the snapshot does not show for every peer: chan_sip answers SIPshowpeer and
// PJSIP answers PJSIPShowEndpoint for two peers only; the others get the same header set.
void complete_peers(SimState& state, Flavor flavor) {
    const Peer* show_template = nullptr;
    const Peer* detail_template = nullptr;
    for (const auto& p : state.peers) {
        if (!show_template && !p.show_peer.empty()) show_template = &p;
        if (!detail_template && !p.endpoint_detail.empty()) detail_template = &p;
    }
    const std::vector<ami::Header> show = show_template ? show_template->show_peer : std::vector<ami::Header>{};
    const std::string template_agent = show_template ? show_template->useragent : std::string();
    const std::string template_expire = show_template ? show_template->reg_expire : std::string("-1 seconds");
    const std::vector<ami::Header> detail =
        detail_template ? detail_template->endpoint_detail : std::vector<ami::Header>{};

    for (auto& p : state.peers) {
        if (!traits(flavor).pjsip && p.show_peer.empty()) {
            p.show_peer = show;
            p.voicemailbox.clear();
            if (p.registered) {
                p.useragent = template_agent;
                p.reg_expire = template_expire;
                if (!p.default_username.empty())
                    p.reg_contact = "sip:" + p.default_username + "@" + p.ip + ":" + std::to_string(p.port);
            }
        }
        if (traits(flavor).pjsip) {
            if (p.endpoint_detail.empty()) p.endpoint_detail = detail;
            std::vector<const Contact*> contacts;
            for (const auto& aor : p.aors)
                for (const Contact* c : state.contacts_of_aor(aor)) contacts.push_back(c);
            bool has_static = false;
            for (const auto& aor : p.aors)
                if (auto it = state.aors.find(aor); it != state.aors.end()) has_static |= !it->second.static_contacts.empty();
            p.registered = !contacts.empty() || has_static;
            if (!contacts.empty()) {
                p.ip = contacts.front()->via_addr;
                p.port = contacts.front()->via_port;
                p.useragent = contacts.front()->user_agent;
            }
        }
        if (p.callerid.name.empty()) {
            const std::string device = state.device_of(p);
            for (const auto& qm : state.queue_members)
                if (qm.state_interface == device)
                    for (const auto& h : qm.headers)
                        if (h.name == "Name") p.callerid.name = h.value;
        }
        if (p.callerid.name.empty())
            if (auto name = state.db_get("AMPUSER", p.name + "/cidname")) p.callerid.name = *name;
        if (p.callerid.number.empty()) {
            if (auto number = state.db_get("AMPUSER", p.name + "/cidnum")) p.callerid.number = *number;
            else p.callerid.number = p.name;
        }
    }
}

// Contacts an AOR lists that no REGISTER created (trunk1's configured contact).
void find_static_contacts(SimState& state) {
    for (auto& [name, aor] : state.aors) {
        std::string_view listed;
        for (const auto& h : aor.headers)
            if (h.name == "Contacts") listed = h.value;
        for (const auto& entry : split_list(listed)) {
            bool dynamic = false;
            for (const Contact* c : state.contacts_of_aor(name)) dynamic = dynamic || entry == name + "/" + c->uri;
            if (!dynamic) aor.static_contacts.push_back(entry);
        }
    }
}

// A hint of one device no model derives (park:71@parkedcalls) keeps the state it was recorded in.
void seed_provider_states(SimState& state) {
    const std::string tech = state.tech + "/";
    for (const auto& h : state.hints) {
        const std::string& device = h.hint;
        if (device.empty() || device.find('&') != std::string::npos || device.rfind(tech, 0) == 0 ||
            device.rfind("Custom:", 0) == 0)
            continue;
        bool cached = false;
        for (const auto& [name, s] : state.devices) cached = cached || ami::iequals(name, device);
        if (cached) continue;
        DeviceState s = DeviceState::NotInUse;
        switch (h.last_status) {
            case 1: s = DeviceState::InUse; break;
            case 2: s = DeviceState::Busy; break;
            case 4: s = DeviceState::Unavailable; break;
            case 8: s = DeviceState::Ringing; break;
            case 9: s = DeviceState::RingInUse; break;
            case 16: s = DeviceState::OnHold; break;
            default: break;
        }
        state.provider_states[device] = s;
    }
}

}  // namespace

SimState seed_state(Flavor flavor, const std::vector<RecordedMessage>& recording) {
    SimState state;
    state.tech = std::string(traits(flavor).tech);
    for (const Exchange& e : exchanges(recording)) {
        const std::string_view action = action_of(e);
        const ami::Message& req = e.request->message;
        if (ami::iequals(action, "SIPpeers")) seed_sip_peers(state, e);
        else if (ami::iequals(action, "SIPshowpeer")) seed_sip_show_peer(state, e);
        else if (ami::iequals(action, "PJSIPShowEndpoints")) seed_endpoints(state, e);
        else if (ami::iequals(action, "PJSIPShowEndpoint")) seed_endpoint_detail(state, e);
        else if (ami::iequals(action, "PJSIPShowAors")) seed_aors(state, e);
        else if (ami::iequals(action, "PJSIPShowAuths")) seed_auths(state, e);
        else if (ami::iequals(action, "PJSIPShowContacts")) seed_contacts(state, e);
        else if (ami::iequals(action, "ExtensionStateList")) seed_hints(state, e);
        else if (ami::iequals(action, "DeviceStateList")) seed_devices(state, e);
        else if (ami::iequals(action, "QueueStatus")) seed_queues(state, e);
        else if (ami::iequals(action, "Getvar")) {
            const std::string_view var = req.get("Variable");
            if (succeeded(e) && !var.empty() && var.find('(') == std::string_view::npos)
                state.globals[std::string(var)] = std::string(e.replies.front()->message.get("Value"));
        } else if (ami::iequals(action, "Command")) {
            const std::string_view command = req.get("Command");
            if (command == "sip show peers") seed_sip_show_peers_output(state, e);
            else if (command.rfind("database show", 0) == 0) seed_database_show_output(state, e);
        } else {
            seed_db(state, e);
        }
    }
    find_static_contacts(state);
    complete_peers(state, flavor);
    seed_provider_states(state);
    return state;
}

SimState default_state(Flavor flavor) {
    SimState state = seed_state(flavor, parse_recording(embedded_snapshot(flavor)));
    // From the PBX configuration sections of the fixture READMEs.
    static const char* const kNames[] = {"Alice Anderson", "Bob Brown", "Carol Clark",
                                         "Dave Davis", "Eve Evans", "Frank Fischer"};
    for (auto& p : state.peers) {
        if (!p.callerid.name.empty() || p.name.size() != 4) continue;
        const int index = p.name[3] - '1';
        if (index >= 0 && index < 6 && (p.name[0] == '2' || p.name[0] == '3' || p.name[0] == '4') &&
            p.name.substr(1, 2) == "00")
            p.callerid.name = kNames[index];
    }
    return state;
}

}  // namespace amisim
