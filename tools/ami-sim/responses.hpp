#pragma once
// Answers to the snapshot actions, formatted from the current SimState exactly as the recorded
// PBX of each flavor formats them (header names, order, list framing, ActionID position).
// Each function returns the wire bytes of the whole answer (response plus list events).
#include <string>
#include <string_view>
#include <vector>

#include "ami-sim/flavor.hpp"
#include "ami-sim/sim_state.hpp"
#include "ami/message.hpp"

namespace amisim {

// "Response: <status>", ActionID (when not empty), then `headers`.
ami::Message response_message(std::string_view status, std::string_view action_id,
                              const std::vector<ami::Header>& headers = {});
std::string success(std::string_view action_id, std::string_view message);
std::string error(std::string_view action_id, std::string_view message);

std::string sip_peers(const SimState& state, std::string_view action_id);
std::string sip_show_peer(const SimState& state, std::string_view peer, std::string_view action_id);
std::string pjsip_show_endpoints(const SimState& state, std::string_view action_id);
std::string pjsip_show_endpoint(const SimState& state, std::string_view endpoint, std::string_view action_id);
std::string pjsip_show_contacts(const SimState& state, std::string_view action_id);
std::string extension_state_list(const SimState& state, std::string_view action_id);
std::string extension_state(const SimState& state, std::string_view exten, std::string_view context,
                            std::string_view action_id);
std::string device_state_list(const SimState& state, std::string_view action_id);
std::string db_get(const SimState& state, std::string_view family, std::string_view key, std::string_view action_id);
std::string db_get_tree(const SimState& state, std::string_view family, std::string_view key,
                        std::string_view action_id);
std::string queue_status(const SimState& state, std::string_view queue, std::string_view action_id, double now = 0);
std::string queue_summary(const SimState& state, std::string_view queue, std::string_view action_id, double now = 0);
std::string core_show_channels(const SimState& state, std::string_view action_id, double now);
// Status of every channel, or of one (AllVariables is not simulated: no Variable headers).
std::string channel_status(Flavor flavor, const SimState& state, std::string_view channel,
                           std::string_view action_id, double now);
std::string bridge_list(const SimState& state, std::string_view action_id);
std::string bridge_info(const SimState& state, std::string_view bridge_id, std::string_view action_id);

// Parking (res_parking), ConfBridge, registrations and voicemail, from the state.
std::string parked_calls(const SimState& state, std::string_view action_id, double now);
std::string parking_lots(const SimState& state, std::string_view action_id);
std::string confbridge_list_rooms(const SimState& state, std::string_view action_id);
std::string confbridge_list(Flavor flavor, const SimState& state, std::string_view conference,
                            std::string_view action_id, double now);
std::string sip_show_registry(const SimState& state, std::string_view action_id);
std::string pjsip_show_registrations_outbound(const SimState& state, std::string_view action_id);
std::string mailbox_count(const SimState& state, std::string_view mailbox, std::string_view action_id);
std::string mailbox_status(const SimState& state, std::string_view mailbox, std::string_view action_id);
std::string voicemail_users_list(const SimState& state, std::string_view action_id);

// Action: Command answers: "Output:" headers (20, 22) or "Response: Follows" raw text (13).
std::string command_output(Flavor flavor, std::string_view action_id, const std::vector<std::string>& lines,
                           bool failed = false);
std::vector<std::string> database_show_lines(const SimState& state, std::string_view family, std::string_view key);
std::vector<std::string> sip_show_peers_lines(const SimState& state);
std::string unknown_cli_command_line(std::string_view command);

}  // namespace amisim
