#pragma once
// The AMI I/O edge: one TCP connection at a time on the bridge's io_context, carrying bytes
// between the socket and the pure BridgeCore, with a reconnect loop (capped backoff with
// decorrelated jitter, as mosquitto's bridge does) and the core's timers on one steady_timer.
#include <utility>  // before Asio: Boost 1.74 + C++20 needs std::exchange declared

#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace core {
class BridgeCore;
}

namespace ami {

struct ClientOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 5038;
    bool reconnect = true;
    std::chrono::milliseconds reconnect_after{3000};
    std::chrono::milliseconds reconnect_max{30000};
    std::chrono::milliseconds connect_timeout{5000};
};

class Client {
public:
    Client(boost::asio::io_context& io, core::BridgeCore& core, ClientOptions options);
    ~Client();

    void start();
    // Closes the connection; no reconnect afterwards.
    void stop();
    // Writes whatever the core has queued (call after driving the core from outside).
    void flush();
    // flush(), and re-arms the timer for the core's next deadline (a new action's timeout).
    void poke();
    // Configuration reload: the new options; with reconnect_now the connection (if any) is
    // dropped and made again at once with them.
    void reconfigure(ClientOptions options, bool reconnect_now);
    // Called when the connection is lost and `reconnect` is false.
    std::function<void()> on_gave_up;
    bool connected() const noexcept { return connected_; }

private:
    void connect();
    void on_connected();
    void read();
    void write_next();
    void close(const std::string& reason);
    void schedule_reconnect();
    void arm_timer();

    boost::asio::io_context& io_;
    core::BridgeCore& core_;
    ClientOptions options_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer core_timer_;
    boost::asio::steady_timer reconnect_timer_;
    boost::asio::steady_timer connect_timer_;
    // One read takes what the socket holds, up to 256 KiB: under a flood of events a large read
    // batches more (the changes of one read are rendered once, see BridgeCore::ami_received) and
    // costs fewer syscalls (bench/run.sh, docs/benchmarks.md: 64 KiB -> 256 KiB gave 85 k -> 125 k
    // events/s read and 23 % less CPU per event). At a normal rate a read holds a few events.
    std::vector<char> read_buffer_ = std::vector<char>(256 * 1024);
    std::string writing_;   // bytes of the write in flight
    std::string queued_;    // bytes waiting for it
    bool connected_ = false;
    bool stopped_ = false;
    std::uint64_t generation_ = 0;  // guards handlers of an older connection
    std::chrono::milliseconds last_delay_{0};
    std::mt19937 rng_{std::random_device{}()};
};

}  // namespace ami
