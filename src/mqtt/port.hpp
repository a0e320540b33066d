#pragma once
// The bridge's view of an MQTT client: a narrow interface, so the pure core and the modules
// are tested with a recording fake while integration tests use Paho and a real broker.
#include <optional>
#include <string>

namespace mqtt {

struct OutgoingMessage {
    std::string topic;
    std::string payload;
    bool retain = false;
    int qos = 1;
    std::optional<std::string> correlation_data;  // MQTT 5, echoed on replies
};

struct IncomingMessage {
    std::string topic;
    std::string payload;
    bool retained = false;
    std::optional<std::string> response_topic;    // MQTT 5
    std::optional<std::string> correlation_data;  // MQTT 5
};

class Port {
public:
    virtual ~Port() = default;
    // Never blocks; a message published while disconnected is dropped (retained state is
    // republished in full on reconnect, see RetainedStore).
    virtual void publish(const OutgoingMessage& message) = 0;
    virtual void subscribe(const std::string& filter, int qos) = 0;
    // Forgets a subscription (configuration reload: [commands] enabled = false). Fakes may ignore it.
    virtual void unsubscribe(const std::string& /*filter*/) {}
    virtual bool connected() const = 0;
};

}  // namespace mqtt
