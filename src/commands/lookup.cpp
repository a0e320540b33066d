#include "commands/lookup.hpp"

#include <algorithm>

namespace commands {

const extensions::Extension& known_extension(const Env& env, std::string_view field, const std::string& exten) {
    const auto& all = env.state.extensions().extensions();
    auto it = all.find(exten);
    if (it == all.end())
        throw Refusal(code::kNotFound, "field '" + std::string(field) + "': no extension " + exten + " on this PBX");
    return it->second;
}

std::string dial_string(const extensions::Extension& ext) { return ext.device(); }

std::vector<const calls::Channel*> channels_of(const Env& env, const extensions::Extension& ext) {
    std::vector<const calls::Channel*> out;
    const std::string_view tech = extensions::tech_name(ext.tech);
    for (const auto& [id, ch] : env.state.calls().channels()) {
        const auto [ch_tech, device] = calls::device_of(ch.name);
        if (device == ext.exten && ami::iequals(ch_tech, tech)) out.push_back(&ch);
    }
    // Creation order, as the extension's conversations show them ("1795801243.9" before ".10").
    std::sort(out.begin(), out.end(), [](const calls::Channel* a, const calls::Channel* b) { return calls::created_before(*a, *b); });
    return out;
}

const calls::Channel& talking_channel(const Env& env, const extensions::Extension& ext) {
    std::vector<const calls::Channel*> talking;
    for (const calls::Channel* ch : channels_of(env, ext)) {
        if (ch->state == 6 && env.state.calls().counterpart(*ch)) talking.push_back(ch);
    }
    if (talking.empty()) throw Refusal(code::kNotInCall, "extension " + ext.exten + " is not in a call");
    if (talking.size() > 1) {
        std::string names;
        for (const auto* ch : talking) names += (names.empty() ? "" : ", ") + ch->name;
        bad_request("extension " + ext.exten + " has " + std::to_string(talking.size()) +
                    " calls (" + names + "): name one with 'channel'");
    }
    return *talking.front();
}

const calls::Channel& known_channel(const Env& env, std::string_view field, const std::string& name) {
    const calls::Channel* ch = env.state.calls().channel_by_name(name);
    if (!ch) throw Refusal(code::kNotFound, "field '" + std::string(field) + "': no channel " + name);
    return *ch;
}

const calls::Channel& target_channel(Fields& f, const Env& env) {
    if (f.one_of({"extension", "channel"}) == 0)
        return talking_channel(env, known_extension(env, "extension", f.text("extension", rule::kExtension)));
    return known_channel(env, "channel", f.text("channel", rule::kChannel));
}

std::string destination(const Env& env, std::string_view field, const std::string& number) {
    check_text(field, number, rule::kNumber);
    if (!std::regex_match(number, env.dial_pattern))
        bad_request("field '" + std::string(field) + "': '" + number + "' does not match the dial pattern " +
                    env.config.dial_pattern);
    return number;
}

std::string dial_context(Fields& f, const Env& env) {
    auto ctx = f.optional_text("context", rule::kContext);
    if (!ctx) return env.config.context;
    const auto& allowed = env.config.allowed_contexts;
    if (std::find(allowed.begin(), allowed.end(), *ctx) == allowed.end())
        throw Refusal(code::kForbidden, "context '" + *ctx + "' is not in [commands] allowed_contexts");
    return *ctx;
}

}  // namespace commands
