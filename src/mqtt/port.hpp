#pragma once
// The bridge's view of an MQTT client: a narrow interface, so the pure core and the modules
// are tested with a recording fake while integration tests use Paho and a real broker.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace mqtt {

struct OutgoingMessage {
    std::string topic;
    std::string payload;
    bool retain = false;
    int qos = 1;
    std::optional<std::string> correlation_data;  // MQTT 5, echoed on replies
    // Retained state whose payload (empty here) the client reads from the retained store when it
    // sends the message (only to a Port that takes_references()): a burst of 30,000 topics waits
    // as topics, not as 30,000 copies of payloads, and a topic that changes while it waits goes
    // out once, with its latest value.
    bool by_reference = false;
};

// Where a client reads a by_reference message's payload: the retained store's current value of
// the topic (null when it holds none).
using PayloadSource = std::function<const std::string*(const std::string& topic)>;

struct IncomingMessage {
    std::string topic;
    std::string payload;
    bool retained = false;
    std::optional<std::string> response_topic;    // MQTT 5
    std::optional<std::string> correlation_data;  // MQTT 5
};

// What an MQTT client counts, for <base>/bridge/stats.
struct ClientStats {
    std::uint64_t messages_out = 0;     // handed to the client library
    std::uint64_t connections = 0;      // successful connects (the first one included)
    std::uint64_t publish_failures = 0;
    std::size_t queue_depth = 0;        // waiting for the broker's window
    std::size_t in_flight = 0;          // handed over, not acknowledged yet
    std::uint64_t coalesced = 0;        // retained updates replaced while waiting
    std::uint64_t dropped = 0;          // non-retained messages dropped (slow broker)
};

class Port {
public:
    virtual ~Port() = default;
    // Never blocks; a message published while disconnected is dropped (retained state is
    // republished in full on reconnect, see RetainedStore).
    // By value: a temporary is moved, not copied, on its way to the client's queue.
    virtual void publish(OutgoingMessage message) = 0;
    virtual void subscribe(const std::string& filter, int qos) = 0;
    // Forgets a subscription (configuration reload: [commands] enabled = false). Fakes may ignore it.
    virtual void unsubscribe(const std::string& /*filter*/) {}
    virtual bool connected() const = 0;
    // True when publish() accepts by_reference messages (see OutgoingMessage); fakes that record
    // what they get take payloads by value.
    virtual bool takes_references() const { return false; }
    // True when a retained message of `topic` waits in the client's queue as a reference (its
    // payload read when it leaves): a value built now would only be replaced before it is sent
    // (RetainedStore::defer). Ports that do not queue: false.
    virtual bool waiting(const std::string& /*topic*/) const { return false; }
};

}  // namespace mqtt
