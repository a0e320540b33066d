// Broker faults: the broker restarts (retained messages gone), or stops reading while the PBX
// keeps talking. The truth to compare with is a fresh second bridge (another base topic) started
// afterwards on the same simulator and broker: its retained tree is what a full snapshot gives.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include <csignal>
#include <dirent.h>

#include <fstream>
#include <thread>
#include <sstream>

#include "harness.hpp"
#include "oracle.hpp"

namespace faults_broker_test {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;

constexpr auto kWait = 10s;

// VmRSS of a process in KiB (0 when unreadable).
long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return 0;
}

// The pid of the mosquitto started with this config file (our own child: the harness keeps the
// pid private, the config path is unique to the test).
pid_t pid_with_argument(const std::string& argument) {
    DIR* dir = opendir("/proc");
    if (!dir) return -1;
    pid_t found = -1;
    while (dirent* entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in("/proc/" + name + "/cmdline", std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        std::string cmdline = text.str();
        std::size_t start = 0;
        for (std::size_t i = 0; i <= cmdline.size(); ++i)
            if (i == cmdline.size() || cmdline[i] == '\0') {
                if (cmdline.compare(start, i - start, argument) == 0 && i > start) found = std::stoi(name);
                start = i + 1;
            }
        if (found > 0) break;
    }
    closedir(dir);
    return found;
}

// Bytes on their way from the simulator's AMI port to its clients, in the kernel: unsent or
// unacknowledged at the simulator (tx_queue of the sockets on `port`) plus received and not read
// yet by the clients (rx_queue of the sockets whose peer is `port`). /proc/net/tcp, loopback IPv4.
std::uint64_t ami_bytes_in_kernel(std::uint16_t port) {
    std::ifstream in("/proc/net/tcp");
    std::string line;
    std::getline(in, line);  // header
    std::uint64_t total = 0;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues;
        fields >> slot >> local >> remote >> state >> queues;
        if (state != "01" || queues.find(':') == std::string::npos) continue;  // established only
        const auto port_of = [](const std::string& address) {
            return static_cast<std::uint16_t>(std::stoul(address.substr(address.find(':') + 1), nullptr, 16));
        };
        const std::uint64_t tx = std::stoull(queues.substr(0, queues.find(':')), nullptr, 16);
        const std::uint64_t rx = std::stoull(queues.substr(queues.find(':') + 1), nullptr, 16);
        if (port_of(local) == port) total += tx;
        if (port_of(remote) == port) total += rx;
    }
    return total;
}

// SIGSTOP now, SIGCONT when it goes out of scope (also when an assertion returns early).
class Frozen {
public:
    explicit Frozen(pid_t pid) : pid_(pid) { ::kill(pid_, SIGSTOP); }
    ~Frozen() { thaw(); }
    Frozen(const Frozen&) = delete;
    Frozen& operator=(const Frozen&) = delete;
    void thaw() {
        if (pid_ > 0) ::kill(pid_, SIGCONT);
        pid_ = -1;
    }

private:
    pid_t pid_;
};

struct Stack {
    Mosquitto broker;
    Simulator sim;
    std::unique_ptr<Bridge> bridge;
    MqttProbe probe;

    explicit Stack(SimulatorOptions sim_options = {}) : sim(std::move(sim_options)) {
        // Under AddressSanitizer freed memory waits in a quarantine (256 MB by default) before
        // reuse, which reads as RSS growth in a storm: keep it small, so that what RSS shows is
        // the bridge's own memory. (Ignored by builds without ASan.)
        const char* asan = std::getenv("ASAN_OPTIONS");
        const std::string options = std::string(asan ? asan : "") + (asan && *asan ? ":" : "") +
                                    "quarantine_size_mb=4:thread_local_quarantine_size_kb=64";
        bridge = std::make_unique<Bridge>(config("pbx"), std::vector<std::string>{},
                                          std::map<std::string, std::string>{{"ASAN_OPTIONS", options}});
    }
    BridgeConfig config(const std::string& base) {
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = broker.uri();
        c.base_topic = base;
        c.log_level = "info";  // a storm at debug level is mostly logging
        return c;
    }
    // Waits until pbx/* (bridge/* aside) equals the tree of a fresh bridge started now; returns
    // the difference left.
    std::string compare_with_fresh_bridge(std::chrono::milliseconds timeout, const std::set<std::string>& ignore = {}) {
        return harness::compare_with_fresh_bridge(probe, config("pbx"), timeout, "pbx", "truth", ignore);
    }
};

TEST(BrokerFaults, RestartedBrokerGetsTheFullTreeAndCommandsWorkAgain) {
    Stack s;
    ASSERT_TRUE(s.bridge->process().wait_for_log("PBX snapshot:", kWait)) << s.bridge->log();
    s.probe.connect(s.broker.uri());
    s.probe.subscribe("pbx/#");
    ASSERT_EQ(s.probe.wait_for_value("pbx/extensions/2003/status", "online", kWait), "online");

    // The broker goes away without persistence; the PBX changes meanwhile.
    s.broker.stop();
    ASSERT_TRUE(s.bridge->process().wait_for_log("MQTT: connection lost", kWait)) << s.bridge->log();
    EXPECT_EQ(s.sim.control("unregister 2003"), "OK");
    EXPECT_EQ(s.sim.control("register 2005 127.0.0.1 5990"), "OK");
    EXPECT_EQ(s.sim.control("dnd 2004 on"), "OK");
    const std::string call = s.sim.control("call 2001 2002");
    ASSERT_EQ(call.substr(0, 3), "OK ") << call;
    EXPECT_EQ(s.sim.control("answer " + call.substr(3)), "OK");
    EXPECT_EQ(s.sim.control("hangup " + call.substr(3)), "OK");
    EXPECT_EQ(s.sim.control("voicemail 1234 3 1"), "OK");

    s.broker.start();
    s.probe.clear();
    s.probe.reconnect();  // a fresh session: only what the broker holds now
    EXPECT_EQ(s.probe.wait_for_value("pbx/bridge/state", "online", 20s), "online") << s.bridge->log();
    EXPECT_EQ(s.probe.wait_for_value("pbx/extensions/2003/status", "offline", kWait), "offline");
    EXPECT_EQ(s.probe.wait_for_value("pbx/extensions/2005/status", "online", kWait), "online");
    EXPECT_EQ(s.probe.wait_for_value("pbx/extensions/2004/status", "dnd", kWait), "dnd");

    const std::string difference = s.compare_with_fresh_bridge(15s);
    EXPECT_TRUE(difference.empty()) << difference;

    // Command topics were subscribed again: a request gets its reply.
    s.probe.publish("pbx/cmd/health_check", R"({"transaction":"after-restart"})");
    ASSERT_TRUE(s.probe.wait_for([](const Snapshot& snap) { return snap.value("pbx/cmd/health_check/result").has_value(); },
                                 kWait))
        << s.bridge->log();
    const auto reply = json::parse(*s.probe.snapshot().value("pbx/cmd/health_check/result"));
    EXPECT_EQ(reply["status"], "ok") << reply.dump();
    EXPECT_EQ(reply["transaction"], "after-restart");
    EXPECT_EQ(reply["data"]["mqtt"]["connected"], true);
    EXPECT_EQ(reply["data"]["ami"]["connected"], true);

    // And live changes flow again.
    EXPECT_EQ(s.sim.control("register 2003"), "OK");
    EXPECT_EQ(s.probe.wait_for_value("pbx/extensions/2003/status", "online", kWait), "online");
}

TEST(BrokerFaults, StuckBrokerDoesNotStopAmiNorGrowMemoryAndTheTreeCatchesUp) {
    Stack s;
    ASSERT_TRUE(s.bridge->process().wait_for_log("PBX snapshot:", kWait)) << s.bridge->log();
    s.probe.connect(s.broker.uri());
    s.probe.subscribe("pbx/#");
    ASSERT_EQ(s.probe.wait_for_value("pbx/extensions/2001/status", "online", kWait), "online");
    const pid_t bridge_pid = s.bridge->process().pid();
    const long rss_before = rss_kib(bridge_pid);
    ASSERT_GT(rss_before, 0);

    const pid_t broker_pid = pid_with_argument(s.broker.config_path().string());
    ASSERT_GT(broker_pid, 0);
    // As many events as the bridge reads in kStorm (a Debug bridge reads 4,000-9,000 device
    // state changes per second on a loaded 2-core machine). A bridge that stopped reading would
    // stall the storm after ~2,000 events: the simulator sends a batch only while less than
    // 256 KiB is queued for every client.
    constexpr auto kStorm = 8s;
#if defined(__SANITIZE_ADDRESS__)
    constexpr std::uint64_t kMinEvents = 5000;
#else
    constexpr std::uint64_t kMinEvents = 20000;
#endif
    long rss_max = rss_before;
    std::size_t backlog_max = 0;
    {
        Frozen frozen(broker_pid);  // keeps its TCP connections, reads nothing
        ASSERT_EQ(s.sim.control("storm 1000000 0 devstate"), "OK storm 1000000");
        std::string status;
        eventually([&] {
            status = s.sim.control("storm-status");
            const std::string backlog = s.sim.control("backlog");
            if (backlog.rfind("OK ", 0) == 0) backlog_max = std::max<std::size_t>(backlog_max, std::stoull(backlog.substr(3)));
            rss_max = std::max(rss_max, rss_kib(bridge_pid));
            return status.rfind("OK done", 0) == 0;
        }, kStorm, 50ms);
        EXPECT_EQ(s.sim.control("storm-stop"), "OK");
        status = s.sim.control("storm-status");
        std::istringstream words(status);
        std::string ok, state;
        std::uint64_t emitted = 0;
        words >> ok >> state >> emitted;
        RecordProperty("storm_status", status);
        // (a) The bridge kept reading AMI: the storm (paced on the slowest reader) went on, the
        // simulator still has it as a client and holds little for it.
        EXPECT_GE(emitted, kMinEvents) << status << "\n" << s.bridge->log().substr(0, 4000);
        EXPECT_EQ(s.sim.control("clients"), "OK 1");
        EXPECT_LT(backlog_max, 2u * 1024u * 1024u);
        // Everything sent is read, the broker still frozen: nothing left queued in the
        // simulator nor in the kernel's socket buffers between it and the bridge.
        std::string backlog;
        std::uint64_t in_kernel = 0;
        // The kernel's buffers may hold megabytes at the storm's end, and a Debug (or ASan) bridge
        // on a loaded machine reads a few thousand events a second: wait for them to drain, as
        // long as they keep draining (a bridge that stopped reading would leave them as they are).
        const std::uint64_t at_end = ami_bytes_in_kernel(s.sim.ami_port());
        RecordProperty("kernel_bytes_at_storm_end", std::to_string(at_end));
        EXPECT_TRUE(eventually([&] {
            backlog = s.sim.control("backlog");
            in_kernel = ami_bytes_in_kernel(s.sim.ami_port());
            return backlog == "OK 0 0" && in_kernel == 0;
        }, 60s, 20ms)) << backlog << ", " << in_kernel << " bytes in socket buffers (" << at_end << " at the storm's end)";
        // (b) Waiting retained updates coalesce: memory stays bounded.
        rss_max = std::max(rss_max, rss_kib(bridge_pid));
        EXPECT_LT(rss_max - rss_before, 64 * 1024) << "RSS grew from " << rss_before << " KiB to " << rss_max << " KiB";
        RecordProperty("rss_before_kib", std::to_string(rss_before));
        RecordProperty("rss_max_kib", std::to_string(rss_max));
        frozen.thaw();
    }
    // The broker reads again: the tree converges on the truth.
    const std::string difference = s.compare_with_fresh_bridge(20s);
    EXPECT_TRUE(difference.empty()) << difference << "\n" << s.bridge->log().substr(0, 4000);
    EXPECT_TRUE(s.bridge->process().running());
}

// SIGTERM while retained updates wait for a broker that takes nothing (frozen): the bridge had read
// the whole storm, then SIGTERM, then the broker answers again. What waits goes out through the
// publish window (handed to Paho all at once, what exceeds the broker's Receive Maximum would sit
// in Paho's own queue, retried about once a second: "offline" never went out and the tree stayed
// stale), then "offline", within the 2 s the bridge gives itself. The tree left on the broker is
// the PBX's as a fresh bridge reads it (but ami/state: the bridge has logged off).
TEST(BrokerFaults, SigtermPublishesWhatWaitsThenOfflineAndLeavesTheExactTree) {
    SimulatorOptions so;
    so.extra_args = {"--extensions", "300"};
    Stack s(so);
    ASSERT_TRUE(s.bridge->process().wait_for_log("PBX snapshot:", kWait)) << s.bridge->log();
    {
        MqttProbe watch;
        watch.connect(s.broker.uri());
        watch.subscribe("pbx/bridge/state");
        ASSERT_EQ(watch.wait_for_value("pbx/bridge/state", "online", kWait), "online");
    }
    const pid_t broker_pid = pid_with_argument(s.broker.config_path().string());
    ASSERT_GT(broker_pid, 0);
    {
        Frozen frozen(broker_pid);
        ASSERT_EQ(s.sim.control("storm 3000 0 devstate").substr(0, 2), "OK");
        std::string status, backlog;
        EXPECT_TRUE(eventually([&] {
            status = s.sim.control("storm-status");
            backlog = s.sim.control("backlog");
            return status.rfind("OK done", 0) == 0 && backlog == "OK 0 0" && ami_bytes_in_kernel(s.sim.ami_port()) == 0;
        }, 60s, 20ms)) << status << ", " << backlog;
        ASSERT_TRUE(s.bridge->process().signal(SIGTERM));
        ASSERT_TRUE(s.bridge->process().wait_for_log("stopping (SIGTERM)", kWait)) << s.bridge->log();
        std::this_thread::sleep_for(100ms);  // it has begun its drain against the frozen broker
        frozen.thaw();
    }
    int exit_status = -1;
    ASSERT_TRUE(s.bridge->process().wait_exit(10s, &exit_status));
    EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << exit_status;
    const std::string log = s.bridge->log();
    const std::size_t at = log.find("MQTT: stopping; ");
    EXPECT_NE(at, std::string::npos) << log.substr(log.size() > 2000 ? log.size() - 2000 : 0);
    if (at != std::string::npos) {
        const unsigned long waiting = std::stoul(log.substr(at + 16));
        RecordProperty("waiting_at_sigterm", static_cast<int>(waiting));
        EXPECT_GT(waiting, 100u) << "the storm left too little waiting to test anything: " << log.substr(at, 200);
    }
    EXPECT_EQ(log.find("not yet published"), std::string::npos) << log;
    // Read only now, from the broker's retained messages: what the bridge left there.
    s.probe.connect(s.broker.uri());
    s.probe.subscribe("pbx/#");
    EXPECT_EQ(s.probe.wait_for_value("pbx/bridge/state", "offline", kWait), "offline") << log;
    const std::string difference = s.compare_with_fresh_bridge(kWait, {"ami/state"});
    EXPECT_TRUE(difference.empty()) << difference;
}

}  // namespace
