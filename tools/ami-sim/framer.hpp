#pragma once
// Splits what an AMI client sends into messages, keeping each message's exact bytes: a message
// ends at an empty line (CRLF or bare LF), empty lines between messages are skipped, and a
// message longer than ami::Parser::kMaxMessageBytes is dropped up to its end. The server parses
// each piece with ami::Parser and keeps the raw bytes for the control port's "last-action".
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace amisim {

class ClientFramer {
public:
    struct Piece {
        std::string wire;        // the message's bytes, its blank line included
        bool oversized = false;  // longer than the limit: `wire` holds only its beginning
    };
    std::vector<Piece> feed(std::string_view bytes);

private:
    void start_dropping(bool inside_line);

    std::string current_;
    std::size_t line_start_ = 0;  // where the line being read begins in current_
    bool oversized_ = false;      // dropping the rest of an oversized message
    bool line_has_text_ = false;  // while dropping: the current line is not empty
};

}  // namespace amisim
