#include "mqtt/paho_options.hpp"

namespace mqtt {

::mqtt::connect_options_builder connect_options_for(const config::MqttConfig& config) {
    ::mqtt::connect_options_builder builder;
    if (config.version == 5) builder.mqtt_version(MQTTVERSION_5).clean_start(true);
    else builder.mqtt_version(MQTTVERSION_3_1_1).clean_session(true);
    builder.keep_alive_interval(config.keepalive);
    builder.connect_timeout(kConnectTimeout);
    builder.automatic_reconnect(false);
    if (!config.username.empty()) builder.user_name(config.username);
    if (!config.password.empty()) builder.password(config.password.reveal());
    if (config.uses_tls()) {
        ::mqtt::ssl_options ssl;
        if (!config.ca_file.empty()) ssl.set_trust_store(config.ca_file);
        if (!config.cert_file.empty()) ssl.set_key_store(config.cert_file);
        if (!config.key_file.empty()) ssl.set_private_key(config.key_file);
        if (!config.key_password.empty()) ssl.set_private_key_password(config.key_password.reveal());
        ssl.set_enable_server_cert_auth(true);
        ssl.set_verify(config.tls_verify_hostname);
        // No ssl.set_error_handler(): Paho C++ 1.2 registers the ssl_options object itself as the
        // OpenSSL callback context, and connect_options keeps a copy, so the first TLS error calls
        // through a dangling pointer (SIGSEGV in ssl_options::on_error, seen with a wrong CA).
        // A failed handshake is reported by the connect watchdog instead.
        builder.ssl(std::move(ssl));
    }
    return builder;
}

}  // namespace mqtt
