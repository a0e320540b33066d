#include "ami-sim/framer.hpp"

#include "ami/parser.hpp"

namespace amisim {

namespace {

constexpr std::size_t kKeepOfOversized = 256;  // enough of a dropped message to log what it was

// A line (its '\n' included) with nothing but carriage returns before the line feed.
bool is_blank_line(std::string_view line) {
    for (std::size_t i = 0; i + 1 < line.size(); ++i)
        if (line[i] != '\r') return false;
    return true;
}

}  // namespace

void ClientFramer::start_dropping(bool inside_line) {
    current_.resize(kKeepOfOversized);
    oversized_ = true;
    line_has_text_ = inside_line;
    line_start_ = 0;
}

std::vector<ClientFramer::Piece> ClientFramer::feed(std::string_view bytes) {
    std::vector<Piece> out;
    for (char c : bytes) {
        if (oversized_) {
            if (c == '\n') {
                if (!line_has_text_) {
                    out.push_back({std::move(current_), true});
                    current_.clear();
                    oversized_ = false;
                }
                line_has_text_ = false;
            } else if (c != '\r') {
                line_has_text_ = true;
            }
            continue;
        }
        current_ += c;
        if (c != '\n') {
            if (current_.size() > ami::Parser::kMaxMessageBytes) start_dropping(true);
            continue;
        }
        const std::string_view line(current_.data() + line_start_, current_.size() - line_start_);
        if (is_blank_line(line)) {
            if (line_start_ > 0) out.push_back({std::move(current_), false});
            current_.clear();  // a blank line between messages carries nothing
            line_start_ = 0;
            continue;
        }
        line_start_ = current_.size();
        if (current_.size() > ami::Parser::kMaxMessageBytes) start_dropping(false);
    }
    return out;
}

}  // namespace amisim
