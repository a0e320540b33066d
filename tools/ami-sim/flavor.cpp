#include "ami-sim/flavor.hpp"

namespace amisim {

namespace {

constexpr FlavorTraits kAsterisk20{
    .name = "asterisk20-chansip",
    .banner = "Asterisk Call Manager/9.0.0",
    .tech = "SIP",
    .pjsip = false,
    .has_db_get_tree = true,
    .command_follows = false,
    .dial_state = true,
    .hangup_request_cause = true,
    .hold_music_class = false,
    .fully_booted_uptime = true,
    .db_del_missing_ok = false,
    .newchannel_rings = false,
    .hangup_sender_first = false,
    .status_legacy_snapshot = false,
    .confbridge_end_marked_any = true,
};

constexpr FlavorTraits kAsterisk22{
    .name = "asterisk22-pjsip",
    .banner = "Asterisk Call Manager/11.0.0",
    .tech = "PJSIP",
    .pjsip = true,
    .has_db_get_tree = true,
    .command_follows = false,
    .dial_state = true,
    .hangup_request_cause = true,
    .hold_music_class = true,
    .fully_booted_uptime = true,
    .db_del_missing_ok = false,
    .newchannel_rings = true,
    .hangup_sender_first = true,
    .status_legacy_snapshot = false,
    .confbridge_end_marked_any = true,
};

constexpr FlavorTraits kAsterisk13{
    .name = "asterisk13-chansip",
    .banner = "Asterisk Call Manager/2.10.6",
    .tech = "SIP",
    .pjsip = false,
    .has_db_get_tree = false,
    .command_follows = true,
    .dial_state = false,
    .hangup_request_cause = false,
    .hold_music_class = false,
    .fully_booted_uptime = false,
    .db_del_missing_ok = true,
    .newchannel_rings = false,
    .hangup_sender_first = true,
    .status_legacy_snapshot = true,
    .confbridge_end_marked_any = false,
};

}  // namespace

const FlavorTraits& traits(Flavor flavor) {
    switch (flavor) {
        case Flavor::Asterisk22Pjsip: return kAsterisk22;
        case Flavor::Asterisk13ChanSip: return kAsterisk13;
        case Flavor::Asterisk20ChanSip: break;
    }
    return kAsterisk20;
}

std::optional<Flavor> parse_flavor(std::string_view name) {
    for (Flavor f : {Flavor::Asterisk20ChanSip, Flavor::Asterisk22Pjsip, Flavor::Asterisk13ChanSip})
        if (traits(f).name == name) return f;
    return std::nullopt;
}

std::optional<Flavor> flavor_from_banner(std::string_view banner) {
    for (Flavor f : {Flavor::Asterisk20ChanSip, Flavor::Asterisk22Pjsip, Flavor::Asterisk13ChanSip})
        if (traits(f).banner == banner) return f;
    return std::nullopt;
}

}  // namespace amisim
