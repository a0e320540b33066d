#include "ami-sim/storm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ami-sim/control.hpp"

namespace amisim {

namespace {

// The device state cycle of one extension, one state per round; the last round restores the
// state the cycle began with.
constexpr DeviceState kCycle[] = {DeviceState::InUse, DeviceState::Ringing, DeviceState::OnHold};
constexpr std::uint64_t kCycleRounds = 4;
// Rounds of the full mix: the device cycle, then two rounds of registrations and calls.
constexpr std::uint64_t kMixRounds = kCycleRounds + 2;

std::optional<std::uint64_t> parse_number(std::string_view text) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    return value;
}

}  // namespace

Storm::Storm(Simulator& sim, StormOptions options) : sim_(sim), options_(options) {
    for (const auto& peer : sim_.state().peers)
        if (!is_trunk(peer)) extensions_.push_back(peer.name);
    original_.resize(extensions_.size(), DeviceState::Unknown);
}

std::size_t Storm::allowance(double elapsed, std::size_t max_events) const {
    if (options_.rate <= 0) return max_events;
    const double due = std::floor(options_.rate * std::max(0.0, elapsed));
    if (due <= static_cast<double>(emitted_)) return 0;
    return static_cast<std::size_t>(std::min(static_cast<double>(max_events), due - static_cast<double>(emitted_)));
}

Events Storm::next(std::size_t max_events, double now, std::vector<StormStep>* steps) {
    Events out;
    while (!done() && out.size() < max_events) {
        const std::size_t before = out.size();
        const std::size_t index = static_cast<std::size_t>(steps_ % extensions_.size());
        const StormStepKind kind = step(now, out);
        emitted_ += out.size() - before;
        if (steps)
            steps->push_back({static_cast<std::uint32_t>(index), kind, static_cast<std::uint32_t>(out.size() - before)});
    }
    return out;
}

bool Storm::idle(const std::string& peer) const {
    const Peer* p = sim_.state().find_peer(peer);
    return p && p->registered && sim_.state().channels_of_peer(peer).empty();
}

StormStepKind Storm::step(double now, Events& out) {
    const std::size_t index = static_cast<std::size_t>(steps_ % extensions_.size());
    const std::uint64_t round = steps_ / extensions_.size();
    ++steps_;
    const std::string& peer = extensions_[index];
    const std::uint64_t kind = round % (options_.devstate_only ? kCycleRounds : kMixRounds);
    const std::size_t before = out.size();
    std::optional<StormStepKind> made;
    if (kind < kCycleRounds) {
        made = device_step(index, kind, out);
    } else if (!sim_.state().channels_of_peer(peer).empty()) {
        // In a call the storm did not make (`calls`, a queue, a parked call...): left alone but
        // for a device state bounce below, so that the call stays as it is.
    } else {
        // Registrations, calls and queue callers: an unregistered peer registers again; in the
        // first of these rounds a third of the registered ones unregister (a different third each
        // cycle), in the second a third dial a queue; the others call the next idle peer.
        const Peer* p = sim_.state().find_peer(peer);
        const std::uint64_t cycle = round / kMixRounds;
        if (p && !p->registered) made = register_step(peer, now, out);
        else if (kind == kCycleRounds && (index + cycle) % 3 == 0) made = register_step(peer, now, out);
        else if (kind == kCycleRounds + 1 && (index + cycle) % 3 == 1) made = queue_step(index, now, out);
        if (!made && out.size() == before && call_step(index, now, out)) made = StormStepKind::Call;
    }
    if (out.size() == before) {
        // Nothing changed (a busy peer, a call that could not be placed): a device state bounce,
        // so that every step emits something and the storm always ends.
        const std::string device = sim_.state().device_of(*sim_.state().find_peer(peer));
        const DeviceState was = sim_.state().device_state(device);
        const DeviceState other = was == DeviceState::InUse ? DeviceState::Busy : DeviceState::InUse;
        for (DeviceState s : {other, was}) {
            auto outcome = sim_.set_device_state(device, device_state_name(s));
            std::move(outcome.events.begin(), outcome.events.end(), std::back_inserter(out));
        }
        return StormStepKind::Bounce;
    }
    return made.value_or(StormStepKind::Devstate);
}

StormStepKind Storm::device_step(std::size_t index, std::uint64_t kind, Events& out) {
    const SimState& state = sim_.state();
    const std::string device = state.device_of(*state.find_peer(extensions_[index]));
    const DeviceState current = state.device_state(device);
    if (kind == 0) original_[index] = current;
    DeviceState target = original_[index];
    if (kind < kCycleRounds - 1) {
        // The cycle's state, unless the device is in it already or began the cycle in it (a phone
        // in a held call is INUSE): then BUSY or NOT_INUSE, so that every step changes the device
        // (and its extension's status) and the last one restores it.
        target = kCycle[kind];
        for (DeviceState candidate : {kCycle[kind], DeviceState::Busy, DeviceState::NotInUse})
            if (candidate != current && candidate != original_[index]) {
                target = candidate;
                break;
            }
    }
    auto outcome = sim_.set_device_state(device, device_state_name(target));
    std::move(outcome.events.begin(), outcome.events.end(), std::back_inserter(out));
    return StormStepKind::Devstate;
}

std::optional<StormStepKind> Storm::register_step(const std::string& peer, double now, Events& out) {
    const Peer* p = sim_.state().find_peer(peer);
    if (!p) return std::nullopt;
    const bool registered = p->registered;
    auto outcome = registered ? sim_.unregister_peer(peer) : sim_.register_peer(peer, RegisterOptions{}, now);
    if (!outcome.ok()) return std::nullopt;
    std::move(outcome.events.begin(), outcome.events.end(), std::back_inserter(out));
    return registered ? StormStepKind::Unregister : StormStepKind::Register;
}

bool Storm::call_step(std::size_t index, double now, Events& out) {
    const std::string& caller = extensions_[index];
    if (!idle(caller)) return false;
    // The next idle peer after a cursor that only goes round: each peer is looked at about once
    // per round, however many are busy in held calls (a scan that finds nobody is not repeated
    // until the storm has gone round once more).
    if (steps_ < no_callee_until_) return false;
    std::optional<std::string> callee;
    for (std::size_t k = 0; k < extensions_.size() && !callee; ++k) {
        const std::string& candidate = extensions_[callee_cursor_];
        callee_cursor_ = (callee_cursor_ + 1) % extensions_.size();
        if (candidate != caller && idle(candidate)) callee = candidate;
    }
    if (!callee) {
        no_callee_until_ = steps_ + extensions_.size();
        return false;
    }
    auto started = sim_.start_call(caller, *callee, now);
    if (!started.ok()) return false;
    std::move(started.events.begin(), started.events.end(), std::back_inserter(out));
    const std::string call_id = started.detail;
    auto answered = sim_.answer_call(call_id, now);
    std::move(answered.events.begin(), answered.events.end(), std::back_inserter(out));
    // Every call ends within its step: no call is left half-way when the storm stops.
    auto ended = sim_.hangup_call(call_id, steps_ % 2 ? HangupSide::Caller : HangupSide::Callee, 16, now);
    std::move(ended.events.begin(), ended.events.end(), std::back_inserter(out));
    return true;
}

std::optional<StormStepKind> Storm::queue_step(std::size_t index, double now, Events& out) {
    SimState& state = sim_.state();
    const std::string& caller = extensions_[index];
    if (state.queues.empty() || !idle(caller)) return std::nullopt;
    const std::string queue = state.queues[queue_cursor_++ % state.queues.size()].name;
    auto joined = sim_.queue_join(queue, caller, now);
    if (!joined.ok()) return std::nullopt;
    std::move(joined.events.begin(), joined.events.end(), std::back_inserter(out));
    const std::string call_id = joined.detail;
    // The first agent that rings answers, and the caller or the agent hangs up later; every
    // third caller gives up first, as does one no agent rings (all busy, or others wait ahead).
    // The whole call is one step: no caller is left waiting when the storm stops.
    std::string agent;
    if (const Call* call = state.find_call(call_id); call && steps_ % 3 != 0)
        for (const auto& name : call->ringing)
            if (const Channel* c = state.find_channel(name)) {
                agent = c->peer;
                break;
            }
    if (!agent.empty()) {
        auto answered = sim_.queue_answer(queue, agent, now);
        if (answered.ok()) {
            std::move(answered.events.begin(), answered.events.end(), std::back_inserter(out));
            auto completed = sim_.hangup_call(call_id, steps_ % 2 ? HangupSide::Caller : HangupSide::Callee, 16, now);
            std::move(completed.events.begin(), completed.events.end(), std::back_inserter(out));
            return StormStepKind::QueueAnswered;
        }
    }
    auto abandoned = sim_.hangup_call(call_id, HangupSide::Caller, 16, now);
    std::move(abandoned.events.begin(), abandoned.events.end(), std::back_inserter(out));
    return StormStepKind::QueueAbandoned;
}

std::string_view storm_step_kind_name(StormStepKind kind) {
    switch (kind) {
        case StormStepKind::Devstate: return "devstate";
        case StormStepKind::Register: return "register";
        case StormStepKind::Unregister: return "unregister";
        case StormStepKind::Call: return "call";
        case StormStepKind::QueueAnswered: return "queue-answered";
        case StormStepKind::QueueAbandoned: return "queue-abandoned";
        case StormStepKind::Bounce: return "bounce";
    }
    return "?";
}

void append_wire(std::string& out, const ami::Message& event) {
    for (const auto& h : event.headers()) {
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    out += "\r\n";
}

PreparedStorm prepare_storm(Simulator& sim, const StormOptions& options, double now) {
    Storm storm(sim, options);
    PreparedStorm prepared;
    prepared.extensions = storm.extensions();
    prepared.devstate_only = options.devstate_only;
    std::vector<StormStep> steps;
    while (!storm.done()) {
        steps.clear();
        const Events events = storm.next(4096, now, &steps);
        if (prepared.bytes.empty() && !events.empty()) {
            // Room for the whole storm at the first batch's bytes per event, plus a margin: no
            // copying of hundreds of megabytes as the string grows.
            std::size_t sample = 0;
            for (const auto& e : events)
                for (const auto& h : e.headers()) sample += h.name.size() + h.value.size() + 4;
            prepared.bytes.reserve(static_cast<std::size_t>(
                static_cast<double>(sample + 2 * events.size()) / static_cast<double>(events.size()) *
                static_cast<double>(options.events) * 1.2));
        }
        std::size_t next_event = 0;
        for (const auto& step : steps) {
            for (std::uint32_t i = 0; i < step.events; ++i) append_wire(prepared.bytes, events[next_event++]);
            prepared.events += step.events;
            prepared.steps.push_back({prepared.bytes.size(), prepared.events, step.extension, step.kind});
        }
    }
    return prepared;
}

std::optional<ControlResult> storm_control(ControlContext& context, const std::string& command,
                                           const std::vector<std::string_view>& words) {
    const std::size_t args = words.size() - 1;
    auto reply = [](std::string line) {
        ControlResult result;
        result.reply = std::move(line);
        return result;
    };
    // A storm runs, or a prepared one waits for storm-go: no other may start.
    auto busy = [&]() -> std::optional<ControlResult> {
        if (context.storm.state == "running") return reply("ERR a storm is running");
        if (context.storm.state == "prepared") return reply("ERR a storm is prepared (storm-go sends it, storm-stop drops it)");
        return std::nullopt;
    };
    if (command == "storm" && args >= 1 && args <= 3) {
        const auto usage = reply("ERR usage: storm <events> [events-per-second, 0: as fast as read] [devstate]");
        const auto count = parse_number(words[1]);
        if (!count || *count == 0) return usage;
        StormOptions options;
        options.events = *count;
        if (args >= 2) {
            const auto rate = parse_number(words[2]);
            if (!rate) return usage;
            options.rate = static_cast<double>(*rate);
        }
        if (args == 3) {
            if (lower_ascii(words[3]) != "devstate") return usage;
            options.devstate_only = true;
        }
        if (auto refused = busy()) return *refused;
        ControlResult result = reply("OK storm " + std::to_string(options.events));
        result.storm = options;
        return result;
    }
    if (command == "storm-prepare" && args >= 1 && args <= 2) {
        const auto usage = reply("ERR usage: storm-prepare <events> [devstate]");
        const auto count = parse_number(words[1]);
        if (!count || *count == 0) return usage;
        StormOptions options;
        options.events = *count;
        if (args == 2) {
            if (lower_ascii(words[2]) != "devstate") return usage;
            options.devstate_only = true;
        }
        if (auto refused = busy()) return *refused;
        ControlResult result = reply("OK");  // the server replies with what it prepared
        result.storm_prepare = options;
        return result;
    }
    if (command == "storm-go" && args <= 1) {
        double rate = 0;
        if (args == 1) {
            const auto parsed = parse_number(words[1]);
            if (!parsed) return reply("ERR usage: storm-go [events-per-second, 0: as fast as read]");
            rate = static_cast<double>(*parsed);
        }
        if (context.storm.state != "prepared") return reply("ERR no storm is prepared (storm-prepare)");
        ControlResult result = reply("OK");  // the server replies with the sessions it sends to
        result.storm_go = rate;
        return result;
    }
    if (command == "storm-log" && args == 1) {
        ControlResult result = reply("OK");  // the server opens the file
        result.storm_log = lower_ascii(words[1]) == "off" ? std::string() : std::string(words[1]);
        return result;
    }
    if (command == "storm-status" && args == 0) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.3f", context.storm.seconds);
        return reply("OK " + context.storm.state + " " + std::to_string(context.storm.emitted) + " " +
                     std::to_string(context.storm.target) + " " + seconds);
    }
    if (command == "storm-stop" && args == 0) {
        ControlResult result = reply("OK");
        result.storm_stop = true;
        return result;
    }
    if (command == "backlog" && args == 0)
        return reply("OK " + std::to_string(context.backlog_max) + " " + std::to_string(context.backlog_total));
    return std::nullopt;
}

}  // namespace amisim
