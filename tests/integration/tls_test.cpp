// The bridge against a broker that requires TLS (certificates made at test time with openssl)
// or a password: it connects with the right CA, client certificate and credentials, and fails
// with a clear, logged reason (never the secret) when they are wrong.
#include <gtest/gtest.h>

#include <cstdlib>

#include "harness.hpp"

namespace tls_test {  // named: the unity build compiles several test files as one

using namespace harness;

constexpr auto kWait = 10s;


// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by that CA; and a
// second, unrelated CA. EC keys: fast to make.
struct Certificates {
    std::filesystem::path dir = test_output_dir() / "pki";
    std::string path(const std::string& name) const { return (dir / name).string(); }
    Certificates() {
        std::filesystem::create_directories(dir);
        const std::string d = dir.string();
        const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        for (const char* ca : {"ca", "other-ca"})
            sh("openssl req -x509 " + ec + " -keyout " + d + "/" + ca + ".key -out " + d + "/" + ca +
               ".crt -days 2 -subj /CN=pbx2mqtt-test-" + ca);
        sh("openssl req " + ec + " -keyout " + d + "/server.key -out " + d + "/server.csr -subj /CN=127.0.0.1");
        sh("printf 'subjectAltName=IP:127.0.0.1\\n' > " + d + "/server.ext");
        sh("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d + "/ca.key -CAcreateserial -out " +
           d + "/server.crt -days 2 -extfile " + d + "/server.ext");
        sh("openssl req " + ec + " -keyout " + d + "/client.key -out " + d + "/client.csr -subj /CN=pbx2mqtt");
        sh("openssl x509 -req -in " + d + "/client.csr -CA " + d + "/ca.crt -CAkey " + d + "/ca.key -CAcreateserial -out " +
           d + "/client.crt -days 2");
        // mosquitto may run as another user: let it read everything here (test material only).
        sh("chmod 0755 " + d + " && chmod 0644 " + d + "/*");
    }
};

// A broker with its normal anonymous listener (for the probe) and a TLS listener that requires a
// client certificate signed by the CA.
struct TlsBroker {
    Certificates pki;
    std::uint16_t tls_port = free_tcp_port();
    Mosquitto broker;
    TlsBroker()
        : broker(MosquittoOptions{"per_listener_settings true",
                                  "listener " + std::to_string(tls_port) + " 127.0.0.1\nallow_anonymous true\n" +
                                      "cafile " + pki.path("ca.crt") + "\ncertfile " + pki.path("server.crt") +
                                      "\nkeyfile " + pki.path("server.key") + "\nrequire_certificate true\n"}) {
        if (!wait_for_port(tls_port, kWait)) throw std::runtime_error("TLS listener not open:\n" + broker.log());
    }
    std::string tls_uri() const { return "ssl://127.0.0.1:" + std::to_string(tls_port); }
};

TEST(Tls, BridgeConnectsWithTheCaAndAClientCertificate) {
    TlsBroker b;
    Simulator sim;
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = b.tls_uri();
    c.set("mqtt", "ca_file", toml_string(b.pki.path("ca.crt")));
    c.set("mqtt", "cert_file", toml_string(b.pki.path("client.crt")));
    c.set("mqtt", "key_file", toml_string(b.pki.path("client.key")));
    Bridge bridge(c);
    MqttProbe probe;
    probe.connect(b.broker.uri());
    probe.subscribe("pbx/#");
    EXPECT_EQ(probe.wait_for_value("pbx/bridge/state", "online", kWait), "online") << bridge.log();
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2002/status", "online", kWait), "online");
}

TEST(Tls, AWrongCaFailsWithAClearErrorAndIsRetried) {
    TlsBroker b;
    Simulator sim;
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = b.tls_uri();
    c.set("mqtt", "ca_file", toml_string(b.pki.path("other-ca.crt")));
    c.set("mqtt", "cert_file", toml_string(b.pki.path("client.crt")));
    c.set("mqtt", "key_file", toml_string(b.pki.path("client.key")));
    Bridge bridge(c);
    ASSERT_TRUE(bridge.process().wait_for_log("TLS handshake failed? check [mqtt] ca_file", 15s)) << bridge.log();
    EXPECT_TRUE(bridge.process().wait_for_log("MQTT: reconnecting in", kWait)) << bridge.log();
    // The broker saw why: the bridge rejected its certificate.
    EXPECT_NE(b.broker.log().find("unknown ca"), std::string::npos) << b.broker.log();
    EXPECT_TRUE(bridge.process().running());
    MqttProbe probe;
    probe.connect(b.broker.uri());
    probe.subscribe("pbx/bridge/state");
    EXPECT_FALSE(probe.wait_for([](const Snapshot& s) { return s.value("pbx/bridge/state") == "online"; }, 1s));
}

TEST(Tls, TlsOptionsWithAPlainUriAreAConfigError) {
    Certificates pki;
    BridgeConfig c;
    c.mqtt_uri = "tcp://127.0.0.1:1883";
    c.ami_port = 5038;
    c.set("mqtt", "ca_file", toml_string(pki.path("ca.crt")));
    Bridge bridge(c, {"--check-config"});
    int status = 0;
    ASSERT_TRUE(bridge.process().wait_exit(kWait, &status));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
    EXPECT_NE(bridge.log().find("'mqtt.ca_file' needs a TLS uri"), std::string::npos) << bridge.log();
}

TEST(BrokerAuth, PasswordFileAcceptsTheRightPasswordAndRefusesAWrongOneWithoutLoggingIt) {
    const auto dir = test_output_dir();
    const std::string passwd = (dir / "mosquitto.passwd").string();
    sh("rm -f " + passwd + " && mosquitto_passwd -b -c " + passwd + " bridgeuser 's3cret-Pa55' && chmod 0644 " + passwd);
    const std::uint16_t auth_port = free_tcp_port();
    Mosquitto broker(MosquittoOptions{"per_listener_settings true", "listener " + std::to_string(auth_port) +
                                                                        " 127.0.0.1\nallow_anonymous false\npassword_file " + passwd + "\n"});
    ASSERT_TRUE(wait_for_port(auth_port, kWait));
    Simulator sim;
    MqttProbe probe;
    probe.connect(broker.uri());
    probe.subscribe("pbx/bridge/state");
    {
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = "tcp://127.0.0.1:" + std::to_string(auth_port);
        c.set("mqtt", "username", "\"bridgeuser\"");
        c.set("mqtt", "password", "\"wrong-Pa55word\"");
        Bridge bridge(c);
        ASSERT_TRUE(bridge.process().wait_for_log("not authorized", kWait)) << bridge.log();
        EXPECT_EQ(bridge.log().find("wrong-Pa55word"), std::string::npos);
        EXPECT_TRUE(bridge.process().running());
    }
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = "tcp://127.0.0.1:" + std::to_string(auth_port);
    c.set("mqtt", "username", "\"bridgeuser\"");
    c.set("mqtt", "password", "\"s3cret-Pa55\"");
    Bridge bridge(c);
    EXPECT_EQ(probe.wait_for_value("pbx/bridge/state", "online", kWait), "online") << bridge.log();
    EXPECT_EQ(bridge.log().find("s3cret-Pa55"), std::string::npos);
}

}  // namespace
