#pragma once
// The extensions part of the PBX model, pure: fed with snapshot answers and events, it says
// what changed. It stores raw facts (endpoint data, device states, hint states, AstDB entries) keyed the way
// Asterisk keys them, so the order in which snapshot answers and events arrive does not
// matter; views (ExtensionView) are derived from the facts on demand.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"
#include "ami/session.hpp"
#include "model/change_set.hpp"
#include "model/string_map.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"
#include "extensions/extension.hpp"
#include "extensions/extension_status.hpp"

namespace extensions {

struct ExtensionView {
    std::string exten;
    Tech tech = Tech::Sip;
    std::string name;
    Status status = Status::Offline;
    std::string ip;
    int port = 0;
    std::string user_agent;
    std::string context;
    bool dnd = false;
    // Call forwards as astproxy showed them: the number, or (for a voicemail target, AstDB
    // values starting "vmu" or "*") the mailbox in the *_vm field; "" when off.
    std::string cf, cfb, cfu, cf_vm, cfb_vm, cfu_vm;
    bool operator==(const ExtensionView&) const = default;
};

// What <base>/extensions/<exten>/status and /dnd show: the part of a view that is cheap to derive.
struct Presence {
    Status status = Status::Offline;
    bool dnd = false;
};

class ExtensionsState {
public:
    explicit ExtensionsState(std::set<std::string> trunks = {});

    // Queues the snapshot actions of extensions (chan_sip, PJSIP, IAX2 peers, hints, device
    // states, the FreePBX AstDB families) on `r`, filling this state.
    void request_snapshot(model::SnapshotRequester& r);

    // --- snapshot answers (list items and single responses) ---
    void add_peer_entry(const ami::Message& m);       // SIPpeers -> PeerEntry
    void add_sip_show_peer(const ami::Message& m);    // SIPshowpeer response
    void add_endpoint_list(const ami::Message& m);    // PJSIPShowEndpoints -> EndpointList
    void add_endpoint_detail(const ami::Message& m);  // PJSIPShowEndpoint -> EndpointDetail, ContactStatusDetail
    void add_contact_list(const ami::Message& m);     // PJSIPShowContacts -> ContactList
    void add_db_entry(const ami::Message& m);         // DBGetTreeResponse (Key: /FAMILY/key) or DBGetResponse
    // Asterisk 13 has no DBGetTree: `database show FAMILY` CLI output lines ("/DND/4001   : YES").
    void add_db_show_output(const std::vector<std::string_view>& lines);

    void add_device_state(const ami::Message& m);     // DeviceStateList -> DeviceStateChange item
    void add_extension_status(const ami::Message& m); // ExtensionStateList -> ExtensionStatus item

    // --- live events ---
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);
    // Refresh of one endpoint's details (SIPshowpeer / PJSIPShowEndpoint answer).
    model::ChangeSet refresh_endpoint(const std::string& exten, const std::vector<ami::Message>& details);
    // The AstDB families of an extension that a feature code may change (ChangeSet::refresh_astdb):
    // DND, CF, CFB, CFU, each read with `DBGet Family: <family> Key: <exten>`.
    static const std::vector<std::string>& astdb_families();
    // The answer to that DBGet: the value (DBGetResponse), or the key is gone (`Database entry not
    // found`). Any other failure (timeout, disconnect, another error) changes nothing.
    model::ChangeSet apply_db_get(const std::string& family, const std::string& exten, const ami::ActionResult& result);

    // --- views ---
    const std::map<std::string, Extension, std::less<>>& extensions() const noexcept { return extensions_; }
    std::optional<ExtensionView> view(std::string_view exten) const;
    ExtensionView view(const Extension& ext) const;
    // The status and DND of view(), without its strings and call forwards (an extension whose JSON
    // is deferred still publishes these at once).
    Presence presence(const Extension& ext) const;
    bool is_trunk(std::string_view name) const;
    const std::set<std::string>& trunks() const noexcept { return trunks_; }
    void set_trunks(std::set<std::string> trunks);

    // Views into the state: valid until it changes.
    std::optional<std::string_view> db_get(std::string_view family, std::string_view key) const;
    std::optional<std::string_view> device_state(std::string_view device) const;

private:
    Extension* find(std::string_view exten);
    Extension* find_by_device(std::string_view device);
    Extension& upsert(std::string_view exten, Tech tech);
    bool dnd_of(const Extension& ext) const;
    void note_feature_code(const ami::Message& newexten);

    std::set<std::string> trunks_;
    std::map<std::string, Extension, std::less<>> extensions_;  // searched by string_view
    model::StringMap<std::string> device_states_;  // "SIP/2001" -> "NOT_INUSE"
    model::StringMap<HintState> hints_;          // exten -> hint (only hints naming the extension's device)
    model::StringMap<std::string> db_;          // "DND/2001" -> "YES"
    // The last live DND signal per extension (Custom:DND device state or a dialplan
    // Set(DB(DND/x)=YES)); it wins over the snapshot's AstDB value until the next resync.
    model::StringMap<bool> dnd_live_;
    // Channels of an extension that ran dialplan at a feature code (Exten starting with `*`, or an
    // AppData mentioning DB_DELETE), with the extensions whose AstDB keys are read again at their
    // Hangup. Bounded by the live channels: entries leave at Hangup, and a resync starts empty.
    std::map<std::string, std::set<std::string>, std::less<>> feature_channels_;
};

}  // namespace extensions
