// Call recording with MixMonitor, as the recorded PBX was driven (asterisk20-chansip/11-mixmonitor).
#include "commands/call_commands.hpp"
#include "commands/lookup.hpp"

namespace commands {

namespace {
using nlohmann::ordered_json;

Plan mute(Fields& f, const Env& env, bool on) {
    const calls::Channel& ch = target_channel(f, env);
    f.finish();
    ami::Action a("MixMonitorMute");
    a.set("Channel", ch.name).set("Direction", "both").set("State", on ? "1" : "0");
    return single_action(std::move(a), env, ordered_json{{"channel", ch.name}, {"recording", on ? "mute" : "true"}});
}
}  // namespace

Plan build_record_start(Fields& f, const Env& env) {
    auto file = f.optional_text("file", rule::kFileName);
    if (file && (file->front() == '.' || file->find("..") != std::string::npos))
        bad_request("field 'file' must not start with '.' or contain '..'");
    const calls::Channel& ch = target_channel(f, env);
    f.finish();
    // Asterisk puts a relative name in its monitor directory; the caller never picks a path.
    const std::string name = (file ? *file : "pbx2mqtt-" + ch.uniqueid) + "." + env.config.recording_format;
    ami::Action a("MixMonitor");
    a.set("Channel", ch.name).set("File", name).set("Options", "b");  // b: only while bridged
    return single_action(std::move(a), env, ordered_json{{"channel", ch.name}, {"file", name}});
}

Plan build_record_stop(Fields& f, const Env& env) {
    const calls::Channel& ch = target_channel(f, env);
    f.finish();
    ami::Action a("StopMixMonitor");
    a.set("Channel", ch.name);
    return single_action(std::move(a), env, ordered_json{{"channel", ch.name}});
}

Plan build_record_mute(Fields& f, const Env& env) { return mute(f, env, true); }
Plan build_record_unmute(Fields& f, const Env& env) { return mute(f, env, false); }

}  // namespace commands
