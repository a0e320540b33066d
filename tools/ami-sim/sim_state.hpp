#pragma once
// The PBX the simulator pretends to be: peers/endpoints, contacts, device states, hints, AstDB,
// queues, channels, bridges, calls, parked calls, conferences, trunk registrations and
// mailboxes. Plain data plus the Asterisk rules that derive one value from others (hint status =
// aggregate of its devices). No I/O, no clock.
//
// Lookups by name are hashed (peers, devices, channels, contacts, hints by device) so that the
// snapshot answers stay linear at --extensions scale (10,000 peers, thousands of channels).
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

// Hash and equality for string keys that also accept string_view (no temporary strings).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

std::string lower_ascii(std::string_view text);
// Asterisk's ast_true() and ast_false().
bool is_true(std::string_view value);
bool is_false(std::string_view value);

// Values kept in insertion order (the order Asterisk's lists show them in) and found by key in
// O(1): channels, bridges and calls, of which there are thousands at --extensions scale.
template <class T>
class OrderedTable {
    using Items = std::map<std::uint64_t, T>;

    template <class Base, class Value>
    class Iter {
    public:
        using iterator_category = std::bidirectional_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = Value*;
        using reference = Value&;
        Iter() = default;
        explicit Iter(Base it) : it_(it) {}
        reference operator*() const { return it_->second; }
        pointer operator->() const { return &it_->second; }
        Iter& operator++() { ++it_; return *this; }
        Iter operator++(int) { Iter old = *this; ++it_; return old; }
        Iter& operator--() { --it_; return *this; }
        Iter operator--(int) { Iter old = *this; --it_; return old; }
        bool operator==(const Iter& other) const { return it_ == other.it_; }

    private:
        Base it_{};
    };

public:
    using iterator = Iter<typename Items::iterator, T>;
    using const_iterator = Iter<typename Items::const_iterator, const T>;

    // Adds at the end; an existing key keeps its place and gets the new value.
    T& insert(std::string key, T value) {
        if (auto it = index_.find(key); it != index_.end()) return items_.at(it->second) = std::move(value);
        const std::uint64_t seq = next_++;
        index_.emplace(std::move(key), seq);
        return items_.emplace(seq, std::move(value)).first->second;
    }
    T* find(std::string_view key) {
        auto it = index_.find(key);
        return it == index_.end() ? nullptr : &items_.at(it->second);
    }
    const T* find(std::string_view key) const {
        auto it = index_.find(key);
        return it == index_.end() ? nullptr : &items_.at(it->second);
    }
    bool erase(std::string_view key) {
        auto it = index_.find(key);
        if (it == index_.end()) return false;
        items_.erase(it->second);
        index_.erase(it);
        return true;
    }
    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    iterator begin() { return iterator(items_.begin()); }
    iterator end() { return iterator(items_.end()); }
    const_iterator begin() const { return const_iterator(items_.begin()); }
    const_iterator end() const { return const_iterator(items_.end()); }
    T& front() { return items_.begin()->second; }
    const T& front() const { return items_.begin()->second; }

private:
    Items items_;
    StringMap<std::uint64_t> index_;
    std::uint64_t next_ = 0;
};

// A chan_sip peer or a PJSIP endpoint. The recorded header sets are kept as templates, so
// answers keep Asterisk's header names and order; the fields below override their values.
struct Peer {
    std::string name;
    CallerId callerid;
    std::string description;
    bool registered = false;        // chan_sip: has an address; PJSIP: has a contact
    bool generated = false;         // made by --extensions, not recorded
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

// A peer calls reach the outside world through: chan_sip "Dynamic: no" or a PJSIP endpoint
// without inbound authentication.
bool is_trunk(const Peer& peer);

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

// A value in a recorded header list, by name ("" when absent), and its replacement.
std::string header_value(const std::vector<ami::Header>& headers, std::string_view name);
void set_header(std::vector<ami::Header>& headers, std::string_view name, std::string value);

struct QueueCaller {
    std::string call_id;
    double joined = 0;
    int original_position = 1;
};

struct Queue {
    std::string name;
    std::vector<ami::Header> params;   // QueueParams after Event, without ActionID
    std::vector<QueueCaller> callers;  // waiting, in position order
    int completed = 0;
    int abandoned = 0;
    int completed_in_sl = 0;  // within the ServiceLevel (seconds of hold time)
    int abandoned_in_sl = 0;
    int service_level = 60;
    int holdtime = 0;  // app_queue's exponential averages, in seconds
    int talktime = 0;
};

struct QueueMember {
    std::string queue;
    std::string state_interface;
    // QueueMember after Event, without ActionID: Name, Location, ..., Paused, PausedReason...
    // Status is always the state interface's current device state.
    std::vector<ami::Header> headers;
    std::string get(std::string_view name) const { return header_value(headers, name); }
    void set(std::string_view name, std::string value) { set_header(headers, name, std::move(value)); }
    std::string interface() const { return get("Location"); }
    std::string name() const { return get("Name"); }
    bool paused() const { return get("Paused") == "1"; }
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
    std::string call_id;   // the call it belongs to, if any
    bool dialed = false;   // a leg created by Dial()/Queue(): rings until it answers
    bool on_hold = false;
    // MixMonitor: a running recording (StopMixMonitor fails without one, as in 20/11).
    bool recording = false;
    bool recording_muted = false;
    std::string mixmonitor_id;  // what StopMixMonitor's MixMonitorID must name
    std::vector<std::pair<std::string, std::string>> variables;  // MIXMONITOR_FILENAME...
};
std::string_view channel_state_text(int state);  // "Up"

struct Bridge {
    std::string id;
    std::string type = "basic";              // basic, parking, base (ConfBridge)
    std::string technology = "simple_bridge";  // holding_bridge, softmix
    std::string creator = "<unknown>";
    std::string name = "<unknown>";
    std::vector<std::string> channels;       // in the order they entered
    int hidden_channels = 0;                 // ConfBridge's announcer channel
    int num_channels() const { return static_cast<int>(channels.size()) + hidden_channels; }
};

// Originate: the AMI Originate's first leg (the phone rings; once it answers the dialplan or
// the application runs).
enum class CallKind { Dial, Queue, Unpark, Originate };

struct OriginateRequest {
    std::string channel;      // "SIP/2001"
    std::string context;      // Exten form
    std::string exten;
    std::string application;  // Application form
    std::string data;
    std::string callerid;     // "\"Click2Dial\" <2002>"; empty: the phone's own
    std::string channel_id;   // ChannelId: the Uniqueid of the first leg
    std::string action_id;    // for OriginateResponse
    bool async = false;
};

struct Call {
    std::string id;       // "1", "2", ...
    CallKind kind = CallKind::Dial;
    std::string caller;   // channel names; the caller runs the dialplan
    std::string callee;   // Queue: the agent that answered ("" while the caller waits)
    std::string bridge_id;
    bool answered = false;
    // Queue calls
    std::string queue;
    std::vector<std::string> ringing;  // agent channels ringing now
    std::string member_interface;      // the member whose agent answered
    double joined = 0;
    double rang_at = 0;  // when its agents started ringing
    double answered_at = 0;
    OriginateRequest originate;  // Originate calls
};

// An AMI Atxfer in progress: the transferee waits on hold in the original bridge while the
// transferer talks to the target in the consultation call.
struct PendingTransfer {
    std::string transferer;
    std::string transferee;
    std::string original_call;
    std::string consultation_call;
};

struct ParkingLot {
    std::string name = "default";
    int start = 71;
    int stop = 79;
    int timeout = 45;
    std::string context = "parkedcalls";
    std::string bridge_id;  // its holding bridge, created by the first park and then kept
};

struct ParkedCall {
    int space = 0;
    std::string lot = "default";
    std::string channel;
    std::string parker_dial_string;  // "SIP/2001"
    int timeout = 45;
    double parked_at = 0;
};

struct ConferenceUser {
    std::string channel;
    bool admin = false;
    bool muted = false;
    bool talking = false;
    double joined = 0;
};

struct Conference {
    std::string name;
    std::string bridge_id;
    bool locked = false;
    std::vector<ConferenceUser> users;
};

// An outbound registration: PJSIP "type=registration" (templates from
// PJSIPShowRegistrationsOutbound), or a chan_sip "register =>" line.
struct Registration {
    std::string name;       // "trunk1"
    std::string status;     // Registered, Unregistered, Rejected
    std::string far_end;    // what a (re-)REGISTER ends in: Registered or Rejected
    std::string client_uri;  // PJSIP "sip:trunk1@127.0.0.1:5060"; chan_sip user
    std::string server_uri;  // PJSIP "sip:127.0.0.1:5060"; chan_sip host
    std::vector<ami::Header> detail;       // OutboundRegistrationDetail, after ActionID
    std::vector<ami::Header> auth_detail;  // its AuthDetail, after ActionID
    // The endpoint of this PBX it registers to (trunk2 -> selftrunk), whose inbound side
    // shows the registration too.
    std::string self_endpoint;
    std::string self_contact_uri;
    double registered_at = 0;
};

struct Mailbox {
    std::string id;         // "3001@default"
    std::string fullname;
    bool configured = true;  // a voicemail.conf user (VoicemailUsersList); else external MWI only
    int urgent = 0;
    int new_messages = 0;
    int old_messages = 0;
};

struct SimState {
    std::string tech = "SIP";  // device/channel prefix: SIP or PJSIP
    std::vector<Peer> peers;   // in SIPpeers / PJSIPShowEndpoints order; only ever appended to
    std::map<std::string, Aor> aors;
    std::map<std::string, Auth> auths;
    std::vector<ami::Header> transport;       // TransportDetail, after ActionID, without EndpointName
    // By id: the order PJSIPShowContacts lists them. Add and remove through add_contact() and
    // remove_contact() (they keep the index by AOR); values may be changed in place.
    std::map<std::string, Contact> contacts;
    std::vector<std::pair<std::string, DeviceState>> devices;  // device-state cache, DeviceStateList order
    // Devices of providers the simulator does not model, never cached, with the state their
    // recorded hint showed.
    std::map<std::string, DeviceState> provider_states;
    std::vector<Hint> hints;                  // ExtensionStateList order; only ever appended to
    std::map<std::string, std::string> db;    // "/family/key" -> value, in AstDB order
    std::map<std::string, std::string> globals;
    std::vector<Queue> queues;
    std::vector<QueueMember> queue_members;
    // Add and remove channels through add_channel() and remove_channel() (index by peer).
    OrderedTable<Channel> channels;
    OrderedTable<Bridge> bridges;
    OrderedTable<Call> calls;
    std::vector<ParkingLot> parking_lots;
    std::vector<ParkedCall> parked_calls;   // in the order they were parked
    std::vector<Conference> conferences;    // in the order they started
    std::vector<PendingTransfer> transfers;
    std::vector<Registration> registrations;
    std::vector<Mailbox> mailboxes;
    std::vector<ami::Header> voicemail_user;  // a VoicemailUserEntry, after ActionID: the header set

    Peer* find_peer(std::string_view name);
    const Peer* find_peer(std::string_view name) const;
    std::string device_of(const Peer& peer) const { return tech + "/" + peer.name; }
    Channel* find_channel(std::string_view name) { return channels.find(name); }
    const Channel* find_channel(std::string_view name) const { return channels.find(name); }
    Channel& add_channel(Channel channel);
    void remove_channel(std::string_view name);
    // Names of a peer's channels, oldest first.
    const std::vector<std::string>& channels_of_peer(std::string_view peer) const;
    Call* find_call(std::string_view id) { return calls.find(id); }
    Call* find_call_of_channel(std::string_view channel);

    // The cached state of a device, else what Asterisk derives for a device never cached.
    DeviceState device_state(std::string_view device) const;
    bool device_cached(std::string_view device) const;
    void cache_device_state(std::string_view device, DeviceState state);
    // What a peer's own device is now, from its registration and its channels.
    DeviceState natural_device_state(const Peer& peer) const;
    int active_channels(const Peer& peer) const;

    int hint_status(const Hint& hint) const;
    // exten@context; a context without that hint falls back to the first hint of the exten
    // (from-internal includes ext-local and app-features).
    const Hint* find_hint(std::string_view exten, std::string_view context) const;
    // Indexes into `hints` of the hints that name this device.
    const std::vector<std::size_t>& hints_of_device(std::string_view device) const;

    std::optional<std::string> db_get(std::string_view family, std::string_view key) const;
    void db_put(std::string_view family, std::string_view key, std::string_view value);
    bool db_del(std::string_view family, std::string_view key);
    int db_del_tree(std::string_view family, std::string_view key);
    // Entries under /family[/key] (all with an empty family), in AstDB order.
    std::vector<std::pair<std::string, std::string>> db_tree(std::string_view family, std::string_view key) const;

    void add_contact(Contact contact);
    void remove_contact(std::string_view id);
    std::vector<const Contact*> contacts_of_aor(std::string_view aor) const;

    Queue* find_queue(std::string_view name);
    QueueMember* find_queue_member(std::string_view queue, std::string_view interface);
    ParkingLot* find_parking_lot(std::string_view name);
    ParkedCall* find_parked_call(int space);
    ParkedCall* find_parked_channel(std::string_view channel);
    Conference* find_conference(std::string_view name);
    Registration* find_registration(std::string_view name);
    Mailbox* find_mailbox(std::string_view id);

private:
    void index_peers() const;
    void index_devices() const;
    void index_hints() const;

    mutable StringMap<std::size_t> peer_index_;
    mutable StringMap<std::size_t> device_index_;        // lower-case device -> position in `devices`
    mutable StringMap<std::vector<std::size_t>> hint_index_;  // lower-case device -> hints
    mutable std::size_t hints_indexed_ = 0;
    StringMap<std::vector<std::string>> channels_by_peer_;
    StringMap<std::vector<std::string>> contacts_by_aor_;
};

bool hint_has_device(std::string_view hint, std::string_view device);
// The devices a hint names ("SIP/2001&Custom:DND2001" -> both).
std::vector<std::string_view> hint_devices(std::string_view hint);

}  // namespace amisim
