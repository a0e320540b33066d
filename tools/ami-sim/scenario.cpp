#include "ami-sim/scenario.hpp"

#include <algorithm>

namespace amisim {

namespace {

bool dynamic_peer(const Peer& p) {
    for (const auto& h : p.peer_entry)
        if (h.name == "Dynamic") return h.value != "no";
    return p.endpoint_list.empty() || !p.auths.empty();  // PJSIP: trunks have no inbound auth
}

}  // namespace

std::chrono::milliseconds LivelyScenario::next_delay() {
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(500, 2000)(rng_));
}

std::string LivelyScenario::next_command(const Simulator& sim) {
    const SimState& s = sim.state();
    std::vector<const Peer*> registered, unregistered, idle;
    for (const auto& p : s.peers) {
        if (!dynamic_peer(p)) continue;
        (p.registered ? registered : unregistered).push_back(&p);
        if (p.registered && s.active_channels(p) == 0) idle.push_back(&p);
    }
    std::vector<std::string> choices;
    // Calls in progress move on first, most of the time.
    for (const auto& call : s.calls) {
        if (!call.answered) {
            choices.push_back("answer " + call.id);
            choices.push_back("answer " + call.id);
            choices.push_back("hangup " + call.id);
        } else {
            choices.push_back("hangup " + call.id + (std::bernoulli_distribution(0.5)(rng_) ? " caller" : " callee"));
        }
    }
    if (!choices.empty() && std::bernoulli_distribution(0.7)(rng_))
        return choices[std::uniform_int_distribution<std::size_t>(0, choices.size() - 1)(rng_)];

    if (idle.size() >= 2) {
        std::vector<const Peer*> pair = idle;
        std::shuffle(pair.begin(), pair.end(), rng_);
        for (int i = 0; i < 3; ++i) choices.push_back("call " + pair[0]->name + " " + pair[1]->name);
    }
    if (registered.size() > 2)
        choices.push_back("unregister " +
                          registered[std::uniform_int_distribution<std::size_t>(0, registered.size() - 1)(rng_)]->name);
    if (!unregistered.empty())
        choices.push_back("register " +
                          unregistered[std::uniform_int_distribution<std::size_t>(0, unregistered.size() - 1)(rng_)]->name);
    if (!registered.empty()) {
        const Peer* p = registered[std::uniform_int_distribution<std::size_t>(0, registered.size() - 1)(rng_)];
        const auto dnd = s.db_get("DND", p->name);
        choices.push_back("dnd " + p->name + (dnd && *dnd == "YES" ? " off" : " on"));
    }
    if (choices.empty()) return {};
    return choices[std::uniform_int_distribution<std::size_t>(0, choices.size() - 1)(rng_)];
}

}  // namespace amisim
