#include "mqtt/retained_reader.hpp"

#include <memory>
#include <set>

#include <mqtt/async_client.h>
#include <spdlog/spdlog.h>

#include "mqtt/paho_options.hpp"

namespace mqtt {

namespace asio = boost::asio;

namespace {

// One read. Paho's callbacks (its threads) only post into the io_context; everything else runs
// there. It keeps itself alive through those posted handlers until it has finished.
class Reader : public std::enable_shared_from_this<Reader>,
               public virtual ::mqtt::callback,
               public virtual ::mqtt::iaction_listener {
public:
    Reader(asio::io_context& io, const config::MqttConfig& config, std::vector<std::string> filters, RetainedReadDone done,
           RetainedReadOptions options)
        : io_(io), config_(config), filters_(std::move(filters)), done_(std::move(done)), options_(options), quiet_(io), limit_(io) {}

    ~Reader() override {
        try {
            if (client_) client_->disable_callbacks();
        } catch (...) {
        }
    }

    void start() {
        auto self = shared_from_this();
        keep_ = self;  // released when the disconnect has completed (Paho holds *this till then)
        limit_.expires_after(options_.limit);
        limit_.async_wait([self](boost::system::error_code ec) {
            if (!ec) self->finish(false, "no answer within " + std::to_string(self->options_.limit.count()) + " ms");
        });
        try {
            ::mqtt::create_options opts(config_.version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1);
            client_ = std::make_unique<::mqtt::async_client>(config_.uri, config_.client_id + "-sweep", opts);
            client_->set_callback(*this);
            stage_ = Stage::Connecting;
            client_->connect(connect_options_for(config_).finalize(), nullptr, *this);
        } catch (const ::mqtt::exception& e) {
            finish(false, e.what());
        }
    }

    // The bridge stops: no callback may reach the io_context after this.
    void cancel() {
        done_ = nullptr;
        stage_ = Stage::Done;
        quiet_.cancel();
        limit_.cancel();
        try {
            if (client_) client_->disable_callbacks();
            client_.reset();  // Paho's threads are done with it when this returns
        } catch (...) {
        }
        keep_.reset();
    }

    // --- Paho threads ---
    void on_success(const ::mqtt::token&) override {
        post([](Reader& r) { r.step_done(); });
    }
    void on_failure(const ::mqtt::token& tok) override {
        const int rc = tok.get_return_code();
        post([rc](Reader& r) { r.finish(false, "MQTT error " + std::to_string(rc)); });
    }
    void connection_lost(const std::string& cause) override {
        post([cause](Reader& r) { r.finish(false, "connection lost: " + cause); });
    }
    void message_arrived(::mqtt::const_message_ptr msg) override {
        if (!msg->is_retained() || msg->get_payload().empty()) return;
        post([topic = msg->get_topic()](Reader& r) { r.seen(topic); });
    }
    void delivery_complete(::mqtt::delivery_token_ptr) override {}

private:
    enum class Stage { Idle, Connecting, Subscribing, Collecting, Disconnecting, Done };

    void post(std::function<void(Reader&)> f) {
        // Paho may call back after finish(): the handler keeps the reader alive meanwhile. A
        // token's listener (the subscribe of a connection the broker just dropped) may even fire
        // while the reader is being destroyed: then there is nothing left to do (shared_from_this
        // would throw std::bad_weak_ptr on Paho's thread and terminate the bridge).
        auto self = weak_from_this().lock();
        if (!self) return;
        asio::post(io_, [self = std::move(self), f = std::move(f)] { f(*self); });
    }

    void step_done() {
        if (stage_ == Stage::Connecting) {
            spdlog::debug("MQTT sweep: connected; subscribing to {} filter(s)", filters_.size());
            stage_ = Stage::Subscribing;
            try {
                const std::vector<int> qos(filters_.size(), 0);
                client_->subscribe(::mqtt::string_collection::create(filters_), qos, nullptr, *this);
            } catch (const ::mqtt::exception& e) {
                finish(false, e.what());
            }
        } else if (stage_ == Stage::Subscribing) {
            spdlog::debug("MQTT sweep: subscribed; {} retained topic(s) so far", topics_.size());
            stage_ = Stage::Collecting;
            arm_quiet();
        } else if (stage_ == Stage::Disconnecting) {
            release();
        }
    }

    void seen(const std::string& topic) {
        if (stage_ != Stage::Subscribing && stage_ != Stage::Collecting) return;
        topics_.insert(topic);
        if (stage_ == Stage::Collecting) arm_quiet();
    }

    void arm_quiet() {
        quiet_.expires_after(options_.quiet);
        quiet_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->finish(true, {});
        });
    }

    void finish(bool ok, const std::string& error) {
        if (stage_ == Stage::Disconnecting || stage_ == Stage::Done) return;
        spdlog::debug("MQTT sweep: {} ({} retained topic(s) read)", ok ? "done" : "failed: " + error, topics_.size());
        stage_ = Stage::Disconnecting;
        quiet_.cancel();
        limit_.cancel();
        bool disconnecting = false;
        try {
            if (client_) {
                client_->disable_callbacks();
                if (client_->is_connected()) {
                    client_->disconnect(0, nullptr, *this);
                    disconnecting = true;
                }
            }
        } catch (const ::mqtt::exception&) {
        }
        if (disconnecting) {
            // Paho reports the disconnect to *this: stay alive until it does (5 s at most).
            limit_.expires_after(std::chrono::seconds(5));
            limit_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
                if (!ec) self->release();
            });
        } else {
            release();
        }
        auto done = std::move(done_);
        if (!done) return;
        if (ok) done(std::vector<std::string>(topics_.begin(), topics_.end()), {});
        else done(std::nullopt, error);
    }

    void release() {
        stage_ = Stage::Done;
        limit_.cancel();
        keep_.reset();  // the caller's handler still holds a reference: destruction comes after it
    }

    asio::io_context& io_;
    std::shared_ptr<Reader> keep_;
    config::MqttConfig config_;
    std::vector<std::string> filters_;
    RetainedReadDone done_;
    RetainedReadOptions options_;
    asio::steady_timer quiet_;
    asio::steady_timer limit_;
    std::unique_ptr<::mqtt::async_client> client_;
    std::set<std::string> topics_;
    Stage stage_ = Stage::Idle;
};

}  // namespace

std::function<void()> read_retained(asio::io_context& io, const config::MqttConfig& config, std::vector<std::string> filters,
                                    RetainedReadDone done, RetainedReadOptions options) {
    auto reader = std::make_shared<Reader>(io, config, std::move(filters), std::move(done), options);
    reader->start();
    return [weak = std::weak_ptr<Reader>(reader)] {
        if (auto r = weak.lock()) r->cancel();
    };
}

}  // namespace mqtt
