#pragma once
// The three recorded PBXs the simulator imitates, and what differs between them on the wire.
#include <optional>
#include <string_view>

namespace amisim {

enum class Flavor { Asterisk20ChanSip, Asterisk22Pjsip, Asterisk13ChanSip };

struct FlavorTraits {
    std::string_view name;              // "asterisk20-chansip"
    std::string_view banner;            // "Asterisk Call Manager/9.0.0"
    std::string_view tech;              // "SIP" or "PJSIP": device and channel prefix
    bool pjsip;                         // PJSIPShow* instead of SIPpeers/SIPshowpeer
    bool has_db_get_tree;               // Asterisk 13 has no DBGetTree action
    bool command_follows;               // Asterisk 13: "Response: Follows" + raw text + --END COMMAND--
    bool dial_state;                    // DialState events while the callee rings (not on 13)
    bool hangup_request_cause;          // HangupRequest carries Cause (not on 13)
    bool hold_music_class;              // Hold carries MusicClass (22)
    bool fully_booted_uptime;           // FullyBooted at login has Uptime/LastReload (not on 13)
    bool db_del_missing_ok;             // DBDel of a missing key succeeds (13)
    bool newchannel_rings;              // the caller's Newchannel is already in state Ring (PJSIP)
    bool hangup_sender_first;           // the side that hangs up gets its Hangup first (not on 20)
    bool status_legacy_snapshot;        // Status items: "Accountcode", no Language (13)
    bool confbridge_end_marked_any;     // ConfbridgeList items carry EndMarkedAny (not on 13)
};

const FlavorTraits& traits(Flavor flavor);
std::optional<Flavor> parse_flavor(std::string_view name);
// The flavor whose banner this is ("Asterisk Call Manager/11.0.0" -> 22), if any.
std::optional<Flavor> flavor_from_banner(std::string_view banner);

}  // namespace amisim
