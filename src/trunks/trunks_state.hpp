#pragma once
// Trunks: status and registration of the peers/endpoints named in [pbx] trunks.
// Pure model part: fed with its snapshot answers and with every live event. Like the
// extensions, it keeps raw facts keyed the way Asterisk keys them (peers, contacts,
// registrations, channels), so the order of snapshot answers and events does not matter; the
// published view (TrunkView) is derived from them on demand.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"
#include "extensions/extension.hpp"
#include "model/change_set.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace trunks {

using extensions::Tech;

// astproxy's trunk status and registration vocabularies.
enum class Status { Online, Offline, Busy, Unmonitored };
enum class Registration { Registered, Sent, Rejected, NoAuth, Failed, Unregistered, Unmonitored };
std::string_view status_name(Status s) noexcept;              // "online", "offline", "busy", "unmonitored"
std::string_view registration_name(Registration r) noexcept;  // "registered", "sent", ... "unmonitored"
// An Asterisk registration state (chan_sip "Request Sent", "Auth. Sent", "No Authentication",
// "Timeout"...; PJSIP "Registered", "Unregistered", "Rejected", "Stopped") in that vocabulary.
Registration registration_from_asterisk(std::string_view state) noexcept;

struct TrunkView {
    std::string name;
    Tech tech = Tech::Sip;
    Status status = Status::Offline;
    Registration registration = Registration::Unmonitored;
    std::string ip;  // where the trunk is: the peer's address, the contact, or the registrar
    int port = 0;
    int active_calls = 0;
    bool operator==(const TrunkView&) const = default;
};

class TrunksState {
public:
    explicit TrunksState(std::set<std::string> trunks = {}) : trunks_(std::move(trunks)) {}

    // Queues the actions that read this capability's state into this (fresh) instance.
    void request_snapshot(model::SnapshotRequester& r);
    // A live event (every event reaches every capability); records what changed in `changes`.
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

    // --- snapshot answers (list items) ---
    void add_peer_entry(const ami::Message& m);           // SIPpeers -> PeerEntry
    void add_registry_entry(const ami::Message& m);       // SIPshowregistry -> RegistryEntry
    void add_endpoint_list(const ami::Message& m);        // PJSIPShowEndpoints -> EndpointList
    void add_contact_list(const ami::Message& m);         // PJSIPShowContacts -> ContactList
    void add_outbound_registration(const ami::Message& m);  // PJSIPShowRegistrationsOutbound -> OutboundRegistrationDetail
    void add_channel(const ami::Message& m);              // CoreShowChannels -> CoreShowChannel

    // --- views ---
    const std::set<std::string>& trunks() const noexcept { return trunks_; }
    // The configured trunks the PBX knows (a peer, an endpoint or a registration of that name).
    std::vector<std::string> known() const;
    // nullopt when `name` is not a configured trunk or the PBX does not know it.
    std::optional<TrunkView> view(std::string_view name) const;

private:
    // chan_sip peer (SIPpeers PeerEntry, PeerStatus).
    struct Peer {
        Tech tech = Tech::Sip;
        std::string qualify;  // "OK", "LAGGED", "UNREACHABLE", "UNKNOWN", "Unmonitored" (upper-cased first word)
        std::string ip;       // empty when not registered / no address
        int port = 0;
    };
    // PJSIP endpoint (EndpointList; contacts from ContactList and ContactStatus).
    struct Endpoint {
        std::map<std::string, std::string> contacts;  // URI -> Reachable, NonQualified, Unreachable, Unknown
    };
    // An outbound registration: chan_sip (register => line) or PJSIP (registration object).
    struct Outbound {
        Tech tech = Tech::Sip;
        std::string object_name;  // PJSIP registration name ("" for chan_sip)
        std::string endpoint;     // PJSIP registration's Endpoint ("" when none)
        std::string username;     // chan_sip Username; PJSIP ClientUri (what Registry calls Username)
        std::string host;         // chan_sip Host; PJSIP ServerUri (what Registry calls Domain)
        int port = 0;             // chan_sip Port (PJSIP: in the URI)
        std::string state;        // Asterisk's text
    };

    bool is_trunk(std::string_view name) const { return trunks_.count(std::string(name)) > 0; }
    const Outbound* registration_of(const std::string& name) const;
    int calls_of(const std::string& prefix) const;
    // Applies the event to the facts; returns whether it could concern a trunk at all.
    bool apply(const ami::Message& event);

    std::set<std::string> trunks_;
    std::map<std::string, Peer> peers_;          // configured trunks only
    std::map<std::string, Endpoint> endpoints_;  // configured trunks only
    std::vector<Outbound> registrations_;        // all of them: matched to trunks when viewed
    std::map<std::string, std::string> device_states_;  // "PJSIP/trunk1" -> "BUSY" (trunk devices only)
    std::set<std::string> channels_;                    // live channels of trunks ("PJSIP/trunk1-0000002a")
};

}  // namespace trunks
