#pragma once
// One AMI message: an ordered list of headers, as they came off the wire.
// Headers are kept in order and may repeat (Variable:, Output:), so this is not a map.
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ami {

struct Header {
    std::string name;
    std::string value;
    bool operator==(const Header&) const = default;
};

// Case-insensitive ASCII comparison: Asterisk spells header names inconsistently
// (Channeltype vs ChannelType, Accountcode vs AccountCode).
// ASCII case-insensitive equality (AMI header and event names). Inline: the parser and every
// header lookup call it; names usually match byte for byte, which is tried first.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    if (a == b) return true;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

class Message {
public:
    enum class Kind { Greeting, Response, Event, Action, Other };

    Message() = default;
    explicit Message(std::vector<Header> headers) : headers_(std::move(headers)) {}
    static Message greeting(std::string banner);

    // Classified by Event: first: OriginateResponse and ChallengeResponseFailed are events
    // that also carry a Response: header.
    Kind kind() const noexcept;
    bool is_event() const noexcept { return kind() == Kind::Event; }
    bool is_response() const noexcept { return kind() == Kind::Response; }

    // The banner line for Kind::Greeting ("Asterisk Call Manager/9.0.0"), empty otherwise.
    const std::string& banner() const noexcept { return banner_; }

    // First value with that name (case-insensitive), or nullopt. Views into the message.
    std::optional<std::string_view> find(std::string_view name) const noexcept;
    // First value with that name, or `fallback` when absent.
    std::string_view get(std::string_view name, std::string_view fallback = {}) const noexcept;
    bool has(std::string_view name) const noexcept { return find(name).has_value(); }
    // Every value with that name, in order (Variable:, Output:).
    std::vector<std::string_view> get_all(std::string_view name) const;

    std::string_view event() const noexcept { return get("Event"); }
    std::string_view response() const noexcept { return get("Response"); }
    std::string_view action_id() const noexcept { return get("ActionID"); }

    // The headers as strings. A parsed message builds them on first use (not thread-safe:
    // a message belongs to one thread); the non-const form is for building and editing.
    const std::vector<Header>& headers() const;
    std::vector<Header>& headers();
    void add(std::string name, std::string value) { headers().push_back({std::move(name), std::move(value)}); }
    bool empty() const noexcept { return header_count() == 0 && banner_.empty(); }

    // Wire form: "Name: value\r\n" per header and a blank line (a greeting: the banner line).
    std::string serialize() const;

    // Indexed access to the headers, in order, without building them as strings.
    std::size_t header_count() const noexcept { return parsed() ? fields_.size() : headers_.size(); }
    std::string_view name_at(std::size_t i) const noexcept {
        assert(i < header_count());
        if (!parsed()) return headers_[i].name;
        return {text_.data() + fields_[i].name_at, fields_[i].name_size};
    }
    std::string_view value_at(std::size_t i) const noexcept {
        assert(i < header_count());
        if (!parsed()) return headers_[i].value;
        return {text_.data() + fields_[i].value_at, fields_[i].value_size};
    }

    // Same banner and same headers in the same order, however each message stores them.
    bool operator==(const Message& other) const noexcept;

private:
    friend class Parser;

    // Where one parsed header's name and value sit in text_ (a message is at most
    // Parser::kMaxMessageBytes, so 32 bits suffice).
    struct Field {
        std::uint32_t name_at, name_size, value_at, value_size;
    };

    // Parsed messages: every name and value back to back in text_, indexed by fields_:
    // two allocations per message instead of one per header name or value over the SSO.
    bool parsed() const noexcept { return !fields_.empty(); }

    std::string text_;
    std::vector<Field> fields_;
    // Built messages hold their headers here; a parsed one only once headers() was asked for
    // (a copy of fields_ until the non-const headers() turns it into a built message).
    mutable std::vector<Header> headers_;
    std::string banner_;
};

}  // namespace ami
