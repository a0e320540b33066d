#include "mqtt/paho_client.hpp"

#include "mqtt/paho_options.hpp"

#include <algorithm>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstdint>

#include <spdlog/spdlog.h>

namespace mqtt {

namespace asio = boost::asio;

namespace {
constexpr std::chrono::milliseconds kReconnectMin{500};
constexpr std::chrono::milliseconds kReconnectMax{30000};
constexpr int kMaxBufferedMessages = 1'000'000;
// Unacknowledged publishes handed to Paho. 64 capped a loopback broker at ~2,000 messages/s on
// a loaded 2-core machine (each ack hops Paho's thread -> the io thread): call events then
// queued faster than they left (the 1M-event soak grew ~2 MB per 100k events). 1,024 made Paho
// C's command queue (O(n) per message) the bottleneck of a large snapshot: the 10,000-extension
// scale test went from 34 s to 85 s (Debug). 256 costs the snapshot nothing measurable (36 s).
// An MQTT 5 broker caps it lower with the Receive Maximum of its CONNACK (mosquitto: 20): Paho
// holds publishes beyond that in its command queue and, once the bridge stops handing it new
// ones, sends the rest about 20 a second (its send thread sleeps 1 s when it cannot send):
// a 10,000-extension snapshot took 10-12 s instead of 2.5 s. So the window is the smaller one.
constexpr std::size_t kWindow = 256;
// A backlog this long is a burst worth giving memory back after (release_memory_after_burst).
constexpr std::size_t kBurst = 1000;

// The broker's Receive Maximum from a CONNACK, 0 when it sent none (MQTT 3.1.1, or 65,535).
std::size_t receive_maximum(const ::mqtt::token& tok) {
    try {
        const ::mqtt::connect_response response = tok.get_connect_response();
        const auto& props = response.get_properties();
        if (props.contains(::mqtt::property::RECEIVE_MAXIMUM))
            return ::mqtt::get<std::uint16_t>(props, ::mqtt::property::RECEIVE_MAXIMUM);
    } catch (const std::exception&) {
    }
    return 0;
}

std::string describe(const ::mqtt::exception& e) {
    std::string text = e.get_message();
    if (text.empty()) text = e.what();
    const int rc = e.get_return_code();
    if (rc == 135 || rc == 134 || rc == 5 || rc == 4) text += " (not authorized: check [mqtt] username/password)";
    return text + " [code " + std::to_string(rc) + "]";
}
}  // namespace

// Paho's callbacks, on Paho's threads: post everything into the io_context.
class PahoClient::Listener : public virtual ::mqtt::callback, public virtual ::mqtt::iaction_listener {
public:
    Listener(PahoClient& owner) : owner_(owner), alive_(owner.alive_) {}

    void post(std::function<void(PahoClient&)> f) {
        std::weak_ptr<bool> alive = alive_;
        PahoClient* owner = &owner_;
        asio::post(owner_.io_, [alive, owner, f = std::move(f)] {
            if (alive.lock()) f(*owner);
        });
    }
    // connect outcome
    // The token's context is the connect attempt: a result of a client replaced by reconfigure() is ignored.
    void on_success(const ::mqtt::token& tok) override {
        const auto attempt = reinterpret_cast<std::uintptr_t>(tok.get_user_context());
        const std::size_t receive_max = receive_maximum(tok);
        post([attempt, receive_max](PahoClient& c) {
            if (attempt != c.connect_attempt_) return;
            c.window_ = receive_max == 0 ? kWindow : std::min(kWindow, receive_max);
            c.on_connect_result(true, {});
        });
    }
    void on_failure(const ::mqtt::token& tok) override {
        std::string why = "connect failed [code " + std::to_string(tok.get_return_code()) + "]";
        const int rc = tok.get_return_code();
        if (rc == 135 || rc == 134 || rc == 5 || rc == 4) why += " (not authorized: check [mqtt] username/password)";
        const auto attempt = reinterpret_cast<std::uintptr_t>(tok.get_user_context());
        post([attempt, why](PahoClient& c) {
            if (attempt == c.connect_attempt_) c.on_connect_result(false, why);
        });
    }
    void connection_lost(const std::string& cause) override {
        post([cause](PahoClient& c) { c.on_connection_lost(cause); });
    }
    void message_arrived(::mqtt::const_message_ptr msg) override {
        IncomingMessage in;
        in.topic = msg->get_topic();
        in.payload = msg->to_string();
        in.retained = msg->is_retained();
        const auto& props = msg->get_properties();
        if (props.contains(::mqtt::property::RESPONSE_TOPIC))
            in.response_topic = ::mqtt::get<std::string>(props, ::mqtt::property::RESPONSE_TOPIC);
        if (props.contains(::mqtt::property::CORRELATION_DATA))
            in.correlation_data = ::mqtt::get<::mqtt::binary>(props, ::mqtt::property::CORRELATION_DATA);
        post([in = std::move(in)](PahoClient& c) {
            if (c.callbacks_.message) c.callbacks_.message(in);
        });
    }
    void delivery_complete(::mqtt::delivery_token_ptr) override {}

private:
    PahoClient& owner_;
    std::shared_ptr<bool> alive_;
};

// Publish completions (PUBACK for QoS 1, sent for QoS 0), on Paho's threads: post them.
class PahoClient::DeliveryListener : public virtual ::mqtt::iaction_listener {
public:
    explicit DeliveryListener(PahoClient& owner) : owner_(owner), alive_(owner.alive_) {}
    void on_success(const ::mqtt::token& tok) override { done(tok, std::nullopt); }
    void on_failure(const ::mqtt::token& tok) override {
        Failure failure{"?", tok.get_return_code(), false};
        if (const auto* delivery = dynamic_cast<const ::mqtt::delivery_token*>(&tok))
            if (const auto msg = delivery->get_message()) {
                failure.topic = msg->get_topic();
                failure.retained = msg->is_retained();
            }
        done(tok, std::move(failure));
    }

private:
    struct Failure {
        std::string topic;
        int code;
        bool retained;
    };
    void done(const ::mqtt::token& tok, std::optional<Failure> failure) {
        const auto generation = static_cast<unsigned>(reinterpret_cast<std::uintptr_t>(tok.get_user_context()));
        std::weak_ptr<bool> alive = alive_;
        PahoClient* owner = &owner_;
        asio::post(owner_.io_, [alive, owner, generation, failure = std::move(failure)] {
            if (!alive.lock()) return;
            if (failure && generation == owner->generation_) owner->publish_failed(failure->topic, failure->code, failure->retained);
            owner->delivered(generation);
        });
    }
    PahoClient& owner_;
    std::weak_ptr<bool> alive_;
};

PahoClient::PahoClient(asio::io_context& io, const config::MqttConfig& config, std::string will_topic, PahoCallbacks callbacks)
    : io_(io), config_(config), will_topic_(std::move(will_topic)), callbacks_(std::move(callbacks)), reconnect_timer_(io), connect_watchdog_(io), drain_timer_(io) {
    ::mqtt::create_options opts(config_.version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1);
    // Paho queues publishes beyond the broker's in-flight window; its default of 100 makes a
    // burst (a snapshot of 10,000 extensions, 100 command replies) fail with -12 and lose
    // messages. Bounded by count here; coalescing retained updates is the bridge's job.
    opts.set_max_buffered_messages(kMaxBufferedMessages);
    // Paho's own buffer while disconnected is off: retained state is republished by us.
    client_ = std::make_unique<::mqtt::async_client>(config_.uri, config_.client_id, opts);
    listener_ = std::make_unique<Listener>(*this);
    delivery_listener_ = std::make_unique<DeliveryListener>(*this);
    client_->set_callback(*listener_);
}

PahoClient::~PahoClient() {
    *alive_ = false;
    alive_.reset();
    try {
        client_->disable_callbacks();
        if (client_->is_connected()) client_->disconnect(0)->wait_for(std::chrono::milliseconds(500));
    } catch (...) {
    }
    // Paho fails the tokens still pending (publishes the broker never acknowledged) when its
    // client is destroyed, calling their listeners: destroy it while the listeners still exist
    // (members are destroyed after this body, client_ last: a SIGSEGV at exit, seen after a
    // stuck broker left a full window of unacknowledged publishes).
    try {
        client_.reset();
    } catch (...) {
    }
}

void PahoClient::start() {
    stopped_ = false;
    connect();
}

void PahoClient::connect() {
    if (stopped_ || connecting_ || connected_) return;
    connecting_ = true;
    auto builder = connect_options_for(config_);
    if (session_expiry_) {
        if (config_.version == 5) {
            builder.clean_start(false);
            builder.properties(::mqtt::properties{
                ::mqtt::property(::mqtt::property::SESSION_EXPIRY_INTERVAL, static_cast<std::uint32_t>(session_expiry_->count()))});
        } else {
            builder.clean_session(false);
        }
    }
    if (!will_topic_.empty()) builder.will(::mqtt::message(will_topic_, std::string("offline"), 1, true));
    spdlog::info("MQTT: connecting to {} as {}", config_.uri, config_.client_id);
    const unsigned attempt = ++connect_attempt_;
    connect_watchdog_.expires_after(kConnectTimeout + std::chrono::seconds(1));
    connect_watchdog_.async_wait([this, attempt](boost::system::error_code ec) {
        if (ec || attempt != connect_attempt_ || !connecting_ || stopped_) return;
        spdlog::error("MQTT: cannot connect to {}: no answer within {} s{}", config_.uri, kConnectTimeout.count() + 1,
                      config_.uses_tls() ? " (TLS handshake failed? check [mqtt] ca_file, cert_file, key_file and the broker's log)" : "");
        connecting_ = false;
        try {
            client_->disconnect(0);
        } catch (const ::mqtt::exception&) {
        }
        schedule_reconnect();
    });
    try {
        client_->connect(builder.finalize(), reinterpret_cast<void*>(static_cast<std::uintptr_t>(attempt)), *listener_);
    } catch (const ::mqtt::exception& e) {
        connecting_ = false;
        spdlog::error("MQTT: cannot connect to {}: {}", config_.uri, describe(e));
        schedule_reconnect();
    }
}

void PahoClient::on_connect_result(bool ok, const std::string& error) {
    connecting_ = false;
    connect_watchdog_.cancel();
    if (stopped_ || connected_) return;  // Paho may report one connect twice
    if (!ok) {
        // Paho says only "-1" when the TLS handshake fails (unknown CA, wrong host name, a client
        // certificate the broker refuses).
        spdlog::error("MQTT: cannot connect to {}: {}{}", config_.uri, error,
                      config_.uses_tls() ? " (TLS handshake failed? check [mqtt] ca_file, cert_file, key_file and the broker's log)" : "");
        schedule_reconnect();
        return;
    }
    connected_ = true;
    ++connections_;
    queue_.drop_retained();  // the core asserts the whole tree again (connected callback)
    sent_.clear();
    ++generation_;
    delay_ = std::chrono::milliseconds(0);
    spdlog::info("MQTT: connected to {} (publish window {})", config_.uri, window_);
    for (const auto& [filter, qos] : subscriptions_) {
        try {
            subscribe_now(filter, qos);
        } catch (const ::mqtt::exception& e) {
            spdlog::error("MQTT: subscribe {} failed: {}", filter, describe(e));
        }
    }
    if (callbacks_.connected) callbacks_.connected();
}

void PahoClient::on_connection_lost(const std::string& cause) {
    if (!connected_) return;
    connected_ = false;
    // What waited is republished in full (retained) on reconnect; command replies and events wait
    // for the new connection (bounded); completions still to come from the lost connection are ignored.
    queue_.drop_retained();
    sent_.clear();
    ++generation_;
    spdlog::warn("MQTT: connection lost{}{}", cause.empty() ? "" : ": ", cause);
    if (callbacks_.disconnected) callbacks_.disconnected();
    if (drain_done_) {  // stopping: nothing more can be published, no reconnect
        finish_drain();
        return;
    }
    schedule_reconnect();
}

void PahoClient::schedule_reconnect() {
    if (stopped_) return;
    const auto upper = std::max(kReconnectMin, std::min(kReconnectMax, delay_ * 3));
    std::uniform_int_distribution<long long> pick(kReconnectMin.count(), upper.count());
    delay_ = std::min(kReconnectMax, std::chrono::milliseconds(pick(rng_)));
    spdlog::info("MQTT: reconnecting in {} ms", delay_.count());
    reconnect_timer_.expires_after(delay_);
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) connect();
    });
}

void PahoClient::publish(OutgoingMessage m) {
    if (!connected_) {
        // Retained state is republished whole on reconnect; a command reply or an event waits
        // for it (bounded like any transient message): a reply to a request that arrived just
        // before a reconnect (the failover winner's, with its will) is not lost.
        if (!m.retain && !stopped_) queue_.push(std::move(m));
        return;
    }
    const auto dropped = queue_.dropped();
    queue_.push(std::move(m));
    if (queue_.dropped() != dropped && (queue_.dropped() & (queue_.dropped() - 1)) == 0)
        spdlog::warn("MQTT: the broker is not keeping up; {} non-retained messages dropped so far", queue_.dropped());
    pump();
}

void PahoClient::pump() {
    backlog_peak_ = std::max(backlog_peak_, queue_.size());
    while (connected_ && sent_.size() < window_) {
        auto next = queue_.pop();
        if (!next) {
            release_memory_after_burst();
            return;
        }
        send_now(std::move(*next), true);
    }
}

// A burst (a snapshot of 10,000 extensions: its AMI answers, then 30,000 retained messages)
// leaves freed heap that glibc keeps: RSS stayed ~10 MB above what the bridge holds. Once the
// backlog of such a burst has drained, give it back (not on every small drain: it costs a walk
// of the heap).
void PahoClient::release_memory_after_burst() {
    if (backlog_peak_ < kBurst) return;
    backlog_peak_ = 0;
#if defined(__GLIBC__)
    asio::post(io_, [alive = std::weak_ptr<bool>(alive_)] {
        if (alive.lock()) ::malloc_trim(0);
    });
#endif
}

// A publish of the current connection failed without the connection being lost (a lost
// connection republishes everything on reconnect): a retained topic must not stay stale on the
// broker while the bridge believes it asserted, so its current value goes out again.
void PahoClient::publish_failed(const std::string& topic, int code, bool retained) {
    ++publish_failures_;
    if ((publish_failures_ & (publish_failures_ - 1)) == 0)  // 1st, 2nd, 4th, 8th...: a log line, not a flood
        spdlog::warn("MQTT: publish to {} failed [code {}]{}; {} failed so far", topic, code,
                     retained ? ", publishing its current value again" : "", publish_failures_);
    if (retained && callbacks_.retained_publish_failed) callbacks_.retained_publish_failed(topic);
}

void PahoClient::delivered(unsigned generation) {
    if (generation != generation_) return;
    if (!sent_.empty()) sent_.pop_front();  // acknowledged in order (QoS 1 on one connection)
    // One publish per acknowledgement. Refilling only once half the window was free (to hand
    // Paho publishes back to back) made a 10,000-extension snapshot 4x slower with mosquitto's
    // Receive Maximum of 20: Paho then holds publishes it may not send yet and sleeps.
    pump();
    if (drain_done_ && queue_.size() == 0 && sent_.empty()) finish_drain();
}

// The message's topic and payload move into Paho's message (shared strings, not copies): in a
// drain of 35,000 messages the publish path is all the bridge does per message.
void PahoClient::send_now(OutgoingMessage&& m, bool tracked) {
    ::mqtt::binary_ref payload;
    if (m.by_reference) {
        // Its latest value (a clear of the topic would have replaced the waiting message).
        const std::string* current = payload_source_ ? payload_source_(m.topic) : nullptr;
        if (current == nullptr) return;
        payload = ::mqtt::binary_ref(*current);
    } else {
        payload = ::mqtt::binary_ref(std::move(m.payload));
    }
    const auto msg = std::make_shared<::mqtt::message>(::mqtt::string_ref(std::move(m.topic)), std::move(payload), m.qos, m.retain);
    try {
        if (m.correlation_data && config_.version == 5) {
            ::mqtt::properties props;
            props.add(::mqtt::property(::mqtt::property::CORRELATION_DATA, *m.correlation_data));
            msg->set_properties(props);
        }
        ++messages_out_;
        if (tracked) {
            void* context = reinterpret_cast<void*>(static_cast<std::uintptr_t>(generation_));
            client_->publish(msg, context, *delivery_listener_);
            sent_.push_back(msg);
        } else {
            client_->publish(msg);
        }
    } catch (const ::mqtt::exception& e) {
        // The link just dropped: the retained tree is republished on reconnect.
        spdlog::warn("MQTT: publish to {} failed: {}", msg->get_topic(), describe(e));
    }
}

ClientStats PahoClient::stats() const {
    ClientStats s;
    s.messages_out = messages_out_;
    s.connections = connections_;
    s.publish_failures = publish_failures_;
    s.queue_depth = queue_.size();
    s.in_flight = sent_.size();
    s.coalesced = queue_.coalesced();
    s.dropped = queue_.dropped();
    return s;
}

void PahoClient::subscribe_now(const std::string& filter, int qos) {
    if (config_.version == 5) {
        // No local: never our own publishes. Retain as published: a retained command published
        // while we are subscribed still shows its retain flag, so it can be refused like one
        // delivered at subscription time.
        client_->subscribe(filter, qos, ::mqtt::subscribe_options(true, state_filters_.count(filter) == 0));
    } else {
        client_->subscribe(filter, qos);
    }
}

void PahoClient::subscribe_state(const std::string& filter, int qos) {
    state_filters_.insert(filter);
    subscribe(filter, qos);
}

void PahoClient::subscribe(const std::string& filter, int qos) {
    subscriptions_[filter] = qos;
    if (!connected_) return;
    try {
        subscribe_now(filter, qos);
    } catch (const ::mqtt::exception& e) {
        spdlog::error("MQTT: subscribe {} failed: {}", filter, describe(e));
    }
}

void PahoClient::stop_after_drain(std::optional<OutgoingMessage> final_message, std::chrono::milliseconds timeout,
                                  bool send_retained, std::function<void()> done) {
    if (!connected_ || !send_retained) {
        stop(final_message, timeout, send_retained);
        done();
        return;
    }
    // The final message and DISCONNECT keep a part of the time for themselves.
    drain_final_ = std::move(final_message);
    drain_done_ = std::move(done);
    drain_timeout_ = timeout;
    drain_start_ = std::chrono::steady_clock::now();
    drain_deadline_ = drain_start_ + (timeout - std::min(timeout / 2, std::chrono::milliseconds(500)));
    spdlog::info("MQTT: stopping; {} message(s) still to publish, {} in flight", queue_.size(), sent_.size());
    if (queue_.size() == 0 && sent_.empty()) {
        finish_drain();
        return;
    }
    // The last acknowledgement (delivered()) or a lost connection ends the drain; this timer only
    // its deadline: nothing polls.
    drain_timer_.expires_at(drain_deadline_);
    drain_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) finish_drain();
    });
}

void PahoClient::finish_drain() {
    if (!drain_done_) return;  // finished already (the deadline and the last acknowledgement raced)
    drain_timer_.cancel();
    const auto now = std::chrono::steady_clock::now();
    if (queue_.size() > 0 || !sent_.empty())
        spdlog::warn("MQTT: stopping with {} message(s) not yet published, {} unacknowledged", queue_.size(), sent_.size());
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drain_start_ + drain_timeout_ - now);
    stop(drain_final_, std::max(left, std::chrono::milliseconds(100)), true);
    auto done = std::move(drain_done_);
    drain_done_ = nullptr;
    if (done) done();
}

void PahoClient::stop(const std::optional<OutgoingMessage>& final_message, std::chrono::milliseconds timeout,
                      bool send_retained) {
    stopped_ = true;
    reconnect_timer_.cancel();
    connect_watchdog_.cancel();
    drain_timer_.cancel();
    if (!connected_) return;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    // What still waits goes to Paho now (disconnect below waits for it within the timeout).
    std::size_t handed = 0;
    while (auto next = queue_.pop())
        if (send_retained || !next->retain) {
            send_now(std::move(*next), false);
            ++handed;
        }
    spdlog::info("MQTT: disconnecting; {} queued message(s) handed to the client, {} in flight", handed,
                 sent_.size());
    try {
        // Paho cannot send DISCONNECT with the will, so the "offline" is published by hand.
        if (final_message) {
            auto tok = client_->publish(::mqtt::make_message(final_message->topic, final_message->payload, final_message->qos, final_message->retain));
            tok->wait_for(timeout);
        }
        const auto left = std::max(std::chrono::milliseconds(100),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        client_->disconnect(left)->wait_for(left);
    } catch (const ::mqtt::exception& e) {
        spdlog::warn("MQTT: clean disconnect failed: {}", describe(e));
    }
    connected_ = false;
}

void PahoClient::unsubscribe(const std::string& filter) {
    if (subscriptions_.erase(filter) == 0 || !connected_) return;
    try {
        client_->unsubscribe(filter);
    } catch (const ::mqtt::exception& e) {
        spdlog::error("MQTT: unsubscribe {} failed: {}", filter, describe(e));
    }
}

void PahoClient::reconfigure(const config::MqttConfig& config, const std::optional<OutgoingMessage>& farewell) {
    // The old client leaves; whatever it still reports is ignored (connect attempt, generation).
    ++connect_attempt_;
    ++generation_;
    reconnect_timer_.cancel();
    connect_watchdog_.cancel();
    queue_.drop_retained();
    sent_.clear();
    const bool was_connected = connected_;
    connected_ = false;
    connecting_ = false;
    try {
        if (was_connected && client_->is_connected()) {
            if (farewell) {
                client_->publish(::mqtt::make_message(farewell->topic, farewell->payload, farewell->qos, farewell->retain))
                    ->wait_for(std::chrono::milliseconds(1000));
            }
            client_->disconnect(std::chrono::milliseconds(500))->wait_for(std::chrono::milliseconds(1000));
        }
        client_->disable_callbacks();
    } catch (const ::mqtt::exception& e) {
        spdlog::warn("MQTT: disconnect for the reload failed: {}", describe(e));
    }
    config_ = config;
    ::mqtt::create_options opts(config_.version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1);
    opts.set_max_buffered_messages(kMaxBufferedMessages);
    client_ = std::make_unique<::mqtt::async_client>(config_.uri, config_.client_id, opts);  // the old one is destroyed
    client_->set_callback(*listener_);
    delay_ = std::chrono::milliseconds(0);
    if (was_connected && callbacks_.disconnected) callbacks_.disconnected();
    connect();
}

}  // namespace mqtt
