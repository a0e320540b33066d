#pragma once
// Reading the model on behalf of a command: which extension, which channel, which destination.
// Each function validates one request field and throws Refusal naming it.
#include <string>
#include <vector>

#include "commands/plan.hpp"

namespace commands {

// A known extension (not_found otherwise).
const extensions::Extension& known_extension(const Env& env, std::string_view field, const std::string& exten);
// The extension's live channels, oldest first.
std::vector<const calls::Channel*> channels_of(const Env& env, const extensions::Extension& ext);
// The one channel of the extension that is talking to someone (not_in_call if none, bad_request
// listing them if several: the request must then name the channel).
const calls::Channel& talking_channel(const Env& env, const extensions::Extension& ext);
// A channel the model knows (not_found otherwise).
const calls::Channel& known_channel(const Env& env, std::string_view field, const std::string& name);
// The channel a request acts on: `channel` as given, or the talking channel of `extension`.
const calls::Channel& target_channel(Fields& f, const Env& env);
// A destination number: [commands] dial_pattern must match all of it.
std::string destination(const Env& env, std::string_view field, const std::string& number);
// The optional `context` field, checked against [commands] allowed_contexts (forbidden otherwise).
std::string dial_context(Fields& f, const Env& env);
// "SIP/2001"
std::string dial_string(const extensions::Extension& ext);

}  // namespace commands
