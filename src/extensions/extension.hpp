#pragma once
// An extension: a SIP/PJSIP/IAX2 endpoint that is not a trunk. What the PBX told us about
// it, raw; the status is derived from these facts (extension_status.hpp), never copied.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace extensions {

enum class Tech { Sip, Pjsip, Iax2 };
std::string_view tech_name(Tech tech) noexcept;                  // "SIP", "PJSIP", "IAX2"
std::optional<Tech> tech_from_name(std::string_view name) noexcept;  // case-insensitive

// One registered contact of a PJSIP AOR (chan_sip has at most one, kept the same way).
struct Contact {
    std::string status;      // Reachable, NonQualified, Unreachable, Unknown
    std::string user_agent;
    bool operator==(const Contact&) const = default;
};

struct Extension {
    std::string exten;   // the endpoint/peer name, also the dialable extension
    Tech tech = Tech::Sip;
    std::string name;    // caller id name (falls back to the description)
    std::string context;
    // chan_sip: the registration (address empty when unregistered) and the qualify result.
    std::string address_ip;
    int address_port = 0;
    bool qualify_unreachable = false;
    std::string user_agent;
    // PJSIP: contacts by URI.
    std::map<std::string, Contact> contacts;
    bool operator==(const Extension&) const = default;

    std::string device() const;  // "SIP/2001", "PJSIP/3001"
};

// The hint of an extension (ExtensionStatus), when its hint includes the extension's device.
struct HintState {
    std::string hint;  // "SIP/2004&Custom:DND2004"
    int status = 0;    // bit mask: 1 InUse, 2 Busy, 4 Unavailable, 8 Ringing, 16 OnHold; -1 removed
    bool operator==(const HintState&) const = default;
};

}  // namespace extensions
