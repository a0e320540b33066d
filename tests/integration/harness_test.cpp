// Tests of the harness itself: if these fail, no integration test result can be trusted.
#include "harness.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "config/config.hpp"

namespace harness_test {  // named: the unity build compiles several test files as one

using namespace std::chrono_literals;
using harness::Message;
using harness::Snapshot;

TEST(HarnessPorts, FreePortIsClosedUntilSomeoneListens) {
    const std::uint16_t port = harness::free_tcp_port();
    ASSERT_NE(port, 0);
    EXPECT_FALSE(harness::wait_for_port(port, 100ms));

    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    ASSERT_EQ(::listen(listener, 4), 0);
    EXPECT_TRUE(harness::wait_for_port(port, 1s));
    ::close(listener);
}

TEST(HarnessProcess, CapturesOutputAndReportsExitStatus) {
    harness::Process process({"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; echo \"$HARNESS_VAR\"; exit 3"},
                             {{"HARNESS_VAR", "from-extra-env"}}, "shell");
    int status = -1;
    ASSERT_TRUE(process.wait_exit(5s, &status));
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
    EXPECT_EQ(process.exit_status(), status);
    EXPECT_FALSE(process.running());
    EXPECT_EQ(process.log(), "to-stdout\nto-stderr\nfrom-extra-env\n");
    EXPECT_EQ(process.log_path(), harness::test_output_dir() / "shell.log");
}

TEST(HarnessProcess, LogNamesAreUniqueWithinATest) {
    harness::Process first({"/bin/echo", "one"});
    harness::Process second({"/bin/echo", "two"});
    ASSERT_TRUE(first.wait_exit(5s));
    ASSERT_TRUE(second.wait_exit(5s));
    EXPECT_NE(first.log_path(), second.log_path());
    EXPECT_EQ(first.log(), "one\n");
    EXPECT_EQ(second.log(), "two\n");
}

TEST(HarnessProcess, StopSendsSigtermAndReaps) {
    harness::Process process({"sleep", "60"});
    const pid_t pid = process.pid();
    EXPECT_TRUE(process.running());
    EXPECT_FALSE(process.wait_exit(50ms));
    const int status = process.stop(5s);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
    EXPECT_FALSE(process.running());
    EXPECT_FALSE(process.signal(SIGTERM));
    // Reaped: not even a zombie is left under that pid.
    EXPECT_EQ(::kill(pid, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}

TEST(HarnessProcess, StopFallsBackToSigkill) {
    // The ignored SIGTERM survives the exec, so only SIGKILL ends sleep.
    harness::Process process({"/bin/sh", "-c", "trap '' TERM; echo ready; exec sleep 60"});
    ASSERT_TRUE(process.wait_for_log("ready", 5s));
    const int status = process.stop(300ms);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(HarnessProcess, MissingProgramThrows) {
    EXPECT_THROW(harness::Process({"/nonexistent/program"}), std::runtime_error);
}

TEST(HarnessMosquitto, RetainedMessageFromOneProbeReachesAnotherAsRetained) {
    harness::Mosquitto broker;
    ASSERT_NE(broker.port(), 0);
    EXPECT_EQ(broker.uri(), "tcp://127.0.0.1:" + std::to_string(broker.port()));
    EXPECT_TRUE(broker.running());

    harness::MqttProbe publisher;
    publisher.connect(broker.uri());
    publisher.publish("harness/state", "online", /*retain=*/true);

    harness::MqttProbe observer;  // a second Paho client: connects slowly (STACK.md trap 6)
    observer.connect(broker.uri());
    EXPECT_NE(observer.client_id(), publisher.client_id());
    observer.subscribe("harness/#");
    EXPECT_EQ(observer.wait_for_value("harness/state", "online", 5s), "online");

    publisher.publish("harness/event", "ring", /*retain=*/false);
    ASSERT_TRUE(observer.wait_for([](const Snapshot& s) { return s.count("harness/event") == 1; }, 5s));

    const Snapshot seen = observer.snapshot();
    ASSERT_EQ(seen.messages.size(), 2u);
    EXPECT_EQ(seen.messages[0].topic, "harness/state");
    EXPECT_TRUE(seen.messages[0].retained);
    EXPECT_EQ(seen.messages[1].topic, "harness/event");
    EXPECT_EQ(seen.messages[1].payload, "ring");
    EXPECT_FALSE(seen.messages[1].retained);
    EXPECT_LE(seen.messages[0].arrival, seen.messages[1].arrival);
    EXPECT_EQ(observer.retained_tree("harness"), (std::map<std::string, std::string>{{"harness/state", "online"}}));
}

TEST(HarnessMosquitto, RetainedTreeDropsClearedTopics) {
    harness::Mosquitto broker;
    harness::MqttProbe probe;
    probe.connect(broker.uri());
    probe.subscribe("tree/#");
    probe.subscribe("tree2/#");

    probe.publish("tree/a", "1", true);
    probe.publish("tree/b", "2", true);
    probe.publish("tree/b/c", "3", true);
    probe.publish("tree2/x", "9", true);
    ASSERT_TRUE(probe.wait_for([](const Snapshot& s) { return s.retained.size() == 4; }, 5s));
    EXPECT_EQ(probe.retained_tree("tree"),
              (std::map<std::string, std::string>{{"tree/a", "1"}, {"tree/b", "2"}, {"tree/b/c", "3"}}));
    EXPECT_EQ(probe.retained_tree("tree/b/"), (std::map<std::string, std::string>{{"tree/b/c", "3"}}));
    EXPECT_EQ(probe.retained_tree("").size(), 4u);

    // A live retained publish keeps its retain flag (retain-as-published) and updates the tree;
    // a non-retained one changes the latest value but not the tree.
    probe.publish("tree/a", "1bis", true);
    probe.publish("tree/a", "live", false);
    EXPECT_EQ(probe.wait_for_value("tree/a", "live", 5s), "live");
    EXPECT_EQ(probe.retained_tree("tree").at("tree/a"), "1bis");

    probe.publish("tree/b", "", true);  // clears the retained value
    ASSERT_TRUE(probe.wait_for([](const Snapshot& s) { return !s.retained.count("tree/b"); }, 5s));
    const std::map<std::string, std::string> expected{{"tree/a", "1bis"}, {"tree/b/c", "3"}};
    EXPECT_EQ(probe.retained_tree("tree"), expected);

    // The broker agrees: subscribing again replays only what is still retained.
    probe.clear();
    EXPECT_TRUE(probe.retained_tree("").empty());
    probe.subscribe("tree/#");
    EXPECT_TRUE(probe.wait_for([](const Snapshot& s) { return s.retained.size() == 2; }, 5s));
    EXPECT_EQ(probe.retained_tree("tree"), expected);
}

TEST(HarnessMosquitto, WaitForValueReportsTheLastValueOnTimeout) {
    harness::Mosquitto broker;
    harness::MqttProbe probe;
    probe.connect(broker.uri());
    probe.subscribe("t/#");
    EXPECT_EQ(probe.wait_for_value("t/x", "b", 100ms), std::nullopt);
    probe.publish("t/x", "a", false);
    EXPECT_EQ(probe.wait_for_value("t/x", "b", 300ms), "a");
    EXPECT_FALSE(probe.wait_for([](const Snapshot& s) { return s.count("t/x") > 1; }, 100ms));
}

TEST(HarnessMosquitto, RestartKeepsThePort) {
    harness::Mosquitto broker;
    const std::uint16_t port = broker.port();
    harness::MqttProbe probe;
    probe.connect(broker.uri());
    probe.subscribe("restart/#");

    broker.stop();
    EXPECT_FALSE(broker.running());
    EXPECT_FALSE(harness::wait_for_port(port, 200ms));
    EXPECT_TRUE(harness::eventually([&] { return !probe.connected(); }, 5s));

    broker.start();
    EXPECT_TRUE(broker.running());
    EXPECT_EQ(broker.port(), port);
    EXPECT_TRUE(harness::wait_for_port(port, 1s));

    probe.reconnect();
    EXPECT_TRUE(probe.connected());
    probe.publish("restart/after", "yes", false);  // the subscription was repeated
    EXPECT_EQ(probe.wait_for_value("restart/after", "yes", 5s), "yes");

    broker.restart();
    EXPECT_EQ(broker.port(), port);
    EXPECT_TRUE(harness::wait_for_port(port, 1s));
    EXPECT_NE(broker.log().find("mosquitto version"), std::string::npos) << broker.log();
}

TEST(HarnessBridgeConfig, RendersValidTomlWithOverrides) {
    harness::BridgeConfig config;
    config.ami_port = 5038;
    config.mqtt_uri = "tcp://127.0.0.1:1883";
    config.ami_password = "pa\"ss\\word";
    config.trunks = {"trunk1", "trunk2"};
    config.set("ami", "action_timeout", "2000").set("mqtt", "qos", "1").set("extra", "flag", "true");
    config.unset("ami", "reconnect");

    toml::table table;
    try {
        table = toml::parse(config.render());
    } catch (const toml::parse_error& e) {
        FAIL() << e.what() << "\n" << config.render();
    }
    EXPECT_EQ(table["ami"]["host"].value<std::string>(), "127.0.0.1");
    EXPECT_EQ(table["ami"]["port"].value<std::int64_t>(), 5038);
    EXPECT_EQ(table["ami"]["password"].value<std::string>(), "pa\"ss\\word");
    EXPECT_EQ(table["ami"]["reconnect_after"].value<std::int64_t>(), 200);
    EXPECT_EQ(table["ami"]["reconnect_max"].value<std::int64_t>(), 1000);
    EXPECT_FALSE(table["ami"]["reconnect"]);
    EXPECT_EQ(table["ami"]["action_timeout"].value<std::int64_t>(), 2000);
    EXPECT_EQ(table["mqtt"]["uri"].value<std::string>(), "tcp://127.0.0.1:1883");
    EXPECT_EQ(table["mqtt"]["base_topic"].value<std::string>(), "pbx");
    EXPECT_EQ(table["mqtt"]["qos"].value<std::int64_t>(), 1);
    EXPECT_FALSE(table["mqtt"]["client_id"].value<std::string>().value_or("").empty());
    EXPECT_EQ(table["pbx"]["trunks"][1].value<std::string>(), "trunk2");
    EXPECT_EQ(table["log"]["level"].value<std::string>(), "debug");
    EXPECT_EQ(table["extra"]["flag"].value<bool>(), true);
}

// The harness must write what the bridge accepts: checked with the bridge's own config loader.
TEST(HarnessBridgeConfig, DefaultsPassTheBridgeConfigLoader) {
    harness::BridgeConfig config;
    config.ami_port = 5038;
    config.mqtt_uri = "tcp://127.0.0.1:1883";
    const auto no_environment = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    const config::LoadResult result = config::parse_string(config.render(), "harness.toml", no_environment);
    std::string errors;
    for (const auto& error : result.errors) errors += error.to_string() + "\n";
    EXPECT_TRUE(result.ok()) << errors << config.render();
}

}  // namespace
