// The real ami-sim binary's storms, as a benchmark drives them: a client logged in with events on
// gets exactly the bytes storm-prepare made when storm-go sends them, storm-log writes one line
// per step sent, and storm-status says done once the last byte was written.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace sim_storm_test {  // named: the unity build compiles several test files as one

using namespace std::chrono_literals;

// A blocking AMI client on loopback that logs in with events on.
class AmiReader {
public:
    explicit AmiReader(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("cannot connect to the simulator");
        const std::string login = "Action: Login\r\nUsername: bridge\r\nSecret: bridgepass\r\nEvents: on\r\n\r\n";
        if (::send(fd_, login.data(), login.size(), 0) != static_cast<ssize_t>(login.size()))
            throw std::runtime_error("cannot send the login");
        // The banner, the login answer and FullyBooted.
        while (read_some(5s))
            if (buffer_.find("Event: FullyBooted\r\n") != std::string::npos &&
                buffer_.find("\r\n\r\n", buffer_.find("Event: FullyBooted\r\n")) != std::string::npos)
                break;
        buffer_.clear();
    }
    ~AmiReader() { ::close(fd_); }

    // Reads until `size` bytes came (or `timeout` passed without any); returns what was read.
    std::string read_bytes(std::size_t size, std::chrono::milliseconds timeout) {
        while (buffer_.size() < size && read_some(timeout)) {}
        return std::exchange(buffer_, {});
    }

private:
    bool read_some(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
        char chunk[65536];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string buffer_;
};

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

// The phone of each DeviceStateChange, in order: with devstate, one per step.
std::vector<std::string> devices(const std::string& wire) {
    std::vector<std::string> out;
    const std::string marker = "Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: ";
    for (auto at = wire.find(marker); at != std::string::npos; at = wire.find(marker, at + 1)) {
        const auto begin = at + marker.size();
        std::string device = wire.substr(begin, wire.find("\r\n", begin) - begin);
        if (device.rfind("SIP/", 0) == 0) out.push_back(std::move(device));  // not a queue's _avail
    }
    return out;
}

struct LogLine {
    long long ns = 0;
    std::string extension;
    std::string kind;
};

struct Log {
    std::vector<LogLine> steps;
    std::vector<std::string> trailers;  // "# end ..." lines
};

Log read_log(const std::filesystem::path& path) {
    Log log;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("#", 0) == 0) {
            log.trailers.push_back(line);
            continue;
        }
        const auto w = words(line);
        EXPECT_EQ(w.size(), 3u) << line;
        if (w.size() == 3) log.steps.push_back({std::stoll(w[0]), w[1], w[2]});
    }
    return log;
}

harness::SimulatorOptions with_extensions(const std::string& count) {
    harness::SimulatorOptions options;
    options.extra_args = {"--extensions", count};
    return options;
}

bool storm_done(harness::Simulator& sim) { return sim.control("storm-status").rfind("OK done ", 0) == 0; }

TEST(SimStorm, PreparedStormSendsExactlyThePreparedBytes) {
    harness::Simulator sim(with_extensions("300"));
    EXPECT_EQ(sim.control("calls 50"), "OK 1 50");
    AmiReader reader(sim.ami_port());
    const auto log_path = harness::unique_output_path("steps", ".log");
    EXPECT_EQ(sim.control("storm-log " + log_path.string()), "OK " + log_path.string());

    const auto prepared = words(sim.control("storm-prepare 20000 devstate"));
    ASSERT_EQ(prepared.size(), 5u);
    ASSERT_EQ(prepared[0] + " " + prepared[1], "OK prepared");
    const std::uint64_t events = std::stoull(prepared[2]);
    const std::size_t bytes = std::stoull(prepared[3]);
    EXPECT_GE(events, 20000u);
    EXPECT_EQ(sim.control("storm-status"), "OK prepared 0 " + prepared[2] + " 0.000");
    EXPECT_EQ(sim.control("storm 10"), "ERR a storm is prepared (storm-go sends it, storm-stop drops it)");
    EXPECT_EQ(sim.control("storm-go"), "OK storm " + prepared[2] + " 1");

    const std::string wire = reader.read_bytes(bytes, 10s);
    EXPECT_EQ(wire.size(), bytes);
    EXPECT_EQ(count(wire, "\r\n\r\n"), events);
    EXPECT_EQ(reader.read_bytes(bytes + 1, 300ms), "");  // nothing after the storm
    ASSERT_TRUE(harness::eventually([&] { return storm_done(sim); }, 10s)) << sim.control("storm-status");
    const auto status = words(sim.control("storm-status"));
    EXPECT_EQ(status[2], prepared[2]);
    EXPECT_EQ(sim.control("storm-go"), "ERR no storm is prepared (storm-prepare)");

    // One line per step, in the order sent: with devstate, each step is one extension's
    // DeviceStateChange.
    const Log log = read_log(log_path);
    const auto changed = devices(wire);
    ASSERT_EQ(log.steps.size(), changed.size());
    for (std::size_t i = 0; i < changed.size(); ++i) {
        EXPECT_EQ("SIP/" + log.steps[i].extension, changed[i]) << i;
        EXPECT_EQ(log.steps[i].kind, "devstate");
        if (i > 0) {
            EXPECT_GE(log.steps[i].ns, log.steps[i - 1].ns);
        }
    }
    ASSERT_EQ(log.trailers.size(), 1u);
    EXPECT_EQ(log.trailers[0].rfind("# end done events=" + prepared[2] + " seconds=", 0), 0u) << log.trailers[0];
    EXPECT_NE(sim.log().find("ami-sim storm done " + prepared[2] + " "), std::string::npos);
    // The held calls are still there.
    EXPECT_EQ(sim.control("hangup-all"), "OK 50");
}

TEST(SimStorm, PacedStormLogsEveryStepWhenItIsWritten) {
    harness::Simulator sim(with_extensions("100"));
    AmiReader reader(sim.ami_port());
    const auto log_path = harness::unique_output_path("steps", ".log");
    EXPECT_EQ(sim.control("storm-log " + log_path.string()), "OK " + log_path.string());
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(sim.control("storm 600 2000 devstate"), "OK storm 600");
    ASSERT_TRUE(harness::eventually([&] { return storm_done(sim); }, 10s)) << sim.control("storm-status");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_GT(seconds, 0.25);  // paced: 600 events at 2,000/s
    const std::string wire = reader.read_bytes(1 << 30, 300ms);
    const Log log = read_log(log_path);
    const auto changed = devices(wire);
    ASSERT_EQ(log.steps.size(), changed.size());
    for (std::size_t i = 0; i < changed.size(); ++i) EXPECT_EQ("SIP/" + log.steps[i].extension, changed[i]) << i;
    // Paced: the steps were written over the storm's time, not all at once.
    EXPECT_GT(log.steps.back().ns - log.steps.front().ns, 200'000'000);
    ASSERT_EQ(log.trailers.size(), 1u);
    EXPECT_EQ(log.trailers[0].rfind("# end done ", 0), 0u);

    // Mixed storm with queue callers, live, as fast as read: the same bytes count and done.
    EXPECT_EQ(sim.control("storm-log off"), "OK");
    EXPECT_EQ(sim.control("storm 5000"), "OK storm 5000");
    ASSERT_TRUE(harness::eventually([&] { return storm_done(sim); }, 20s)) << sim.control("storm-status");
    const std::string mixed = reader.read_bytes(1 << 30, 300ms);
    EXPECT_EQ(count(mixed, "\r\n\r\n"), std::stoull(words(sim.control("storm-status"))[2]));
}

}  // namespace sim_storm_test
