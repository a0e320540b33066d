#include "ami-sim/control.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "ami-sim/percent.hpp"

namespace amisim {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

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

ControlResult err(std::string reason) { return {"ERR " + std::move(reason), {}, {}, false, false, {}}; }
ControlResult ok(std::string detail = {}) {
    return {detail.empty() ? "OK" : "OK " + std::move(detail), {}, {}, false, false, {}};
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

}  // namespace

void ActionLog::note(std::string_view action, std::string_view wire) {
    ++count_;
    last_[lower(action)] = std::string(wire);
}

std::optional<std::string> ActionLog::last(std::string_view action) const {
    auto it = last_.find(lower(action));
    if (it == last_.end()) return std::nullopt;
    return it->second;
}

ControlResult run_control_command(ControlContext& context, std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    const auto words = split_words(line);
    if (words.empty()) return err("unknown command");
    const std::string command = lower(words[0]);
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
        const std::string state = lower(words[2]);
        if (state != "on" && state != "off") return err("usage: dnd <ext> on|off");
        return from_outcome(sim.set_dnd(words[1], state == "on"));
    }
    if (command == "call" && args == 2) return from_outcome(sim.start_call(words[1], words[2], context.now));
    if (command == "answer" && args == 1) return from_outcome(sim.answer_call(words[1]));
    if (command == "hangup" && (args == 1 || args == 2)) {
        HangupSide side = HangupSide::Callee;
        if (args == 2) {
            const std::string who = lower(words[2]);
            if (who == "caller") side = HangupSide::Caller;
            else if (who != "callee") return err("usage: hangup <callid> [caller|callee]");
        }
        return from_outcome(sim.hangup_call(words[1], side));
    }
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
        const std::string op = lower(words[1]);
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
    if (command == "shutdown" && args == 0) {
        ControlResult result = ok();
        result.shutdown = true;
        return result;
    }
    if (command == "pause-reads" && args == 1) {
        const std::string state = lower(words[1]);
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
    for (const auto& c : s.calls)
        calls.push_back({{"id", c.id}, {"caller", c.caller}, {"callee", c.callee}, {"answered", c.answered}});
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
                       {"db", s.db}};
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace amisim
