// The AMI side of the call control actions: header checks and answer texts as Asterisk's
// manager.c, app_senddtmf.c, app_mixmonitor.c, chan_sip.c and res_pjsip_notify.c write them (or
// as recorded), then the Simulator operation in sim_commands.cpp.
#include <cstdlib>

#include "ami-sim/actions.hpp"
#include "ami-sim/responses.hpp"

namespace amisim {

namespace {

bool is_number(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// Success without a Message, as app_mixmonitor answers (20/11).
std::string bare_success(std::string_view id) {
    std::string out = "Response: Success\r\n";
    if (!id.empty()) out += "ActionID: " + std::string(id) + "\r\n";
    return out + "\r\n";
}

// Event=talk among the Variable headers of a NOTIFY ("Event=talk").
bool talk_event(const ami::Message& action) {
    for (const auto& h : action.headers())
        if (ami::iequals(h.name, "Variable") && ami::iequals(h.value, "Event=talk")) return true;
    return false;
}

ActionReply reply_from(Outcome outcome, std::string_view id, std::string_view message) {
    if (!outcome.ok()) return {error(id, outcome.error), {}};
    return {success(id, message), std::move(outcome.events)};
}

}  // namespace

ActionReply ActionHandler::originate(const ami::Message& action, std::string_view id, double now) {
    OriginateRequest request;
    request.channel = std::string(action.get("Channel"));
    if (request.channel.empty()) return {error(id, "Channel not specified"), {}};
    if (request.channel.find('/') == std::string::npos) return {error(id, "Invalid channel"), {}};
    const std::string_view priority = action.get("Priority");
    if (!priority.empty() && !is_number(priority)) return {error(id, "Invalid priority"), {}};
    const std::string_view timeout = action.get("Timeout");
    if (!timeout.empty() && !is_number(timeout)) return {error(id, "Invalid timeout"), {}};
    request.context = std::string(action.get("Context"));
    request.exten = std::string(action.get("Exten"));
    request.application = std::string(action.get("Application"));
    request.data = std::string(action.get("Data"));
    request.callerid = std::string(action.get("CallerID"));
    request.channel_id = std::string(action.get("ChannelId"));
    request.action_id = std::string(id);
    request.async = is_true(action.get("Async"));

    Outcome outcome = sim_.originate(request, now);
    if (!request.async) {
        // Sync: manager.c answers once the first leg is up or has failed. The phone picks up at
        // once here, so there is no ringing to watch.
        if (!outcome.ok()) return {error(id, "Originate failed"), {}};
        Outcome answered = sim_.answer_call(outcome.detail, now);
        outcome.events.insert(outcome.events.end(), answered.events.begin(), answered.events.end());
        return {success(id, "Originate successfully queued"), std::move(outcome.events)};
    }
    ActionReply reply{success(id, "Originate successfully queued"), std::move(outcome.events)};
    if (outcome.ok() && originate_answer_ms_ >= 0) reply.follow_ups.push_back("answer " + outcome.detail);
    return reply;
}

std::optional<ActionReply> ActionHandler::call_control_action(const std::string& name, const ami::Message& action,
                                                              std::string_view id, double now) {
    const std::string_view channel = action.get("Channel");
    if (name == "originate") return originate(action, id, now);
    if (name == "redirect") {
        if (channel.empty()) return ActionReply{error(id, "Channel not specified"), {}};
        if (action.get("Context").empty()) return ActionReply{error(id, "Context not specified"), {}};
        if (action.get("Exten").empty()) return ActionReply{error(id, "Exten not specified"), {}};
        if (action.get("Priority").empty()) return ActionReply{error(id, "Priority not specified"), {}};
        if (!is_number(action.get("Priority")) || std::atoi(std::string(action.get("Priority")).c_str()) < 1)
            return ActionReply{error(id, "Priority is invalid"), {}};
        const std::string_view extra = action.get("ExtraChannel");
        return reply_from(sim_.redirect(channel, extra, action.get("Exten"), action.get("Context"), now), id,
                          extra.empty() ? "Redirect successful" : "Dual Redirect successful");
    }
    if (name == "blindtransfer" || name == "atxfer") {
        if (channel.empty()) return ActionReply{error(id, "No channel specified"), {}};
        if (action.get("Exten").empty()) return ActionReply{error(id, "No extension specified"), {}};
        std::string context(action.get("Context"));
        if (context.empty())  // the channel's own context, as manager.c falls back to
            if (const Channel* c = sim_.state().find_channel(channel)) context = c->context;
        if (name == "blindtransfer")
            return reply_from(sim_.blind_transfer(channel, action.get("Exten"), context, now), id, "Transfer succeeded");
        return reply_from(sim_.attended_transfer(channel, action.get("Exten"), context, now), id,
                          "Atxfer successfully queued");
    }
    if (name == "playdtmf") {
        const std::string_view duration = action.get("Duration");
        if (!sim_.state().find_channel(channel)) return ActionReply{error(id, "Channel not found"), {}};
        if (action.get("Digit").empty()) return ActionReply{error(id, "No digit specified"), {}};
        if (!duration.empty() && !is_number(duration))
            return ActionReply{error(id, "Could not convert Duration parameter"), {}};
        return reply_from(sim_.play_dtmf(channel, action.get("Digit"), std::atoi(std::string(duration).c_str()),
                                         is_true(action.get("Receive"))),
                          id, "DTMF successfully queued");
    }
    if (name == "mixmonitor" || name == "stopmixmonitor" || name == "mixmonitormute") {
        if (channel.empty()) return ActionReply{error(id, "No channel specified"), {}};
        Outcome outcome;
        if (name == "mixmonitor") {
            outcome = sim_.mix_monitor(channel, action.get("File"));
        } else if (name == "stopmixmonitor") {
            outcome = sim_.stop_mix_monitor(channel, action.get("MixMonitorID"));
        } else {
            if (action.get("Direction").empty())
                return ActionReply{error(id, "No direction specified. Must be read, write or both"), {}};
            if (action.get("State").empty()) return ActionReply{error(id, "No state specified"), {}};
            outcome = sim_.mute_mix_monitor(channel, action.get("Direction"), !is_false(action.get("State")));
        }
        if (!outcome.ok()) return ActionReply{error(id, outcome.error), {}};
        return ActionReply{bare_success(id), std::move(outcome.events)};
    }
    if (name == "sipnotify") {
        std::string_view peer = channel;
        if (peer.empty()) return ActionReply{error(id, "SIPNotify requires a channel name"), {}};
        if (peer.size() > 4 && ami::iequals(peer.substr(0, 4), "sip/")) peer.remove_prefix(4);
        const Peer* found = sim_.state().find_peer(peer);
        // chan_sip needs the peer's address: unknown and unregistered peers have none.
        if (!found || (!found->registered && !is_trunk(*found))) return ActionReply{error(id, "Could not create address"), {}};
        return reply_from(sim_.notify_peer(peer, talk_event(action), now), id, "Notify Sent");
    }
    if (name == "pjsipnotify") {
        std::string_view endpoint = action.get("Endpoint");
        const bool variables = action.has("Variable"), option = !action.get("Option").empty();
        if (variables && option)
            return ActionReply{error(id, "PJSIPNotify action can not handle a request specifying both 'Variable' and 'Option'"), {}};
        if (!endpoint.empty() && !action.get("URI").empty())
            return ActionReply{error(id, "PJSIPNotify action can not handle a request specifying both 'URI' and "
                                         "'Endpoint'. You must use only one of the two"), {}};
        if (endpoint.empty() && action.get("URI").empty())
            return ActionReply{error(id, "PJSIPNotify requires either an endpoint name or a SIP URI."), {}};
        if (endpoint.empty()) return ActionReply{success(id, "NOTIFY sent"), {}};
        if (endpoint.size() > 6 && ami::iequals(endpoint.substr(0, 6), "pjsip/")) endpoint.remove_prefix(6);
        if (!sim_.state().find_peer(endpoint))
            return ActionReply{error(id, "Unable to retrieve endpoint " + std::string(endpoint)), {}};
        return reply_from(sim_.notify_peer(endpoint, talk_event(action), now), id, "NOTIFY sent");
    }
    if (name == "reload") {
        Outcome outcome = sim_.reload(action.get("Module"));
        // The Reload event comes even when the module does not exist (20/12).
        ActionReply reply{outcome.ok() ? success(id, "Module Reloaded") : error(id, outcome.error), {}};
        reply.events = std::move(outcome.events);
        return reply;
    }
    return std::nullopt;
}

}  // namespace amisim
