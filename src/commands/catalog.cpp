#include <map>

#include "commands/call_commands.hpp"
#include "commands/names.hpp"

namespace commands {

Plan single_action(ami::Action action, const Env& env, nlohmann::ordered_json data) {
    action.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(action), {}, {}});
    p.finish = [data = std::move(data)](const std::vector<ami::ActionResult>&) { return Reply::success(data); };
    return p;
}

Reply from_result(const ami::ActionResult& result) {
    using S = ami::ActionResult::Status;
    switch (result.status) {
        case S::Timeout: return Reply::error(code::kTimeout, "Asterisk did not answer in time");
        case S::Disconnected: return Reply::error(code::kPbxUnavailable, "the AMI connection was lost before Asterisk answered");
        case S::Success: return Reply::success();
        case S::Error: break;
    }
    std::string text = result.message();
    if (text == "Permission denied") return Reply::error(code::kPermissionDenied, text);
    if (text.empty()) text = "Asterisk refused the action";
    // Some of Asterisk's messages end with a stray newline (Park's "Park successful\n").
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return Reply::error(code::kPbxError, text);
}

Builder builder_for(std::string_view command) {
    static const std::map<std::string, Builder, std::less<>> kBuilders{
        {"call", build_call},
        {"hangup", build_hangup},
        {"answer", build_answer},
        {"blind_transfer", build_blind_transfer},
        {"attended_transfer", build_attended_transfer},
        {"park", build_park},
        {"pickup", build_pickup},
        {"dtmf", build_dtmf},
        {"record_start", build_record_start},
        {"record_stop", build_record_stop},
        {"record_mute", build_record_mute},
        {"record_unmute", build_record_unmute},
        {"spy_listen", build_spy_listen},
        {"spy_whisper", build_spy_whisper},
        {"intrude", build_intrude},
        {"dnd", build_dnd},
        {"call_forward", build_call_forward},
        {"queue_member_add", build_queue_member_add},
        {"queue_member_remove", build_queue_member_remove},
        {"queue_member_pause", build_queue_member_pause},
        {"queue_member_unpause", build_queue_member_unpause},
        {"queue_member_penalty", build_queue_member_penalty},
        {"conference_mute", build_conference_mute},
        {"conference_unmute", build_conference_unmute},
        {"conference_kick", build_conference_kick},
        {"conference_lock", build_conference_lock},
        {"device_state", build_device_state},
        {"reload", build_reload},
        {"resync", build_resync},
        {"health_check", build_health_check},
        {"log_level", build_log_level},
        {"ami", build_ami},
    };
    auto it = kBuilders.find(command);
    return it == kBuilders.end() ? nullptr : it->second;
}

}  // namespace commands
