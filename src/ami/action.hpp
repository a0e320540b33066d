#pragma once
// An AMI action to send. Building one never fails; serializing refuses any name or value that
// could break the framing (CR, LF, NUL): that is the line that keeps MQTT input from
// injecting headers or whole actions into the AMI stream.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"

namespace ami {

// True when `s` can travel inside one AMI header line.
bool is_safe_header_text(std::string_view s) noexcept;

struct Action {
    std::string name;                 // the Action: header
    std::vector<Header> headers;      // everything after Action/ActionID, in order, may repeat
    std::chrono::milliseconds timeout{10000};
    // For actions whose outcome arrives as an event carrying our ActionID after the
    // Response (Originate with Async: OriginateResponse), the name of that event.
    std::string completion_event;

    Action() = default;
    explicit Action(std::string action_name) : name(std::move(action_name)) {}
    Action& set(std::string key, std::string value) {
        headers.push_back({std::move(key), std::move(value)});
        return *this;
    }
    std::string_view get(std::string_view key) const noexcept;

    // The first header name or value that is not safe, if any.
    std::optional<std::string> unsafe_field() const;
    // Wire bytes with the given ActionID; precondition: unsafe_field() is empty.
    std::string serialize(std::string_view action_id) const;
};

}  // namespace ami
