#pragma once
// The derivation of an extension's status from raw PBX facts. docs/topics.md states the rule.
#include <optional>
#include <string>
#include <string_view>

#include "extensions/extension.hpp"

namespace extensions {

enum class Status { Online, Offline, Busy, Ringing, BusyRinging, OnHold, Dnd };
std::string_view status_name(Status status) noexcept;  // astproxy's vocabulary: "online", "busy_ringing", ...

struct StatusInputs {
    bool registered = false;                // the phone has a reachable registration/contact
    std::string_view device_state;          // NOT_INUSE, INUSE, BUSY, RINGING, RINGINUSE, ONHOLD, UNAVAILABLE, ... ("" = unknown)
    std::optional<int> hint_status;         // ExtensionStatus bit mask of the extension's own hint
    bool dnd = false;
};

Status derive_status(const StatusInputs& in) noexcept;

// Whether a device state (DeviceStateChange State:) means "in use" for a Custom:DND lamp.
bool device_state_active(std::string_view state) noexcept;

}  // namespace extensions
