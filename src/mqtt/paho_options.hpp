#pragma once
// Paho connect options from [mqtt]: protocol version, keepalive, credentials, TLS. Shared by the
// bridge's client and the short-lived retained reader, so both authenticate the same way.
#include <chrono>

#include <mqtt/connect_options.h>

#include "config/config.hpp"

namespace mqtt {

inline constexpr std::chrono::seconds kConnectTimeout{5};

// Without a will and with a clean start; the caller adds what it needs.
::mqtt::connect_options_builder connect_options_for(const config::MqttConfig& config);

}  // namespace mqtt
