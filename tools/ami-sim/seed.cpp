#include "ami-sim/seed.hpp"

#include <algorithm>
#include <cstdio>
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
        state.add_contact(c);
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
        if (known) continue;
        Queue queue;
        queue.name = std::string(m->get("Queue"));
        queue.params = headers_without(*m, {"Event", "ActionID"});
        if (m->has("ServiceLevel")) queue.service_level = to_int(m->get("ServiceLevel"));
        state.queues.push_back(std::move(queue));
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

void seed_parking_lots(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "Parkinglot")) {
        if (state.find_parking_lot(m->get("Name"))) continue;
        ParkingLot lot;
        lot.name = std::string(m->get("Name"));
        lot.start = to_int(m->get("StartSpace"));
        lot.stop = to_int(m->get("StopSpace"));
        lot.timeout = to_int(m->get("Timeout"));
        state.parking_lots.push_back(lot);
    }
}

// OutboundRegistrationDetail items, each followed by the AuthDetail of its outbound auth.
void seed_registrations(SimState& state, const Exchange& e) {
    Registration* last = nullptr;
    for (const auto* r : e.replies) {
        const ami::Message& m = r->message;
        if (ami::iequals(m.event(), "OutboundRegistrationDetail")) {
            if (state.find_registration(m.get("ObjectName"))) {
                last = nullptr;
                continue;
            }
            Registration reg;
            reg.name = std::string(m.get("ObjectName"));
            reg.status = std::string(m.get("Status"));
            reg.far_end = reg.status == "Rejected" ? "Rejected" : "Registered";
            reg.client_uri = std::string(m.get("ClientUri"));
            reg.server_uri = std::string(m.get("ServerUri"));
            reg.detail = headers_without(m, {"Event", "ActionID"});
            state.registrations.push_back(std::move(reg));
            last = &state.registrations.back();
        } else if (ami::iequals(m.event(), "AuthDetail") && last) {
            last->auth_detail = headers_without(m, {"Event", "ActionID"});
            last = nullptr;
        }
    }
}

void seed_voicemail_users(SimState& state, const Exchange& e) {
    for (const auto* m : items(e, "VoicemailUserEntry")) {
        if (state.voicemail_user.empty()) state.voicemail_user = headers_without(*m, {"Event", "ActionID"});
        const std::string id = std::string(m->get("VoiceMailbox")) + "@" + std::string(m->get("VMContext"));
        Mailbox* box = state.find_mailbox(id);
        if (!box) {
            Mailbox added;
            added.id = id;
            state.mailboxes.push_back(added);
            box = &state.mailboxes.back();
        }
        box->fullname = std::string(m->get("Fullname"));
        box->configured = true;
        box->new_messages = to_int(m->get("NewMessageCount"));
        box->old_messages = to_int(m->get("OldMessageCount"));
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

// What a snapshot does not list: the mailboxes behind the MWI:<box> devices, the VoicemailUserEntry
// header set (recorded on 22 only), a parking lot.
void complete_entities(SimState& state, Flavor flavor) {
    for (const auto& [device, s] : state.devices) {
        if (device.rfind("MWI:", 0) != 0) continue;
        const std::string id = device.substr(4);
        if (state.find_mailbox(id)) continue;
        Mailbox box;
        box.id = id;
        // "1234@devices@myaliases" is a mailbox alias, not a voicemail.conf user.
        box.configured = std::count(id.begin(), id.end(), '@') == 1;
        if (const Peer* p = state.find_peer(id.substr(0, id.find('@')))) box.fullname = p->callerid.name;
        state.mailboxes.push_back(box);
    }
    if (state.voicemail_user.empty() && flavor != Flavor::Asterisk22Pjsip) {
        const SimState pjsip = seed_state(Flavor::Asterisk22Pjsip, parse_recording(embedded_snapshot(Flavor::Asterisk22Pjsip)));
        state.voicemail_user = pjsip.voicemail_user;
    }
    if (state.parking_lots.empty()) state.parking_lots.push_back({});
    // A registration to this PBX itself (trunk2: server sip:127.0.0.1:5070, the transport's Bind,
    // client sip:selftrunk@...) lands on one of its own endpoints, whose inbound side shows it too.
    const std::string bind = header_value(state.transport, "Bind");
    for (auto& reg : state.registrations) {
        std::string_view user = reg.client_uri, server = reg.server_uri;
        if (user.rfind("sip:", 0) == 0) user.remove_prefix(4);
        if (server.rfind("sip:", 0) == 0) server.remove_prefix(4);
        user = user.substr(0, user.find('@'));
        if (bind.empty() || server != bind || !state.find_peer(user)) continue;
        reg.self_endpoint = std::string(user);
        reg.self_contact_uri = "sip:" + header_value(reg.detail, "ContactUser") + "@" + std::string(server);
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
        else if (ami::iequals(action, "Parkinglots")) seed_parking_lots(state, e);
        else if (ami::iequals(action, "PJSIPShowRegistrationsOutbound")) seed_registrations(state, e);
        else if (ami::iequals(action, "VoicemailUsersList")) seed_voicemail_users(state, e);
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
    complete_entities(state, flavor);
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
    // Mailbox owners: the peers' names, and the demo boxes of Asterisk's stock voicemail.conf
    // (the Asterisk 20 PBX shows their MWI devices; 14-shutdown shows their MessageWaiting).
    for (auto& box : state.mailboxes) {
        if (!box.fullname.empty()) continue;
        if (box.id == "1234@default") box.fullname = "Example Mailbox";
        else if (box.id == "1234@other") box.fullname = "Company2 User";
        else if (const Peer* p = state.find_peer(box.id.substr(0, box.id.find('@')))) box.fullname = p->callerid.name;
    }
    return state;
}

void generate_extensions(SimState& state, Flavor flavor, int count, int first) {
    if (count <= 0) return;
    const bool pjsip = traits(flavor).pjsip;
    const Peer* model = nullptr;
    for (const auto& p : state.peers)
        if (!model && p.registered && !is_trunk(p) && (pjsip ? !p.endpoint_detail.empty() : !p.show_peer.empty()))
            model = &p;
    if (!model) return;
    const Peer tmpl = *model;
    // The hint of the model's ext-local extension, with its number swapped ("SIP/2001&Custom:DND2001").
    std::string hint_context = "ext-local", hint_pattern = state.device_of(tmpl);
    for (const auto& h : state.hints)
        if (h.exten == tmpl.name && hint_has_device(h.hint, state.device_of(tmpl))) {
            hint_context = h.context;
            hint_pattern = h.hint;
            break;
        }
    auto swap_name = [&](std::string text, const std::string& name) {
        for (std::size_t at = 0; (at = text.find(tmpl.name, at)) != std::string::npos; at += name.size())
            text.replace(at, tmpl.name.size(), name);
        return text;
    };
    const Aor* model_aor = tmpl.aors.empty() || !state.aors.count(tmpl.aors.front()) ? nullptr : &state.aors.at(tmpl.aors.front());
    const Auth* model_auth = tmpl.auths.empty() || !state.auths.count(tmpl.auths.front()) ? nullptr : &state.auths.at(tmpl.auths.front());
    const Aor aor_template = model_aor ? *model_aor : Aor{};
    const Auth auth_template = model_auth ? *model_auth : Auth{};
    state.peers.reserve(state.peers.size() + static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        const std::string name = std::to_string(first + i);
        Peer p = tmpl;
        p.name = name;
        p.generated = true;
        p.callerid = {"Extension " + name, name};
        p.description.clear();
        p.voicemailbox.clear();
        p.registered = true;
        p.ip = "127.0.0.1";
        p.port = 20000 + i % 40000;
        const std::string address = p.ip + ":" + std::to_string(p.port);
        if (!pjsip) {
            p.default_username = name;
            p.reg_contact = "sip:" + name + "@" + address;
            p.status = "OK (1 ms)";
            p.reg_expire = "600 seconds";
        } else {
            p.aors = {name};
            p.auths = {name + "-auth"};
            Aor aor = aor_template;
            aor.name = name;
            aor.static_contacts.clear();
            set_header(aor.headers, "ObjectName", name);
            set_header(aor.headers, "Mailboxes", "");
            state.aors[name] = aor;
            Auth auth = auth_template;
            auth.name = name + "-auth";
            set_header(auth.headers, "ObjectName", auth.name);
            set_header(auth.headers, "Username", name);
            set_header(auth.headers, "Password", "pass" + name);
            state.auths[auth.name] = auth;
            char id[64];
            std::snprintf(id, sizeof id, "%032x", static_cast<unsigned>(first + i));
            Contact c;
            c.id = name + ";@" + id;
            c.aor = name;
            c.endpoint = name;
            c.uri = "sip:" + name + "@" + address;
            c.via_addr = p.ip;
            c.via_port = p.port;
            c.call_id = std::string(id).substr(16);
            c.user_agent = p.useragent;
            c.expiration_time = "4102444800";
            c.status = "Reachable";
            c.roundtrip_usec = "1000";
            state.add_contact(c);
        }
        const std::string device = state.device_of(p);
        state.peers.push_back(std::move(p));
        state.cache_device_state(device, DeviceState::NotInUse);
        state.hints.push_back({name, hint_context, swap_name(hint_pattern, name), 0});
    }
}

}  // namespace amisim
