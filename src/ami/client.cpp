#include "ami/client.hpp"

#include <spdlog/spdlog.h>

#include "core/bridge_core.hpp"

namespace ami {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Client::Client(asio::io_context& io, core::BridgeCore& core, ClientOptions options)
    : io_(io),
      core_(core),
      options_(std::move(options)),
      resolver_(io),
      socket_(io),
      core_timer_(io),
      reconnect_timer_(io),
      connect_timer_(io) {
    core_.on_close_ami = [this](const std::string& reason) { asio::post(io_, [this, reason] { close(reason); }); };
}

Client::~Client() { core_.on_close_ami = nullptr; }

void Client::start() {
    stopped_ = false;
    connect();
}

void Client::stop() {
    stopped_ = true;
    reconnect_timer_.cancel();
    if (connected_) {
        flush();  // the Logoff the core queued, best effort
        boost::system::error_code ec;
        socket_.shutdown(tcp::socket::shutdown_send, ec);
    }
    close("bridge stopping");
}

void Client::reconfigure(ClientOptions options, bool reconnect_now) {
    options_ = std::move(options);
    if (!reconnect_now || stopped_) return;
    reconnect_timer_.cancel();
    stopped_ = true;  // close() must not schedule a delayed reconnect
    close("configuration reloaded");
    stopped_ = false;
    last_delay_ = std::chrono::milliseconds(0);
    connect();
}

void Client::connect() {
    if (stopped_) return;
    const auto gen = ++generation_;
    core_.ami_connecting();
    spdlog::info("AMI: connecting to {}:{}", options_.host, options_.port);
    connect_timer_.expires_after(options_.connect_timeout);
    connect_timer_.async_wait([this, gen](boost::system::error_code ec) {
        if (!ec && gen == generation_ && !connected_) {
            resolver_.cancel();
            boost::system::error_code ignored;
            socket_.close(ignored);
        }
    });
    resolver_.async_resolve(options_.host, std::to_string(options_.port),
                            [this, gen](boost::system::error_code ec, tcp::resolver::results_type results) {
                                if (gen != generation_ || stopped_) return;
                                if (ec) {
                                    spdlog::error("AMI: cannot resolve {}: {}", options_.host, ec.message());
                                    connect_timer_.cancel();
                                    schedule_reconnect();
                                    return;
                                }
                                asio::async_connect(socket_, results, [this, gen](boost::system::error_code cec, const tcp::endpoint&) {
                                    if (gen != generation_ || stopped_) return;
                                    connect_timer_.cancel();
                                    if (cec) {
                                        spdlog::error("AMI: cannot connect to {}:{}: {}", options_.host, options_.port,
                                                      cec == asio::error::operation_aborted ? "timed out" : cec.message());
                                        boost::system::error_code ignored;
                                        socket_.close(ignored);
                                        schedule_reconnect();
                                        return;
                                    }
                                    on_connected();
                                });
                            });
}

void Client::on_connected() {
    connected_ = true;
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.set_option(asio::socket_base::keep_alive(true), ec);
    spdlog::info("AMI: connected to {}:{}", options_.host, options_.port);
    core_.ami_connected(std::chrono::steady_clock::now());
    read();
    flush();
    arm_timer();
}

void Client::read() {
    const auto gen = generation_;
    socket_.async_read_some(asio::buffer(read_buffer_), [this, gen](boost::system::error_code ec, std::size_t n) {
        if (gen != generation_) return;
        if (ec) {
            close(ec == asio::error::eof ? "Asterisk closed the connection" : ec.message());
            return;
        }
        core_.ami_received(std::string_view(read_buffer_.data(), n), std::chrono::steady_clock::now());
        if (!connected_) return;  // the core asked to close while handling these bytes
        flush();
        arm_timer();
        read();
    });
}

void Client::poke() {
    if (!connected_) return;
    flush();
    arm_timer();
}

void Client::flush() {
    if (!connected_) return;
    queued_ += core_.take_ami_output();
    if (writing_.empty() && !queued_.empty()) write_next();
}

void Client::write_next() {
    writing_ = std::move(queued_);
    queued_.clear();
    const auto gen = generation_;
    asio::async_write(socket_, asio::buffer(writing_), [this, gen](boost::system::error_code ec, std::size_t) {
        if (gen != generation_) return;
        writing_.clear();
        if (ec) {
            close("write failed: " + ec.message());
            return;
        }
        if (!queued_.empty()) write_next();
    });
}

void Client::arm_timer() {
    const auto deadline = core_.next_deadline();
    if (!deadline) {
        core_timer_.cancel();
        return;
    }
    core_timer_.expires_at(*deadline);
    const auto gen = generation_;
    core_timer_.async_wait([this, gen](boost::system::error_code ec) {
        if (ec || gen != generation_ || !connected_) return;
        // Bytes already waiting in the socket mean the loop was busy, not that Asterisk went
        // silent: read them before the core judges the silence (keepalive, login timeout).
        boost::system::error_code aec;
        if (socket_.available(aec) > 0 && !aec) {
            core_timer_.expires_after(std::chrono::milliseconds(10));
            core_timer_.async_wait([this, gen](boost::system::error_code ec2) {
                if (ec2 || gen != generation_ || !connected_) return;
                arm_timer();
            });
            return;
        }
        core_.tick(std::chrono::steady_clock::now());
        if (!connected_) return;
        flush();
        arm_timer();
    });
}

void Client::close(const std::string& reason) {
    const bool was_connected = connected_;
    const bool had_logged_in = core_.session().logged_in();
    ++generation_;
    connected_ = false;
    core_timer_.cancel();
    connect_timer_.cancel();
    boost::system::error_code ec;
    socket_.close(ec);
    writing_.clear();
    queued_.clear();
    if (was_connected) core_.ami_disconnected(reason);
    if (had_logged_in) last_delay_ = std::chrono::milliseconds(0);  // a session that worked: retry soon
    if (!stopped_) schedule_reconnect();
}

void Client::schedule_reconnect() {
    if (stopped_) return;
    if (!options_.reconnect) {
        spdlog::error("AMI: connection lost and reconnect is off; giving up");
        stopped_ = true;
        if (on_gave_up) on_gave_up();
        return;
    }
    // Decorrelated jitter: delay = min(cap, random(base, 3 * previous)).
    const auto base = options_.reconnect_after;
    const auto upper = std::max(base, std::min(options_.reconnect_max, last_delay_ * 3));
    std::uniform_int_distribution<long long> pick(base.count(), upper.count());
    last_delay_ = std::min(options_.reconnect_max, std::chrono::milliseconds(pick(rng_)));
    spdlog::info("AMI: reconnecting in {} ms", last_delay_.count());
    reconnect_timer_.expires_after(last_delay_);
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) connect();
    });
}

}  // namespace ami
