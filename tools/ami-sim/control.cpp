#include "ami-sim/control.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "ami-sim/percent.hpp"

namespace amisim {

namespace {

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t start = 0;
    while (start < line.size()) {
        while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
        std::size_t end = start;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
        if (end > start) words.push_back(line.substr(start, end - start));
        start = end;
    }
    return words;
}

// The text after the first `count` words.
std::string_view rest_after(std::string_view line, std::size_t count) {
    std::size_t pos = 0;
    for (std::size_t i = 0; i < count; ++i) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
        while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    }
    if (pos < line.size()) ++pos;  // the one separator
    return line.substr(std::min(pos, line.size()));
}

ControlResult from_outcome(Outcome outcome) {
    ControlResult result;
    if (!outcome.ok()) {
        result.reply = "ERR " + outcome.error;
        return result;
    }
    result.reply = outcome.detail.empty() ? "OK" : "OK " + outcome.detail;
    result.broadcast = std::move(outcome.events);
    return result;
}

ControlResult err(std::string reason) {
    ControlResult result;
    result.reply = "ERR " + std::move(reason);
    return result;
}
ControlResult ok(std::string detail = {}) {
    ControlResult result;
    result.reply = detail.empty() ? "OK" : "OK " + std::move(detail);
    return result;
}

bool parse_port(std::string_view text, int& port) {
    if (text.empty() || text.size() > 5) return false;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return false;
    port = value;
    return true;
}

bool parse_count(std::string_view text, int& count) {
    if (text.empty() || text.size() > 7 || text.find_first_not_of("0123456789") != std::string_view::npos) return false;
    count = std::atoi(std::string(text).c_str());
    return true;
}

std::optional<bool> on_off(std::string_view text) {
    const std::string value = lower_ascii(text);
    if (value == "on") return true;
    if (value == "off") return false;
    return std::nullopt;
}

// "caller", or "callee"/"agent" (the answering side).
std::optional<HangupSide> side_of(std::string_view text) {
    const std::string value = lower_ascii(text);
    if (value == "caller") return HangupSide::Caller;
    if (value == "callee" || value == "agent") return HangupSide::Callee;
    return std::nullopt;
}

// Queues, parking, conferences, trunks and voicemail.
std::optional<ControlResult> entity_command(ControlContext& context, const std::string& command,
                                            const std::vector<std::string_view>& words, std::string_view line) {
    Simulator& sim = context.sim;
    const double now = context.now;
    const std::size_t args = words.size() - 1;
    if (command == "queue-join" && args == 2) return from_outcome(sim.queue_join(words[1], words[2], now));
    if (command == "queue-answer" && args == 2) return from_outcome(sim.queue_answer(words[1], words[2], now));
    if (command == "queue-hangup" && (args == 1 || args == 2)) {
        auto side = args == 2 ? side_of(words[2]) : std::optional<HangupSide>(HangupSide::Caller);
        if (!side) return err("usage: queue-hangup <queue> [caller|agent]");
        return from_outcome(sim.queue_hangup(words[1], *side, now));
    }
    if (command == "queue-abandon" && args == 1) return from_outcome(sim.queue_abandon(words[1], now));
    if (command == "queue-add" && args >= 2) {
        QueueAddRequest request;
        request.queue = std::string(words[1]);
        request.interface = std::string(words[2]);
        if (args >= 3) request.member_name = std::string(rest_after(line, 3));
        return from_outcome(sim.queue_add(request, now));
    }
    if (command == "queue-remove" && args == 2) return from_outcome(sim.queue_remove(words[1], words[2]));
    if (command == "queue-pause" && args >= 3) {
        const auto paused = on_off(words[3]);
        if (!paused) return err("usage: queue-pause <queue> <interface> on|off [reason]");
        const std::string_view reason = args >= 4 ? rest_after(line, 4) : std::string_view();
        return from_outcome(sim.queue_pause(words[1], words[2], *paused, reason, now));
    }
    if (command == "queue-penalty" && args == 3) {
        int penalty = 0;
        if (!parse_count(words[3], penalty)) return err("usage: queue-penalty <queue> <interface> <penalty>");
        return from_outcome(sim.queue_penalty(words[1], words[2], penalty));
    }
    if (command == "park" && (args == 1 || args == 2)) {
        auto who = args == 2 ? side_of(words[2]) : std::optional<HangupSide>(HangupSide::Callee);
        if (!who) return err("usage: park <callid> [callee|caller]");
        return from_outcome(sim.park_call(words[1], *who, now));
    }
    if ((command == "unpark" && args == 2) || ((command == "park-giveup" || command == "park-timeout") && args == 1)) {
        int space = 0;
        if (!parse_count(words[1], space)) return err("bad parking space " + std::string(words[1]));
        if (command == "unpark") return from_outcome(sim.unpark(space, words[2], now));
        if (command == "park-giveup") return from_outcome(sim.park_giveup(space, now));
        return from_outcome(sim.park_timeout(space, now));
    }
    if (command == "conf-join" && args == 2) return from_outcome(sim.conf_join(words[1], words[2], now));
    if ((command == "conf-leave" || command == "conf-kick") && args == 2)
        return from_outcome(sim.conf_leave(words[1], words[2], command == "conf-kick"));
    if ((command == "conf-mute" || command == "conf-talk") && args == 3) {
        const auto on = on_off(words[3]);
        if (!on) return err("usage: " + command + " <room> <ext> on|off");
        return from_outcome(command == "conf-mute" ? sim.conf_mute(words[1], words[2], *on)
                                                   : sim.conf_talk(words[1], words[2], *on));
    }
    if (command == "conf-lock" && args == 2) {
        const auto on = on_off(words[2]);
        if (!on) return err("usage: conf-lock <room> on|off");
        return from_outcome(sim.conf_lock(words[1], *on));
    }
    if (command == "trunk-register" && args == 2) return from_outcome(sim.set_registration(words[1], words[2], now));
    if (command == "voicemail" && args == 3) {
        int new_messages = 0, old_messages = 0;
        if (!parse_count(words[2], new_messages) || !parse_count(words[3], old_messages))
            return err("usage: voicemail <mailbox> <new> <old>");
        return from_outcome(sim.set_mailbox(words[1], new_messages, old_messages));
    }
    return std::nullopt;
}

}  // namespace

void ActionLog::note(std::string_view action, std::string_view wire) {
    ++count_;
    last_[lower_ascii(action)] = std::string(wire);
}

std::optional<std::string> ActionLog::last(std::string_view action) const {
    auto it = last_.find(lower_ascii(action));
    if (it == last_.end()) return std::nullopt;
    return it->second;
}

ControlResult run_control_command(ControlContext& context, std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    const auto words = split_words(line);
    if (words.empty()) return err("unknown command");
    const std::string command = lower_ascii(words[0]);
    Simulator& sim = context.sim;
    const std::size_t args = words.size() - 1;

    if (command == "register" && args >= 1 && args <= 3) {
        RegisterOptions options;
        if (args >= 2) options.ip = std::string(words[2]);
        if (args == 3 && !parse_port(words[3], options.port)) return err("bad port " + std::string(words[3]));
        return from_outcome(sim.register_peer(words[1], options, context.now));
    }
    if (command == "unregister" && args == 1) return from_outcome(sim.unregister_peer(words[1]));
    if (command == "devstate" && args == 2) return from_outcome(sim.set_device_state(words[1], words[2]));
    if (command == "dnd" && args == 2) {
        const std::string state = lower_ascii(words[2]);
        if (state != "on" && state != "off") return err("usage: dnd <ext> on|off");
        return from_outcome(sim.set_dnd(words[1], state == "on"));
    }
    if (command == "call" && args == 2) return from_outcome(sim.start_call(words[1], words[2], context.now));
    if (command == "call" && args == 4 && lower_ascii(words[3]) == "via")
        return from_outcome(sim.start_trunk_call(words[1], words[2], words[4], context.now));
    if (command == "incoming" && args == 3)
        return from_outcome(sim.incoming_call(words[1], words[2], words[3], context.now));
    if (command == "answer" && args == 1) return from_outcome(sim.answer_call(words[1], context.now));
    if (command == "hangup" && (args == 1 || args == 2)) {
        HangupSide side = HangupSide::Callee;
        if (args == 2) {
            const std::string who = lower_ascii(words[2]);
            if (who == "caller") side = HangupSide::Caller;
            else if (who != "callee") return err("usage: hangup <callid> [caller|callee]");
        }
        return from_outcome(sim.hangup_call(words[1], side, 16, context.now));
    }
    if (command == "calls" && args == 1) {
        int count = 0;
        if (!parse_count(words[1], count)) return err("usage: calls <count>");
        return from_outcome(sim.start_answered_calls(count, context.now));
    }
    if (command == "hangup-all" && args == 0) return from_outcome(sim.hangup_everything(context.now));
    if (auto result = entity_command(context, command, words, line)) return std::move(*result);
    if ((command == "hold" || command == "unhold") && args == 1)
        return from_outcome(sim.hold_call(words[1], command == "hold"));
    if (command == "event" && args >= 1) {
        auto name = percent_decode(words[1]);
        if (!name) return err("bad percent-encoding");
        ami::Message event;
        event.add("Event", *name);
        for (std::size_t i = 2; i < words.size(); ++i) {
            const auto eq = words[i].find('=');
            if (eq == std::string_view::npos) return err("expected Key=Value, got " + std::string(words[i]));
            auto key = percent_decode(words[i].substr(0, eq));
            auto value = percent_decode(words[i].substr(eq + 1));
            if (!key || !value) return err("bad percent-encoding");
            event.add(std::move(*key), std::move(*value));
        }
        ControlResult result = ok();
        result.broadcast.push_back(std::move(event));
        return result;
    }
    if (command == "raw" && args == 1) {
        auto bytes = percent_decode(words[1]);
        if (!bytes) return err("bad percent-encoding");
        ControlResult result = ok(std::to_string(bytes->size()));
        result.raw = std::move(*bytes);
        return result;
    }
    if (command == "db" && args >= 3) {
        const std::string op = lower_ascii(words[1]);
        if (op == "put" && args >= 4) {
            sim.state().db_put(words[2], words[3], rest_after(line, 4));
            return ok();
        }
        if (op == "del" && args == 3) {
            if (!sim.state().db_del(words[2], words[3])) return err("no such key");
            return ok();
        }
        return err("usage: db put <family> <key> <value> | db del <family> <key>");
    }
    if (command == "drop" && args == 0) {
        ControlResult result = ok();
        result.drop = true;
        return result;
    }
    if (command == "reset" && args == 0) {
        ControlResult result = ok();
        result.reset = true;
        return result;
    }
    if (command == "shutdown" && args == 0) {
        ControlResult result = ok();
        result.shutdown = true;
        return result;
    }
    if (command == "pause-reads" && args == 1) {
        const std::string state = lower_ascii(words[1]);
        if (state != "on" && state != "off") return err("usage: pause-reads on|off");
        ControlResult result = ok();
        result.pause_reads = state == "on";
        return result;
    }
    if (command == "clients" && args == 0) return ok(std::to_string(context.logged_in_clients));
    if (command == "actions" && args == 0) return ok(std::to_string(context.actions.count()));
    if (command == "last-action" && args == 1) {
        auto wire = context.actions.last(words[1]);
        if (!wire) return err("no " + std::string(words[1]) + " action received");
        return ok(percent_encode(*wire));
    }
    if (command == "state" && args == 0) return ok(state_json(sim));
    if (auto result = storm_control(context, command, words)) return std::move(*result);
    return err("unknown command");
}

std::string state_json(const Simulator& sim) {
    const SimState& s = sim.state();
    nlohmann::json peers = nlohmann::json::array();
    for (const auto& p : s.peers)
        peers.push_back({{"name", p.name},
                         {"registered", p.registered},
                         {"ip", p.registered ? p.ip : ""},
                         {"port", p.registered ? p.port : 0},
                         {"callerid", format_callerid(p.callerid)},
                         {"device", s.device_of(p)},
                         {"device_state", std::string(device_state_name(s.device_state(s.device_of(p))))}});
    nlohmann::json devices = nlohmann::json::object();
    for (const auto& [device, state] : s.devices) devices[device] = std::string(device_state_name(state));
    nlohmann::json hints = nlohmann::json::array();
    for (const auto& h : s.hints) {
        const int status = s.hint_status(h);
        hints.push_back({{"exten", h.exten}, {"context", h.context}, {"hint", h.hint}, {"status", status},
                         {"status_text", std::string(extension_status_text(status))}});
    }
    nlohmann::json contacts = nlohmann::json::array();
    for (const auto& [id, c] : s.contacts)
        contacts.push_back({{"id", id}, {"aor", c.aor}, {"uri", c.uri}, {"status", c.status}});
    nlohmann::json calls = nlohmann::json::array();
    for (const auto& c : s.calls) {
        nlohmann::json call{{"id", c.id}, {"caller", c.caller}, {"callee", c.callee}, {"answered", c.answered},
                            {"bridge", c.bridge_id}};
        if (c.kind == CallKind::Queue) call["queue"] = c.queue;
        if (c.kind == CallKind::Unpark) call["unparked"] = true;
        if (c.kind == CallKind::Originate) call["originate"] = true;  // an Originate's first leg
        calls.push_back(std::move(call));
    }
    nlohmann::json queues = nlohmann::json::array();
    for (const auto& q : s.queues) {
        nlohmann::json members = nlohmann::json::array();
        for (const auto& m : s.queue_members)
            if (m.queue == q.name)
                members.push_back({{"interface", m.interface()}, {"name", m.name()}, {"paused", m.paused()},
                                   {"penalty", m.get("Penalty")}, {"calls_taken", m.get("CallsTaken")},
                                   {"in_call", m.get("InCall") == "1"},
                                   {"status", queue_member_status(s.device_state(m.state_interface))}});
        nlohmann::json callers = nlohmann::json::array();
        for (const auto& c : q.callers) callers.push_back(c.call_id);
        queues.push_back({{"name", q.name}, {"members", members}, {"callers", callers}, {"completed", q.completed},
                          {"abandoned", q.abandoned}});
    }
    nlohmann::json parked = nlohmann::json::array();
    for (const auto& p : s.parked_calls)
        parked.push_back({{"space", p.space}, {"lot", p.lot}, {"channel", p.channel}, {"parker", p.parker_dial_string}});
    nlohmann::json conferences = nlohmann::json::array();
    for (const auto& c : s.conferences) {
        nlohmann::json users = nlohmann::json::array();
        for (const auto& u : c.users) users.push_back({{"channel", u.channel}, {"muted", u.muted}, {"talking", u.talking}});
        conferences.push_back({{"name", c.name}, {"locked", c.locked}, {"users", users}});
    }
    nlohmann::json registrations = nlohmann::json::array();
    for (const auto& r : s.registrations) registrations.push_back({{"name", r.name}, {"status", r.status}});
    nlohmann::json mailboxes = nlohmann::json::array();
    for (const auto& m : s.mailboxes)
        mailboxes.push_back({{"mailbox", m.id}, {"new", m.new_messages}, {"old", m.old_messages}});
    nlohmann::json channels = nlohmann::json::array();
    for (const auto& c : s.channels)
        channels.push_back({{"name", c.name}, {"state", std::string(channel_state_text(c.state))}, {"uniqueid", c.uniqueid},
                            {"linkedid", c.linkedid}});
    nlohmann::json out{{"flavor", std::string(sim.flavor_traits().name)},
                       {"peers", peers},
                       {"devices", devices},
                       {"hints", hints},
                       {"contacts", contacts},
                       {"calls", calls},
                       {"channels", channels},
                       {"bridges", s.bridges.size()},
                       {"queues", queues},
                       {"parked", parked},
                       {"conferences", conferences},
                       {"registrations", registrations},
                       {"mailboxes", mailboxes},
                       {"db", s.db}};
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace amisim
