#pragma once
// One AMI message: an ordered list of headers, as they came off the wire.
// Headers are kept in order and may repeat (Variable:, Output:), so this is not a map.
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
bool iequals(std::string_view a, std::string_view b) noexcept;

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

    // First header with that name (case-insensitive), or nullptr.
    const std::string* find(std::string_view name) const noexcept;
    // First value with that name, or `fallback` when absent.
    std::string_view get(std::string_view name, std::string_view fallback = {}) const noexcept;
    bool has(std::string_view name) const noexcept { return find(name) != nullptr; }
    // Every value with that name, in order (Variable:, Output:).
    std::vector<std::string_view> get_all(std::string_view name) const;

    std::string_view event() const noexcept { return get("Event"); }
    std::string_view response() const noexcept { return get("Response"); }
    std::string_view action_id() const noexcept { return get("ActionID"); }

    const std::vector<Header>& headers() const noexcept { return headers_; }
    std::vector<Header>& headers() noexcept { return headers_; }
    void add(std::string name, std::string value) { headers_.push_back({std::move(name), std::move(value)}); }
    bool empty() const noexcept { return headers_.empty() && banner_.empty(); }

    // Wire form: "Name: value\r\n" per header and a blank line (a greeting: the banner line).
    std::string serialize() const;

    bool operator==(const Message&) const = default;

private:
    std::vector<Header> headers_;
    std::string banner_;
};

}  // namespace ami
