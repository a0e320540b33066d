#pragma once
// The single source of topic names. docs/topics.md documents each of them, and a test checks
// that every topic built here is documented there.
#include <string>
#include <string_view>

namespace mqtt {

class Topics {
public:
    explicit Topics(std::string base) : base_(std::move(base)) {}
    const std::string& base() const noexcept { return base_; }

    std::string bridge_state() const { return base_ + "/bridge/state"; }
    std::string bridge_info() const { return base_ + "/bridge/info"; }
    std::string bridge_inventory() const { return base_ + "/bridge/inventory"; }
    std::string bridge_stats() const { return base_ + "/bridge/stats"; }
    std::string bridge_log() const { return base_ + "/bridge/log"; }
    std::string ami_state() const { return base_ + "/ami/state"; }
    std::string extension(std::string_view exten) const { return base_ + "/extensions/" + std::string(exten); }
    std::string extension_status(std::string_view exten) const { return extension(exten) + "/status"; }
    std::string extension_dnd(std::string_view exten) const { return extension(exten) + "/dnd"; }
    std::string call(std::string_view linkedid) const { return base_ + "/calls/" + std::string(linkedid); }
    // Non-retained happenings.
    std::string extension_event(std::string_view exten) const { return extension(exten) + "/event"; }
    std::string event(std::string_view type) const { return base_ + "/events/" + std::string(type); }

private:
    std::string base_;
};

// An id can be one topic level: not empty, no '/', '+', '#' or NUL, valid UTF-8 left to the broker.
bool is_topic_level(std::string_view id) noexcept;

}  // namespace mqtt
