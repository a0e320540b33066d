#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <mqtt/async_client.h>

extern char** environ;

namespace harness {

namespace fs = std::filesystem;

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Closes a file descriptor on scope exit.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

// A connected TCP socket to 127.0.0.1:port, or -1.
int connect_loopback(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr = loopback(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool port_open(std::uint16_t port) {
    int fd = connect_loopback(port);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

// The build tree: the bridge binary sits at its top.
fs::path build_dir() { return fs::path(PBX2MQTT_BRIDGE_BIN).parent_path(); }

std::string sanitize(std::string name) {
    for (char& c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '-' || c == '_';
        if (!ok) c = '_';
    }
    return name;
}

std::mutex output_mutex;
std::set<fs::path> cleaned_dirs;  // output dirs emptied in this run of their test
std::set<fs::path> used_paths;    // paths handed out by unique_output_path in this run of their test

std::atomic<int> test_iteration{0};

// Each run of a test starts with an empty output directory; with --gtest_repeat each iteration
// has its own (<test>.run2, ...), so the logs of a run that failed survive the runs after it.
class FreshOutputPerRun : public ::testing::EmptyTestEventListener {
    void OnTestIterationStart(const ::testing::UnitTest&, int iteration) override { test_iteration = iteration; }
    void OnTestStart(const ::testing::TestInfo&) override {
        std::lock_guard lock(output_mutex);
        cleaned_dirs.clear();
        used_paths.clear();
    }
};
[[maybe_unused]] const bool fresh_output_registered = [] {
    ::testing::UnitTest::GetInstance()->listeners().Append(new FreshOutputPerRun);
    return true;
}();

// Looks a program up in PATH and then in the sbin directories (mosquitto lives in /usr/sbin,
// which a non-root PATH usually lacks).
std::string find_program(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/local/sbin:/usr/sbin:/sbin";
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) continue;
        fs::path candidate = fs::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return name;
}

void write_file(const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

std::uint16_t free_tcp_port() {
    Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (sock.fd < 0) throw std::runtime_error(errno_text("socket"));
    sockaddr_in addr = loopback(0);
    if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error(errno_text("bind 127.0.0.1:0"));
    socklen_t len = sizeof addr;
    if (::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error(errno_text("getsockname"));
    return ntohs(addr.sin_port);
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
    return eventually([port] { return port_open(port); }, timeout, 20ms);
}

fs::path test_output_dir() {
    std::string name = "no-test";
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info())
        name = sanitize(std::string(info->test_suite_name()) + "." + info->name());
    if (const int iteration = test_iteration.load(); iteration > 0) name += ".run" + std::to_string(iteration + 1);
    fs::path dir = build_dir() / "test-output" / name;
    std::lock_guard lock(output_mutex);
    if (cleaned_dirs.insert(dir).second) fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

fs::path node_dir() {
    if (const char* d = std::getenv("PBX2MQTT_NODE_DIR")) return d;
    return fs::path(PBX2MQTT_SOURCE_DIR) / "build-node";
}

fs::path unique_output_path(const std::string& stem, const std::string& extension) {
    fs::path dir = test_output_dir();
    std::lock_guard lock(output_mutex);
    for (int n = 1;; ++n) {
        fs::path candidate = dir / (stem + (n == 1 ? "" : "-" + std::to_string(n)) + extension);
        if (used_paths.insert(candidate).second) return candidate;
    }
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (pred()) return true;
        if (Clock::now() >= deadline) return pred();
        std::this_thread::sleep_for(interval);
    }
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// ---------------------------------------------------------------------------------------------
// Process

Process::Process(std::vector<std::string> argv, std::map<std::string, std::string> extra_env, std::string name)
    : argv_(std::move(argv)) {
    if (argv_.empty()) throw std::invalid_argument("Process: empty argv");
    if (name.empty()) name = fs::path(argv_[0]).filename().string();
    log_path_ = unique_output_path(sanitize(name), ".log");

    std::vector<std::string> env_strings;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        auto key = std::string(entry.substr(0, entry.find('=')));
        if (!extra_env.count(key)) env_strings.emplace_back(entry);
    }
    for (const auto& [key, value] : extra_env) env_strings.push_back(key + "=" + value);

    std::vector<char*> argv_ptrs;
    for (auto& arg : argv_) argv_ptrs.push_back(arg.data());
    argv_ptrs.push_back(nullptr);
    std::vector<char*> env_ptrs;
    for (auto& entry : env_strings) env_ptrs.push_back(entry.data());
    env_ptrs.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    // Our sockets (Paho's, gtest's) must not live on in the child.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);

    // Default dispositions and an empty mask, whatever the test runner set up.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    int rc = ::posix_spawnp(&pid_, argv_[0].c_str(), &actions, &attr, argv_ptrs.data(), env_ptrs.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + argv_[0] + ": " + std::strerror(rc));
    }
}

Process::~Process() {
    try {
        stop();
    } catch (...) {
    }
}

bool Process::try_reap() {
    if (status_) return true;
    if (pid_ <= 0) return true;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = status;
        return true;
    }
    if (r < 0 && errno == ECHILD) {  // reaped elsewhere; should not happen
        status_ = -1;
        return true;
    }
    return false;
}

bool Process::running() { return !try_reap(); }

bool Process::signal(int sig) {
    if (try_reap()) return false;  // never signal a reaped pid: it may have been reused
    return ::kill(pid_, sig) == 0;
}

bool Process::wait_exit(std::chrono::milliseconds timeout, int* status) {
    bool exited = eventually([this] { return try_reap(); }, timeout, 5ms);
    if (exited && status) *status = status_.value_or(-1);
    return exited;
}

int Process::stop(std::chrono::milliseconds timeout) {
    if (signal(SIGTERM) && !wait_exit(timeout)) {
        signal(SIGKILL);
        wait_exit(10s);
    }
    return status_.value_or(-1);
}

std::string Process::log() const { return read_file(log_path_); }

bool Process::wait_for_log(std::string_view needle, std::chrono::milliseconds timeout) const {
    return eventually([&] { return log().find(needle) != std::string::npos; }, timeout, 20ms);
}

// ---------------------------------------------------------------------------------------------
// Mosquitto

Mosquitto::Mosquitto(MosquittoOptions options) : options_(std::move(options)) {
    // A port picked by free_tcp_port() can be taken by someone else before mosquitto binds it:
    // try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
        port_ = free_tcp_port();
        if (launch()) return;
    }
    throw std::runtime_error("mosquitto did not start; last log:\n" + log());
}

Mosquitto::~Mosquitto() {
    try {
        stop();
    } catch (...) {
    }
}

std::string Mosquitto::uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

bool Mosquitto::running() const { return process_ && process_->running(); }

std::string Mosquitto::log() const { return process_ ? process_->log() : std::string(); }

bool Mosquitto::launch() {
    config_path_ = unique_output_path("mosquitto-" + std::to_string(port_), ".conf");
    std::ostringstream conf;
    conf << options_.global << (options_.global.empty() || options_.global.back() == '\n' ? "" : "\n")
         << "listener " << port_ << " 127.0.0.1\n"
         << "allow_anonymous true\n"
         << "persistence false\n"
         << "log_dest stderr\n"
         << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
         << "log_type subscribe\nlog_type unsubscribe\n"
         << "log_timestamp_format %H:%M:%S\n";
    // As root, mosquitto drops to user "mosquitto" and then may not read our files (trap 10).
    if (::geteuid() == 0) conf << "user root\n";
    conf << options_.extra << "\n";
    write_file(config_path_, conf.str());

    process_ = std::make_unique<Process>(std::vector<std::string>{find_program("mosquitto"), "-c", config_path_},
                                         std::map<std::string, std::string>{}, "mosquitto");
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
        if (!process_->running()) return false;
        if (port_open(port_)) return true;
        std::this_thread::sleep_for(10ms);
    }
    process_->stop();
    return false;
}

void Mosquitto::stop() {
    if (!process_ || !process_->running()) return;
    process_->signal(SIGTERM);
    if (process_->wait_exit(500ms)) return;
    process_->signal(SIGTERM);
    if (process_->wait_exit(2s)) return;
    process_->signal(SIGKILL);
    process_->wait_exit(10s);
}

void Mosquitto::start() {
    if (running()) return;
    // The old listener may take a moment to be released; mosquitto sets SO_REUSEADDR.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (launch()) return;
        std::this_thread::sleep_for(200ms);
    }
    throw std::runtime_error("mosquitto did not restart on port " + std::to_string(port_) + "; log:\n" + log());
}

void Mosquitto::restart() {
    stop();
    start();
}

// ---------------------------------------------------------------------------------------------
// Snapshot and MqttProbe

std::optional<std::string> Snapshot::value(const std::string& topic) const {
    auto it = latest.find(topic);
    if (it == latest.end()) return std::nullopt;
    return it->second;
}

std::size_t Snapshot::count(const std::string& topic) const {
    std::size_t n = 0;
    for (const auto& m : messages) n += (m.topic == topic);
    return n;
}

struct MqttProbe::Impl {
    // Written by Paho's receive thread, read by the test thread.
    mutable std::mutex mutex;
    std::condition_variable changed;
    Snapshot snapshot;
    std::atomic<bool> is_connected{false};

    std::string client_id;
    int version = 5;
    std::string username;
    std::string password;
    std::vector<std::pair<std::string, int>> subscriptions;
    mqtt::connect_options connect_options;
    std::unique_ptr<mqtt::async_client> client;  // last member: destroyed first, callbacks stop

    void on_message(const mqtt::const_message_ptr& msg) {
        Message m{msg->get_topic(), msg->get_payload_str(), msg->is_retained(), msg->get_qos(), Clock::now(), std::nullopt};
        const auto& props = msg->get_properties();
        if (props.contains(mqtt::property::CORRELATION_DATA))
            m.correlation_data = mqtt::get<mqtt::binary>(props, mqtt::property::CORRELATION_DATA);
        {
            std::lock_guard lock(mutex);
            snapshot.latest[m.topic] = m.payload;
            if (m.retained) {
                if (m.payload.empty())
                    snapshot.retained.erase(m.topic);
                else
                    snapshot.retained[m.topic] = m.payload;
            }
            snapshot.messages.push_back(std::move(m));
        }
        changed.notify_all();
    }

    void require_client() const {
        if (!client) throw std::logic_error("MqttProbe: connect() first");
    }

    // Waits for a Paho token; a failed action throws mqtt::exception from wait_for.
    static void await(const mqtt::token_ptr& token, std::chrono::milliseconds timeout, const std::string& what) {
        try {
            if (!token->wait_for(timeout))
                throw std::runtime_error("MqttProbe: " + what + " timed out after " +
                                         std::to_string(timeout.count()) + " ms");
        } catch (const mqtt::exception& e) {
            throw std::runtime_error("MqttProbe: " + what + " failed: " + e.what());
        }
    }

    void do_connect(std::chrono::milliseconds timeout) {
        await(client->connect(connect_options), timeout, "connect to " + client->get_server_uri());
        is_connected = true;
    }
};

MqttProbe::MqttProbe() : impl_(std::make_unique<Impl>()) {
    static std::atomic<int> counter{0};
    impl_->client_id = "probe-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

MqttProbe::~MqttProbe() {
    try {
        if (impl_->client && impl_->client->is_connected()) disconnect(2s);
    } catch (...) {
    }
}

void MqttProbe::connect(const std::string& uri, std::chrono::milliseconds timeout, int version) {
    if (impl_->client) throw std::logic_error("MqttProbe: already connected once; use reconnect()");
    impl_->version = version;
    const int paho_version = version == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    // MQTT 5 must be chosen at creation too, or connect fails with -16 (STACK.md trap 2).
    impl_->client = std::make_unique<mqtt::async_client>(uri, impl_->client_id,
                                                         mqtt::create_options(paho_version));
    Impl* impl = impl_.get();
    impl_->client->set_message_callback([impl](mqtt::const_message_ptr msg) { impl->on_message(msg); });
    impl_->client->set_connection_lost_handler([impl](const std::string&) { impl->is_connected = false; });
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout + 999ms);
    auto builder = mqtt::connect_options_builder();
    builder.mqtt_version(paho_version);
    if (version == 5) builder.clean_start(true);
    else builder.clean_session(true);
    if (!impl_->username.empty()) builder.user_name(impl_->username).password(impl_->password);
    impl_->connect_options = builder.connect_timeout(std::max(seconds, std::chrono::seconds(1)))
                                 .keep_alive_interval(std::chrono::seconds(30))
                                 .finalize();
    impl_->do_connect(timeout);
}

void MqttProbe::set_credentials(std::string username, std::string password) {
    impl_->username = std::move(username);
    impl_->password = std::move(password);
}

void MqttProbe::reconnect(std::chrono::milliseconds timeout) {
    impl_->require_client();
    impl_->do_connect(timeout);
    for (const auto& [filter, qos] : impl_->subscriptions) {
        mqtt::subscribe_options options(false, true);
        Impl::await(impl_->version == 5 ? impl_->client->subscribe(filter, qos, options) : impl_->client->subscribe(filter, qos),
                    timeout, "subscribe " + filter);
    }
}

void MqttProbe::disconnect(std::chrono::milliseconds timeout) {
    impl_->require_client();
    impl_->is_connected = false;
    Impl::await(impl_->client->disconnect(), timeout, "disconnect");
}

bool MqttProbe::connected() const { return impl_->is_connected && impl_->client && impl_->client->is_connected(); }

const std::string& MqttProbe::client_id() const { return impl_->client_id; }

void MqttProbe::subscribe(const std::string& filter, int qos, std::chrono::milliseconds timeout) {
    impl_->require_client();
    // no_local off (a probe sees its own publishes); retain_as_published on, so a live retained
    // publish still carries its retain flag, and the retained store can be mirrored.
    mqtt::subscribe_options options(false, true);
    // The SUBACK reason code is not checked: Paho C++ 1.2 returns garbage in
    // get_subscribe_response() for a one-topic MQTT 5 SUBACK, and this broker grants everything.
    // MQTT 3.1.1 has no subscribe options (and no retain-as-published).
    Impl::await(impl_->version == 5 ? impl_->client->subscribe(filter, qos, options) : impl_->client->subscribe(filter, qos),
                timeout, "subscribe " + filter);
    impl_->subscriptions.emplace_back(filter, qos);
}

void MqttProbe::publish(const std::string& topic, const std::string& payload, bool retain, int qos,
                        std::chrono::milliseconds timeout) {
    impl_->require_client();
    auto token = impl_->client->publish(mqtt::make_message(topic, payload, qos, retain));
    Impl::await(token, timeout, "publish " + topic);
}

void MqttProbe::request(const std::string& topic, const std::string& payload, const std::string& response_topic,
                        const std::string& correlation_data, std::chrono::milliseconds timeout) {
    impl_->require_client();
    auto msg = mqtt::make_message(topic, payload, 1, false);
    mqtt::properties props;
    props.add(mqtt::property(mqtt::property::RESPONSE_TOPIC, response_topic));
    props.add(mqtt::property(mqtt::property::CORRELATION_DATA, correlation_data));
    msg->set_properties(props);
    Impl::await(impl_->client->publish(msg), timeout, "publish " + topic);
}

bool MqttProbe::wait_for(const std::function<bool(const Snapshot&)>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return pred(impl_->snapshot); });
}

std::optional<std::string> MqttProbe::wait_for_value(const std::string& topic, const std::string& expected,
                                                     std::chrono::milliseconds timeout) {
    std::optional<std::string> last;
    wait_for(
        [&](const Snapshot& s) {
            last = s.value(topic);
            return last == expected;
        },
        timeout);
    return last;
}

std::map<std::string, std::string> MqttProbe::retained_tree(const std::string& prefix) const {
    std::lock_guard lock(impl_->mutex);
    std::map<std::string, std::string> tree;
    for (const auto& [topic, payload] : impl_->snapshot.retained) {
        bool under = prefix.empty() || topic == prefix ||
                     (topic.compare(0, prefix.size(), prefix) == 0 &&
                      (prefix.back() == '/' || (topic.size() > prefix.size() && topic[prefix.size()] == '/')));
        if (under) tree.emplace(topic, payload);
    }
    return tree;
}

Snapshot MqttProbe::snapshot() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->snapshot;
}

void MqttProbe::clear() {
    std::lock_guard lock(impl_->mutex);
    impl_->snapshot = Snapshot{};
}

// ---------------------------------------------------------------------------------------------
// Simulator

Simulator::Simulator(SimulatorOptions options) {
    fs::path port_file = unique_output_path("ami-sim-ports", ".txt");
    const std::string ami_port = std::to_string(options.ami_port.value_or(0));
    const std::string control_port = std::to_string(options.control_port.value_or(0));
    std::vector<std::string> argv = {PBX2MQTT_SIM_BIN, "--port",     ami_port,     "--control-port",
                                     control_port,     "--port-file", port_file,   "--flavor",
                                     options.flavor,   "--scenario",  options.scenario, "--username",
                                     options.username, "--secret",    options.secret};
    if (options.seed) {
        argv.push_back("--seed");
        argv.push_back(std::to_string(*options.seed));
    }
    if (options.record) {
        argv.push_back("--record");
        argv.push_back(options.record->string());
    }
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    process_ = std::make_unique<Process>(std::move(argv), std::map<std::string, std::string>{}, "ami-sim");

    // The file is complete once both lines, each with its line end, are there.
    auto parse = [&] {
        std::istringstream lines(read_file(port_file));
        std::string line;
        std::uint16_t ami = 0, control = 0;
        while (std::getline(lines, line)) {
            if (lines.eof()) break;  // no line end yet: still being written
            if (line.rfind("ami=", 0) == 0) ami = static_cast<std::uint16_t>(std::stoul(line.substr(4)));
            if (line.rfind("control=", 0) == 0) control = static_cast<std::uint16_t>(std::stoul(line.substr(8)));
        }
        if (ami == 0 || control == 0) return false;
        ami_port_ = ami;
        control_port_ = control;
        return true;
    };
    const auto deadline = Clock::now() + 10s;
    while (!parse()) {
        if (!process_->running())
            throw std::runtime_error("ami-sim exited before writing its port file; log:\n" + process_->log());
        if (Clock::now() >= deadline)
            throw std::runtime_error("ami-sim wrote no port file within 10 s; log:\n" + process_->log());
        std::this_thread::sleep_for(10ms);
    }
}

std::string Simulator::control(const std::string& line, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    Fd sock(connect_loopback(control_port_));
    if (sock.fd < 0) throw std::runtime_error(errno_text("ami-sim control: connect"));
    std::string out = line + "\n";
    for (std::size_t sent = 0; sent < out.size();) {
        ssize_t n = ::send(sock.fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n < 0) throw std::runtime_error(errno_text("ami-sim control: send"));
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    for (;;) {
        auto pos = reply.find('\n');
        if (pos != std::string::npos) {
            reply.resize(pos);
            if (!reply.empty() && reply.back() == '\r') reply.pop_back();
            return reply;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            throw std::runtime_error("ami-sim control: no reply to '" + line + "' within " +
                                     std::to_string(timeout.count()) + " ms");
        pollfd pfd{sock.fd, POLLIN, 0};
        int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) throw std::runtime_error(errno_text("ami-sim control: poll"));
        if (ready <= 0) continue;
        char buf[512];
        ssize_t n = ::recv(sock.fd, buf, sizeof buf, 0);
        if (n < 0) throw std::runtime_error(errno_text("ami-sim control: recv"));
        if (n == 0) throw std::runtime_error("ami-sim control: connection closed before a reply to '" + line + "'");
        reply.append(buf, static_cast<std::size_t>(n));
    }
}

// ---------------------------------------------------------------------------------------------
// BridgeConfig and Bridge

std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    char esc[8];
                    std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                    out += esc;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

BridgeConfig& BridgeConfig::set(const std::string& section, const std::string& key, const std::string& toml_literal) {
    overrides[section][key] = toml_literal;
    return *this;
}

BridgeConfig& BridgeConfig::unset(const std::string& section, const std::string& key) {
    overrides[section][key] = std::nullopt;
    return *this;
}

std::string BridgeConfig::render() const {
    static std::atomic<int> counter{0};
    std::string client_id = mqtt_client_id;
    if (client_id.empty()) client_id = "pbx2mqtt-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    std::string trunk_list = "[";
    for (std::size_t i = 0; i < trunks.size(); ++i) trunk_list += (i ? ", " : "") + toml_string(trunks[i]);
    trunk_list += "]";

    // Sections in the order of the example config; keys in insertion order.
    std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::optional<std::string>>>>> sections = {
        {"ami",
         {{"host", toml_string(ami_host)},
          {"port", std::to_string(ami_port)},
          {"username", toml_string(ami_username)},
          {"password", toml_string(ami_password)},
          {"reconnect", ami_reconnect ? "true" : "false"},
          {"reconnect_after", std::to_string(ami_reconnect_after_ms)},
          {"reconnect_max", std::to_string(std::max(ami_reconnect_max_ms, ami_reconnect_after_ms))}}},
        {"mqtt", {{"uri", toml_string(mqtt_uri)}, {"client_id", toml_string(client_id)},
                  {"base_topic", toml_string(base_topic)}}},
        {"pbx", {{"trunks", trunk_list}}},
        {"log", {{"level", toml_string(log_level)}}},
    };
    for (const auto& [section, keys] : overrides) {
        auto it = std::find_if(sections.begin(), sections.end(), [&](const auto& s) { return s.first == section; });
        if (it == sections.end()) it = sections.insert(sections.end(), {section, {}});
        for (const auto& [key, value] : keys) {
            auto kit = std::find_if(it->second.begin(), it->second.end(), [&](const auto& k) { return k.first == key; });
            if (kit == it->second.end())
                it->second.emplace_back(key, value);
            else
                kit->second = value;
        }
    }

    std::string text = "# Written by the integration test harness.\n";
    for (const auto& [section, keys] : sections) {
        text += "\n[" + section + "]\n";
        for (const auto& [key, value] : keys)
            if (value) text += key + " = " + *value + "\n";
    }
    return text;
}

Bridge::Bridge(const BridgeConfig& config, std::vector<std::string> extra_args,
               std::map<std::string, std::string> extra_env) {
    config_path_ = unique_output_path("pbx2mqtt", ".toml");
    write_file(config_path_, config.render());
    std::vector<std::string> argv = {PBX2MQTT_BRIDGE_BIN, "--config", config_path_.string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<Process>(std::move(argv), std::move(extra_env), "pbx2mqtt");
}

void sh(const std::string& command) {
    const std::string log = (test_output_dir() / "shell.log").string();
    const int rc = std::system((command + " >>'" + log + "' 2>&1").c_str());
    if (rc != 0) throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + command + "\n" + read_file(log));
}

Bridge::~Bridge() {
    // A bridge still running at the end of a test is stopped the way an operator would: its exit
    // status then tells whether shutdown was clean and LeakSanitizer found nothing (ASan builds
    // abort on a leak). A bridge that exited (or was killed) on the test's own terms is the
    // test's business; its log is still checked for sanitizer reports.
    const bool was_running = process_->running();
    const int status = was_running ? process_->stop(5s) : process_->exit_status().value_or(0);
    const std::string log = process_->log();
    for (const char* report : {"ERROR: LeakSanitizer", "ERROR: AddressSanitizer", "runtime error:"}) {
        if (log.find(report) != std::string::npos)
            ADD_FAILURE() << "sanitizer report in the bridge's log (" << process_->log_path() << "):\n" << log;
    }
    if (was_running && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        ADD_FAILURE() << "the bridge did not exit cleanly on SIGTERM (wait status " << status << "); log "
                      << process_->log_path();
}

}  // namespace harness
