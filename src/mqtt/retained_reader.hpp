#pragma once
// Reads which retained topics the broker holds under some filters, with a short-lived second
// MQTT connection of its own (client id "<client_id>-sweep"). A separate connection keeps the
// bridge's own session free of subscriptions that overlap its command topics (a broker delivers
// a message once per matching subscription: a command could run twice).
//
// The broker sends a subscription's retained messages right after its SUBACK; the read ends when
// none has arrived for `quiet` after the SUBACK, or after `limit` at most.
#include <utility>  // before Asio (Boost 1.74 + C++20)

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mqtt {

struct RetainedReadOptions {
    std::chrono::milliseconds quiet{1000};
    std::chrono::milliseconds limit{10000};
};

// `done` runs on the io_context: the topics with a non-empty retained payload, or nullopt and
// why the read failed. Nothing is published.
using RetainedReadDone = std::function<void(std::optional<std::vector<std::string>> topics, std::string error)>;
// Returns a cancel function: call it (on the io_context's thread) before the io_context goes
// away; it destroys the Paho client at once, so none of its threads calls back later. `done` is
// then never called.
std::function<void()> read_retained(boost::asio::io_context& io, const config::MqttConfig& config, std::vector<std::string> filters,
                   RetainedReadDone done, RetainedReadOptions options = {});

}  // namespace mqtt
