// The real bridge binary, the AMI simulator and a real mosquitto, observed as a user would:
// through MQTT, the process's exit code and its log.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <set>
#include <sstream>
#include <fstream>

#include "harness.hpp"

namespace bridge_test {  // named: the unity build compiles several test files as one

using namespace harness;
using nlohmann::json;

constexpr auto kWait = 10s;

// The extension objects the default simulator state (fixture 01 of Asterisk 20) must give.
std::string extension_json(const std::string& exten, const std::string& name, const std::string& status, int port) {
    const bool reg = port != 0;
    nlohmann::ordered_json o;
    o["exten"] = exten;
    o["name"] = name;
    o["status"] = status;
    o["ip"] = reg ? "127.0.0.1" : "";
    o["port"] = port;
    o["sipuseragent"] = reg ? "baresip v1.0.0 (x86_64/linux)" : "";
    o["context"] = "from-internal";
    o["dnd"] = status == "dnd";
    for (const char* k : {"cf", "cfb", "cfu", "cfVm", "cfbVm", "cfuVm"}) o[k] = "";
    o["conversations"] = nlohmann::ordered_json::object();
    o["tech"] = "SIP";
    return o.dump();
}

struct Stack {
    Mosquitto broker;
    Simulator sim;
    std::unique_ptr<Bridge> bridge;
    explicit Stack(SimulatorOptions sim_options = {}, std::function<void(BridgeConfig&)> tweak = {}) : sim(std::move(sim_options)) {
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = broker.uri();
        if (tweak) tweak(c);
        bridge = std::make_unique<Bridge>(c);
    }
    bool synced(std::chrono::milliseconds timeout = kWait) { return bridge->process().wait_for_log("PBX snapshot:", timeout); }
};

TEST(Bridge, LateSubscriberSeesTheExactRetainedExtensionTree) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;  // connects only now: everything it gets is retained
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/#");
    std::map<std::string, std::string> expected = {
        {"pbx/bridge/state", "online"},
        {"pbx/extensions/2001", extension_json("2001", "Alice Anderson", "online", 5071)},
        {"pbx/extensions/2002", extension_json("2002", "Bob Brown", "online", 5073)},
        {"pbx/extensions/2003", extension_json("2003", "Carol Clark", "online", 5075)},
        {"pbx/extensions/2004", extension_json("2004", "Dave Davis", "online", 5077)},
        {"pbx/extensions/2005", extension_json("2005", "Eve Evans", "offline", 0)},
        {"pbx/extensions/2006", extension_json("2006", "Frank Fischer", "offline", 0)},
    };
    for (const char* e : {"2001", "2002", "2003", "2004"}) expected[std::string("pbx/extensions/") + e + "/status"] = "online";
    for (const char* e : {"2005", "2006"}) expected[std::string("pbx/extensions/") + e + "/status"] = "offline";
    for (const char* e : {"2001", "2002", "2003", "2004", "2005", "2006"}) expected[std::string("pbx/extensions/") + e + "/dnd"] = "false";
    const bool complete = probe.wait_for([](const Snapshot& snap) {
        std::size_t n = 0;
        for (const auto& [topic, payload] : snap.retained) n += topic.rfind("pbx/extensions/", 0) == 0;
        return n >= 18 && snap.retained.count("pbx/bridge/state") && snap.retained.count("pbx/bridge/info");
    }, kWait);
    auto tree = probe.retained_tree("pbx");
    ASSERT_TRUE(complete) << nlohmann::json(tree).dump(1);
    // Queues, parkings, trunks and the inventory have their own tests: here, the extension tree.
    for (auto it = tree.begin(); it != tree.end();)
        it = it->first.rfind("pbx/extensions/", 0) == 0 || it->first.rfind("pbx/bridge/", 0) == 0 ? std::next(it) : tree.erase(it);
    ASSERT_TRUE(tree.count("pbx/bridge/inventory"));
    EXPECT_EQ(json::parse(tree["pbx/bridge/inventory"])["extensions"],
              json::parse(R"(["2001","2002","2003","2004","2005","2006"])"));
    tree.erase("pbx/bridge/inventory");
    ASSERT_TRUE(tree.count("pbx/bridge/info"));
    const auto info = json::parse(tree["pbx/bridge/info"]);
    EXPECT_EQ(info["ami"]["connected"], true);
    EXPECT_EQ(info["asterisk"]["version"], "20.20.1");
    EXPECT_EQ(info["asterisk"]["ami_version"], "9.0.0");
    EXPECT_FALSE(info["started_at"].get<std::string>().empty());
    tree.erase("pbx/bridge/info");
    EXPECT_EQ(tree, expected);
    for (const auto& m : probe.snapshot().messages) EXPECT_TRUE(m.retained) << m.topic;
}

TEST(Bridge, StatusChangesInThePbxReachTheSubscriber) {
    Stack s;
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/extensions/#");
    ASSERT_EQ(probe.wait_for_value("pbx/extensions/2003/status", "online", kWait), "online");

    EXPECT_EQ(s.sim.control("unregister 2003"), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2003/status", "offline", kWait), "offline");
    EXPECT_EQ(json::parse(probe.snapshot().value("pbx/extensions/2003").value())["ip"], "");
    EXPECT_EQ(s.sim.control("register 2003 127.0.0.1 5999"), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2003/status", "online", kWait), "online");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/extensions/2003");
        return v && json::parse(*v)["port"] == 5999;
    }, kWait));

    const std::string reply = s.sim.control("call 2001 2002");
    ASSERT_EQ(reply.substr(0, 3), "OK ");
    const std::string call = reply.substr(3);
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2002/status", "ringing", kWait), "ringing");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2001/status", "busy", kWait), "busy");
    EXPECT_EQ(s.sim.control("answer " + call), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2002/status", "busy", kWait), "busy");
    EXPECT_EQ(s.sim.control("hangup " + call), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2002/status", "online", kWait), "online");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2001/status", "online", kWait), "online");

    EXPECT_EQ(s.sim.control("dnd 2004 on"), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2004/status", "dnd", kWait), "dnd");
    EXPECT_EQ(s.sim.control("dnd 2004 off"), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2004/status", "online", kWait), "online");
}

TEST(Bridge, SigkillMakesTheBrokerPublishTheLastWill) {
    Stack s;
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/bridge/state");
    ASSERT_EQ(probe.wait_for_value("pbx/bridge/state", "online", kWait), "online");
    ASSERT_TRUE(s.bridge->process().signal(SIGKILL));
    EXPECT_EQ(probe.wait_for_value("pbx/bridge/state", "offline", kWait), "offline");
    // Retained: a subscriber arriving later learns it too.
    probe.clear();
    probe.subscribe("pbx/bridge/state");
    EXPECT_EQ(probe.wait_for_value("pbx/bridge/state", "offline", kWait), "offline");
}

TEST(Bridge, SigtermPublishesOfflineAndExitsCleanly) {
    Stack s;
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/bridge/state");
    ASSERT_EQ(probe.wait_for_value("pbx/bridge/state", "online", kWait), "online");
    ASSERT_TRUE(s.synced());
    const auto t0 = Clock::now();
    ASSERT_TRUE(s.bridge->process().signal(SIGTERM));
    int status = -1;
    ASSERT_TRUE(s.bridge->process().wait_exit(5s, &status));
    EXPECT_LT(Clock::now() - t0, 5s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(probe.wait_for_value("pbx/bridge/state", "offline", kWait), "offline");
    // It logged off AMI (the simulator saw a Logoff).
    EXPECT_EQ(s.sim.control("last-action Logoff").substr(0, 2), "OK");
}

TEST(Bridge, AmiDropIsFollowedByReconnectAndAFreshSnapshot) {
    Stack s;
    ASSERT_TRUE(s.synced());
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/#");
    ASSERT_EQ(probe.wait_for_value("pbx/extensions/2004/status", "online", kWait), "online");
    ASSERT_EQ(probe.wait_for_value("pbx/ami/state", "connected", kWait), "connected");
    EXPECT_EQ(s.sim.control("drop"), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/ami/state", "disconnected", kWait), "disconnected");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/bridge/info");
        return v && json::parse(*v)["ami"]["connected"] == false;
    }, kWait));
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/bridge/info");
        return v && json::parse(*v)["ami"]["connected"] == true;
    }, kWait)) << s.bridge->log();
    EXPECT_EQ(probe.wait_for_value("pbx/ami/state", "connected", kWait), "connected");
    EXPECT_EQ(s.sim.control("unregister 2004"), "OK");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2004/status", "offline", kWait), "offline");
}

TEST(Bridge, APeerThatStopsAnsweringIsNoticedWithinTwiceTheKeepalive) {
    // Half-open TCP: the simulator stops reading (so it answers no Ping) but keeps the socket.
    Stack s({}, [](BridgeConfig& c) { c.set("ami", "keepalive", "1000"); });
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/bridge/info");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/bridge/info");
        return v && json::parse(*v)["ami"]["connected"] == true;
    }, kWait));
    EXPECT_EQ(s.sim.control("pause-reads on"), "OK");
    const auto t0 = Clock::now();
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) {
        auto v = snap.value("pbx/bridge/info");
        return v && json::parse(*v)["ami"]["connected"] == false;
    }, kWait));
    // Silence starts at the last bytes received, at most 1 s before the pause; 2 x keepalive = 2 s.
    EXPECT_LT(Clock::now() - t0, 2500ms);
    EXPECT_NE(s.bridge->log().find("no data from Asterisk"), std::string::npos);
}

TEST(Bridge, SameTreeShapeFromAllThreeAsteriskVersions) {
    std::map<std::string, std::vector<std::string>> shapes;
    const std::vector<std::tuple<std::string, std::vector<std::string>, char>> flavors = {
        {"asterisk20-chansip", {"trunk1"}, '2'}, {"asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"}, '3'}, {"asterisk13-chansip", {}, '4'}};
    Mosquitto broker;
    MqttProbe probe;
    probe.connect(broker.uri());
    for (const auto& [flavor, trunks, digit] : flavors) {
        SimulatorOptions so;
        so.flavor = flavor;
        Simulator sim(so);
        BridgeConfig c;
        c.ami_port = sim.ami_port();
        c.mqtt_uri = broker.uri();
        c.trunks = trunks;
        c.base_topic = "pbx-" + flavor;
        Bridge bridge(c);
        probe.subscribe(c.base_topic + "/#");
        const std::string base = c.base_topic;
        ASSERT_TRUE(probe.wait_for([&](const Snapshot& snap) {
            std::size_t n = 0;
            for (const auto& [topic, payload] : snap.retained) n += topic.rfind(base + "/extensions/", 0) == 0;
            return n == 18;  // 6 extensions: JSON, status, dnd
        }, kWait)) << flavor << "\n" << bridge.log();
        std::vector<std::string> shape;
        for (const auto& [topic, payload] : probe.retained_tree(base)) {
            std::string t = topic.substr(base.size());
            if (t.rfind("/extensions/", 0) != 0 && t.rfind("/bridge/state", 0) != 0) continue;  // what all three PBXs share
            if (t.rfind("/extensions/", 0) == 0 && t.size() > 12 && t[12] == digit) t[12] = 'N';
            shape.push_back(t);
            if (t.find("/status") != std::string::npos || t.find("/dnd") != std::string::npos) continue;
            if (t.rfind("/extensions/", 0) == 0) {
                std::vector<std::string> keys;
                const json object = json::parse(payload);
                for (auto& [k, v] : object.items()) keys.push_back(k);
                shape.push_back("keys:" + nlohmann::json(keys).dump());
            }
        }
        shapes[flavor] = shape;
        // 1st extension online on every version; 5th and 6th never registered.
        const std::string ext_prefix = base + "/extensions/" + std::string(1, digit);
        EXPECT_EQ(probe.snapshot().value(ext_prefix + "002/status"), "online") << flavor;
        EXPECT_EQ(probe.snapshot().value(ext_prefix + "005/status"), "offline") << flavor;
    }
    EXPECT_EQ(shapes["asterisk20-chansip"], shapes["asterisk22-pjsip"]);
    EXPECT_EQ(shapes["asterisk20-chansip"], shapes["asterisk13-chansip"]);
}

TEST(Bridge, StatsArePublishedEveryIntervalAndTheLogLevelChangesOverMqtt) {
    Stack s({}, [](BridgeConfig& c) {
        c.log_level = "info";
        c.set("mqtt", "stats_interval", "1");
    });
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/bridge/#");
    // Two stats messages, a second apart, not retained, counting what happened.
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.count("pbx/bridge/stats") >= 2; }, kWait)) << s.bridge->log();
    const auto snap = probe.snapshot();
    std::vector<json> stats;
    for (const auto& m : snap.messages)
        if (m.topic == "pbx/bridge/stats") {
            EXPECT_FALSE(m.retained);
            stats.push_back(json::parse(m.payload));
        }
    const json& last = stats.back();
    EXPECT_GE(last["uptime_s"].get<int>(), 1);
    EXPECT_GT(last["ami"]["events_in"].get<int>(), 0);
    EXPECT_EQ(last["ami"]["logins"], 1);
    EXPECT_EQ(last["mqtt"]["connections"], 1);
    EXPECT_GT(last["mqtt"]["messages_out"].get<int>(), 20);
    EXPECT_GE(last["mqtt"]["messages_out"].get<int>(), stats.front()["mqtt"]["messages_out"].get<int>());
    EXPECT_EQ(last["commands"]["served"], 0);

    // At info level no debug line; after the request, debug lines appear (a command's own).
    EXPECT_EQ(s.bridge->log().find(" debug "), std::string::npos);
    probe.publish("pbx/bridge/request/log_level", R"({"level":"debug","transaction":"l1"})");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& sn) { return sn.value("pbx/bridge/response/log_level").has_value(); }, kWait))
        << s.bridge->log();
    const json reply = json::parse(*probe.snapshot().value("pbx/bridge/response/log_level"));
    EXPECT_EQ(reply["status"], "ok");
    EXPECT_EQ(reply["data"]["level"], "debug");
    EXPECT_EQ(reply["transaction"], "l1");
    probe.publish("pbx/cmd/health_check", "{}");
    EXPECT_TRUE(eventually([&] { return s.bridge->log().find(" debug command topic pbx/cmd/health_check") != std::string::npos; }, kWait))
        << s.bridge->log();
    // The stats count the served command.
    EXPECT_TRUE(probe.wait_for([](const Snapshot& sn) {
        auto v = sn.value("pbx/bridge/stats");
        return v && json::parse(*v)["commands"]["served"].get<int>() >= 2;
    }, kWait));
}

TEST(Bridge, WarningsAreMirroredToTheBridgeLogTopicWhenAsked) {
    Stack s({}, [](BridgeConfig& c) { c.set("log", "mqtt", "true"); });
    ASSERT_TRUE(s.synced()) << s.bridge->log();
    MqttProbe probe;
    probe.connect(s.broker.uri());
    probe.subscribe("pbx/bridge/#");
    ASSERT_EQ(probe.wait_for_value("pbx/bridge/state", "online", kWait), "online");
    // A retained command is refused with a warning: it shows on pbx/bridge/log, not retained.
    probe.publish("pbx/cmd/health_check", "{}", /*retain=*/true);
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.value("pbx/bridge/log").has_value(); }, kWait)) << s.bridge->log();
    const auto snap = probe.snapshot();
    for (const auto& m : snap.messages) {
        if (m.topic == "pbx/bridge/log") {
            EXPECT_FALSE(m.retained);
        }
    }
    const json record = json::parse(*snap.value("pbx/bridge/log"));
    EXPECT_EQ(record["level"], "warning");
    EXPECT_NE(record["message"].get<std::string>().find("retained message ignored"), std::string::npos) << record.dump();
    EXPECT_EQ(record["time"].get<std::string>().size(), 24u) << record.dump();
    EXPECT_EQ(record["message"].get<std::string>().find("bridgepass"), std::string::npos);
    probe.publish("pbx/cmd/health_check", "", /*retain=*/true);  // clear the retained request
}

// "Cpus_allowed_list" of /proc/<pid>/status or /proc/<pid>/task/<tid>/status.
std::string cpus_allowed(const std::filesystem::path& status_file) {
    std::ifstream in(status_file);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("Cpus_allowed_list:", 0) == 0) {
            const auto start = line.find_first_not_of(" \t", 18);
            return start == std::string::npos ? std::string() : line.substr(start);
        }
    return {};
}

// "0-3,6" -> {0, 1, 2, 3, 6}
std::set<int> cpu_numbers(const std::string& list) {
    std::set<int> out;
    std::istringstream in(list);
    for (std::string part; std::getline(in, part, ',');) {
        const auto dash = part.find('-');
        const int first = std::stoi(part.substr(0, dash));
        const int last = dash == std::string::npos ? first : std::stoi(part.substr(dash + 1));
        for (int cpu = first; cpu <= last; ++cpu) out.insert(cpu);
    }
    return out;
}

// Every thread of the process (the io thread and Paho's), by their allowed CPUs.
std::set<std::string> threads_cpus_allowed(pid_t pid) {
    std::set<std::string> out;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
        if (auto cpus = cpus_allowed(task.path() / "status"); !cpus.empty()) out.insert(std::move(cpus));  // "": it just ended
    return out;
}

TEST(Bridge, RunsOnOneCpuByDefaultAndWhereTheSchedulerPutsItWithCpuAny) {
    const std::string mine = cpus_allowed("/proc/self/status");
    if (mine.find_first_of(",-") == std::string::npos) GTEST_SKIP() << "this test process may use one CPU only: " << mine;
    {
        Stack s;
        ASSERT_TRUE(s.synced());
        // Connected to the broker: Paho's threads exist, and sit on the same CPU.
        const auto cpus = threads_cpus_allowed(s.bridge->process().pid());
        ASSERT_EQ(cpus.size(), 1u) << s.bridge->log();
        const std::string cpu = *cpus.begin();
        EXPECT_EQ(cpu.find_first_of(",-"), std::string::npos) << cpu;
        const auto tasks = std::filesystem::directory_iterator("/proc/" + std::to_string(s.bridge->process().pid()) + "/task");
        EXPECT_GE(std::distance(std::filesystem::begin(tasks), std::filesystem::end(tasks)), 3);  // io, Paho's send and receive
        EXPECT_TRUE(s.bridge->process().wait_for_log("running on CPU " + cpu + " of " + mine, 1s)) << s.bridge->log();
    }
    Stack any({}, [](BridgeConfig& c) { c.set("process", "cpu", "\"any\""); });
    ASSERT_TRUE(any.synced());
    EXPECT_EQ(threads_cpus_allowed(any.bridge->process().pid()), (std::set<std::string>{mine}));
    EXPECT_EQ(any.bridge->log().find("running on CPU"), std::string::npos);
}

TEST(BridgeFaults, AFixedCpuItMayNotUseExitsWithCode2AndSaysWhich) {
    const std::string mine = cpus_allowed("/proc/self/status");
    BridgeConfig c;
    c.ami_port = 1;
    c.mqtt_uri = "tcp://127.0.0.1:1";
    c.set("process", "cpu", "1023");
    if (cpu_numbers(mine).count(1023)) GTEST_SKIP() << "this process may use CPU 1023";
    Bridge bridge(c);
    int status = -1;
    ASSERT_TRUE(bridge.process().wait_exit(5s, &status));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
    const std::string why = "[process] cpu = 1023 is not among the CPUs this process may use (" + mine + ")";
    EXPECT_NE(bridge.log().find(why), std::string::npos) << bridge.log();
    // --check-config says so too.
    Process check({PBX2MQTT_BRIDGE_BIN, "--check-config", "-c", bridge.config_path().string()});
    ASSERT_TRUE(check.wait_exit(5s, &status));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << status;
    EXPECT_NE(check.log().find(why), std::string::npos) << check.log();
}

TEST(BridgeFaults, BadConfigExitsWithCode2AndNamesTheKey) {
    const auto path = unique_output_path("bad", ".toml");
    {
        std::ofstream(path) << "[ami]\nusername = \"bridge\"\nport = \"5038\"\n[mqtt]\nqos = 7\n";
    }
    Process p({PBX2MQTT_BRIDGE_BIN, "--config", path.string()});
    int status = -1;
    ASSERT_TRUE(p.wait_exit(5s, &status));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    const std::string log = p.log();
    EXPECT_NE(log.find(path.string() + ":3:8: 'ami.port' must be an integer"), std::string::npos) << log;
    EXPECT_NE(log.find(path.string() + ":5:7:"), std::string::npos) << log;
    EXPECT_NE(log.find("mqtt.qos"), std::string::npos) << log;

    Process check({PBX2MQTT_BRIDGE_BIN, "--check-config", "-c", path.string()});
    ASSERT_TRUE(check.wait_exit(5s, &status));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2);
}

TEST(BridgeFaults, WrongAmiPasswordIsLoggedAndRetriedNeverLeaked) {
    Mosquitto broker;
    SimulatorOptions so;
    so.extra_args = {"--login-delay-ms", "50"};
    Simulator sim(so);
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = broker.uri();
    c.ami_password = "Wr0ngSecret-XYZ";
    Bridge bridge(c);
    // Two failed attempts: it retries on the reconnect schedule and does not crash.
    ASSERT_TRUE(eventually([&] {
        const std::string log = bridge.log();
        std::size_t n = 0;
        for (std::size_t at = log.find("AMI login failed"); at != std::string::npos; at = log.find("AMI login failed", at + 1)) ++n;
        return n >= 2;
    }, kWait)) << bridge.log();
    EXPECT_TRUE(bridge.process().running());
    EXPECT_NE(bridge.log().find("Authentication failed"), std::string::npos);
    EXPECT_EQ(bridge.log().find("Wr0ngSecret-XYZ"), std::string::npos) << "the password reached the log";
    MqttProbe probe;
    probe.connect(broker.uri());
    probe.subscribe("pbx/bridge/info");
    ASSERT_TRUE(probe.wait_for([](const Snapshot& snap) { return snap.value("pbx/bridge/info").has_value(); }, kWait));
    EXPECT_EQ(json::parse(*probe.snapshot().value("pbx/bridge/info"))["ami"]["connected"], false);
}

TEST(BridgeFaults, UnreachableBrokerIsRetriedUntilItComes) {
    const auto port = free_tcp_port();
    Simulator sim;
    BridgeConfig c;
    c.ami_port = sim.ami_port();
    c.mqtt_uri = "tcp://127.0.0.1:" + std::to_string(port);
    Bridge bridge(c);
    ASSERT_TRUE(eventually([&] {
        const std::string log = bridge.log();
        return log.find("MQTT: cannot connect") != std::string::npos &&
               log.find("MQTT: cannot connect", log.find("MQTT: cannot connect") + 1) != std::string::npos;
    }, 15s)) << bridge.log();
    EXPECT_TRUE(bridge.process().running());
    // The broker comes up on that port: the bridge connects and publishes the full tree.
    const auto conf = unique_output_path("late-broker", ".conf");
    {
        std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                            << (geteuid() == 0 ? "user root\n" : "");
    }
    Process broker({"mosquitto", "-c", conf.string()});
    ASSERT_TRUE(wait_for_port(port, 5s));
    MqttProbe probe;
    probe.connect(c.mqtt_uri);
    probe.subscribe("pbx/#");
    EXPECT_EQ(probe.wait_for_value("pbx/extensions/2001/status", "online", 40s), "online") << bridge.log();
    EXPECT_EQ(probe.wait_for_value("pbx/bridge/state", "online", kWait), "online");
}

}  // namespace
