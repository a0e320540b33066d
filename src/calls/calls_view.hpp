#pragma once
// What subscribers see of calls: the call object (<base>/calls/<linkedid>) and astproxy's
// per-extension conversations map. Pure functions of the model.
#include <set>
#include <string>
#include <string_view>

#include <optional>

#include "calls/calls_state.hpp"

namespace calls {

// <base>/calls/<linkedid> as JSON text; nullopt when the call has no channel left.
std::optional<std::string> render_call(const CallsState& calls, std::string_view linkedid, const std::set<std::string>& trunks,
                                       model::Timestamp now);
// astproxy's "conversations" of one extension, keyed "<source channel>><destination channel>",
// as JSON text (an object).
std::string conversations_of(const CallsState& calls, std::string_view tech, std::string_view exten,
                             const std::set<std::string>& trunks, model::Timestamp now);

}  // namespace calls
