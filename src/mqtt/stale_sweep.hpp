#pragma once
// The sweep of stale retained topics (see stale_topics.hpp), as the daemon runs it: once the tree
// is complete, read the broker's retained topics under the bridge's collections with a second,
// short connection (retained_reader.hpp) and hand them to `clear`; a failed read is tried again
// after a pause, `attempts` times at most. An I/O edge: it lives on the bridge's io_context.
#include <utility>  // before Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mqtt {

class StaleSweep {
public:
    using Clear = std::function<void(const std::vector<std::string>& retained_topics)>;
    StaleSweep(boost::asio::io_context& io, Clear clear, int attempts = 3,
               std::chrono::milliseconds pause = std::chrono::seconds(2));
    ~StaleSweep();
    StaleSweep(const StaleSweep&) = delete;
    StaleSweep& operator=(const StaleSweep&) = delete;

    // Starts a sweep with these settings and filters; one still running is abandoned first.
    void start(const config::MqttConfig& config, std::vector<std::string> filters);
    // Abandons the sweep in progress (read or pause): its client is destroyed at once, `clear`
    // is not called. Call before the io_context goes away.
    void cancel();

private:
    void attempt(int number);

    boost::asio::io_context& io_;
    Clear clear_;
    int attempts_;
    std::chrono::milliseconds pause_;
    boost::asio::steady_timer timer_;
    config::MqttConfig config_;
    std::vector<std::string> filters_;
    std::vector<std::function<void()>> cancel_reads_;  // of this sweep's reads (at most `attempts`)
};

}  // namespace mqtt
