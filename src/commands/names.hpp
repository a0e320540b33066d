#pragma once
// The names of every MQTT command (<base>/cmd/<name>), in the order docs/topics.md lists them.
// The configuration checks `[commands] disabled` against this list; the router has a handler for each.
#include <array>
#include <string_view>

namespace commands {

inline constexpr std::array<std::string_view, 32> kCommandNames{
    "call",           "hangup",             "answer",           "blind_transfer",     "attended_transfer",
    "park",           "pickup",             "dtmf",             "record_start",       "record_stop",
    "record_mute",    "record_unmute",      "spy_listen",       "spy_whisper",        "intrude",
    "dnd",            "call_forward",       "queue_member_add", "queue_member_remove", "queue_member_pause",
    "queue_member_unpause", "conference_mute", "conference_unmute", "conference_kick", "device_state",
    "reload",         "resync",             "health_check",     "ami",                "queue_member_penalty",
    "conference_lock", "log_level"};

}  // namespace commands
