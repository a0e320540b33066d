#include "ami-sim/actions.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ami-sim/responses.hpp"
#include "ami-sim/seed.hpp"

namespace amisim {

namespace {

// The headers of the recorded ListCommands answer: "Ping" -> "Keepalive command.  (Priv: <none>)".
std::vector<ami::Header> recorded_command_list(const std::vector<RecordedMessage>& recording) {
    for (const Exchange& e : exchanges(recording))
        if (ami::iequals(e.request->message.get("Action"), "ListCommands") && !e.replies.empty() &&
            ami::iequals(e.replies.front()->message.response(), "Success"))
            return headers_without(e.replies.front()->message, {"Response", "ActionID"});
    return {};
}

// res_pjsip's actions, for the Asterisk 22 list (its snapshot has no ListCommands).
const std::vector<ami::Header>& pjsip_commands() {
    static const std::vector<ami::Header> kCommands{
        {"PJSIPHangup", "Hangup an incoming PJSIP channel with a SIP response code  (Priv: system,all)"},
        {"PJSIPNotify", "Send NOTIFY to either an endpoint, an arbitrary URI, or inside a SIP dialog.  (Priv: system,all)"},
        {"PJSIPQualify", "Qualify a chan_pjsip endpoint.  (Priv: system,reporting,all)"},
        {"PJSIPRegister", "Register an outbound registration.  (Priv: system,all)"},
        {"PJSIPShowAors", "Lists PJSIP AORs.  (Priv: system,reporting,all)"},
        {"PJSIPShowAuths", "Lists PJSIP authentications.  (Priv: system,reporting,all)"},
        {"PJSIPShowContacts", "Lists PJSIP Contacts.  (Priv: system,reporting,all)"},
        {"PJSIPShowEndpoint", "Detail listing of an endpoint and its objects.  (Priv: system,reporting,all)"},
        {"PJSIPShowEndpoints", "Lists PJSIP endpoints.  (Priv: system,reporting,all)"},
        {"PJSIPShowRegistrationInboundContactStatuses", "Lists ContactStatuses for PJSIP inbound registrations.  (Priv: system,reporting,all)"},
        {"PJSIPShowRegistrationsInbound", "Lists PJSIP inbound registrations.  (Priv: system,reporting,all)"},
        {"PJSIPShowRegistrationsOutbound", "Lists PJSIP outbound registrations.  (Priv: system,reporting,all)"},
        {"PJSIPShowResourceLists", "Displays settings for configured resource lists.  (Priv: system,reporting,all)"},
        {"PJSIPShowSubscriptionsInbound", "Lists subscriptions.  (Priv: system,reporting,all)"},
        {"PJSIPShowSubscriptionsOutbound", "Lists subscriptions.  (Priv: system,reporting,all)"},
        {"PJSIPUnregister", "Unregister an outbound registration.  (Priv: system,all)"},
    };
    return kCommands;
}

std::string function_argument(std::string_view variable, std::string_view function) {
    if (variable.size() <= function.size() + 2 || !ami::iequals(variable.substr(0, function.size()), function) ||
        variable[function.size()] != '(' || variable.back() != ')')
        return {};
    return std::string(variable.substr(function.size() + 1, variable.size() - function.size() - 2));
}

std::vector<std::string> words_of(std::string_view text) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t space = text.find(' ', start);
        if (space == std::string_view::npos) space = text.size();
        if (space > start) words.emplace_back(text.substr(start, space - start));
        start = space + 1;
    }
    return words;
}

}  // namespace

ActionCatalog::ActionCatalog(Flavor flavor, const std::vector<RecordedMessage>& recording) {
    std::vector<ami::Header> list = recorded_command_list(recording);
    if (list.empty()) list = recorded_command_list(parse_recording(embedded_snapshot(flavor)));
    if (list.empty()) {
        // Asterisk 22 has no recorded list: Asterisk 20's, without chan_sip, with res_pjsip.
        list = recorded_command_list(parse_recording(embedded_snapshot(Flavor::Asterisk20ChanSip)));
        std::erase_if(list, [](const ami::Header& h) { return h.name.rfind("SIP", 0) == 0; });
        if (traits(flavor).pjsip) list.insert(list.end(), pjsip_commands().begin(), pjsip_commands().end());
        std::stable_sort(list.begin(), list.end(),
                         [](const ami::Header& a, const ami::Header& b) { return lower_ascii(a.name) < lower_ascii(b.name); });
    }
    for (const auto& h : list) {
        lines_.push_back(h.name + ": " + h.value);
        std::string privilege = "<none>";
        if (const auto at = h.value.rfind("(Priv: "); at != std::string::npos) {
            privilege = h.value.substr(at + 7);
            if (!privilege.empty() && privilege.back() == ')') privilege.pop_back();
        }
        privileges_[lower_ascii(h.name)] = privilege;
    }
}

bool ActionCatalog::exists(std::string_view action) const { return privileges_.count(lower_ascii(action)) > 0; }

std::string ActionCatalog::privilege(std::string_view action) const {
    auto it = privileges_.find(lower_ascii(action));
    return it == privileges_.end() ? std::string() : it->second;
}

std::string ActionCatalog::list_commands(std::string_view action_id) const {
    std::string out = "Response: Success\r\n";
    if (!action_id.empty()) out += "ActionID: " + std::string(action_id) + "\r\n";
    for (const auto& line : lines_) out += line + "\r\n";
    return out + "\r\n";
}

ActionReply ActionHandler::handle(const ami::Message& action, double now) {
    const std::string name = lower_ascii(action.get("Action"));
    const std::string_view id = action.action_id();
    const SimState& state = sim_.state();

    if (!catalog_.exists(name))
        return {error(id, "Invalid/unknown command: " + std::string(action.get("Action")) +
                              ". Use Action: ListCommands to show available commands."),
                {}};
    if (name == "ping") {
        char stamp[64];
        std::snprintf(stamp, sizeof stamp, "%.6f", now);
        return {response_message("Success", id, {{"Ping", "Pong"}, {"Timestamp", stamp}}).serialize(), {}};
    }
    if (name == "listcommands") return {catalog_.list_commands(id), {}};
    if (name == "sippeers") return {sip_peers(state, id), {}};
    if (name == "sipshowpeer") return {sip_show_peer(state, action.get("Peer"), id), {}};
    if (name == "pjsipshowendpoints") return {pjsip_show_endpoints(state, id), {}};
    if (name == "pjsipshowendpoint") return {pjsip_show_endpoint(state, action.get("Endpoint"), id), {}};
    if (name == "pjsipshowcontacts") return {pjsip_show_contacts(state, id), {}};
    if (name == "extensionstatelist") return {extension_state_list(state, id), {}};
    if (name == "extensionstate")
        return {extension_state(state, action.get("Exten"), action.get("Context"), id), {}};
    if (name == "devicestatelist") return {device_state_list(state, id), {}};
    if (name == "queuestatus") return {queue_status(state, action.get("Queue"), id, now), {}};
    if (name == "queuesummary") return {queue_summary(state, action.get("Queue"), id, now), {}};
    if (name == "coreshowchannels") return {core_show_channels(state, id, now), {}};
    if (name == "status") return {channel_status(sim_.flavor(), state, action.get("Channel"), id, now), {}};
    if (name == "bridgelist") return {bridge_list(state, id), {}};
    if (name == "bridgeinfo") return {bridge_info(state, action.get("BridgeUniqueid"), id), {}};
    if (name == "parkedcalls") return {parked_calls(state, id, now), {}};
    if (name == "parkinglots") return {parking_lots(state, id), {}};
    if (name == "confbridgelistrooms") return {confbridge_list_rooms(state, id), {}};
    if (name == "confbridgelist")
        return {confbridge_list(sim_.flavor(), state, action.get("Conference"), id, now), {}};
    if (name == "sipshowregistry") return {sip_show_registry(state, id), {}};
    if (name == "pjsipshowregistrationsoutbound") return {pjsip_show_registrations_outbound(state, id), {}};
    if (name == "mailboxcount") return {mailbox_count(state, action.get("Mailbox"), id), {}};
    if (name == "mailboxstatus") return {mailbox_status(state, action.get("Mailbox"), id), {}};
    if (name == "voicemailuserslist") return {voicemail_users_list(state, id), {}};
    if (auto reply = entity_action(name, action, id, now)) return std::move(*reply);
    if (auto reply = call_control_action(name, action, id, now)) return std::move(*reply);
    if (name == "command") return command(action, id);
    if (name == "setvar") return setvar(action, id);
    if (name == "getvar") return {getvar(action, id), {}};
    if (name == "userevent") return user_event(action, id);
    if (name == "dbget" || name == "dbput" || name == "dbdel" || name == "dbdeltree" || name == "dbgettree")
        return {database(action, id), {}};
    if (name == "corestatus") {
        std::string answer = canned_.find(action, id, true).value_or(success(id, "Core status"));
        const std::string line = "CoreCurrentCalls: 0\r\n";
        if (auto at = answer.find(line); at != std::string::npos)
            answer.replace(at, line.size(), "CoreCurrentCalls: " + std::to_string(state.calls.size()) + "\r\n");
        return {answer, {}};
    }
    if (name == "hangup") {
        const std::string_view channel = action.get("Channel");
        if (channel.empty()) return {error(id, "No channel specified"), {}};
        const int cause = action.has("Cause") ? std::atoi(std::string(action.get("Cause")).c_str()) : 16;
        Outcome outcome = sim_.hangup_channel(channel, cause > 0 ? cause : 16, now);
        if (!outcome.ok()) return {error(id, "No such channel"), {}};
        return {success(id, "Channel Hungup"), std::move(outcome.events)};
    }
    if (auto recorded = canned_.find(action, id)) return {*recorded, {}};
    if (auto recorded = canned_.find(action, id, true)) return {*recorded, {}};
    return {error(id, "ami-sim does not simulate " + std::string(action.get("Action"))), {}};
}

namespace {

ActionReply from_outcome(Outcome outcome, std::string_view id, std::string_view success_message) {
    if (!outcome.ok()) return {error(id, outcome.error), {}};
    return {success(id, success_message), std::move(outcome.events)};
}

}  // namespace

std::optional<ActionReply> ActionHandler::entity_action(const std::string& name, const ami::Message& action,
                                                        std::string_view id, double now) {
    if (name == "queueadd") {
        QueueAddRequest request;
        request.queue = std::string(action.get("Queue"));
        request.interface = std::string(action.get("Interface"));
        request.member_name = std::string(action.get("MemberName"));
        request.state_interface = std::string(action.get("StateInterface"));
        request.penalty = std::atoi(std::string(action.get("Penalty")).c_str());
        request.paused = is_true(action.get("Paused"));
        request.reason = std::string(action.get("Reason"));
        return from_outcome(sim_.queue_add(request, now), id, "Added interface to queue");
    }
    if (name == "queueremove")
        return from_outcome(sim_.queue_remove(action.get("Queue"), action.get("Interface")), id,
                            "Removed interface from queue");
    if (name == "queuepause") {
        if (!action.has("Paused")) return ActionReply{error(id, "Need 'Interface' and 'Paused' parameters."), {}};
        const bool paused = is_true(action.get("Paused"));
        return from_outcome(sim_.queue_pause(action.get("Queue"), action.get("Interface"), paused, action.get("Reason"), now),
                            id, paused ? "Interface paused successfully" : "Interface unpaused successfully");
    }
    if (name == "queuepenalty") {
        const std::string penalty(action.get("Penalty"));
        const bool numeric = !penalty.empty() && penalty.find_first_not_of("0123456789") == std::string::npos;
        return from_outcome(sim_.queue_penalty(action.get("Queue"), action.get("Interface"),
                                               numeric ? std::atoi(penalty.c_str()) : -1),
                            id, "Interface penalty set successfully");
    }
    if (name == "park") {
        ParkRequest request;
        request.channel = std::string(action.get("Channel"));
        request.timeout_channel = std::string(action.get("TimeoutChannel"));
        request.timeout_ms = std::atoi(std::string(action.get("Timeout")).c_str());
        request.lot = std::string(action.get("Parkinglot"));
        Outcome outcome = sim_.park(request, now);
        if (!outcome.ok()) return ActionReply{error(id, outcome.error), {}};
        // res_parking ends this message with a bare LF before the CRLF (all three recordings).
        return ActionReply{response_message("Success", id, {{"Message", "Park successful\n"}}).serialize(),
                           std::move(outcome.events)};
    }
    if (name == "confbridgemute" || name == "confbridgeunmute" || name == "confbridgekick") {
        const std::string_view conference = action.get("Conference");
        const std::string_view channel = action.get("Channel");
        if (conference.empty()) return ActionReply{error(id, "No Conference name provided."), {}};
        if (channel.empty()) return ActionReply{error(id, "No channel name provided."), {}};
        if (name == "confbridgekick") return from_outcome(sim_.conf_leave(conference, channel, true), id, "User kicked");
        const bool mute = name == "confbridgemute";
        return from_outcome(sim_.conf_mute(conference, channel, mute), id, mute ? "User muted" : "User unmuted");
    }
    if (name == "confbridgelock" || name == "confbridgeunlock") {
        const std::string_view conference = action.get("Conference");
        if (conference.empty()) return ActionReply{error(id, "No Conference name provided."), {}};
        const bool lock = name == "confbridgelock";
        return from_outcome(sim_.conf_lock(conference, lock), id, lock ? "Conference locked" : "Conference unlocked");
    }
    if (name == "pjsipregister" || name == "pjsipunregister") {
        const std::string_view registration = action.get("Registration");
        if (registration.empty()) return ActionReply{error(id, "Registration parameter missing."), {}};
        const bool reg = name == "pjsipregister";
        Outcome outcome = reg ? sim_.pjsip_register(registration, now) : sim_.pjsip_unregister(registration);
        if (!outcome.ok())  // the text ends in a bare LF, as recorded
            return ActionReply{response_message("Error", id, {{"Message", outcome.error}}).serialize(), {}};
        return from_outcome(std::move(outcome), id, reg ? "Reregistration sent" : "Unregistration sent");
    }
    return std::nullopt;
}

ActionReply ActionHandler::command(const ami::Message& action, std::string_view id) {
    const std::string_view text = action.get("Command");
    const Flavor flavor = sim_.flavor();
    if (text.empty()) return {error(id, "No command provided"), {}};
    const auto words = words_of(text);
    if (words.size() >= 2 && words[0] == "database" && words[1] == "show")
        return {command_output(flavor, id,
                               database_show_lines(sim_.state(), words.size() > 2 ? words[2] : std::string(),
                                                   words.size() > 3 ? words[3] : std::string())),
                {}};
    if (!traits(flavor).pjsip && text == "sip show peers")
        return {command_output(flavor, id, sip_show_peers_lines(sim_.state())), {}};
    if (words.size() == 3 && words[0] == "module" && words[1] == "reload") {
        // 20/12: the CLI reload answers with one line and publishes the Reload event.
        Outcome outcome = sim_.reload(words[2]);
        if (!outcome.ok()) return {command_output(flavor, id, {"No such module '" + words[2] + "'"}, true), {}};
        return {command_output(flavor, id, {"Module '" + words[2] + "' reloaded successfully."}),
                std::move(outcome.events)};
    }
    if (words.size() == 3 && words[0] == "core" && (words[1] == "restart" || words[1] == "stop")) {
        ActionReply reply;
        reply.close = true;  // the session that asked gets no answer, only EOF
        reply.restart = true;
        return reply;
    }
    if (auto recorded = canned_.find(action, id)) return {*recorded, {}};
    return {command_output(flavor, id, {unknown_cli_command_line(text)}, true), {}};
}

ActionReply ActionHandler::setvar(const ami::Message& action, std::string_view id) {
    const std::string_view variable = action.get("Variable");
    if (variable.empty()) return {error(id, "No variable specified"), {}};
    const std::string_view channel = action.get("Channel");
    if (!channel.empty() && !sim_.state().find_channel(channel)) return {error(id, "No such channel"), {}};
    const std::string_view value = action.get("Value");
    ActionReply reply{success(id, "Variable Set"), {}};
    if (auto device = function_argument(variable, "DEVICE_STATE"); !device.empty()) {
        const std::string state_name = parse_device_state(value) ? std::string(value) : std::string("UNKNOWN");
        Outcome outcome = sim_.set_device_state(device, state_name);
        if (!outcome.ok()) return {error(id, outcome.error), {}};
        reply.events = std::move(outcome.events);
    } else if (auto path = function_argument(variable, "DB"); !path.empty()) {
        const auto slash = path.find('/');
        if (slash == std::string::npos) return {error(id, "Failed to set variable"), {}};
        sim_.state().db_put(path.substr(0, slash), path.substr(slash + 1), value);
    } else {
        sim_.state().globals[std::string(variable)] = std::string(value);
    }
    return reply;
}

std::string ActionHandler::getvar(const ami::Message& action, std::string_view id) {
    const std::string_view variable = action.get("Variable");
    if (variable.empty()) return error(id, "No variable specified");
    const std::string_view channel = action.get("Channel");
    if (!channel.empty() && !sim_.state().find_channel(channel)) return error(id, "No such channel");
    const SimState& state = sim_.state();
    std::string value;
    if (auto device = function_argument(variable, "DEVICE_STATE"); !device.empty()) {
        value = std::string(device_state_name(state.device_state(device)));
    } else if (auto exten = function_argument(variable, "EXTENSION_STATE"); !exten.empty()) {
        const auto at = exten.find('@');
        const Hint* hint = state.find_hint(exten.substr(0, at), at == std::string::npos ? "default" : exten.substr(at + 1));
        value = std::string(extension_state_name(hint ? state.hint_status(*hint) : -1));
    } else if (auto path = function_argument(variable, "DB"); !path.empty()) {
        const auto slash = path.find('/');
        if (slash != std::string::npos) value = state.db_get(path.substr(0, slash), path.substr(slash + 1)).value_or("");
    } else if (auto args = function_argument(variable, "PJSIP_AOR"); !args.empty()) {
        const std::string aor = args.substr(0, args.find(','));
        std::vector<std::string> ids;
        for (const Contact* c : state.contacts_of_aor(aor)) ids.push_back(c->id);
        for (std::size_t i = 0; i < ids.size(); ++i) value += (i ? "," : "") + ids[i];
    } else if (const Channel* c = channel.empty() ? nullptr : state.find_channel(channel);
               c && std::any_of(c->variables.begin(), c->variables.end(),
                                [&](const auto& v) { return v.first == variable; })) {
        for (const auto& [name, v] : c->variables)
            if (name == variable) value = v;
    } else if (auto it = state.globals.find(std::string(variable)); it != state.globals.end()) {
        value = it->second;
    }
    return response_message("Success", id, {{"Variable", std::string(variable)}, {"Value", value}}).serialize();
}

ActionReply ActionHandler::user_event(const ami::Message& action, std::string_view id) {
    ami::Message event;
    event.add("Event", "UserEvent");
    event.add("Privilege", "user,all");
    event.add("UserEvent", std::string(action.get("UserEvent")));
    for (const auto& h : action.headers())
        if (!ami::iequals(h.name, "UserEvent") && !ami::iequals(h.name, "Action")) event.headers().push_back(h);
    return {success(id, "Event Sent"), {std::move(event)}};
}

std::string ActionHandler::database(const ami::Message& action, std::string_view id) {
    const std::string name = lower_ascii(action.get("Action"));
    const std::string_view family = action.get("Family");
    const std::string_view key = action.get("Key");
    SimState& state = sim_.state();
    if (name == "dbget") return db_get(state, family, key, id);
    if (name == "dbgettree") return db_get_tree(state, family, key, id);
    if (family.empty()) return error(id, "No family specified.");
    if (name == "dbdeltree") {
        if (state.db_del_tree(family, key) <= 0) return error(id, "Database entry not found");
        return success(id, "Key tree deleted successfully");
    }
    if (key.empty()) return error(id, "No key specified.");
    if (name == "dbput") {
        state.db_put(family, key, action.get("Val"));
        return success(id, "Updated database successfully");
    }
    if (!state.db_del(family, key) && !traits(sim_.flavor()).db_del_missing_ok)
        return error(id, "Database entry could not be deleted");
    return success(id, "Key deleted successfully");
}

}  // namespace amisim
