#pragma once
// An in-process stand-in for Asterisk, for unit tests of the pure core: answers each action
// with the answer recorded in a transcript for the same action (same name and headers),
// ActionID rewritten; synthesizes Challenge/Login; unknown actions get Asterisk's recorded
// "Invalid/unknown command" error. No sockets.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "ami/message.hpp"
#include "mqtt/outbound_queue.hpp"
#include "mqtt/port.hpp"
#include "transcript.hpp"

namespace testsupport {

class FixturePbx {
public:
    // `snapshot`: a 01-snapshot-actions.txt transcript.
    explicit FixturePbx(const std::string& snapshot_path);

    // Also answers the actions recorded in another transcript (every connection of it).
    void learn(const std::string& transcript_path);

    std::string banner() const { return banner_; }
    // Bytes answering everything in `client_bytes` (complete actions only).
    std::string answer(const std::string& client_bytes);
    // Every action received so far, in order.
    const std::vector<ami::Message>& actions() const { return actions_; }

private:
    struct Recorded {
        ami::Message action;
        std::vector<ami::Message> answer;  // server messages carrying its ActionID
    };
    std::vector<Recorded> recorded_;
    std::vector<ami::Message> actions_;
    std::string banner_;
    std::string pending_;
};

// The events (server messages with no ActionID) of every connection of a transcript, in order.
std::vector<ami::Message> transcript_events(const std::string& path);

// The same events with the time the transcript recorded them at (its "#@" lines).
struct TimedEvent {
    std::chrono::system_clock::time_point at;
    ami::Message event;
};
std::vector<TimedEvent> timed_transcript_events(const std::string& path);
// "2026-11-27T17:40:25.200Z" -> time point.
std::chrono::system_clock::time_point parse_iso8601(const std::string& text);

// Records what the core publishes.
class RecordingPort : public mqtt::Port {
public:
    void publish(mqtt::OutgoingMessage m) override { published.push_back(std::move(m)); }
    void subscribe(const std::string& filter, int) override { subscriptions.push_back(filter); }
    bool connected() const override { return is_connected; }

    // The retained tree as a broker would hold it after these publishes.
    std::map<std::string, std::string> retained() const;
    // Payloads published on one topic, in order.
    std::vector<std::string> values(const std::string& topic) const;

    std::vector<mqtt::OutgoingMessage> published;
    std::vector<std::string> subscriptions;
    bool is_connected = true;
};

// A port like the MQTT client: it queues (retained values by reference, coalesced, read when
// they leave: RetainedStore::payload) and says what waits (Port::waiting). Nothing leaves until
// the test pops the queue: a broker that acknowledges nothing yet.
class QueueingPort : public mqtt::Port {
public:
    void publish(mqtt::OutgoingMessage m) override { queue.push(std::move(m)); }
    void subscribe(const std::string&, int) override {}
    bool connected() const override { return true; }
    bool takes_references() const override { return true; }
    bool waiting(const std::string& topic) const override { return queue.waiting_by_reference(topic); }

    mqtt::OutboundQueue queue;
};

}  // namespace testsupport
