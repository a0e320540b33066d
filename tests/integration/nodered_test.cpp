// examples/node-red/flows.json in a real Node-RED (npm node-red, installed into build-node/ by
// scripts/node-deps.sh), headless on loopback, with a real mosquitto, the simulator and the
// bridge: the flow's extension lamps follow a status change in the PBX, and its "call" button
// (pressed through Node-RED's admin API, as the editor does) places the call: the Originate
// reaches the simulator and the bridge's reply reaches the flow's topic.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "harness.hpp"

namespace nodered_test {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr auto kWait = 10s;

// POST with an empty body to 127.0.0.1:port; the HTTP status code (0 when no answer).
int http_post(std::uint16_t port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int code = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        const std::string request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
            char buf[256] = {};
            const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
            if (n > 12 && std::string_view(buf, 5) == "HTTP/") code = std::atoi(buf + 9);
        }
    }
    ::close(fd);
    return code;
}

TEST(NodeRed, TheExampleFlowShowsLampsAndItsButtonPlacesACall) {
    const fs::path red = node_dir() / "node_modules/node-red/red.js";
    if (!fs::exists(red)) GTEST_SKIP() << "Node-RED is not installed (" << red << "): run scripts/node-deps.sh";
    if (std::system("node --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no 'node' in PATH: run scripts/node-deps.sh";

    Mosquitto broker;
    Simulator sim;
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = broker.uri();
    Bridge bridge(c);
    MqttProbe probe;
    probe.connect(broker.uri());
    probe.subscribe("nodered/#");
    probe.subscribe("pbx/cmd/call/result");
    ASSERT_TRUE(bridge.process().wait_for_log("PBX snapshot:", kWait)) << bridge.log();

    // Node-RED's user directory: the example flow and settings as they are in the repository.
    const fs::path user_dir = test_output_dir() / "node-red";
    fs::create_directories(user_dir);
    const fs::path examples = fs::path(PBX2MQTT_SOURCE_DIR) / "examples/node-red";
    fs::copy_file(examples / "flows.json", user_dir / "flows.json", fs::copy_options::overwrite_existing);
    const std::uint16_t ui_port = free_tcp_port();
    Process node_red({"node", red.string(), "--settings", (examples / "settings.js").string(), "--userDir", user_dir.string()},
                     {{"MQTT_HOST", "127.0.0.1"}, {"MQTT_PORT", std::to_string(broker.port())},
                      {"NODE_RED_PORT", std::to_string(ui_port)}, {"NODE_RED_HOST", "127.0.0.1"}},
                     "node-red");

    // The lamps: from the retained status topics at start, then live.
    ASSERT_EQ(probe.wait_for_value("nodered/lamps/2003", "green", 60s), "green") << node_red.log();
    EXPECT_EQ(probe.wait_for_value("nodered/lamps/2001", "green", kWait), "green");
    ASSERT_EQ(sim.control("unregister 2003"), "OK");
    EXPECT_EQ(probe.wait_for_value("nodered/lamps/2003", "grey", kWait), "grey") << node_red.log();
    ASSERT_EQ(sim.control("dnd 2004 on"), "OK");
    EXPECT_EQ(probe.wait_for_value("nodered/lamps/2004", "red", kWait), "red");
    // The queue counters.
    EXPECT_TRUE(probe.wait_for([](const Snapshot& s) { return s.value("nodered/queues/401").has_value(); }, kWait));
    const json counters = json::parse(probe.snapshot().value("nodered/queues/401").value_or("{}"));
    EXPECT_TRUE(counters.contains("waiting") && counters.contains("available")) << counters.dump();

    // The button: Node-RED's admin API presses it like the editor does.
    ASSERT_TRUE(wait_for_port(ui_port, kWait));
    EXPECT_EQ(http_post(ui_port, "/inject/pbx2mqtt_call_button"), 200) << node_red.log();
    ASSERT_TRUE(probe.wait_for([](const Snapshot& s) { return s.value("pbx/cmd/call/result").has_value(); }, kWait))
        << node_red.log() << bridge.log();
    const json reply = json::parse(*probe.snapshot().value("pbx/cmd/call/result"));
    EXPECT_EQ(reply["status"], "ok") << reply.dump();
    EXPECT_EQ(reply["transaction"], "node-red");
    const std::string originate = sim.control("last-action Originate");
    EXPECT_EQ(originate.rfind("OK ", 0), 0u) << originate;
    // The simulator shows the action's bytes URL-encoded: "Channel: SIP/2001", "Exten: 2002".
    EXPECT_NE(originate.find("Channel%3A%20SIP%2F2001%0D%0A"), std::string::npos) << originate;
    EXPECT_NE(originate.find("Exten%3A%202002%0D%0A"), std::string::npos) << originate;
    node_red.stop();
}

}  // namespace nodered_test
