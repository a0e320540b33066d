#include "extensions/extension_status.hpp"

#include "ami/message.hpp"

namespace extensions {

std::string_view status_name(Status status) noexcept {
    switch (status) {
        case Status::Online: return "online";
        case Status::Offline: return "offline";
        case Status::Busy: return "busy";
        case Status::Ringing: return "ringing";
        case Status::BusyRinging: return "busy_ringing";
        case Status::OnHold: return "onhold";
        case Status::Dnd: return "dnd";
    }
    return "offline";
}

bool device_state_active(std::string_view s) noexcept {
    using ami::iequals;
    return iequals(s, "INUSE") || iequals(s, "BUSY") || iequals(s, "RINGING") || iequals(s, "RINGINUSE") ||
           iequals(s, "ONHOLD");
}

Status derive_status(const StatusInputs& in) noexcept {
    using ami::iequals;
    const std::string_view d = in.device_state;
    // 1. A phone without a reachable registration is offline, whatever a hint says: FreePBX
    //    hints (SIP/2004&Custom:DND2004) stay Idle after the phone unregisters.
    if (!in.registered || iequals(d, "UNAVAILABLE") || iequals(d, "INVALID")) return Status::Offline;
    // 2. The device's own state says what the phone is doing. It is preferred over the hint,
    //    because the hint also aggregates the Custom:DND lamp (Busy = DND, not a call).
    if (iequals(d, "RINGINUSE")) return Status::BusyRinging;
    if (iequals(d, "RINGING")) return Status::Ringing;
    if (iequals(d, "ONHOLD")) return Status::OnHold;
    if (iequals(d, "INUSE") || iequals(d, "BUSY")) return Status::Busy;
    const bool device_known = iequals(d, "NOT_INUSE");
    if (!device_known && in.hint_status && *in.hint_status > 0) {
        // 3. Device state unknown: fall back on the hint's bits, ignoring Busy (2) and
        //    Unavailable (4): those come from Custom: lamps and stale aggregates.
        const int s = *in.hint_status;
        if (s & 16) return Status::OnHold;
        if ((s & 8) && (s & 1)) return Status::BusyRinging;
        if (s & 8) return Status::Ringing;
        if (s & 1) return Status::Busy;
    }
    // 4. Idle: DND shows as its own status.
    return in.dnd ? Status::Dnd : Status::Online;
}

}  // namespace extensions
