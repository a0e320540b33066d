#pragma once
// [log] mqtt: warnings and errors mirrored to <base>/bridge/log (not retained), for dashboards
// and alerting that watch MQTT rather than the journal. An spdlog sink on the I/O edge: records
// may come from any thread, so each is posted into the bridge's io_context, and at most
// kPerSecond records a second are mirrored (a broker in trouble must not make the bridge flood
// it with its own complaints); the log itself keeps every line.
#include <utility>  // before Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <string>

namespace spdlog::sinks {
class sink;
}

namespace mqtt {

using LogPublisher = std::function<void(const std::string& level, const std::string& message, const std::string& time)>;

// Adds the mirror to the default logger; the returned handle removes it when destroyed.
class LogMirror {
public:
    static constexpr int kPerSecond = 20;
    LogMirror(boost::asio::io_context& io, LogPublisher publish);
    ~LogMirror();
    LogMirror(const LogMirror&) = delete;
    LogMirror& operator=(const LogMirror&) = delete;

private:
    std::shared_ptr<spdlog::sinks::sink> sink_;
};

}  // namespace mqtt
