// The log line format (src/process/log_format.hpp): what arrives from outside and is quoted in a
// log message cannot forge a log line or reach the terminal as an escape sequence.
#include <gtest/gtest.h>

#include <spdlog/details/log_msg.h>

#include "process/log_format.hpp"

namespace log_format_test {  // named: the unity build compiles several test files as one

std::string formatted(std::string_view message) {
    spdlog::details::log_msg msg(spdlog::source_loc{}, "pbx2mqtt", spdlog::level::warn, message);
    spdlog::memory_buf_t out;
    process::log_formatter()->format(msg, out);
    return std::string(out.data(), out.size());
}

TEST(LogFormat, AForgedLineInAQuotedTopicStaysOnTheRecordsOwnLine) {
    // A topic level holding a newline and a fake record (a broker other than mosquitto may pass it).
    const std::string line = formatted("command topic pbx/cmd/x\n2026-11-28T00:00:00.000 error AMI: login failed: retained message ignored");
    // One record, one line: the newline is written as \n, and the line ends with the record's own newline.
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_NE(line.find("pbx/cmd/x\\n2026-11-28T00:00:00.000 error AMI"), std::string::npos) << line;
    EXPECT_NE(line.find(" warning "), std::string::npos) << line;  // the level of the real record
}

TEST(LogFormat, ControlCharactersAreEscapedAndUtf8IsKept) {
    std::string out;
    process::append_log_safe(std::string_view("a\r\nb\tc\x1b[31md\x7f" "e\0f Zo\xc3\xab 2001", 26), out);
    EXPECT_EQ(out, "a\\r\\nb\\tc\\x1b[31md\\x7fe\\x00f Zo\xc3\xab 2001");
    std::string plain;
    process::append_log_safe("MQTT: connected to tcp://127.0.0.1:1883 (publish window 20)", plain);
    EXPECT_EQ(plain, "MQTT: connected to tcp://127.0.0.1:1883 (publish window 20)");
    EXPECT_EQ(formatted("").back(), '\n');
}

}  // namespace log_format_test
