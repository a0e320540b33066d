// Queue members: add, remove, pause, unpause, penalty (app_queue's QueueAdd/QueueRemove/QueuePause/
// QueuePenalty, as asterisk20-chansip/06-queue-401 drove them).
#include "commands/call_commands.hpp"
#include "commands/lookup.hpp"
#include "queues/queues_state.hpp"

namespace commands {

namespace {
using nlohmann::ordered_json;

// The interface a request means: `interface` as given, or the member of the queue(s) that is the
// extension (its device, or a Local member whose state interface is its device: FreePBX's
// Local/2002@from-queue/n), else the extension's device.
std::string member_interface(Fields& f, const Env& env, const std::optional<std::string>& queue) {
    if (f.one_of({"extension", "interface"}) == 1) return f.text("interface", rule::kInterface);
    const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
    const std::string device = ext.device();
    for (const auto& [name, q] : env.state.queues().queues()) {
        if (queue && name != *queue) continue;
        for (const auto& [interface, m] : q.members)
            if (interface == device || m.state_interface == device) return interface;
    }
    return device;
}

Plan pause(Fields& f, const Env& env, bool paused) {
    const auto queue = f.optional_text("queue", rule::kQueue);  // absent: every queue of the member
    const std::string interface = member_interface(f, env, queue);
    const auto reason = f.optional_text("reason", rule::kReason);
    f.finish();
    ami::Action a("QueuePause");
    if (queue) a.set("Queue", *queue);
    a.set("Interface", interface).set("Paused", paused ? "true" : "false");
    if (reason) a.set("Reason", *reason);
    ordered_json d{{"queue", queue ? ordered_json(*queue) : ordered_json(nullptr)}, {"interface", interface}, {"paused", paused}};
    return single_action(std::move(a), env, std::move(d));
}
}  // namespace

Plan build_queue_member_add(Fields& f, const Env& env) {
    const std::string queue = f.text("queue", rule::kQueue);
    std::string interface, state_interface, name;
    if (f.one_of({"extension", "interface"}) == 0) {
        const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
        interface = ext.device();
        name = env.state.extensions().view(ext).name;
    } else {
        interface = f.text("interface", rule::kInterface);
    }
    if (auto v = f.optional_text("state_interface", rule::kInterface)) state_interface = *v;
    if (auto v = f.optional_text("name", rule::kName)) name = *v;
    const auto penalty = f.optional_integer("penalty", 0, 1000);
    const bool paused = f.optional_boolean("paused").value_or(false);
    const auto reason = f.optional_text("reason", rule::kReason);
    f.finish();
    ami::Action a("QueueAdd");
    a.set("Queue", queue).set("Interface", interface);
    if (!name.empty()) a.set("MemberName", name);
    if (!state_interface.empty()) a.set("StateInterface", state_interface);
    a.set("Penalty", std::to_string(penalty.value_or(0))).set("Paused", paused ? "true" : "false");
    if (reason) a.set("Reason", *reason);
    return single_action(std::move(a), env, ordered_json{{"queue", queue}, {"interface", interface}, {"paused", paused}});
}

Plan build_queue_member_remove(Fields& f, const Env& env) {
    const std::string queue = f.text("queue", rule::kQueue);
    const std::string interface = member_interface(f, env, queue);
    f.finish();
    ami::Action a("QueueRemove");
    a.set("Queue", queue).set("Interface", interface);
    return single_action(std::move(a), env, ordered_json{{"queue", queue}, {"interface", interface}});
}

Plan build_queue_member_pause(Fields& f, const Env& env) { return pause(f, env, true); }
Plan build_queue_member_unpause(Fields& f, const Env& env) { return pause(f, env, false); }

Plan build_queue_member_penalty(Fields& f, const Env& env) {
    const std::string queue = f.text("queue", rule::kQueue);
    const std::string interface = member_interface(f, env, queue);
    const auto penalty = f.optional_integer("penalty", 0, 1000);
    if (!penalty) bad_request("field 'penalty' is required");
    f.finish();
    ami::Action a("QueuePenalty");
    a.set("Queue", queue).set("Interface", interface).set("Penalty", std::to_string(*penalty));
    return single_action(std::move(a), env, ordered_json{{"queue", queue}, {"interface", interface}, {"penalty", *penalty}});
}

}  // namespace commands
