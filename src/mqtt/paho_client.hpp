#pragma once
// The MQTT I/O edge on Eclipse Paho C++ (async_client). Paho calls back on its own threads;
// every callback only posts into the bridge's io_context, so bridge state is touched by one
// thread. The connect loop is ours (Paho's automatic reconnect counts whole seconds and does
// not cover the first connect), and so is resubscribing after a reconnect.
#include <utility>  // before Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mqtt/async_client.h>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "config/config.hpp"
#include "mqtt/outbound_queue.hpp"
#include "mqtt/port.hpp"

namespace mqtt {

struct PahoCallbacks {
    std::function<void()> connected;
    std::function<void()> disconnected;
    std::function<void(const IncomingMessage&)> message;
    // A retained publish failed while connected (the broker refused it, or Paho gave it up):
    // the owner publishes the topic's current value again.
    std::function<void(const std::string& topic)> retained_publish_failed;
};

class PahoClient final : public Port {
public:
    PahoClient(boost::asio::io_context& io, const config::MqttConfig& config, std::string will_topic, PahoCallbacks callbacks);
    ~PahoClient() override;

    void start();
    // Publishes `final_message` (the retained "offline") and disconnects, waiting at most `timeout`.
    // Nothing is published without one (a standby, a bridge handing over its leadership).
    // `send_retained` false: retained messages still waiting are dropped, not sent (an instance
    // that is not the failover leader asserts no state, not even on its way out).
    void stop(const std::optional<OutgoingMessage>& final_message, std::chrono::milliseconds timeout,
              bool send_retained = true);
    // The same, but what still waits first drains through the publish window as usual (handed
    // to Paho all at once, whatever exceeds the broker's Receive Maximum would wait in Paho's own
    // queue, which it retries about once a second): `done` runs on the io thread once the queue is
    // empty and acknowledged and the final message and DISCONNECT went out, or at `timeout`.
    void stop_after_drain(std::optional<OutgoingMessage> final_message, std::chrono::milliseconds timeout,
                          bool send_retained, std::function<void()> done);

    void publish(OutgoingMessage message) override;
    bool takes_references() const override { return static_cast<bool>(payload_source_); }
    bool waiting(const std::string& topic) const override { return connected_ && queue_.waiting_by_reference(topic); }
    // Where by_reference messages' payloads are read when they are sent (the core's retained store).
    void set_payload_source(PayloadSource source) { payload_source_ = std::move(source); }
    // A session the broker keeps for `expiry` after a disconnect (MQTT 5 Session Expiry; 3.1.1:
    // clean session off): what arrives for our subscriptions while we reconnect is delivered
    // after it (the failover winner's reconnect with its will must not lose commands).
    void keep_session(std::chrono::seconds expiry) { session_expiry_ = expiry; }
    void subscribe(const std::string& filter, int qos) override;
    // A subscription whose retain flag tells "delivered because we subscribed" (history) from
    // "published live while we are subscribed" (flag clear) in MQTT 5 too: Retain As Published
    // off. The failover election reads its topics so.
    void subscribe_state(const std::string& filter, int qos);
    void unsubscribe(const std::string& filter) override;
    // Configuration reload: disconnects (publishing `farewell` first when given, e.g. "offline"
    // to a broker being left) and connects again with the new settings; subscriptions are renewed
    // and the connected callback runs as after any reconnect.
    void reconfigure(const config::MqttConfig& config, const std::optional<OutgoingMessage>& farewell);
    bool connected() const override { return connected_; }
    // The retained "offline" last will of the next connections ("": none; a standby has none).
    void set_will_topic(std::string topic) { will_topic_ = std::move(topic); }
    // Counters for <base>/bridge/stats.
    ClientStats stats() const;

private:
    class Listener;
    class DeliveryListener;
    void connect();
    // Hands queued messages to Paho while fewer than window_ are unacknowledged. Paho C's own
    // command queue costs O(n) per message sent, so tens of thousands queued there at once
    // crawl (a 22,000-topic snapshot reached the broker at ~40 messages/s).
    void pump();
    void send_now(OutgoingMessage&& m, bool tracked);
    void release_memory_after_burst();
    void delivered(unsigned generation);
    void publish_failed(const std::string& topic, int code, bool retained);
    void on_connect_result(bool ok, const std::string& error);
    void on_connection_lost(const std::string& cause);
    void schedule_reconnect();
    void subscribe_now(const std::string& filter, int qos);

    boost::asio::io_context& io_;
    config::MqttConfig config_;
    std::string will_topic_;
    PahoCallbacks callbacks_;
    std::unique_ptr<::mqtt::async_client> client_;
    std::unique_ptr<Listener> listener_;
    boost::asio::steady_timer reconnect_timer_;
    // Paho C never reports some failed connects (a TLS handshake the broker rejects): give up on
    // a connect that has neither succeeded nor failed after its timeout.
    boost::asio::steady_timer connect_watchdog_;
    boost::asio::steady_timer drain_timer_;  // stop_after_drain(): its deadline
    void finish_drain();
    std::optional<OutgoingMessage> drain_final_;
    std::function<void()> drain_done_;
    std::chrono::milliseconds drain_timeout_{0};
    std::chrono::steady_clock::time_point drain_start_{}, drain_deadline_{};
    unsigned connect_attempt_ = 0;
    std::map<std::string, int> subscriptions_;
    std::set<std::string> state_filters_;  // subscribe_state(): Retain As Published off
    PayloadSource payload_source_;
    std::optional<std::chrono::seconds> session_expiry_;
    bool connected_ = false;
    bool connecting_ = false;
    bool stopped_ = false;
    std::chrono::milliseconds delay_{0};
    std::mt19937 rng_{std::random_device{}()};
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    OutboundQueue queue_;
    // The tracked publishes not acknowledged yet, in order (its size is the count in flight). Paho
    // holds them too; its receive thread drops its reference when the PUBACK comes, this one is
    // dropped on the io thread in delivered(), so their memory is freed on the thread that
    // allocated it (glibc's per-thread cache keeps it for the next message instead of every
    // publish taking malloc's slow path).
    std::deque<::mqtt::const_message_ptr> sent_;
    std::size_t window_ = 0;        // set at each connect: 256, or the broker's smaller Receive Maximum
    std::size_t backlog_peak_ = 0;  // the longest queue since the last burst drained
    std::uint64_t publish_failures_ = 0;
    std::uint64_t messages_out_ = 0;
    std::uint64_t connections_ = 0;
    unsigned generation_ = 0;  // of the connection: completions of an older one are ignored
    std::unique_ptr<DeliveryListener> delivery_listener_;
};

}  // namespace mqtt
