// Call control: call, hangup, answer, transfers, park, pickup, dtmf, spy/whisper/intrude.
#include "commands/call_commands.hpp"

#include "commands/lookup.hpp"

namespace commands {

namespace {

using nlohmann::ordered_json;

// Asterisk's OriginateResponse Reason: the last control frame the originated channel saw.
std::string originate_reason(std::string_view reason) {
    if (reason == "0") return "the phone could not be called (unknown, unregistered or unreachable)";
    if (reason == "1") return "hung up before answering";
    if (reason == "3") return "no answer: it rang until the timeout";
    if (reason == "5") return "busy";
    if (reason == "8") return "congestion: the phone or the network is unavailable";
    return "failed (Asterisk reason " + std::string(reason) + ")";
}

// Originate with Async: the Response only says "queued"; the outcome is OriginateResponse.
Step originate_step(ami::Action action, const Env& env) {
    action.set("Async", "true");
    action.timeout = env.config.ring_timeout + env.action_timeout;
    action.completion_event = "OriginateResponse";
    Step step{std::move(action), {}, {}};
    step.fail = [](const ami::ActionResult& r) {
        if (r.status == ami::ActionResult::Status::Error && !r.events.empty()) {
            const ami::Message& e = r.events.back();
            return Reply::error(code::kCallFailed, originate_reason(e.get("Reason")));
        }
        return from_result(r);
    };
    return step;
}

ordered_json originate_data(const ami::ActionResult& r) {
    ordered_json d = ordered_json::object();
    if (!r.events.empty()) {
        d["channel"] = std::string(r.events.back().get("Channel"));
        d["uniqueid"] = std::string(r.events.back().get("Uniqueid"));
    }
    return d;
}

// The SIP header that makes a phone answer by itself (Call-Info answer-after=0: Snom, Yealink,
// Polycom, Grandstream, baresip...). chan_sip adds it through SIPADDHEADER; PJSIP through
// PJSIP_HEADER set on the originated channel.
void add_auto_answer(ami::Action& a, const extensions::Extension& ext) {
    if (ext.tech == extensions::Tech::Sip) a.set("Variable", "SIPADDHEADER=Call-Info: answer-after=0");
    else if (ext.tech == extensions::Tech::Pjsip) a.set("Variable", "PJSIP_HEADER(add,Call-Info)=answer-after=0");
    else throw Refusal(code::kUnsupported, "auto_answer needs a SIP or PJSIP phone; " + ext.exten + " is IAX2");
}

const extensions::Extension& source(Fields& f, const Env& env, std::string_view field, extensions::Extension& scratch) {
    const std::string exten = f.text(field, rule::kExtension);
    const auto& all = env.state.extensions().extensions();
    if (auto it = all.find(exten); it != all.end()) return it->second;
    if (!env.config.allow_unknown_from)
        throw Refusal(code::kForbidden, "field '" + std::string(field) + "': " + exten +
                                            " is not an extension of this PBX ([commands] allow_unknown_from is off)");
    scratch.exten = exten;
    scratch.tech = extensions::Tech::Sip;
    return scratch;
}

}  // namespace

Plan build_call(Fields& f, const Env& env) {
    extensions::Extension scratch;
    const auto& from = source(f, env, "from", scratch);
    const std::string to = destination(env, "to", f.text("to", rule::kNumber));
    const std::string context = dial_context(f, env);
    const bool auto_answer = f.optional_boolean("auto_answer").value_or(false);
    const auto caller_name = f.optional_text("caller_name", rule::kName);
    if (caller_name && caller_name->find_first_of("<>\"") != std::string::npos)
        bad_request("field 'caller_name' must not contain <, > or \"");
    f.finish();

    // astproxy: the phone that places the call rings first showing the number it will call;
    // the [ami] prefix (an outside-line digit) goes in front of the dialled number.
    ami::Action a("Originate");
    a.set("Channel", dial_string(from))
        .set("Context", context)
        .set("Exten", env.dial_prefix + to)
        .set("Priority", "1")
        .set("CallerID", (caller_name ? "\"" + *caller_name + "\" " : std::string()) + "<" + to + ">")
        .set("Timeout", std::to_string(env.config.ring_timeout.count()));
    if (auto_answer) add_auto_answer(a, from);
    Plan p;
    p.steps.push_back(originate_step(std::move(a), env));
    p.finish = [from = from.exten, to](const std::vector<ami::ActionResult>& r) {
        ordered_json d = originate_data(r.front());
        d["from"] = from;
        d["to"] = to;
        return Reply::success(std::move(d));
    };
    return p;
}

Plan build_hangup(Fields& f, const Env& env) {
    std::vector<std::string> channels;
    const std::size_t which = f.one_of({"extension", "channel", "call"});
    if (which == 0) {
        const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
        for (const auto* ch : channels_of(env, ext)) channels.push_back(ch->name);
        if (channels.empty()) throw Refusal(code::kNotInCall, "extension " + ext.exten + " has no call");
    } else if (which == 1) {
        // Asterisk is the judge of channel names: a channel the model has not seen yet is sent as is.
        channels.push_back(f.text("channel", rule::kChannel));
    } else {
        const std::string call = f.text("call", rule::kCallId);
        for (const auto* ch : env.state.calls().call(call)) channels.push_back(ch->name);
        if (channels.empty()) throw Refusal(code::kNotFound, "field 'call': no call " + call);
    }
    const auto cause = f.optional_integer("cause", 1, 127);
    f.finish();
    Plan p;
    for (const auto& name : channels) {
        ami::Action a("Hangup");
        a.set("Channel", name);
        if (cause) a.set("Cause", std::to_string(*cause));
        a.timeout = env.action_timeout;
        Step s{std::move(a), {}, {}};
        // Hanging up one leg often ends the others before their own Hangup arrives.
        if (channels.size() > 1)
            s.accept = [](const ami::ActionResult& r) {
                return r.ok() || (r.status == ami::ActionResult::Status::Error && r.message() == "No such channel");
            };
        p.steps.push_back(std::move(s));
    }
    p.finish = [channels](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"channels", channels}});
    };
    return p;
}

Plan build_answer(Fields& f, const Env& env) {
    const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
    f.finish();
    const calls::Channel* ringing = nullptr;
    for (const auto* ch : channels_of(env, ext))
        if (ch->state == 5) ringing = ch;
    if (!ringing) throw Refusal(code::kNotInCall, "extension " + ext.exten + " is not ringing");
    // Remote answer is a SIP NOTIFY "Event: talk" that the phone must support (Snom, Yealink,
    // Grandstream with it enabled, ...); Asterisk cannot tell whether the phone obeyed, so the
    // reply says the NOTIFY was sent and the extension's status shows the effect.
    ami::Action a;
    if (ext.tech == extensions::Tech::Sip) {
        a = ami::Action("SIPnotify");
        a.set("Channel", ext.exten).set("Variable", "Event=talk");
    } else if (ext.tech == extensions::Tech::Pjsip) {
        a = ami::Action("PJSIPNotify");
        a.set("Endpoint", ext.exten).set("Variable", "Event=talk");
    } else {
        throw Refusal(code::kUnsupported, "remote answer needs a SIP or PJSIP phone; " + ext.exten + " is IAX2");
    }
    a.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(a), {}, {}});
    p.finish = [exten = ext.exten, channel = ringing->name](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"extension", exten}, {"channel", channel}, {"notify", "talk"}});
    };
    return p;
}

namespace {
Plan transfer(Fields& f, const Env& env, const char* action) {
    const calls::Channel& ch = target_channel(f, env);
    const std::string to = destination(env, "to", f.text("to", rule::kNumber));
    const std::string context = dial_context(f, env);
    f.finish();
    // Both take the transferer's channel: its counterpart is the one that moves.
    ami::Action a(action);
    a.set("Channel", ch.name).set("Exten", to).set("Context", context);
    a.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(a), {}, {}});
    p.finish = [channel = ch.name, to](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"channel", channel}, {"to", to}});
    };
    return p;
}
}  // namespace

Plan build_blind_transfer(Fields& f, const Env& env) { return transfer(f, env, "BlindTransfer"); }
Plan build_attended_transfer(Fields& f, const Env& env) { return transfer(f, env, "Atxfer"); }

Plan build_park(Fields& f, const Env& env) {
    const calls::Channel& own = target_channel(f, env);
    const calls::Channel* other = env.state.calls().counterpart(own);
    if (!other) throw Refusal(code::kNotInCall, own.name + " is not talking to anyone");
    const auto lot = f.optional_text("lot", rule::kLot);
    const auto timeout = f.optional_integer("timeout", 1, 3600);
    f.finish();
    // As the recorded PBXs were driven: the other party is parked; it comes back to us on timeout.
    ami::Action a("Park");
    a.set("Channel", other->name).set("TimeoutChannel", own.name);
    if (lot) a.set("Parkinglot", *lot);
    if (timeout) a.set("Timeout", std::to_string(*timeout * 1000));
    a.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(a), {}, {}});
    p.finish = [parked = other->name, by = own.name](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"parked", parked}, {"parker", by}});
    };
    return p;
}

Plan build_pickup(Fields& f, const Env& env) {
    const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
    std::string exten, context;
    ordered_json data{{"extension", ext.exten}};
    if (f.one_of({"target", "slot"}) == 0) {
        const auto& target = known_extension(env, "target", f.text("target", rule::kExtension));
        exten = env.config.pickup_prefix + target.exten;  // directed pickup (FreePBX **<ext>)
        context = env.config.context;
        data["target"] = target.exten;
    } else {
        const auto slot = f.optional_integer("slot", 1, 99999);
        exten = std::to_string(*slot);
        context = env.config.parking_context;
        data["slot"] = *slot;
    }
    f.finish();
    ami::Action a("Originate");
    a.set("Channel", dial_string(ext))
        .set("Context", context)
        .set("Exten", exten)
        .set("Priority", "1")
        .set("CallerID", "<" + exten + ">")
        .set("Timeout", std::to_string(env.config.ring_timeout.count()));
    Plan p;
    p.steps.push_back(originate_step(std::move(a), env));
    p.finish = [data](const std::vector<ami::ActionResult>& r) {
        ordered_json d = data;
        d.update(originate_data(r.front()));
        return Reply::success(std::move(d));
    };
    return p;
}

Plan build_dtmf(Fields& f, const Env& env) {
    // To an extension's call: the digits go to the far end (an IVR), so they are played to the
    // counterpart's channel; a named channel gets them itself.
    const std::string digits = f.text("digits", rule::kDigits);
    for (const char c : digits)
        if (std::isalpha(static_cast<unsigned char>(c)) && (std::toupper(c) < 'A' || std::toupper(c) > 'D'))
            bad_request("field 'digits' must be DTMF digits (0-9, A-D, * and #)");
    std::string channel;
    if (f.one_of({"extension", "channel"}) == 0) {
        const auto& own = talking_channel(env, known_extension(env, "extension", f.text("extension", rule::kExtension)));
        const calls::Channel* other = env.state.calls().counterpart(own);
        channel = other ? other->name : own.name;
    } else {
        channel = known_channel(env, "channel", f.text("channel", rule::kChannel)).name;
    }
    const auto duration = f.optional_integer("duration_ms", 40, 2000);
    f.finish();
    Plan p;
    for (const char c : digits) {
        ami::Action a("PlayDTMF");
        a.set("Channel", channel).set("Digit", std::string(1, static_cast<char>(std::toupper(c))));
        if (duration) a.set("Duration", std::to_string(*duration));
        a.timeout = env.action_timeout;
        p.steps.push_back({std::move(a), {}, {}});
    }
    p.finish = [channel, digits](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"channel", channel}, {"digits", digits}});
    };
    return p;
}

namespace {
// ChanSpy from the spy's phone: q = quiet (no beep, no name), w = whisper to the spied channel,
// B = barge (talk to both parties).
Plan spy(Fields& f, const Env& env, const char* options, const char* mode) {
    extensions::Extension scratch;
    const auto& spy_ext = source(f, env, "extension", scratch);
    const calls::Channel* target = nullptr;
    if (f.one_of({"target", "channel"}) == 0) {
        const auto& t = known_extension(env, "target", f.text("target", rule::kExtension));
        target = &talking_channel(env, t);
    } else {
        target = &known_channel(env, "channel", f.text("channel", rule::kChannel));
    }
    f.finish();
    ami::Action a("Originate");
    a.set("Channel", dial_string(spy_ext))
        .set("Application", "ChanSpy")
        .set("Data", target->name + "," + options)
        .set("CallerID", "\"" + std::string(mode) + "\" <" + target->caller_number + ">")
        .set("Timeout", std::to_string(env.config.ring_timeout.count()));
    Plan p;
    p.steps.push_back(originate_step(std::move(a), env));
    p.finish = [target = target->name, mode, spy = spy_ext.exten](const std::vector<ami::ActionResult>& r) {
        ordered_json d = originate_data(r.front());
        d["extension"] = spy;
        d["target_channel"] = target;
        d["mode"] = mode;
        return Reply::success(std::move(d));
    };
    return p;
}
}  // namespace

Plan build_spy_listen(Fields& f, const Env& env) { return spy(f, env, "q", "listen"); }
Plan build_spy_whisper(Fields& f, const Env& env) { return spy(f, env, "qw", "whisper"); }
Plan build_intrude(Fields& f, const Env& env) { return spy(f, env, "qB", "intrude"); }

}  // namespace commands
