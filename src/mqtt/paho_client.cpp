#include "mqtt/paho_client.hpp"

#include <spdlog/spdlog.h>

namespace mqtt {

namespace asio = boost::asio;

namespace {
constexpr std::chrono::milliseconds kReconnectMin{500};
constexpr std::chrono::milliseconds kReconnectMax{30000};

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
    void on_success(const ::mqtt::token&) override {
        post([](PahoClient& c) { c.on_connect_result(true, {}); });
    }
    void on_failure(const ::mqtt::token& tok) override {
        std::string why = "connect failed [code " + std::to_string(tok.get_return_code()) + "]";
        const int rc = tok.get_return_code();
        if (rc == 135 || rc == 134 || rc == 5 || rc == 4) why += " (not authorized: check [mqtt] username/password)";
        post([why](PahoClient& c) { c.on_connect_result(false, why); });
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

PahoClient::PahoClient(asio::io_context& io, const config::MqttConfig& config, std::string will_topic, PahoCallbacks callbacks)
    : io_(io), config_(config), will_topic_(std::move(will_topic)), callbacks_(std::move(callbacks)), reconnect_timer_(io) {
    ::mqtt::create_options opts(config_.version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1);
    // Paho's own buffer while disconnected is off: retained state is republished by us.
    client_ = std::make_unique<::mqtt::async_client>(config_.uri, config_.client_id, opts);
    listener_ = std::make_unique<Listener>(*this);
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
}

void PahoClient::start() {
    stopped_ = false;
    connect();
}

void PahoClient::connect() {
    if (stopped_ || connecting_ || connected_) return;
    connecting_ = true;
    ::mqtt::connect_options_builder builder;
    if (config_.version == 5) builder.mqtt_version(MQTTVERSION_5).clean_start(true);
    else builder.mqtt_version(MQTTVERSION_3_1_1).clean_session(true);
    builder.keep_alive_interval(config_.keepalive);
    builder.connect_timeout(std::chrono::seconds(5));
    builder.automatic_reconnect(false);
    builder.will(::mqtt::message(will_topic_, std::string("offline"), 1, true));
    if (!config_.username.empty()) builder.user_name(config_.username);
    if (!config_.password.empty()) builder.password(config_.password.reveal());
    if (config_.uri.rfind("ssl://", 0) == 0 || config_.uri.rfind("mqtts://", 0) == 0 || config_.uri.rfind("wss://", 0) == 0)
        builder.ssl(::mqtt::ssl_options());
    spdlog::info("MQTT: connecting to {} as {}", config_.uri, config_.client_id);
    try {
        client_->connect(builder.finalize(), nullptr, *listener_);
    } catch (const ::mqtt::exception& e) {
        connecting_ = false;
        spdlog::error("MQTT: cannot connect to {}: {}", config_.uri, describe(e));
        schedule_reconnect();
    }
}

void PahoClient::on_connect_result(bool ok, const std::string& error) {
    connecting_ = false;
    if (stopped_ || connected_) return;  // Paho may report one connect twice
    if (!ok) {
        spdlog::error("MQTT: cannot connect to {}: {}", config_.uri, error);
        schedule_reconnect();
        return;
    }
    connected_ = true;
    delay_ = std::chrono::milliseconds(0);
    spdlog::info("MQTT: connected to {}", config_.uri);
    for (const auto& [filter, qos] : subscriptions_) {
        try {
            client_->subscribe(filter, qos);
        } catch (const ::mqtt::exception& e) {
            spdlog::error("MQTT: subscribe {} failed: {}", filter, describe(e));
        }
    }
    if (callbacks_.connected) callbacks_.connected();
}

void PahoClient::on_connection_lost(const std::string& cause) {
    if (!connected_) return;
    connected_ = false;
    spdlog::warn("MQTT: connection lost{}{}", cause.empty() ? "" : ": ", cause);
    if (callbacks_.disconnected) callbacks_.disconnected();
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

void PahoClient::publish(const OutgoingMessage& m) {
    if (!connected_) return;
    try {
        auto msg = ::mqtt::make_message(m.topic, m.payload, m.qos, m.retain);
        if (m.correlation_data && config_.version == 5) {
            ::mqtt::properties props;
            props.add(::mqtt::property(::mqtt::property::CORRELATION_DATA, *m.correlation_data));
            msg->set_properties(props);
        }
        client_->publish(msg);
    } catch (const ::mqtt::exception& e) {
        // Too many in flight or the link just dropped: the retained tree is republished on reconnect.
        spdlog::warn("MQTT: publish to {} failed: {}", m.topic, describe(e));
    }
}

void PahoClient::subscribe(const std::string& filter, int qos) {
    subscriptions_[filter] = qos;
    if (!connected_) return;
    try {
        client_->subscribe(filter, qos);
    } catch (const ::mqtt::exception& e) {
        spdlog::error("MQTT: subscribe {} failed: {}", filter, describe(e));
    }
}

void PahoClient::stop(const OutgoingMessage& final_message, std::chrono::milliseconds timeout) {
    stopped_ = true;
    reconnect_timer_.cancel();
    if (!connected_) return;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    try {
        // Paho cannot send DISCONNECT with the will, so the "offline" is published by hand.
        auto tok = client_->publish(::mqtt::make_message(final_message.topic, final_message.payload, final_message.qos, final_message.retain));
        tok->wait_for(timeout);
        const auto left = std::max(std::chrono::milliseconds(100),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        client_->disconnect(left)->wait_for(left);
    } catch (const ::mqtt::exception& e) {
        spdlog::warn("MQTT: clean disconnect failed: {}", describe(e));
    }
    connected_ = false;
}

}  // namespace mqtt
