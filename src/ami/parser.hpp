#pragma once
// Incremental AMI framing parser: a pure function of the byte stream.
// Any split of the stream into chunks yields the same messages in the same order.
//
// Handles: the greeting banner (first line, no blank line after it), CRLF and bare-LF line
// ends (the Park response carries "Park successful\n" before its CRLF), empty lines between
// messages, the Asterisk <= 13 "Response: Follows" command output (read raw up to
// "--END COMMAND--" and turned into Output: headers, the 14+ form), repeated headers and
// values containing ": ". A message over kMaxMessageBytes is reported as an error and the
// parser skips to the next blank line; memory stays bounded whatever the input.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ami/message.hpp"

namespace ami {

struct ParseError {
    enum class Code { MessageTooLarge, MalformedLine };
    Code code;
    std::string detail;
    bool operator==(const ParseError&) const = default;
};

using ParsedItem = std::variant<Message, ParseError>;

class Parser {
public:
    static constexpr std::size_t kMaxMessageBytes = 1024 * 1024;  // also bounds Message's 32-bit offsets
    static constexpr std::size_t kMaxErrorDetail = 80;
    static constexpr std::string_view kEndCommand = "--END COMMAND--";

    // expect_greeting: the first line of a fresh connection is the banner.
    explicit Parser(bool expect_greeting = true) : expect_greeting_(expect_greeting) {}

    // Appends every message (or error) completed by `bytes` to `out`.
    void feed(std::string_view bytes, std::vector<ParsedItem>& out);
    std::vector<ParsedItem> feed(std::string_view bytes) {
        std::vector<ParsedItem> out;
        feed(bytes, out);
        return out;
    }

    // Hands back a message the caller is done with: its buffers are reused for a next message
    // (no allocation per message once a few are in circulation). A moved-from message is ignored.
    void recycle(Message&& message);

    // Forget any partial message (a new connection).
    void reset(bool expect_greeting = true);

    // Bytes held for an incomplete line or message (bounded by kMaxMessageBytes).
    std::size_t buffered_bytes() const noexcept { return line_.size() + message_bytes_; }

private:
    enum class Follows { No, Headers, Output, Done };

    void on_line(std::string_view line, std::vector<ParsedItem>& out);
    // Append one header to message_: a "Name: value" line (name_size bytes of name, the value
    // from value_at), or one line of raw command output.
    void add_header(std::string_view line, std::size_t name_size, std::size_t value_at);
    void add_output(std::string_view text);
    void push_field(std::size_t name_at, std::size_t name_size, std::size_t value_at, std::size_t value_size);
    void finish_message(std::vector<ParsedItem>& out);
    void overflow(std::vector<ParsedItem>& out);

    bool expect_greeting_;
    bool discarding_ = false;      // skipping an oversized message up to the next blank line
    bool discard_line_empty_ = true;
    std::string line_;             // partial line carried across feed() calls
    Message message_;              // the message being read (its names and values in one buffer)
    std::vector<Message> spare_;   // recycled messages, empty, their buffers kept (bounded)
    std::size_t message_bytes_ = 0;
    Follows follows_ = Follows::No;
};

}  // namespace ami
