// bench_driver: the measuring end of bench/run.sh. One program, one phase per run:
//
//   startup  --mqtt URI [--base pbx] [--expect N]
//            subscribes to <base>/#, prints "ready", then waits until the bridge's inventory has
//            arrived and every extension it lists (at least N) has a status; prints
//            "done <unix ns> <statuses> <messages>" (run.sh launched the bridge after "ready" and
//            subtracts its own launch time).
//   storm    --mqtt URI --filter F --control PORT --command "storm ..." [--prepare "storm-prepare N"]
//            [--pid P] [--capture FILE]
//            subscribes (the retained replay at subscription is skipped), sends the simulator's
//            storm command, follows storm-status until the storm is written, then waits until no
//            message arrived for --quiet-ms; prints one JSON line: events, the seconds the
//            simulator took to write them (the bridge's reading pace), the seconds until the last
//            resulting message reached the subscriber, messages, and with --pid the CPU seconds
//            and peak RSS of that process. --capture writes every message received (topic and
//            payload) for the ceiling phase.
//   ceiling  --mqtt URI --filter F --replay FILE [--pin one|any]
//            a bare Paho publisher sends the captured messages (pre-built, QoS 1, retained, the
//            window the bridge uses: 256 or the broker's Receive Maximum) as fast as Paho allows,
//            to the same broker, while a subscriber like the one above (a forked process of its
//            own) counts them; prints JSON. --pin one: the publisher runs on one CPU, as the
//            bridge does by default ([process] cpu).
//   latency  --mqtt URI --control PORT --command "storm N RATE devstate" --steps FILE
//            [--prefix pbx]: records when each <prefix>/extensions/<ext>/status message arrives,
//            runs the storm (the simulator logs each step's send time into FILE, see
//            storm-log), then pairs the k-th step of an extension with the k-th status message
//            of that extension; prints JSON with p50/p99/max in microseconds.
//   cpu      --pid P --seconds S: CPU seconds the process used over S seconds (idle cost).
//   compare  --mqtt URI --a PREFIX --b PREFIX: the two retained trees (their bridge/ and ami/
//            topics aside) must be equal, times within 2.5 s; lists differences.
//   port     prints a free loopback TCP port.
//
// Times are CLOCK_REALTIME (system_clock) nanoseconds so they compare with the simulator's log
// on the same machine. The measuring subscriber subscribes with QoS 0: it is the same for the
// bridge, the ceiling and the Node.js peer.
#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>

#include "process/cpu_affinity.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

using Clock = std::chrono::system_clock;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

[[noreturn]] void fail(const std::string& why) {
    std::cerr << "bench_driver: " << why << "\n";
    std::exit(2);
}

struct Args {
    std::string phase;
    std::map<std::string, std::string> options;
    std::string get(const std::string& name, const std::string& fallback = "") const {
        auto it = options.find(name);
        return it == options.end() ? fallback : it->second;
    }
    std::string need(const std::string& name) const {
        auto it = options.find(name);
        if (it == options.end()) fail("missing --" + name);
        return it->second;
    }
    long number(const std::string& name, long fallback) const {
        auto it = options.find(name);
        return it == options.end() ? fallback : std::stol(it->second);
    }
};

Args parse_args(int argc, char** argv) {
    if (argc < 2) fail("usage: bench_driver startup|storm|ceiling|latency|cpu --option value...");
    Args a;
    a.phase = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || i + 1 >= argc) fail("bad argument " + key);
        a.options[key.substr(2)] = argv[++i];
    }
    return a;
}

// --- /proc ---------------------------------------------------------------------------------

// Context switches (voluntary + involuntary) of every thread of a process, from /proc.
long long context_switches(long pid) {
    long long total = 0;
    const std::string dir = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(dir, ec)) {
        std::ifstream in(task.path() / "status");
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0 || line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
                total += std::stoll(line.substr(line.find(':') + 1));
    }
    return total;
}

double cpu_seconds(long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return -1;
    const auto close = line.rfind(')');
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long status_kib(long pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    return -1;
}

// --- the simulator's control port ----------------------------------------------------------

std::string control(int port, const std::string& command) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("cannot reach the simulator's control port");
    const std::string line = command + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) fail("control write");
    std::string reply;
    char c;
    while (::read(fd, &c, 1) == 1 && c != '\n') reply += c;
    ::close(fd);
    return reply;
}

struct StormStatus {
    std::string state;
    std::uint64_t emitted = 0;
    double seconds = 0;
};

StormStatus storm_status(int port) {
    std::istringstream in(control(port, "storm-status"));
    std::string ok, target;
    StormStatus s;
    in >> ok >> s.state >> s.emitted >> target >> s.seconds;
    if (ok != "OK") fail("storm-status: " + in.str());
    return s;
}

// Runs a storm command and waits until the simulator has written all of it.
StormStatus run_storm(int port, const std::string& command, double timeout_s) {
    const std::string reply = control(port, command);
    if (reply.rfind("OK", 0) != 0) fail(command + ": " + reply);
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    while (true) {
        auto s = storm_status(port);
        if (s.state == "done" || s.state == "stopped") return s;
        if (Clock::now() > deadline) fail("the storm did not end within the timeout");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// Bytes still queued on the loopback TCP connections of the AMI port: what the simulator has
// written that the bridge has not read yet (the simulator's unacknowledged send queue and the
// bridge's unread receive queue), from /proc/net/tcp and tcp6.
std::size_t ami_bytes_queued(int ami_port) {
    std::size_t queued = 0;
    for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(file);
        std::string line;
        std::getline(in, line);  // the header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues;
            if (!(fields >> slot >> local >> remote >> state >> queues)) continue;
            if (state != "01") continue;  // ESTABLISHED
            const auto port_of = [](const std::string& address) {
                const auto colon = address.rfind(':');
                return colon == std::string::npos ? -1 : static_cast<int>(std::stoul(address.substr(colon + 1), nullptr, 16));
            };
            if (port_of(local) != ami_port && port_of(remote) != ami_port) continue;
            const auto colon = queues.find(':');
            if (colon == std::string::npos) continue;
            queued += std::stoul(queues.substr(0, colon), nullptr, 16) + std::stoul(queues.substr(colon + 1), nullptr, 16);
        }
    }
    return queued;
}

// --- MQTT ----------------------------------------------------------------------------------

struct Received {
    std::int64_t ns;
    std::string topic;
    std::string payload;
};

// A subscriber that keeps every message it gets (live ones; the retained replay of the
// subscription is counted apart) with its arrival time.
class Subscriber : public virtual mqtt::callback {
public:
    Subscriber(const std::string& uri, const std::string& filter, bool keep_payloads)
        : client_(uri, "bench-sub-" + std::to_string(::getpid()), mqtt::create_options(MQTTVERSION_5)),
          filter_(filter), keep_payloads_(keep_payloads) {
        client_.set_callback(*this);
        auto opts = mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).finalize();
        client_.connect(opts)->wait();
        client_.subscribe(filter_, 0)->wait();
    }
    ~Subscriber() override {
        try {
            client_.disconnect()->wait_for(std::chrono::seconds(2));
        } catch (...) {
        }
    }
    void message_arrived(mqtt::const_message_ptr msg) override {
        const std::int64_t t = now_ns();
        std::lock_guard lock(mutex_);
        if (msg->is_retained()) {
            ++retained_;
            if (!msg->get_payload().empty()) retained_topics_.insert(msg->get_topic());
            if (keep_payloads_) retained_payloads_[msg->get_topic()] = msg->to_string();
        } else {
            live_.push_back(Received{t, msg->get_topic(), keep_payloads_ ? msg->to_string() : std::string()});
            last_ns_ = t;
        }
    }
    // Waits until no live message arrived for `quiet` (measured from the last one).
    void wait_quiet(std::chrono::milliseconds quiet, double timeout_s) {
        const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
        while (Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            std::lock_guard lock(mutex_);
            const std::int64_t last = last_ns_;
            if (last != 0 && now_ns() - last > std::chrono::nanoseconds(quiet).count()) return;
            if (last == 0 && now_ns() - started_ns_ > std::chrono::nanoseconds(quiet).count() * 4) return;
        }
    }
    std::vector<Received> take_live() {
        std::lock_guard lock(mutex_);
        return std::move(live_);
    }
    std::size_t retained_count() {
        std::lock_guard lock(mutex_);
        return retained_;
    }
    std::map<std::string, std::string> take_retained() {
        std::lock_guard lock(mutex_);
        return std::move(retained_payloads_);
    }
    std::int64_t last_ns() {
        std::lock_guard lock(mutex_);
        return last_ns_;
    }
    std::size_t live_count() {
        std::lock_guard lock(mutex_);
        return live_.size();
    }

private:
    mqtt::async_client client_;
    std::string filter_;
    bool keep_payloads_;
    std::mutex mutex_;
    std::vector<Received> live_;
    std::unordered_set<std::string> retained_topics_;
    std::map<std::string, std::string> retained_payloads_;
    std::size_t retained_ = 0;
    std::int64_t last_ns_ = 0;
    std::int64_t started_ns_ = now_ns();
};

std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else out += c;
    }
    return out;
}

std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char n = s[++i];
            out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        } else {
            out += s[i];
        }
    }
    return out;
}

// --- phases --------------------------------------------------------------------------------

int startup(const Args& a) {
    const std::string base = a.get("base", "pbx");
    const auto expect = static_cast<std::size_t>(a.number("expect", 1));
    // Subscribed before the bridge starts: everything arrives live. Complete: the inventory
    // (<base>/bridge/inventory) has arrived and every extension it lists has a status.
    class Counter : public virtual mqtt::callback {
    public:
        explicit Counter(std::string base) : base_(std::move(base)) {}
        std::mutex m;
        std::condition_variable cv;
        std::unordered_set<std::string> statuses;
        std::size_t inventory = 0;
        bool have_inventory = false;
        std::size_t messages = 0;
        void message_arrived(mqtt::const_message_ptr msg) override {
            const std::string& topic = msg->get_topic();
            std::lock_guard l(m);
            ++messages;
            if (topic == base_ + "/bridge/inventory") {
                const auto j = nlohmann::json::parse(msg->to_string(), nullptr, false);
                if (j.is_object() && j.contains("extensions") && j["extensions"].is_array()) {
                    inventory = j["extensions"].size();
                    have_inventory = true;
                }
            } else if (topic.size() > 7 && topic.compare(topic.size() - 7, 7, "/status") == 0 &&
                       topic.rfind(base_ + "/extensions/", 0) == 0 && !msg->get_payload().empty()) {
                statuses.insert(topic);
            }
            cv.notify_all();
        }

    private:
        std::string base_;
    } counter(base);
    mqtt::async_client client(a.need("mqtt"), "bench-startup-" + std::to_string(::getpid()), mqtt::create_options(MQTTVERSION_5));
    client.set_callback(counter);
    client.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).finalize())->wait();
    client.subscribe(base + "/#", 0)->wait();
    std::cout << "ready" << std::endl;
    std::unique_lock lock(counter.m);
    const bool ok = counter.cv.wait_for(lock, std::chrono::seconds(a.number("timeout", 60)), [&] {
        return counter.have_inventory && counter.statuses.size() >= std::max(expect, counter.inventory);
    });
    const std::int64_t t = now_ns();
    const std::size_t got = counter.statuses.size(), messages = counter.messages, inventory = counter.inventory;
    lock.unlock();
    client.disconnect()->wait_for(std::chrono::seconds(2));
    if (!ok) fail("only " + std::to_string(got) + " extension statuses arrived (inventory: " + std::to_string(inventory) + ")");
    std::cout << "done " << t << " " << got << " " << messages << std::endl;
    return 0;
}

int storm(const Args& a) {
    const int port = static_cast<int>(a.number("control", 0));
    const long pid = a.number("pid", 0);
    const bool capture = !a.get("capture").empty();
    if (!a.get("prepare").empty()) {  // storm-prepare: generated before the clock starts
        const std::string reply = control(port, a.get("prepare"));
        if (reply.rfind("OK", 0) != 0) fail(a.get("prepare") + ": " + reply);
    }
    Subscriber sub(a.need("mqtt"), a.need("filter"), capture);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the retained replay passes
    sub.take_live();
    const double cpu0 = pid ? cpu_seconds(pid) : 0;
    const std::int64_t t0 = now_ns();
    const StormStatus s = run_storm(port, a.need("command"), static_cast<double>(a.number("timeout", 600)));
    const std::int64_t written = now_ns();
    const double cpu_written = pid ? cpu_seconds(pid) : 0;
    const long long switches_written = pid ? context_switches(pid) : 0;
    // --ami-port: when the bridge has read the last AMI byte. The simulator's last write is not
    // that moment: the kernel still holds what it wrote (up to megabytes of socket buffers), and
    // the bridge parses and applies it while it publishes. From here on it only publishes.
    std::int64_t ami_read = written;
    double cpu_ami_read = cpu_written;
    if (const int ami_port = static_cast<int>(a.number("ami-port", 0)); ami_port > 0) {
        const std::int64_t give_up = written + 60'000'000'000LL;
        while (ami_bytes_queued(ami_port) > 0 && now_ns() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ami_read = now_ns();
        cpu_ami_read = pid ? cpu_seconds(pid) : 0;
    }
    sub.wait_quiet(std::chrono::milliseconds(a.number("quiet-ms", 1500)), static_cast<double>(a.number("timeout", 600)));
    const double cpu1 = pid ? cpu_seconds(pid) : 0;
    const long long switches1 = pid ? context_switches(pid) : 0;
    auto live = sub.take_live();
    const std::int64_t last = live.empty() ? written : live.back().ns;
    const double e2e = static_cast<double>(last - t0) / 1e9;
    // After the simulator's last write (the drain) the bridge still reads the AMI the kernel holds;
    // after it has read the last byte it only publishes (the rate to hold against the bare
    // publisher's).
    std::size_t drained = 0, published_only = 0;
    for (const auto& m : live) {
        drained += m.ns > written ? 1 : 0;
        published_only += m.ns > ami_read ? 1 : 0;
    }
    const double drain_s = static_cast<double>(last - written) / 1e9;
    const double publish_s = static_cast<double>(last - ami_read) / 1e9;
    if (capture) {
        std::ofstream out(a.get("capture"));
        for (const auto& m : live) out << escape(m.topic) << '\t' << escape(m.payload) << '\n';
    }
    std::printf(
        "{\"events\":%llu,\"write_s\":%.3f,\"e2e_s\":%.3f,\"ingest_events_per_s\":%.0f,\"e2e_events_per_s\":%.0f,"
        "\"messages\":%zu,\"messages_per_s\":%.0f",
        static_cast<unsigned long long>(s.emitted), s.seconds, e2e, s.seconds > 0 ? static_cast<double>(s.emitted) / s.seconds : 0,
        e2e > 0 ? static_cast<double>(s.emitted) / e2e : 0, live.size(), e2e > 0 ? static_cast<double>(live.size()) / e2e : 0);
    std::printf(",\"drain_messages\":%zu,\"drain_s\":%.3f,\"drain_messages_per_s\":%.0f", drained, drain_s,
                drain_s > 0 ? static_cast<double>(drained) / drain_s : 0);
    // The drain's window in wall-clock time (a profile of it: `perf record -k CLOCK_REALTIME`,
    // then `perf report --time <written>,<last>` in seconds).
    std::printf(",\"drain_from_s\":%.6f,\"drain_to_s\":%.6f", static_cast<double>(written) / 1e9, static_cast<double>(last) / 1e9);
    // The part of the drain after the bridge read the last AMI byte (--ami-port): publishing only.
    std::printf(",\"ami_tail_s\":%.3f,\"publish_messages\":%zu,\"publish_s\":%.3f,\"publish_messages_per_s\":%.0f",
                static_cast<double>(ami_read - written) / 1e9, published_only, publish_s,
                publish_s > 0 ? static_cast<double>(published_only) / publish_s : 0);
    if (pid)
        std::printf(",\"cpu_s\":%.2f,\"cpu_s_per_100k_events\":%.3f,\"rss_kib\":%ld,\"peak_rss_kib\":%ld,"
                    "\"drain_cpu_us_per_message\":%.1f,\"drain_switches_per_message\":%.2f,\"publish_cpu_us_per_message\":%.1f",
                    cpu1 - cpu0, (cpu1 - cpu0) * 100000.0 / static_cast<double>(std::max<std::uint64_t>(1, s.emitted)),
                    status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM"),
                    drained > 0 ? (cpu1 - cpu_written) * 1e6 / static_cast<double>(drained) : 0.0,
                    drained > 0 ? static_cast<double>(switches1 - switches_written) / static_cast<double>(drained) : 0.0,
                    published_only > 0 ? (cpu1 - cpu_ami_read) * 1e6 / static_cast<double>(published_only) : 0.0);
    std::printf("}\n");
    return 0;
}

// The publish window the bridge uses (src/mqtt/paho_client.cpp): 256, or less when the broker
// says so in its CONNACK.
std::size_t window_for(const mqtt::token_ptr& connect_token) {
    std::size_t window = 256;
    const mqtt::connect_response response = connect_token->get_connect_response();
    const auto& props = response.get_properties();
    if (props.contains(mqtt::property::RECEIVE_MAXIMUM))
        window = std::min<std::size_t>(window, mqtt::get<std::uint16_t>(props, mqtt::property::RECEIVE_MAXIMUM));
    return window;
}

// The ceiling's counting subscriber, in a process of its own as in the bridge's phases (Paho C
// runs one send and one receive thread per process, shared by all its clients): forked before
// any Paho thread exists, it subscribes, says "ready", waits for `expect` messages (at most 240 s)
// and reports "<received> <unix ns of the last one>" through a pipe. It dies with its parent.
class CountingChild {
public:
    CountingChild(const std::string& uri, const std::string& filter, std::size_t expect) {
        int ready[2], result[2];
        if (::pipe(ready) != 0 || ::pipe(result) != 0) fail("pipe failed");
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) fail("fork failed");
        if (pid_ == 0) {
            ::close(ready[0]);
            ::close(result[0]);
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent) ::_exit(2);
            count(uri, filter, expect, ready[1], result[1]);
        }
        ::close(ready[1]);
        ::close(result[1]);
        result_fd_ = result[0];
        char r = 0;
        const bool started = ::read(ready[0], &r, 1) == 1;
        ::close(ready[0]);
        if (!started) {
            reap();
            fail("the counting subscriber did not start");
        }
    }
    ~CountingChild() {
        if (pid_ > 0) ::kill(pid_, SIGTERM);
        reap();
        if (result_fd_ >= 0) ::close(result_fd_);
    }
    CountingChild(const CountingChild&) = delete;
    CountingChild& operator=(const CountingChild&) = delete;

    // What it received; fails the run when the child failed.
    std::pair<std::size_t, std::int64_t> result() {
        std::string line;
        for (char c; ::read(result_fd_, &c, 1) == 1 && c != '\n';) line += c;
        const int status = reap();
        std::size_t got = 0;
        std::int64_t last = 0;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) || !(std::istringstream(line) >> got >> last))
            fail("the counting subscriber failed (wait status " + std::to_string(status) + ")");
        return {got, last};
    }

private:
    [[noreturn]] static void count(const std::string& uri, const std::string& filter, std::size_t expect, int ready_fd, int result_fd) {
        try {
            std::size_t got = 0;
            std::int64_t last = 0;
            {
                Subscriber sub(uri, filter, false);
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                sub.take_live();
                if (::write(ready_fd, "r", 1) != 1) ::_exit(2);
                const auto deadline = Clock::now() + std::chrono::seconds(240);
                while (sub.live_count() < expect && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                got = sub.live_count();
                last = sub.last_ns();
            }
            const std::string line = std::to_string(got) + " " + std::to_string(last) + "\n";
            ::_exit(::write(result_fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) ? 0 : 2);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_driver: counting subscriber: %s\n", e.what());
        } catch (...) {
        }
        ::_exit(2);
    }
    int reap() {
        int status = -1;
        if (pid_ > 0) ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }
    pid_t pid_ = -1;
    int result_fd_ = -1;
};

int ceiling(const Args& a) {
    std::vector<std::pair<std::string, std::string>> messages;
    {
        std::ifstream in(a.need("replay"));
        std::string line;
        while (std::getline(in, line)) {
            const auto tab = line.find('\t');
            if (tab == std::string::npos) continue;
            messages.emplace_back(unescape(line.substr(0, tab)), unescape(line.substr(tab + 1)));
        }
    }
    if (messages.empty()) fail("nothing to replay");
    // Rename the topics under a prefix of their own so they do not overwrite the bridge's tree.
    const std::string from = a.need("from-prefix"), to = a.need("to-prefix");
    std::vector<mqtt::message_ptr> prebuilt;
    prebuilt.reserve(messages.size());
    for (auto& [topic, payload] : messages) {
        std::string t = topic.rfind(from, 0) == 0 ? to + topic.substr(from.size()) : topic;
        prebuilt.push_back(mqtt::make_message(t, payload, 1, true));
    }
    const std::size_t expect = prebuilt.size();
    CountingChild counter(a.need("mqtt"), to + "/#", expect);
    // --pin one: the publisher (and Paho's threads, created with it) on one CPU, as the bridge
    // runs by default ([process] cpu): "as fast as Paho allows" for both.
    const std::string pin = a.get("pin", "any");
    if (pin != "one" && pin != "any") fail("--pin must be one or any");
    std::string pinned = "any";
    if (pin == "one") {
        const auto result = process::pin_process({process::CpuSetting::Mode::One, -1});
        if (result.cpu) pinned = std::to_string(*result.cpu);
    }

    class Completions : public virtual mqtt::callback {
    public:
        std::mutex m;
        std::condition_variable cv;
        std::size_t done = 0;
        void delivery_complete(mqtt::delivery_token_ptr) override {
            std::lock_guard l(m);
            ++done;
            cv.notify_one();
        }
    } completions;
    // --fragment-mb N: first leave N MB of the heap fragmented (blocks of 32-2,048 bytes, every
    // other one freed, in a shuffled order), as the bridge's heap is after a storm: does the same
    // publishing cost more in such a heap? (docs/benchmarks.md, "The drain, measured in pairs")
    std::vector<std::unique_ptr<char[]>> kept;
    if (const long mb = a.number("fragment-mb", 0); mb > 0) {
        std::mt19937 rng(7);
        std::uniform_int_distribution<std::size_t> size(32, 2048);
        std::vector<std::unique_ptr<char[]>> blocks;
        for (std::size_t total = 0; total < static_cast<std::size_t>(mb) << 20;) {
            const std::size_t n = size(rng);
            blocks.emplace_back(new char[n]);
            blocks.back()[0] = 1;
            total += n;
        }
        std::shuffle(blocks.begin(), blocks.end(), rng);
        for (std::size_t i = 0; i < blocks.size(); ++i)
            if (i % 2) kept.push_back(std::move(blocks[i]));
        blocks.clear();  // the other half freed, scattered through the heap
    }
    mqtt::create_options co(MQTTVERSION_5);
    co.set_max_buffered_messages(1000000);
    mqtt::async_client pub(a.need("mqtt"), "bench-ceiling-" + std::to_string(::getpid()), co);
    pub.set_callback(completions);
    auto tok = pub.connect(mqtt::connect_options_builder().mqtt_version(MQTTVERSION_5).clean_start(true).finalize());
    tok->wait();
    const std::size_t window = window_for(tok);
    const auto process_cpu = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
    };
    const double cpu0 = process_cpu();
    const long long switches0 = context_switches(::getpid());
    const std::int64_t t0 = now_ns();
    std::size_t sent = 0;
    for (const auto& m : prebuilt) {
        {
            std::unique_lock l(completions.m);
            completions.cv.wait(l, [&] { return sent - completions.done < window; });
        }
        pub.publish(m);
        ++sent;
    }
    {
        std::unique_lock l(completions.m);
        completions.cv.wait_for(l, std::chrono::seconds(120), [&] { return completions.done == sent; });
    }
    const double cpu = process_cpu() - cpu0;
    const long long switches = context_switches(::getpid()) - switches0;
    const auto [got, last] = counter.result();
    const double secs = static_cast<double>(last - t0) / 1e9;
    // Leave nothing behind: clear the copies.
    for (const auto& m : prebuilt) pub.publish(mqtt::make_message(m->get_topic(), std::string(), 0, true));
    pub.disconnect()->wait_for(std::chrono::seconds(5));
    std::printf("{\"messages\":%zu,\"received\":%zu,\"window\":%zu,\"cpu\":\"%s\",\"seconds\":%.3f,\"messages_per_s\":%.0f,"
                "\"cpu_us_per_message\":%.1f,\"switches_per_message\":%.2f}\n",
                expect, got, window, pinned.c_str(), secs, secs > 0 ? static_cast<double>(got) / secs : 0,
                expect > 0 ? cpu * 1e6 / static_cast<double>(expect) : 0.0,
                expect > 0 ? static_cast<double>(switches) / static_cast<double>(expect) : 0.0);
    return got == expect ? 0 : 1;
}

int latency(const Args& a) {
    const int port = static_cast<int>(a.number("control", 0));
    const std::string prefix = a.get("prefix", "pbx");
    Subscriber sub(a.need("mqtt"), prefix + "/extensions/+/status", false);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    sub.take_live();
    const StormStatus s = run_storm(port, a.need("command"), static_cast<double>(a.number("timeout", 600)));
    sub.wait_quiet(std::chrono::milliseconds(a.number("quiet-ms", 1000)), 60);
    auto live = sub.take_live();
    // Per extension: arrival times, in order.
    std::unordered_map<std::string, std::vector<std::int64_t>> arrivals;
    const std::string head = prefix + "/extensions/";
    for (const auto& m : live) {
        const std::string ext = m.topic.substr(head.size(), m.topic.size() - head.size() - std::string("/status").size());
        arrivals[ext].push_back(m.ns);
    }
    // The simulator's step log: "<ns> <extension> <kind>" per step.
    std::unordered_map<std::string, std::vector<std::int64_t>> sent;
    std::ifstream in(a.need("steps"));
    std::string line;
    std::size_t steps = 0;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::int64_t ns;
        std::string ext;
        if (fields >> ns >> ext) {
            sent[ext].push_back(ns);
            ++steps;
        }
    }
    std::vector<double> micros;
    std::size_t unmatched = 0;
    for (const auto& [ext, times] : sent) {
        const auto it = arrivals.find(ext);
        const std::size_t n = it == arrivals.end() ? 0 : it->second.size();
        for (std::size_t k = 0; k < times.size(); ++k) {
            if (k >= n) {
                ++unmatched;
                continue;
            }
            micros.push_back(static_cast<double>(it->second[k] - times[k]) / 1000.0);
        }
    }
    std::sort(micros.begin(), micros.end());
    auto pct = [&](double p) {
        if (micros.empty()) return 0.0;
        const auto i = static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1) + 0.5);
        return micros[std::min(i, micros.size() - 1)];
    };
    std::printf("{\"events\":%llu,\"steps\":%zu,\"matched\":%zu,\"unmatched\":%zu,\"p50_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f}\n",
                static_cast<unsigned long long>(s.emitted), steps, micros.size(), unmatched, pct(0.5), pct(0.99),
                micros.empty() ? 0.0 : micros.back());
    return unmatched == 0 && !micros.empty() ? 0 : 1;
}

// Times a bridge learns from a snapshot have one-second resolution (CoreShowChannels' Duration),
// times it learns from events are exact: times may differ by 2.5 s, durations (computed at
// publish time) are not compared. As tests/integration/oracle.cpp does.
bool is_time_key(const std::string& key) {
    return key == "startTime" || key == "duration" || (key.size() > 3 && key.compare(key.size() - 3, 3, "_at") == 0);
}

std::optional<double> seconds_of(const nlohmann::json& v) {
    if (v.is_number()) return v.get<double>() / 1000.0;
    if (!v.is_string()) return std::nullopt;
    std::tm tm{};
    int ms = 0;
    const std::string s = v.get<std::string>();
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

bool same_json(const nlohmann::json& a, const nlohmann::json& b, const std::string& key) {
    if (is_time_key(key) && !a.is_structured() && !b.is_structured()) {
        if (a.is_null() || b.is_null()) return a.is_null() == b.is_null();
        if (key == "duration") return a.is_number() && b.is_number();
        const auto ta = seconds_of(a), tb = seconds_of(b);
        return ta && tb && std::abs(*ta - *tb) <= 2.5;
    }
    if (a.type() != b.type()) return false;
    if (a.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto& [k, v] : a.items())
            if (!b.contains(k) || !same_json(v, b[k], k)) return false;
        return true;
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!same_json(a[i], b[i], key)) return false;
        return true;
    }
    return a == b;
}

bool same_payload(const std::string& a, const std::string& b) {
    if (a == b) return true;
    const auto ja = nlohmann::json::parse(a, nullptr, false), jb = nlohmann::json::parse(b, nullptr, false);
    return !ja.is_discarded() && !jb.is_discarded() && same_json(ja, jb, "");
}

// The retained tree under <prefix>/, its own topics (bridge/, ami/) left out.
std::map<std::string, std::string> retained_tree(const std::string& uri, const std::string& prefix) {
    Subscriber sub(uri, prefix + "/#", true);
    // The retained replay arrives as one burst: wait until it stops.
    std::size_t last = 0;
    for (int quiet = 0; quiet < 10;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const std::size_t n = sub.retained_count();
        quiet = n == last ? quiet + 1 : 0;
        last = n;
    }
    std::map<std::string, std::string> tree;
    for (auto& [topic, payload] : sub.take_retained()) {
        const std::string rest = topic.substr(prefix.size() + 1);
        if (rest.rfind("bridge/", 0) == 0 || rest.rfind("ami/", 0) == 0 || payload.empty()) continue;
        tree[rest] = payload;
    }
    return tree;
}

int compare(const Args& a) {
    const auto x = retained_tree(a.need("mqtt"), a.need("a"));
    const auto y = retained_tree(a.need("mqtt"), a.need("b"));
    std::size_t differ = 0;
    auto report = [&](const std::string& topic, const std::string& what) {
        if (++differ <= 10) std::printf("%s: %s\n", topic.c_str(), what.c_str());
    };
    for (const auto& [topic, payload] : x) {
        const auto it = y.find(topic);
        if (it == y.end()) report(topic, "only under " + a.need("a"));
        else if (!same_payload(payload, it->second)) report(topic, a.need("a") + " " + payload.substr(0, 300) + " != " + it->second.substr(0, 300));
    }
    for (const auto& [topic, payload] : y)
        if (!x.count(topic)) report(topic, "only under " + a.need("b"));
    if (differ == 0) std::printf("%zu topics equal\n", x.size());
    else std::printf("%zu of %zu topics differ\n", differ, std::max(x.size(), y.size()));
    return differ == 0 && !x.empty() ? 0 : 1;
}

// A free loopback TCP port (bound and released: for the broker's listener).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        fail("cannot find a free port");
    std::printf("%d\n", ntohs(addr.sin_port));
    ::close(fd);
    return 0;
}

int cpu(const Args& a) {
    const long pid = a.number("pid", 0);
    const double seconds = static_cast<double>(a.number("seconds", 5));
    const double c0 = cpu_seconds(pid);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const double c1 = cpu_seconds(pid);
    std::printf("{\"seconds\":%.0f,\"cpu_s\":%.3f,\"rss_kib\":%ld,\"peak_rss_kib\":%ld}\n", seconds, c1 - c0, status_kib(pid, "VmRSS"),
                status_kib(pid, "VmHWM"));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse_args(argc, argv);
    try {
        if (a.phase == "startup") return startup(a);
        if (a.phase == "storm") return storm(a);
        if (a.phase == "ceiling") return ceiling(a);
        if (a.phase == "latency") return latency(a);
        if (a.phase == "cpu") return cpu(a);
        if (a.phase == "port") return free_port();
        if (a.phase == "compare") return compare(a);
    } catch (const mqtt::exception& e) {
        fail(std::string("MQTT: ") + e.what());
    }
    fail("unknown phase " + a.phase);
}
