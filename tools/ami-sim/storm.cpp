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

Events Storm::next(std::size_t max_events, double now) {
    Events out;
    while (!done() && out.size() < max_events) {
        const std::size_t before = out.size();
        step(now, out);
        emitted_ += out.size() - before;
    }
    return out;
}

void Storm::step(double now, Events& out) {
    const std::size_t index = static_cast<std::size_t>(steps_ % extensions_.size());
    const std::uint64_t round = steps_ / extensions_.size();
    ++steps_;
    const std::string& peer = extensions_[index];
    const std::uint64_t kind = round % (options_.devstate_only ? kCycleRounds : kMixRounds);
    const std::size_t before = out.size();
    if (kind < kCycleRounds) {
        const std::string device = sim_.state().device_of(*sim_.state().find_peer(peer));
        if (kind == 0) original_[index] = sim_.state().device_state(device);
        const DeviceState target = kind < kCycleRounds - 1 ? kCycle[kind] : original_[index];
        auto outcome = sim_.set_device_state(device, device_state_name(target));
        std::move(outcome.events.begin(), outcome.events.end(), std::back_inserter(out));
    } else {
        // Registrations and calls: an unregistered peer registers again; in the first of these
        // rounds a third of the registered ones unregister (a different third each cycle), the
        // others call the next idle registered peer.
        const Peer* p = sim_.state().find_peer(peer);
        const std::uint64_t cycle = round / kMixRounds;
        if (p && !p->registered) register_step(peer, now, out);
        else if (kind == kCycleRounds && (index + cycle) % 3 == 0) register_step(peer, now, out);
        else call_step(index, now, out);
    }
    if (out.size() == before) {
        // Nothing changed (a call that could not be placed): a device state bounce, so that
        // every step emits something and the storm always ends.
        const std::string device = sim_.state().device_of(*sim_.state().find_peer(peer));
        const DeviceState was = sim_.state().device_state(device);
        const DeviceState other = was == DeviceState::InUse ? DeviceState::Busy : DeviceState::InUse;
        for (DeviceState s : {other, was}) {
            auto outcome = sim_.set_device_state(device, device_state_name(s));
            std::move(outcome.events.begin(), outcome.events.end(), std::back_inserter(out));
        }
    }
}

bool Storm::register_step(const std::string& peer, double now, Events& out) {
    const Peer* p = sim_.state().find_peer(peer);
    if (!p) return false;
    auto outcome = p->registered ? sim_.unregister_peer(peer) : sim_.register_peer(peer, RegisterOptions{}, now);
    if (!outcome.ok()) return false;
    std::move(outcome.events.begin(), outcome.events.end(), std::back_inserter(out));
    return true;
}

bool Storm::call_step(std::size_t index, double now, Events& out) {
    const SimState& state = sim_.state();
    auto idle = [&](const std::string& name) {
        const Peer* p = state.find_peer(name);
        if (!p || !p->registered) return false;
        for (const auto& c : state.calls)
            if (c.caller == name || c.callee == name) return false;
        return true;
    };
    const std::string& caller = extensions_[index];
    if (!idle(caller)) return false;
    std::optional<std::string> callee;
    for (std::size_t k = 1; k < extensions_.size() && !callee; ++k) {
        const std::string& candidate = extensions_[(index + k) % extensions_.size()];
        if (idle(candidate)) callee = candidate;
    }
    if (!callee) return false;
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

std::optional<ControlResult> storm_control(ControlContext& context, const std::string& command,
                                           const std::vector<std::string_view>& words) {
    const std::size_t args = words.size() - 1;
    auto reply = [](std::string line) {
        ControlResult result;
        result.reply = std::move(line);
        return result;
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
        if (context.storm.state == "running") return reply("ERR a storm is running");
        ControlResult result = reply("OK storm " + std::to_string(options.events));
        result.storm = options;
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
