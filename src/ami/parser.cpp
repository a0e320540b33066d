#include "ami/parser.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ami {

namespace {

std::string_view strip_cr(std::string_view line) {
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::string excerpt(std::string_view s) {
    std::string out(s.substr(0, Parser::kMaxErrorDetail));
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

// Caps on what finish_message() reserves for the next message.
constexpr std::size_t kReserveHeaders = 64;
constexpr std::size_t kReserveTextBytes = 4096;

bool looks_like_banner(std::string_view line) {
    return line.find(':') == std::string_view::npos || line.find("Call Manager/") != std::string_view::npos;
}

}  // namespace

void Parser::reset(bool expect_greeting) {
    expect_greeting_ = expect_greeting;
    discarding_ = false;
    discard_line_empty_ = true;
    line_.clear();
    message_ = Message();
    message_bytes_ = 0;
    follows_ = Follows::No;
}

void Parser::recycle(Message&& message) {
    // Enough for the messages of one large read; a buffer grown by a long CLI output is let go.
    // A message moved away (into an action's result) has no buffer left worth keeping: skipped,
    // only to save work (taking it would be harmless: it shares nothing any more).
    constexpr std::size_t kMaxSpare = 512;
    if (spare_.size() >= kMaxSpare || message.fields_.capacity() == 0 || message.text_.capacity() > kReserveTextBytes) return;
    message.text_.clear();
    message.fields_.clear();
    message.headers_.clear();
    message.banner_.clear();
    spare_.push_back(std::move(message));
}

void Parser::overflow(std::vector<ParsedItem>& out) {
    out.emplace_back(ParseError{ParseError::Code::MessageTooLarge,
                                "message exceeds " + std::to_string(kMaxMessageBytes) +
                                    " bytes; skipped to the next blank line"});
    message_ = Message();
    line_.clear();
    message_bytes_ = 0;
    follows_ = Follows::No;
    discarding_ = true;
    discard_line_empty_ = false;
}

void Parser::feed(std::string_view bytes, std::vector<ParsedItem>& out) {
    while (!bytes.empty()) {
        if (discarding_) {
            // Skip until an empty line: a '\n' that ends a line holding nothing but '\r'.
            std::size_t i = 0;
            for (; i < bytes.size(); ++i) {
                const char c = bytes[i];
                if (c == '\n') {
                    if (discard_line_empty_) {
                        discarding_ = false;
                        ++i;
                        break;
                    }
                    discard_line_empty_ = true;
                } else if (c != '\r') {
                    discard_line_empty_ = false;
                }
            }
            bytes.remove_prefix(i);
            continue;
        }
        const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
        if (nl == nullptr) {
            if (message_bytes_ + line_.size() + bytes.size() > kMaxMessageBytes) {
                overflow(out);
                discard_line_empty_ = false;
                return;  // the rest of this chunk belongs to the oversized line
            }
            line_.append(bytes);
            return;
        }
        const std::size_t n = static_cast<std::size_t>(static_cast<const char*>(nl) - bytes.data());
        if (message_bytes_ + line_.size() + n + 1 > kMaxMessageBytes) {
            overflow(out);
            // The oversized line ends here; what follows may be the blank line.
            discard_line_empty_ = true;
            bytes.remove_prefix(n + 1);
            continue;
        }
        if (line_.empty()) {
            on_line(bytes.substr(0, n), out);
        } else {
            line_.append(bytes.substr(0, n));
            std::string line = std::move(line_);
            line_.clear();
            on_line(line, out);
        }
        bytes.remove_prefix(n + 1);
    }
}

void Parser::on_line(std::string_view raw, std::vector<ParsedItem>& out) {
    const std::string_view line = strip_cr(raw);
    const std::size_t line_bytes = raw.size() + 1;

    if (follows_ == Follows::Output) {
        // Raw CLI output (Asterisk <= 13): every line, even an empty one, is output until the marker.
        message_bytes_ += line_bytes;
        std::string_view text = line;
        const bool end = text.size() >= kEndCommand.size() &&
                         text.substr(text.size() - kEndCommand.size()) == kEndCommand;
        if (end) text.remove_suffix(kEndCommand.size());
        if (!end || !text.empty()) add_output(text);
        if (end) follows_ = Follows::Done;
        return;
    }

    if (line.empty()) {
        if (message_.parsed()) finish_message(out);
        return;  // blank lines between messages (after the Park "\n", after SIPshowpeer errors) carry nothing
    }

    if (expect_greeting_) {
        expect_greeting_ = false;
        if (!message_.parsed() && looks_like_banner(line)) {
            out.emplace_back(Message::greeting(std::string(line)));
            return;
        }
    }

    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        if (follows_ == Follows::Headers) {  // first line of raw output
            follows_ = Follows::Output;
            on_line(raw, out);
            return;
        }
        out.emplace_back(ParseError{ParseError::Code::MalformedLine, "line without a header name: " + excerpt(line)});
        return;
    }
    std::size_t value_at = colon + 1;
    if (value_at < line.size() && line[value_at] == ' ') ++value_at;
    const std::string_view name(line.data(), colon);
    const std::string_view value(line.data() + value_at, line.size() - value_at);

    if (follows_ == Follows::Headers && !iequals(name, "Privilege") && !iequals(name, "ActionID")) {
        follows_ = Follows::Output;
        on_line(raw, out);
        return;
    }
    message_bytes_ += line_bytes;
    if (!message_.parsed() && iequals(name, "Response") && iequals(value, "Follows")) follows_ = Follows::Headers;
    add_header(line, colon, value_at);
}

static_assert(Parser::kMaxMessageBytes <= UINT32_MAX, "Message::Field offsets are 32 bits");

// Offsets fit in 32 bits: message_bytes_ (which counts every stored line) stays <= kMaxMessageBytes.
void Parser::add_header(std::string_view line, std::size_t name_size, std::size_t value_at) {
    const std::size_t at = message_.text_.size();
    message_.text_.append(line);  // "Name: value" whole: one copy per line
    push_field(at, name_size, at + value_at, line.size() - value_at);
}

void Parser::add_output(std::string_view text) {
    constexpr std::string_view kName = "Output";
    const std::size_t at = message_.text_.size();
    message_.text_.append(kName).append(text);
    push_field(at, kName.size(), at + kName.size(), text.size());
}

void Parser::push_field(std::size_t name_at, std::size_t name_size, std::size_t value_at, std::size_t value_size) {
    message_.fields_.push_back({static_cast<std::uint32_t>(name_at), static_cast<std::uint32_t>(name_size),
                                static_cast<std::uint32_t>(value_at), static_cast<std::uint32_t>(value_size)});
}

void Parser::finish_message(std::vector<ParsedItem>& out) {
    const std::size_t text_size = message_.text_.size();
    const std::size_t count = message_.fields_.size();
    out.emplace_back(std::in_place_type<Message>, std::move(message_));
    if (!spare_.empty()) {
        // A message handed back (recycle): its buffers are already the right size.
        message_ = std::move(spare_.back());
        spare_.pop_back();
    } else {
        message_ = Message();
        // The next message is likely as long: one allocation each instead of growing 1, 2, 4...
        // Capped: after a long CLI output every small event would otherwise carry its capacity.
        message_.text_.reserve(std::min<std::size_t>(text_size, kReserveTextBytes));
        message_.fields_.reserve(std::min<std::size_t>(count, kReserveHeaders));
    }
    message_bytes_ = 0;
    follows_ = Follows::No;
}

}  // namespace ami
