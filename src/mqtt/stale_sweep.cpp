#include "mqtt/stale_sweep.hpp"

#include <spdlog/spdlog.h>

#include "mqtt/retained_reader.hpp"

namespace mqtt {

StaleSweep::StaleSweep(boost::asio::io_context& io, Clear clear, int attempts, std::chrono::milliseconds pause)
    : io_(io), clear_(std::move(clear)), attempts_(attempts), pause_(pause), timer_(io) {}

StaleSweep::~StaleSweep() { cancel(); }

void StaleSweep::start(const config::MqttConfig& config, std::vector<std::string> filters) {
    cancel();
    config_ = config;
    filters_ = std::move(filters);
    attempt(1);
}

void StaleSweep::cancel() {
    timer_.cancel();
    for (auto& cancel_read : std::exchange(cancel_reads_, {})) cancel_read();
}

void StaleSweep::attempt(int number) {
    // A finished read still winds its connection down for a while: each stays cancellable.
    cancel_reads_.push_back(read_retained(io_, config_, filters_, [this, number](std::optional<std::vector<std::string>> topics,
                                                                               const std::string& error) {
        if (topics) {
            clear_(*topics);
            return;
        }
        spdlog::warn("MQTT: could not read the broker's retained topics to clear stale ones (attempt {} of {}): {}", number,
                     attempts_, error);
        if (number >= attempts_) return;
        timer_.expires_after(pause_);
        timer_.async_wait([this, number](boost::system::error_code ec) {
            if (!ec) attempt(number + 1);
        });
    }));
}

}  // namespace mqtt
