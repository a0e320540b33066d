// ConfBridge users: mute, unmute, kick; lock/unlock a room (app_confbridge's AMI actions, as
// asterisk20-chansip/08-confbridge-800 drove them).
#include "commands/call_commands.hpp"
#include "commands/lookup.hpp"

namespace commands {

namespace {
using nlohmann::ordered_json;

// The user's channel: `channel`, or the conference channel of `extension`. ConfbridgeMute/Kick
// also accept "all" and "participants" (every user / every non-admin user).
std::string user_channel(Fields& f, const Env& env, const std::string& room) {
    if (f.one_of({"extension", "channel"}) == 1) {
        std::string ch = f.text("channel", rule::kChannel);
        return ch;
    }
    const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
    const auto* conference = env.state.conferences().conference(room);
    if (conference) {
        for (const auto* ch : channels_of(env, ext))
            if (conference->users.count(ch->name)) return ch->name;
        for (const auto& [name, user] : conference->users) {
            const auto [tech, device] = calls::device_of(name);
            if (device == ext.exten) return name;
        }
    }
    throw Refusal(code::kNotFound, "extension " + ext.exten + " is not in conference " + room);
}

Plan action(Fields& f, const Env& env, const char* name, ordered_json extra) {
    const std::string room = f.text("conference", rule::kConference);
    const std::string channel = user_channel(f, env, room);
    f.finish();
    ami::Action a(name);
    a.set("Conference", room).set("Channel", channel);
    a.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(a), {}, {}});
    ordered_json d{{"conference", room}, {"channel", channel}};
    d.update(extra);
    p.finish = [d](const std::vector<ami::ActionResult>&) { return Reply::success(d); };
    return p;
}
}  // namespace

Plan build_conference_mute(Fields& f, const Env& env) { return action(f, env, "ConfbridgeMute", {{"muted", true}}); }
Plan build_conference_unmute(Fields& f, const Env& env) { return action(f, env, "ConfbridgeUnmute", {{"muted", false}}); }
Plan build_conference_kick(Fields& f, const Env& env) { return action(f, env, "ConfbridgeKick", ordered_json::object()); }

Plan build_conference_lock(Fields& f, const Env& env) {
    const std::string room = f.text("conference", rule::kConference);
    const bool locked = f.boolean("locked");
    f.finish();
    ami::Action a(locked ? "ConfbridgeLock" : "ConfbridgeUnlock");
    a.set("Conference", room);
    a.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(a), {}, {}});
    p.finish = [room, locked](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"conference", room}, {"locked", locked}});
    };
    return p;
}

}  // namespace commands
