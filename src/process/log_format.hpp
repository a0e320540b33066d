#pragma once
// The bridge's log line: "<time> <level> <message>", one line per record, whatever the message
// holds. Messages quote what arrives from outside: MQTT topics (MQTT only says control characters
// SHOULD NOT appear; mosquitto refuses them, other brokers may not) and AMI values (AMI's framing
// excludes CR and LF, not ESC: a phone chooses its own User-Agent). A newline would forge a log
// line, an escape sequence would reach the terminal. So control characters (bytes 0x00-0x1f and
// 0x7f) are written escaped (\n, \r, \t, \xNN); other bytes, UTF-8 included, as they are.
// The command router already leaves unprintable request text out of its refusals; this is the
// last line of defence for every message.
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

namespace process {

// Appends `text` to `out`, control characters escaped.
void append_log_safe(std::string_view text, std::string& out);

// The formatter of every sink the bridge writes its log to.
std::unique_ptr<spdlog::formatter> log_formatter();

}  // namespace process
