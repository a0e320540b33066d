#pragma once
// The PBX the simulator pretends to be: peers/endpoints, contacts, device states, hints, AstDB,
// queue members, channels and calls. Plain data plus the Asterisk rules that derive one value
// from others (hint status = aggregate of its devices). No I/O, no clock.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ami/message.hpp"

namespace amisim {

enum class DeviceState { Unknown, NotInUse, InUse, Busy, Invalid, Unavailable, Ringing, RingInUse, OnHold };

std::string_view device_state_name(DeviceState state);  // "NOT_INUSE": DeviceStateChange, DEVICE_STATE()
std::string_view device_state_text(DeviceState state);  // "Not in use": PJSIP EndpointList DeviceState
std::optional<DeviceState> parse_device_state(std::string_view name);  // case-insensitive
// ast_devstate_aggregate over the devices of a hint (INVALID when there is none).
DeviceState aggregate_device_states(const std::vector<DeviceState>& states);
// ast_devstate_to_extenstate: 0 Idle, 1 InUse, 2 Busy, 4 Unavailable, 8 Ringing, 9, 16, 17.
int extension_status(DeviceState aggregate);
std::string_view extension_status_text(int status);  // ExtensionStatus StatusText
std::string_view extension_state_name(int status);   // the EXTENSION_STATE() function
// The queue member Status number of a device state (AST_DEVICE_* value).
int queue_member_status(DeviceState state);

struct CallerId {
    std::string name;
    std::string number;
};
CallerId parse_callerid(std::string_view text);  // "\"Alice Anderson\" <2001>"
std::string format_callerid(const CallerId& id);

// A chan_sip peer or a PJSIP endpoint. The recorded header sets are kept as templates, so
// answers keep Asterisk's header names and order; the fields below override their values.
struct Peer {
    std::string name;
    CallerId callerid;
    std::string description;
    bool registered = false;        // chan_sip: has an address; PJSIP: has a contact
    std::string ip;                 // chan_sip address, kept after unregistering as the last known
    int port = 0;
    std::string status = "UNKNOWN";  // chan_sip qualify text; stays stale after unregistering
    std::string useragent;
    std::string reg_contact;
    std::string default_username;
    std::string voicemailbox;
    std::string reg_expire = "-1 seconds";
    std::string last_msgs_sent = "0";
    std::vector<ami::Header> peer_entry;  // SIPpeers PeerEntry, after ActionID
    std::vector<ami::Header> show_peer;   // SIPshowpeer, after ActionID

    // PJSIP
    std::vector<ami::Header> endpoint_list;    // PJSIPShowEndpoints EndpointList, after ActionID
    std::vector<ami::Header> endpoint_detail;  // PJSIPShowEndpoint EndpointDetail, after ActionID
    std::vector<std::string> aors;
    std::vector<std::string> auths;
    std::vector<std::string> outbound_auths;
};

struct Aor {
    std::string name;
    std::vector<ami::Header> headers;          // AorList, after ActionID
    std::vector<std::string> static_contacts;  // "aor/uri" of permanent (configured) contacts
};

struct Auth {
    std::string name;
    std::vector<ami::Header> headers;  // AuthDetail, after ActionID, without EndpointName
};

// A PJSIP contact created by a REGISTER.
struct Contact {
    std::string id;  // "3001;@45d2870a4d774f8e8126cd26f2861450"
    std::string aor;
    std::string endpoint;
    std::string uri;
    std::string via_addr;
    int via_port = 0;
    std::string call_id;
    std::string user_agent;
    std::string expiration_time;
    std::string qualify_frequency = "60";
    std::string status = "NonQualified";  // Reachable, Unreachable, NonQualified
    std::string roundtrip_usec = "N/A";
};

struct Hint {
    std::string exten;
    std::string context;
    std::string hint;     // "SIP/2001&Custom:DND2001"
    int last_status = 0;  // the last ExtensionStatus reported, to report only real changes
};

struct Queue {
    std::string name;
    std::vector<ami::Header> params;  // QueueParams after Event, without ActionID
};

struct QueueMember {
    std::string queue;
    std::string state_interface;
    std::vector<ami::Header> headers;  // QueueMember after Event, without ActionID
};

struct Channel {
    std::string name;    // "SIP/2001-0000000c"
    std::string peer;    // "2001"
    int state = 0;       // 0 Down, 4 Ring, 5 Ringing, 6 Up, 7 Busy
    CallerId callerid;
    CallerId connected{"<unknown>", "<unknown>"};
    std::string context;
    std::string exten;
    int priority = 1;
    std::string uniqueid;
    std::string linkedid;
    std::string application;
    std::string application_data;
    std::string dnid;    // the number the caller dialled
    double created = 0;
    std::string bridge_id;
    bool dialed = false;   // the callee leg, created by Dial(): rings until it answers
    bool on_hold = false;
};
std::string_view channel_state_text(int state);  // "Up"

struct Call {
    std::string id;       // "1", "2", ...
    std::string caller;   // channel names
    std::string callee;
    std::string bridge_id;
    bool answered = false;
};

struct SimState {
    std::string tech = "SIP";  // device/channel prefix: SIP or PJSIP
    std::vector<Peer> peers;   // in SIPpeers / PJSIPShowEndpoints order
    std::map<std::string, Aor> aors;
    std::map<std::string, Auth> auths;
    std::vector<ami::Header> transport;       // TransportDetail, after ActionID, without EndpointName
    std::map<std::string, Contact> contacts;  // by id: the order PJSIPShowContacts lists them
    std::vector<std::pair<std::string, DeviceState>> devices;  // device-state cache, DeviceStateList order
    // Devices of providers the simulator does not model (park:71@parkedcalls...), never cached,
    // with the state their recorded hint showed.
    std::map<std::string, DeviceState> provider_states;
    std::vector<Hint> hints;                  // ExtensionStateList order
    std::map<std::string, std::string> db;    // "/family/key" -> value, in AstDB order
    std::map<std::string, std::string> globals;
    std::vector<Queue> queues;
    std::vector<QueueMember> queue_members;
    std::vector<Channel> channels;
    std::vector<Call> calls;

    Peer* find_peer(std::string_view name);
    const Peer* find_peer(std::string_view name) const;
    std::string device_of(const Peer& peer) const { return tech + "/" + peer.name; }
    Channel* find_channel(std::string_view name);
    const Channel* find_channel(std::string_view name) const;
    Call* find_call(std::string_view id);
    Call* find_call_of_channel(std::string_view channel);

    // The cached state of a device, else what Asterisk derives for a device never cached.
    DeviceState device_state(std::string_view device) const;
    void cache_device_state(std::string_view device, DeviceState state);
    // What a peer's own device is now, from its registration and its channels.
    DeviceState natural_device_state(const Peer& peer) const;
    int active_channels(const Peer& peer) const;

    int hint_status(const Hint& hint) const;
    // exten@context; a context without that hint falls back to the first hint of the exten
    // (from-internal includes ext-local and app-features).
    const Hint* find_hint(std::string_view exten, std::string_view context) const;

    std::optional<std::string> db_get(std::string_view family, std::string_view key) const;
    void db_put(std::string_view family, std::string_view key, std::string_view value);
    bool db_del(std::string_view family, std::string_view key);
    int db_del_tree(std::string_view family, std::string_view key);
    // Entries under /family[/key] (all with an empty family), in AstDB order.
    std::vector<std::pair<std::string, std::string>> db_tree(std::string_view family, std::string_view key) const;

    std::vector<const Contact*> contacts_of_aor(std::string_view aor) const;
};

bool hint_has_device(std::string_view hint, std::string_view device);

}  // namespace amisim
