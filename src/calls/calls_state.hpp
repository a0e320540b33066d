#pragma once
// Calls and conversations: channels, bridges, who dialed whom, hold and recording, from
// CoreShowChannels at resync and from channel/bridge events afterwards (never a re-query per
// event). A call is the set of channels sharing a Linkedid; it ends with its last channel.
// Pure model part: raw facts here, views (calls, astproxy conversations) computed on demand.
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"
#include "model/change_set.hpp"
#include "model/string_map.hpp"
#include "model/snapshot_requester.hpp"
#include "model/time.hpp"

namespace calls {

struct Channel {
    std::string name;      // SIP/2001-00000012
    std::string uniqueid;
    std::string linkedid;
    int state = 0;         // ChannelState: 0 Down, 4 Ring, 5 Ringing, 6 Up ...
    std::string state_desc;
    std::string caller_number, caller_name;
    std::string connected_number, connected_name;
    std::string context, exten;
    std::string dialed;             // the Exten of its Newchannel: the number a phone dialed
    std::string bridge;             // BridgeUniqueid while bridged
    std::string dialed_by;          // uniqueid of the channel that dialed this one (DialBegin)
    std::string queue;              // the queue this channel waits in or was called from
    bool on_hold = false;
    std::string recording = "false";  // "false", "true", "mute" (astproxy's values)
    bool in_conference = false;
    bool answer_announced = false;
    bool dial_announced = false;
    std::optional<bool> outgoing;   // set when it dialed (true) or was dialed (false)  // the "answered" happening was sent
    model::Timestamp created_at{};
    std::optional<model::Timestamp> answered_at;
    bool operator==(const Channel&) const = default;
};

// "SIP/2001-0000002a" -> {"SIP", "2001"}; "Local/2002@from-queue-00000001;1" -> {"Local", "2002@from-queue"}.
std::pair<std::string, std::string> device_of(std::string_view channel);

// Asterisk's order of uniqueids ("[<systemname>-]<seconds>.<sequence>", both counted up):
// numeric, so "1795801243.9" comes before "1795801243.10". Anything else after those, as text.
bool uniqueid_before(std::string_view a, std::string_view b);
// Whether channel a was created before b: by creation time, then (times from a snapshot are
// whole seconds, so two channels often tie) by uniqueid_before. The one order of "first" and
// "last" for the views and the commands alike.
bool created_before(const Channel& a, const Channel& b);

using model::StringMap;

class CallsState {
public:
    void request_snapshot(model::SnapshotRequester& r);
    void apply_event(const ami::Message& event, model::Timestamp now, model::ChangeSet& changes);

    const StringMap<Channel>& channels() const noexcept { return channels_; }  // by uniqueid, in no order
    const Channel* channel(std::string_view uniqueid) const;
    const Channel* channel_by_name(std::string_view name) const;
    // The channels of one device ("SIP", "2001": SIP/2001-…), by uniqueid_before: a range of the name
    // index, not a scan of every channel (10,000 extensions x 4,000 channels at a resync).
    std::vector<const Channel*> channels_of_device(std::string_view tech, std::string_view resource) const;
    // Uniqueids of the channels of one call, in creation order.
    std::vector<const Channel*> call(std::string_view linkedid) const;
    // Whether a channel of one call satisfies `pred` (no list built, no order).
    template <typename Pred>
    bool any_in_call(std::string_view linkedid, Pred&& pred) const {
        auto it = by_linkedid_.find(linkedid);
        if (it == by_linkedid_.end()) return false;
        for (const auto& uid : it->second)
            if (const Channel* c = channel(uid); c && pred(*c)) return true;
        return false;
    }
    // Uniqueids of the channels in one bridge.
    std::vector<const Channel*> bridge_members(std::string_view bridge) const;
    // The channel this one talks to: its bridge peer, else who dialed it, else whom it dialed;
    // a Local channel pair is looked through (one hop).
    const Channel* counterpart(const Channel& c) const;
    std::vector<std::string> linkedids() const;

    // This model was just read from a snapshot, which knows times only to the second and
    // relative to its own reading (now - Duration; an Up channel "answered" at its creation):
    // a channel `previous` already knew (same uniqueid and name) keeps the times seen then.
    void keep_known_times(const CallsState& previous);

private:
    Channel* find(std::string_view uniqueid);
    // Creates or refreshes a channel from the channel snapshot headers of an event
    // ("" prefix: Channel, Uniqueid...; "Dest": DestChannel, DestUniqueid...).
    Channel* update(const ami::Message& e, std::string_view prefix, model::Timestamp now, model::ChangeSet& changes, bool create);
    void touch(const Channel& c, model::ChangeSet& changes) const;
    void remove(const std::string& uniqueid, model::ChangeSet& changes);
    void happen(const Channel& c, std::string_view type, model::ChangeSet& changes, const ami::Message* e = nullptr) const;
    // Keeps the indexes below equal to the channel's linkedid, bridge and dialed_by (call after
    // changing any of them); unindex() before the channel goes.
    void reindex(const Channel& c);
    void unindex(const std::string& uniqueid);

    // Hashed: looked up several times per event, and uniqueids share long prefixes.
    StringMap<Channel> channels_;  // by uniqueid
    std::map<std::string, std::string, std::less<>> by_name_;  // channel name -> uniqueid
    // Indexes, so one event costs the size of its call, never a scan of every channel (2,000
    // calls hanging up at once would otherwise be quadratic).
    struct Indexed {
        std::string linkedid, bridge, dialed_by;
    };
    StringMap<Indexed> indexed_;                               // uniqueid -> what it is indexed under
    std::map<std::string, std::set<std::string>, std::less<>> by_linkedid_;  // linkedid -> uniqueids
    StringMap<std::set<std::string>> by_bridge_;     // bridge -> uniqueids
    StringMap<std::set<std::string>> by_dialed_by_;  // dialer uniqueid -> uniqueids it dialed
    // Channels that hung up recently: a late event about one (Asterisk 13 sends ConfbridgeLeave
    // after the Hangup) must not bring it back. Bounded: the oldest are forgotten.
    std::set<std::string, std::less<>> hung_up_;
    std::deque<std::string> hung_up_order_;
};

}  // namespace calls
