#pragma once
// What waits to be handed to the MQTT client, pure. Retained updates of one topic coalesce: only
// the latest value waits (in the place of the first one), so a burst of changes to the same lamp
// costs one message and memory is bounded by the number of distinct retained topics. Other
// messages (events, command replies) keep their order and are bounded by `max_transient` messages
// and by `max_transient_bytes` of topic + payload: beyond either the oldest is dropped and counted.
// The byte bound is what holds memory down: 100,000 call events waiting for a broker slower than
// the PBX were tens of MB of heap, which glibc did not give back after the drain.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "mqtt/port.hpp"

namespace mqtt {

class OutboundQueue {
public:
    static constexpr std::size_t kDefaultMaxTransientBytes = 4 * 1024 * 1024;
    explicit OutboundQueue(std::size_t max_transient = 100000, std::size_t max_transient_bytes = kDefaultMaxTransientBytes)
        : max_transient_(max_transient), max_transient_bytes_(max_transient_bytes) {}

    void push(OutgoingMessage message);
    std::optional<OutgoingMessage> pop();
    void clear();
    // Drops the retained updates waiting (a reconnect asserts the whole tree again); transient
    // messages (command replies, events) stay, in their order, within their bounds.
    void drop_retained();

    std::size_t size() const noexcept { return live_; }
    std::size_t transient_bytes() const noexcept { return transient_bytes_; }  // topic + payload of waiting transient messages
    bool empty() const noexcept { return live_ == 0; }
    // True when a retained message of `topic` waits, to be read by reference when it leaves.
    bool waiting_by_reference(const std::string& topic) const {
        const auto it = retained_.find(topic);
        return it != retained_.end() && entries_[it->second - front_seq_].message.by_reference;
    }
    std::uint64_t coalesced() const noexcept { return coalesced_; }  // retained updates replaced before sending
    std::uint64_t dropped() const noexcept { return dropped_; }      // transient messages dropped (overflow)

private:
    void compact();
    void drop_oldest_transient();
    static std::size_t cost(const OutgoingMessage& m) noexcept {
        return m.topic.size() + m.payload.size() + (m.correlation_data ? m.correlation_data->size() : 0);
    }
    struct Entry {
        OutgoingMessage message;
        bool live = true;
    };
    std::deque<Entry> entries_;
    std::uint64_t front_seq_ = 0;                                // sequence number of entries_.front()
    std::unordered_map<std::string, std::uint64_t> retained_;    // topic -> sequence of its waiting entry
    std::deque<std::uint64_t> transient_;                        // sequences of waiting transient entries
    std::size_t live_ = 0;
    std::size_t max_transient_;
    std::size_t max_transient_bytes_;
    std::size_t transient_bytes_ = 0;
    std::uint64_t coalesced_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace mqtt
