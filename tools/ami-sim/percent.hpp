#pragma once
// Percent-encoding for the control port: "raw" and "event" take encoded bytes, "last-action"
// returns them encoded, so any byte travels on a one-line text protocol.
#include <optional>
#include <string>
#include <string_view>

namespace amisim {

// %XX -> byte; everything else as it is ('+' stays '+'). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text);
// Every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex).
std::string percent_encode(std::string_view bytes);

}  // namespace amisim
