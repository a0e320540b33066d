#include "ami-sim/responses.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ami-sim/events.hpp"

namespace amisim {

namespace {

ami::Message list_item(std::string_view event, std::string_view action_id) {
    ami::Message m;
    m.add("Event", std::string(event));
    if (!action_id.empty()) m.add("ActionID", std::string(action_id));
    return m;
}

std::string list_start(std::string_view action_id, std::string_view message) {
    return response_message("Success", action_id, {{"EventList", "start"}, {"Message", std::string(message)}})
        .serialize();
}

std::string list_complete(std::string_view event, std::string_view action_id, std::size_t items,
                          const std::vector<ami::Header>& extra = {}) {
    ami::Message m = list_item(event, action_id);
    m.add("EventList", "Complete");
    m.add("ListItems", std::to_string(items));
    for (const auto& h : extra) m.headers().push_back(h);
    return m.serialize();
}

// The recorded headers with some values replaced; names stay as recorded.
void append_overridden(ami::Message& m, const std::vector<ami::Header>& headers,
                       const std::vector<ami::Header>& overrides) {
    for (const auto& h : headers) {
        std::string value = h.value;
        for (const auto& o : overrides)
            if (o.name == h.name) value = o.value;
        m.add(h.name, value);
    }
}

std::string join(const std::vector<std::string>& items, std::string_view separator, bool trailing = false) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += items[i];
        if (i + 1 < items.size() || trailing) out += separator;
    }
    return out;
}

// "aor/uri" of every contact of an endpoint: configured ones, then registered ones.
std::vector<std::string> endpoint_contacts(const SimState& state, const Peer& peer) {
    std::vector<std::string> out;
    for (const auto& aor_name : peer.aors) {
        if (auto it = state.aors.find(aor_name); it != state.aors.end())
            for (const auto& s : it->second.static_contacts) out.push_back(s);
        for (const Contact* c : state.contacts_of_aor(aor_name)) out.push_back(aor_name + "/" + c->uri);
    }
    return out;
}

std::string pad(std::string_view text, std::size_t width, bool truncate = true) {
    std::string out(truncate ? text.substr(0, width) : text);
    if (out.size() < width) out.append(width - out.size(), ' ');
    return out;
}

}  // namespace

ami::Message response_message(std::string_view status, std::string_view action_id,
                              const std::vector<ami::Header>& headers) {
    ami::Message m;
    m.add("Response", std::string(status));
    if (!action_id.empty()) m.add("ActionID", std::string(action_id));
    for (const auto& h : headers) m.headers().push_back(h);
    return m;
}

std::string success(std::string_view action_id, std::string_view message) {
    return response_message("Success", action_id, {{"Message", std::string(message)}}).serialize();
}

std::string error(std::string_view action_id, std::string_view message) {
    return response_message("Error", action_id, {{"Message", std::string(message)}}).serialize();
}

std::string sip_peers(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Peer status list will follow");
    for (const auto& p : state.peers) {
        ami::Message m = list_item("PeerEntry", action_id);
        append_overridden(m, p.peer_entry,
                          {{"ObjectName", p.name},
                           {"IPaddress", p.registered ? p.ip : "-none-"},
                           {"IPport", p.registered ? std::to_string(p.port) : "0"},
                           {"Status", p.status},
                           {"Description", p.description}});
        out += m.serialize();
    }
    return out + list_complete("PeerlistComplete", action_id, state.peers.size());
}

std::string sip_show_peer(const SimState& state, std::string_view peer_name, std::string_view action_id) {
    if (peer_name.empty()) return error(action_id, "Peer: <name> missing.");
    const Peer* p = state.find_peer(peer_name);
    if (!p) return error(action_id, "Peer " + std::string(peer_name) + " not found.") + "\r\n";
    ami::Message m = response_message("Success", action_id);
    append_overridden(m, p->show_peer,
                      {{"ObjectName", p->name},
                       {"VoiceMailbox", p->voicemailbox},
                       {"LastMsgsSent", p->last_msgs_sent},
                       {"Callerid", format_callerid(p->callerid)},
                       {"RegExpire", p->registered ? p->reg_expire : "-1 seconds"},
                       {"Address-IP", p->registered ? p->ip : "(null)"},
                       {"Address-Port", p->registered ? std::to_string(p->port) : "0"},
                       {"Default-Username", p->default_username},
                       {"Status", p->status},
                       {"SIP-Useragent", p->useragent},
                       {"Reg-Contact", p->reg_contact},
                       {"Description", p->description}});
    return m.serialize();
}

std::string pjsip_show_endpoints(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "A listing of Endpoints follows, presented as EndpointList events");
    std::size_t count = 0;
    for (const auto& p : state.peers) {
        if (p.endpoint_list.empty()) continue;
        ami::Message m = list_item("EndpointList", action_id);
        append_overridden(m, p.endpoint_list,
                          {{"ObjectName", p.name},
                           {"Aor", join(p.aors, ",")},
                           {"Auths", join(p.auths, ",")},
                           {"Contacts", join(endpoint_contacts(state, p), ",", true)},
                           {"DeviceState", std::string(device_state_text(state.device_state(state.device_of(p))))},
                           {"ActiveChannels", std::to_string(state.active_channels(p))}});
        out += m.serialize();
        ++count;
    }
    return out + list_complete("EndpointListComplete", action_id, count);
}

std::string pjsip_show_endpoint(const SimState& state, std::string_view name, std::string_view action_id) {
    const Peer* p = state.find_peer(name);
    if (!p || p->endpoint_detail.empty()) {
        if (name.empty()) return error(action_id, "Endpoint parameter missing.");
        // Asterisk ends this message with a bare LF before the CRLF.
        return response_message("Error", action_id, {{"Message", "Unable to retrieve endpoint " + std::string(name) + "\n"}})
            .serialize();
    }
    std::string out = list_start(action_id, "Following are Events for each object associated with the Endpoint");
    std::size_t count = 0;
    const std::string endpoint = p->name;
    auto emit = [&](std::string_view event, const std::vector<ami::Header>& headers,
                    const std::vector<ami::Header>& overrides, const std::vector<ami::Header>& tail) {
        ami::Message m = list_item(event, action_id);
        append_overridden(m, headers, overrides);
        for (const auto& h : tail) m.headers().push_back(h);
        out += m.serialize();
        ++count;
    };

    const std::string mailboxes = p->aors.empty() ? std::string()
                                  : state.aors.count(p->aors.front())
                                      ? header_value(state.aors.at(p->aors.front()).headers, "Mailboxes")
                                      : std::string();
    emit("EndpointDetail", p->endpoint_detail,
         {{"ObjectName", p->name},
          {"Mailboxes", mailboxes},
          {"Aors", join(p->aors, ",")},
          {"Callerid", format_callerid(p->callerid)},
          {"Auth", join(p->auths, ",")},
          {"OutboundAuth", join(p->outbound_auths, ",")},
          {"DeviceState", std::string(device_state_text(state.device_state(state.device_of(*p))))},
          {"ActiveChannels", std::to_string(state.active_channels(*p))}},
         {});
    for (const auto* list : {&p->auths, &p->outbound_auths})
        for (const auto& auth : *list)
            if (auto it = state.auths.find(auth); it != state.auths.end())
                emit("AuthDetail", it->second.headers, {}, {{"EndpointName", endpoint}});
    if (!state.transport.empty()) emit("TransportDetail", state.transport, {}, {{"EndpointName", endpoint}});
    for (const auto& aor_name : p->aors) {
        auto it = state.aors.find(aor_name);
        if (it == state.aors.end()) continue;
        const auto registered = state.contacts_of_aor(aor_name);
        std::vector<std::string> contacts = it->second.static_contacts;
        for (const Contact* c : registered) contacts.push_back(aor_name + "/" + c->uri);
        emit("AorDetail", it->second.headers, {{"ObjectName", aor_name}, {"Contacts", join(contacts, ",")}},
             {{"TotalContacts", std::to_string(contacts.size())},
              {"ContactsRegistered", std::to_string(registered.size())},
              {"EndpointName", endpoint}});
        for (const Contact* c : registered) {
            ami::Message m = list_item("ContactStatusDetail", action_id);
            m.add("AOR", c->aor);
            m.add("URI", c->uri);
            m.add("UserAgent", c->user_agent);
            m.add("RegExpire", c->expiration_time);
            m.add("ViaAddress", c->via_addr + ":" + std::to_string(c->via_port));
            m.add("CallID", c->call_id);
            m.add("Status", c->status);
            m.add("RoundtripUsec", c->roundtrip_usec);
            m.add("EndpointName", endpoint);
            m.add("ID", c->id);
            m.add("AuthenticateQualify", "0");
            m.add("OutboundProxy", "");
            m.add("Path", "");
            m.add("QualifyFrequency", c->qualify_frequency);
            m.add("QualifyTimeout", "3.000");
            m.add("Qualify2xxOnly", "0");
            out += m.serialize();
            ++count;
        }
    }
    return out + list_complete("EndpointDetailComplete", action_id, count);
}

std::string pjsip_show_contacts(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "A listing of Contacts follows, presented as ContactList events");
    for (const auto& [id, c] : state.contacts) {
        ami::Message m = list_item("ContactList", action_id);
        m.add("ObjectType", "contact");
        m.add("ObjectName", c.id);
        m.add("ViaAddr", c.via_addr);
        m.add("QualifyTimeout", "3.000000");
        m.add("Qualify2xxOnly", "false");
        m.add("CallId", c.call_id);
        m.add("RegServer", "");
        m.add("PruneOnBoot", "no");
        m.add("Path", "");
        m.add("Endpoint", c.endpoint);
        m.add("ViaPort", std::to_string(c.via_port));
        m.add("AuthenticateQualify", "no");
        m.add("Uri", c.uri);
        m.add("QualifyFrequency", c.qualify_frequency);
        m.add("UserAgent", c.user_agent);
        m.add("ExpirationTime", c.expiration_time);
        m.add("OutboundProxy", "");
        m.add("Status", c.status);
        m.add("RoundtripUsec", c.roundtrip_usec);
        out += m.serialize();
    }
    return out + list_complete("ContactListComplete", action_id, state.contacts.size());
}

std::string extension_state_list(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Extension Statuses will follow");
    for (const auto& h : state.hints) {
        const int status = state.hint_status(h);
        ami::Message m = list_item("ExtensionStatus", action_id);
        m.add("Exten", h.exten);
        m.add("Context", h.context);
        m.add("Hint", h.hint);
        m.add("Status", std::to_string(status));
        m.add("StatusText", std::string(extension_status_text(status)));
        out += m.serialize();
    }
    return out + list_complete("ExtensionStateListComplete", action_id, state.hints.size());
}

std::string extension_state(const SimState& state, std::string_view exten, std::string_view context,
                            std::string_view action_id) {
    const Hint* h = state.find_hint(exten, context);
    const int status = h ? state.hint_status(*h) : -1;
    return response_message("Success", action_id,
                            {{"Message", "Extension Status"},
                             {"Exten", std::string(exten)},
                             {"Context", std::string(context)},
                             {"Hint", h ? h->hint : std::string()},
                             {"Status", std::to_string(status)},
                             {"StatusText", std::string(extension_status_text(status))}})
        .serialize();
}

std::string device_state_list(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Device State Changes will follow");
    for (const auto& [device, s] : state.devices) {
        ami::Message m = list_item("DeviceStateChange", action_id);
        m.add("Device", device);
        m.add("State", std::string(device_state_name(s)));
        out += m.serialize();
    }
    return out + list_complete("DeviceStateListComplete", action_id, state.devices.size());
}

std::string db_get(const SimState& state, std::string_view family, std::string_view key, std::string_view action_id) {
    if (family.empty()) return error(action_id, "No family specified.");
    if (key.empty()) return error(action_id, "No key specified.");
    const auto value = state.db_get(family, key);
    if (!value) return error(action_id, "Database entry not found");
    ami::Message m;
    m.add("Event", "DBGetResponse");
    m.add("Family", std::string(family));
    m.add("Key", std::string(key));
    m.add("Val", *value);
    if (!action_id.empty()) m.add("ActionID", std::string(action_id));
    return list_start(action_id, "Result will follow") + m.serialize() +
           list_complete("DBGetComplete", action_id, 1);
}

std::string db_get_tree(const SimState& state, std::string_view family, std::string_view key,
                        std::string_view action_id) {
    std::string out = list_start(action_id, "Result will follow");
    const auto entries = state.db_tree(family, key);
    for (const auto& [path, value] : entries) {
        ami::Message m;
        m.add("Event", "DBGetTreeResponse");
        m.add("Key", path);
        m.add("Val", value);
        if (!action_id.empty()) m.add("ActionID", std::string(action_id));
        out += m.serialize();
    }
    return out + list_complete("DBGetTreeComplete", action_id, entries.size());
}

std::string queue_status(const SimState& state, std::string_view queue, std::string_view action_id, double now) {
    std::string out = list_start(action_id, "Queue status will follow");
    std::size_t count = 0;
    auto with_id = [&](ami::Message m) {
        if (!action_id.empty()) m.add("ActionID", std::string(action_id));
        out += m.serialize();
        ++count;
    };
    for (const auto& q : state.queues) {
        if (!queue.empty() && q.name != queue) continue;
        ami::Message params;
        params.add("Event", "QueueParams");
        auto percent = [](int part, int whole) {
            char text[32];
            std::snprintf(text, sizeof text, "%.1f", whole > 0 ? 100.0 * part / whole : 0.0);
            return std::string(text);
        };
        append_overridden(params, q.params,
                          {{"ServicelevelPerf", percent(q.completed_in_sl, q.completed)},
                           {"ServicelevelPerf2",
                            percent(q.completed_in_sl + q.abandoned_in_sl, q.completed + q.abandoned)},
                           {"Calls", std::to_string(q.callers.size())},
                           {"Holdtime", std::to_string(q.holdtime)},
                           {"TalkTime", std::to_string(q.talktime)},
                           {"Completed", std::to_string(q.completed)},
                           {"Abandoned", std::to_string(q.abandoned)}});
        with_id(std::move(params));
        for (const auto& member : state.queue_members) {
            if (member.queue != q.name) continue;
            ami::Message m;
            m.add("Event", "QueueMember");
            append_overridden(m, member.headers,
                              {{"Status", std::to_string(queue_member_status(state.device_state(member.state_interface)))}});
            with_id(std::move(m));
        }
        int position = 0;
        for (const auto& caller : q.callers) {
            ++position;
            const Call* call = state.calls.find(caller.call_id);
            const Channel* c = call ? state.find_channel(call->caller) : nullptr;
            if (!c) continue;
            auto plain = [](const std::string& value) { return value == "<unknown>" ? std::string("unknown") : value; };
            ami::Message m;
            m.add("Event", "QueueEntry");
            m.add("Queue", q.name);
            m.add("Position", std::to_string(position));
            m.add("Channel", c->name);
            m.add("Uniqueid", c->uniqueid);
            m.add("CallerIDNum", plain(c->callerid.number));
            m.add("CallerIDName", plain(c->callerid.name));
            m.add("ConnectedLineNum", plain(c->connected.number));
            m.add("ConnectedLineName", plain(c->connected.name));
            m.add("Wait", std::to_string(std::max(0L, static_cast<long>(std::floor(now) - std::floor(caller.joined)))));
            m.add("Priority", "0");
            with_id(std::move(m));
        }
    }
    return out + list_complete("QueueStatusComplete", action_id, count);
}

std::string queue_summary(const SimState& state, std::string_view queue, std::string_view action_id, double now) {
    std::string out = list_start(action_id, "Queue summary will follow");
    std::size_t count = 0;
    for (const auto& q : state.queues) {
        if (!queue.empty() && q.name != queue) continue;
        int logged_in = 0, available = 0;
        for (const auto& member : state.queue_members) {
            if (member.queue != q.name) continue;
            const DeviceState s = state.device_state(member.state_interface);
            if (s == DeviceState::Unavailable || s == DeviceState::Invalid) continue;
            ++logged_in;
            if ((s == DeviceState::NotInUse || s == DeviceState::Unknown) && !member.paused()) ++available;
        }
        long longest = 0;
        for (const auto& caller : q.callers)
            longest = std::max(longest, static_cast<long>(std::floor(now) - std::floor(caller.joined)));
        ami::Message m;
        m.add("Event", "QueueSummary");
        m.add("Queue", q.name);
        m.add("LoggedIn", std::to_string(logged_in));
        m.add("Available", std::to_string(available));
        m.add("Callers", std::to_string(q.callers.size()));
        m.add("HoldTime", std::to_string(q.holdtime));
        m.add("TalkTime", std::to_string(q.talktime));
        m.add("LongestHoldTime", std::to_string(longest));
        if (!action_id.empty()) m.add("ActionID", std::string(action_id));
        out += m.serialize();
        ++count;
    }
    return out + list_complete("QueueSummaryComplete", action_id, count);
}

std::string core_show_channels(const SimState& state, std::string_view action_id, double now) {
    std::string out = list_start(action_id, "Channels will follow");
    for (const auto& c : state.channels) {
        ami::Message m = list_item("CoreShowChannel", action_id);
        std::vector<ami::Header> snapshot;
        append_channel_snapshot(snapshot, c, {});
        for (auto& h : snapshot) m.headers().push_back(std::move(h));
        const long seconds = std::max(0L, static_cast<long>(std::floor(now - c.created)));
        char duration[32];
        std::snprintf(duration, sizeof duration, "%02ld:%02ld:%02ld", seconds / 3600, (seconds / 60) % 60, seconds % 60);
        m.add("Application", c.application);
        m.add("ApplicationData", c.application_data);
        m.add("Duration", duration);
        m.add("BridgeId", c.bridge_id);
        out += m.serialize();
    }
    return out + list_complete("CoreShowChannelsComplete", action_id, state.channels.size());
}

std::string channel_status(Flavor flavor, const SimState& state, std::string_view channel,
                           std::string_view action_id, double now) {
    if (!channel.empty() && !state.find_channel(channel)) return error(action_id, "No such channel");
    std::string out = list_start(action_id, "Channel status will follow");
    std::size_t count = 0;
    for (const auto& c : state.channels) {
        if (!channel.empty() && c.name != channel) continue;
        ami::Message m;
        m.add("Event", "Status");
        m.add("Privilege", "Call");
        std::vector<ami::Header> snapshot;
        append_channel_snapshot(snapshot, c);
        for (auto& h : snapshot) {
            if (traits(flavor).status_legacy_snapshot) {
                if (h.name == "Language") continue;
                if (h.name == "AccountCode") h.name = "Accountcode";
            }
            m.headers().push_back(std::move(h));
        }
        m.add("Type", state.tech);
        m.add("DNID", c.dnid);
        m.add("EffectiveConnectedLineNum", c.connected.number);
        m.add("EffectiveConnectedLineName", c.connected.name);
        m.add("TimeToHangup", "0");
        m.add("BridgeID", c.bridge_id);
        m.add("Application", c.application);
        m.add("Data", c.application_data);
        m.add("Nativeformats", "(ulaw)");
        m.add("Readformat", "ulaw");
        m.add("Readtrans", "");
        m.add("Writeformat", "ulaw");
        m.add("Writetrans", "");
        m.add("Callgroup", "0");
        m.add("Pickupgroup", "0");
        m.add("Seconds", std::to_string(std::max(0L, static_cast<long>(std::floor(now - c.created)))));
        if (!action_id.empty()) m.add("ActionID", std::string(action_id));
        out += m.serialize();
        ++count;
    }
    return out + list_complete("StatusComplete", action_id, count, {{"Items", std::to_string(count)}});
}

std::string bridge_list(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Bridge listing will follow");
    for (const auto& bridge : state.bridges) {
        ami::Message m = list_item("BridgeListItem", action_id);
        append_bridge_snapshot(m.headers(), bridge, bridge.num_channels());
        out += m.serialize();
    }
    return out + list_complete("BridgeListComplete", action_id, state.bridges.size());
}

std::string bridge_info(const SimState& state, std::string_view bridge_id, std::string_view action_id) {
    if (bridge_id.empty()) return error(action_id, "BridgeUniqueid must be provided");
    const Bridge* bridge = state.bridges.find(bridge_id);
    if (!bridge) return error(action_id, "Bridge " + std::string(bridge_id) + " not found");
    std::string out = list_start(action_id, "Bridge channel listing will follow");
    std::size_t count = 0;
    for (const auto& name : bridge->channels) {
        const Channel* c = state.find_channel(name);
        if (!c) continue;
        ami::Message m = list_item("BridgeInfoChannel", action_id);
        append_channel_snapshot(m.headers(), *c);
        out += m.serialize();
        ++count;
    }
    std::vector<ami::Header> snapshot;
    append_bridge_snapshot(snapshot, *bridge, bridge->num_channels());
    return out + list_complete("BridgeInfoComplete", action_id, count, snapshot);
}

std::string parked_calls(const SimState& state, std::string_view action_id, double now) {
    std::string out = list_start(action_id, "Parked calls will follow");
    std::size_t count = 0;
    for (const auto& parked : state.parked_calls) {
        const Channel* parkee = state.find_channel(parked.channel);
        if (!parkee) continue;
        ami::Message m = parked_call_event("ParkedCall", parked, *parkee, now, nullptr, {});
        if (!action_id.empty()) m.add("ActionID", std::string(action_id));
        out += m.serialize();
        ++count;
    }
    return out + list_complete("ParkedCallsComplete", action_id, count, {{"Total", std::to_string(count)}});
}

std::string parking_lots(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Parking lots will follow");
    for (const auto& lot : state.parking_lots) {
        ami::Message m = list_item("Parkinglot", action_id);
        m.add("Name", lot.name);
        m.add("StartSpace", std::to_string(lot.start));
        m.add("StopSpace", std::to_string(lot.stop));
        m.add("Timeout", std::to_string(lot.timeout));
        out += m.serialize();
    }
    return out + list_complete("ParkinglotsComplete", action_id, state.parking_lots.size());
}

std::string confbridge_list_rooms(const SimState& state, std::string_view action_id) {
    if (state.conferences.empty()) return error(action_id, "No active conferences.");
    std::string out = list_start(action_id, "Confbridge conferences will follow");
    for (const auto& conference : state.conferences) {
        int marked = 0;
        bool all_muted = !conference.users.empty();
        for (const auto& user : conference.users) {
            if (user.admin) ++marked;
            all_muted = all_muted && user.muted;
        }
        ami::Message m = list_item("ConfbridgeListRooms", action_id);
        m.add("Conference", conference.name);
        m.add("Parties", std::to_string(conference.users.size()));
        m.add("Marked", std::to_string(marked));
        m.add("Locked", conference.locked ? "Yes" : "No");
        m.add("Muted", "No");
        out += m.serialize();
    }
    return out + list_complete("ConfbridgeListRoomsComplete", action_id, state.conferences.size());
}

std::string confbridge_list(Flavor flavor, const SimState& state, std::string_view name, std::string_view action_id,
                            double now) {
    if (name.empty()) return error(action_id, "No Conference name provided.");
    if (state.conferences.empty()) return error(action_id, "No active conferences.");
    const Conference* conference = nullptr;
    for (const auto& c : state.conferences)
        if (c.name == name) conference = &c;
    if (!conference) return error(action_id, "No Conference by that name found.");
    std::string out = list_start(action_id, "Confbridge user list will follow");
    std::size_t count = 0;
    for (const auto& user : conference->users) {
        const Channel* c = state.find_channel(user.channel);
        if (!c) continue;
        auto yes_no = [](bool value) { return std::string(value ? "Yes" : "No"); };
        ami::Message m = list_item("ConfbridgeList", action_id);
        m.add("Conference", conference->name);
        m.add("Admin", yes_no(user.admin));
        m.add("MarkedUser", yes_no(user.admin));
        m.add("WaitMarked", "No");
        m.add("EndMarked", "No");
        if (traits(flavor).confbridge_end_marked_any) m.add("EndMarkedAny", "No");
        m.add("Waiting", "No");
        m.add("Muted", yes_no(user.muted));
        m.add("Talking", yes_no(user.talking));
        m.add("AnsweredTime", std::to_string(std::max(0L, static_cast<long>(std::floor(now - user.joined)))));
        append_channel_snapshot(m.headers(), *c);
        out += m.serialize();
        ++count;
    }
    return out + list_complete("ConfbridgeListComplete", action_id, count);
}

std::string sip_show_registry(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Registrations will follow");
    for (const auto& reg : state.registrations) {
        const bool registered = reg.status == "Registered";
        ami::Message m = list_item("RegistryEntry", action_id);
        m.add("Host", reg.server_uri);
        m.add("Port", "5060");
        m.add("Username", reg.client_uri);
        m.add("Domain", reg.server_uri);
        m.add("DomainPort", "5060");
        m.add("Refresh", registered ? "120" : "0");
        m.add("State", reg.status);
        m.add("RegistrationTime", registered ? std::to_string(static_cast<long long>(reg.registered_at)) : "0");
        out += m.serialize();
    }
    return out + list_complete("RegistrationsComplete", action_id, state.registrations.size());
}

std::string pjsip_show_registrations_outbound(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Following are Events for each Outbound registration");
    int registered = 0, not_registered = 0;
    for (const auto& reg : state.registrations) {
        (reg.status == "Registered" ? registered : not_registered)++;
        ami::Message m = list_item("OutboundRegistrationDetail", action_id);
        append_overridden(m, reg.detail, {{"Status", reg.status}});
        out += m.serialize();
        if (!reg.auth_detail.empty()) {
            ami::Message auth = list_item("AuthDetail", action_id);
            append_overridden(auth, reg.auth_detail, {});
            out += auth.serialize();
        }
    }
    return out + list_complete("OutboundRegistrationDetailComplete", action_id, state.registrations.size(),
                               {{"Registered", std::to_string(registered)},
                                {"NotRegistered", std::to_string(not_registered)}});
}

namespace {

const Mailbox* mailbox_of(const SimState& state, std::string_view id) {
    std::string full(id);
    if (full.find('@') == std::string::npos) full += "@default";
    for (const auto& m : state.mailboxes)
        if (m.id == full) return &m;
    return nullptr;
}

}  // namespace

std::string mailbox_count(const SimState& state, std::string_view mailbox, std::string_view action_id) {
    if (mailbox.empty()) return error(action_id, "Mailbox not specified");
    const Mailbox* box = mailbox_of(state, mailbox);
    return response_message("Success", action_id,
                            {{"Message", "Mailbox Message Count"},
                             {"Mailbox", std::string(mailbox)},
                             {"UrgMessages", std::to_string(box ? box->urgent : 0)},
                             {"NewMessages", std::to_string(box ? box->new_messages : 0)},
                             {"OldMessages", std::to_string(box ? box->old_messages : 0)}})
        .serialize();
}

std::string mailbox_status(const SimState& state, std::string_view mailbox, std::string_view action_id) {
    if (mailbox.empty()) return error(action_id, "Mailbox not specified");
    const Mailbox* box = mailbox_of(state, mailbox);
    return response_message("Success", action_id,
                            {{"Message", "Mailbox Status"},
                             {"Mailbox", std::string(mailbox)},
                             {"Waiting", box && box->new_messages > 0 ? "1" : "0"}})
        .serialize();
}

std::string voicemail_users_list(const SimState& state, std::string_view action_id) {
    std::string out = list_start(action_id, "Voicemail user list will follow");
    std::size_t count = 0;
    for (const auto& box : state.mailboxes) {
        if (!box.configured) continue;
        const auto at = box.id.find('@');
        ami::Message m = list_item("VoicemailUserEntry", action_id);
        append_overridden(m, state.voicemail_user,
                          {{"VMContext", box.id.substr(at + 1)},
                           {"VoiceMailbox", box.id.substr(0, at)},
                           {"Fullname", box.fullname},
                           {"NewMessageCount", std::to_string(box.new_messages)},
                           {"OldMessageCount", std::to_string(box.old_messages)}});
        out += m.serialize();
        ++count;
    }
    return out + list_complete("VoicemailUserEntryComplete", action_id, count);
}

std::string command_output(Flavor flavor, std::string_view action_id, const std::vector<std::string>& lines,
                           bool failed) {
    if (traits(flavor).command_follows) {
        std::string out = "Response: Follows\r\nPrivilege: Command\r\n";
        if (!action_id.empty()) out += "ActionID: " + std::string(action_id) + "\r\n";
        for (const auto& line : lines) out += line + "\n";
        return out + "--END COMMAND--\r\n\r\n";
    }
    ami::Message m = response_message(failed ? "Error" : "Success", action_id, {{"Message", "Command output follows"}});
    if (lines.empty()) m.add("Output", "");
    for (const auto& line : lines) m.add("Output", line);
    return m.serialize();
}

std::vector<std::string> database_show_lines(const SimState& state, std::string_view family, std::string_view key) {
    std::vector<std::string> lines;
    const auto entries = state.db_tree(family, key);
    for (const auto& [path, value] : entries) lines.push_back(pad(path, 50, false) + ": " + pad(value, 25, false));
    lines.push_back(std::to_string(entries.size()) + " results found.");
    return lines;
}

std::vector<std::string> sip_show_peers_lines(const SimState& state) {
    auto row = [](std::string_view name, std::string_view host, std::string_view dyn, std::string_view port,
                  std::string_view status, std::string_view description) {
        return pad(name, 25) + " " + pad(host, 39) + " " + pad(dyn, 3) + " " + pad("Yes", 10) + " " +
               pad("Yes", 10) + " " + pad("", 3) + " " + pad(port, 8, false) + " " + pad(status, 11, false) + " " +
               pad(description, 32) + " ";
    };
    std::vector<std::string> lines{"Name/username             Host                                    Dyn Forcerport "
                                   "Comedia    ACL Port     Status      Description                      "};
    int online = 0, offline = 0, unmonitored_online = 0, unmonitored_offline = 0;
    for (const auto& p : state.peers) {
        const bool dynamic = header_value(p.peer_entry, "Dynamic") != "no";
        const std::string name = p.default_username.empty() ? p.name : p.name + "/" + p.default_username;
        lines.push_back(row(name, p.registered ? p.ip : "(Unspecified)", dynamic ? " D " : "",
                            p.registered ? std::to_string(p.port) : "0", p.status, p.description));
        const bool monitored = p.status != "Unmonitored";
        const bool up = p.registered && (!monitored || p.status.rfind("OK", 0) == 0);
        if (monitored) (up ? online : offline)++;
        else (up ? unmonitored_online : unmonitored_offline)++;
    }
    lines.push_back(std::to_string(state.peers.size()) + " sip peers [Monitored: " + std::to_string(online) +
                    " online, " + std::to_string(offline) + " offline Unmonitored: " +
                    std::to_string(unmonitored_online) + " online, " + std::to_string(unmonitored_offline) +
                    " offline]");
    return lines;
}

std::string unknown_cli_command_line(std::string_view command) {
    // Asterisk suggests the words up to the first one no command starts with.
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < command.size()) {
        std::size_t space = command.find(' ', start);
        if (space == std::string_view::npos) space = command.size();
        if (space > start) words.emplace_back(command.substr(start, space - start));
        start = space + 1;
    }
    if (words.size() > 2) words.resize(2);
    return "No such command '" + std::string(command) + "' (type 'core show help " + join(words, " ") +
           "' for other possible commands)";
}

}  // namespace amisim
