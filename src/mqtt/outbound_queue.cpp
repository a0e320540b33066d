#include "mqtt/outbound_queue.hpp"

#include <algorithm>

namespace mqtt {

void OutboundQueue::push(OutgoingMessage message) {
    if (message.retain) {
        auto it = retained_.find(message.topic);
        if (it != retained_.end()) {
            entries_[it->second - front_seq_].message = std::move(message);
            ++coalesced_;
            return;
        }
        retained_.emplace(message.topic, front_seq_ + entries_.size());
    } else {
        const std::size_t bytes = cost(message);
        while (!transient_.empty() && (transient_.size() >= max_transient_ || transient_bytes_ + bytes > max_transient_bytes_))
            drop_oldest_transient();
        transient_.push_back(front_seq_ + entries_.size());
        transient_bytes_ += bytes;
    }
    entries_.push_back({std::move(message), true});
    ++live_;
}

// The oldest transient message goes: its slot stays, marked dead, until it reaches the front.
void OutboundQueue::drop_oldest_transient() {
    Entry& e = entries_[transient_.front() - front_seq_];
    e.live = false;
    transient_bytes_ -= cost(e.message);
    e.message = OutgoingMessage{};  // its memory goes now, not when the slot reaches the front
    transient_.pop_front();
    --live_;
    ++dropped_;
    if (entries_.size() - live_ > std::max<std::size_t>(1024, live_)) compact();
}

std::optional<OutgoingMessage> OutboundQueue::pop() {
    while (!entries_.empty()) {
        Entry e = std::move(entries_.front());
        const std::uint64_t seq = front_seq_;
        entries_.pop_front();
        ++front_seq_;
        if (!e.live) continue;
        --live_;
        if (e.message.retain) {
            retained_.erase(e.message.topic);
        } else if (!transient_.empty() && transient_.front() == seq) {
            transient_.pop_front();
            transient_bytes_ -= cost(e.message);
        }
        return std::move(e.message);
    }
    return std::nullopt;
}

// Removes dead slots (a stuck broker and a flood of events would otherwise grow them without bound).
void OutboundQueue::compact() {
    std::deque<Entry> kept;
    retained_.clear();
    transient_.clear();
    front_seq_ = 0;
    for (auto& e : entries_) {
        if (!e.live) continue;
        const std::uint64_t seq = kept.size();
        if (e.message.retain) retained_[e.message.topic] = seq;
        else transient_.push_back(seq);
        kept.push_back(std::move(e));
    }
    entries_ = std::move(kept);
}

void OutboundQueue::drop_retained() {
    for (auto& e : entries_) {
        if (!e.live || !e.message.retain) continue;
        e.live = false;
        e.message = OutgoingMessage{};
        --live_;
    }
    compact();
}

void OutboundQueue::clear() {
    entries_.clear();
    retained_.clear();
    transient_.clear();
    transient_bytes_ = 0;
    live_ = 0;
}

}  // namespace mqtt
