#pragma once
// Plan builders of every command, one file per area (call_commands.cpp, recording_commands.cpp,
// extension_commands.cpp, queue_commands.cpp, conference_commands.cpp, system_commands.cpp).
#include "commands/plan.hpp"

namespace commands {

Plan build_call(Fields& f, const Env& env);
Plan build_hangup(Fields& f, const Env& env);
Plan build_answer(Fields& f, const Env& env);
Plan build_blind_transfer(Fields& f, const Env& env);
Plan build_attended_transfer(Fields& f, const Env& env);
Plan build_park(Fields& f, const Env& env);
Plan build_pickup(Fields& f, const Env& env);
Plan build_dtmf(Fields& f, const Env& env);
Plan build_spy_listen(Fields& f, const Env& env);
Plan build_spy_whisper(Fields& f, const Env& env);
Plan build_intrude(Fields& f, const Env& env);

Plan build_record_start(Fields& f, const Env& env);
Plan build_record_stop(Fields& f, const Env& env);
Plan build_record_mute(Fields& f, const Env& env);
Plan build_record_unmute(Fields& f, const Env& env);

Plan build_dnd(Fields& f, const Env& env);
Plan build_call_forward(Fields& f, const Env& env);
Plan build_device_state(Fields& f, const Env& env);

Plan build_queue_member_add(Fields& f, const Env& env);
Plan build_queue_member_remove(Fields& f, const Env& env);
Plan build_queue_member_pause(Fields& f, const Env& env);
Plan build_queue_member_unpause(Fields& f, const Env& env);
Plan build_queue_member_penalty(Fields& f, const Env& env);

Plan build_conference_mute(Fields& f, const Env& env);
Plan build_conference_unmute(Fields& f, const Env& env);
Plan build_conference_kick(Fields& f, const Env& env);
Plan build_conference_lock(Fields& f, const Env& env);

Plan build_reload(Fields& f, const Env& env);
Plan build_resync(Fields& f, const Env& env);
Plan build_health_check(Fields& f, const Env& env);
Plan build_log_level(Fields& f, const Env& env);
Plan build_ami(Fields& f, const Env& env);

}  // namespace commands
