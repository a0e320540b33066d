#include "ami-sim/server.hpp"

// Boost 1.74 Asio with C++20 needs <utility> first (std::exchange).
#include <utility>

#include <boost/asio.hpp>

#include <array>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include <spdlog/spdlog.h>

#include "ami-sim/control.hpp"
#include "ami-sim/framer.hpp"
#include "ami-sim/replay.hpp"
#include "ami-sim/scenario.hpp"
#include "ami-sim/storm.hpp"
#include "ami/parser.hpp"

namespace amisim {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// A client that stops reading is dropped once this much is queued for it.
constexpr std::size_t kMaxQueuedBytes = 64 * 1024 * 1024;
// A control line longer than this is refused (raw commands carry percent-encoded bytes).
constexpr std::size_t kMaxControlLine = 16 * 1024 * 1024;
// A storm sends its next batch only while every client has less than this queued (it paces on
// the slowest reader instead of growing the queues), in batches of kStormBatch events.
constexpr std::size_t kStormHighWater = 256 * 1024;
constexpr std::size_t kStormBatch = 256;

double epoch_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string printable(std::string_view text, std::size_t max = 120) {
    std::string out;
    for (char c : text.substr(0, max)) {
        if (c == '\r') out += "\\r";
        else if (c == '\n') out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += '?';
        else out += c;
    }
    if (text.size() > max) out += "...";
    return out;
}

class Server;

class AmiConnection : public std::enable_shared_from_this<AmiConnection> {
public:
    AmiConnection(Server& server, tcp::socket socket, std::uint64_t id);

    void start();
    void send(std::string bytes);
    // Writes what is queued, then closes.
    void close_after_flush();
    // Closes now, dropping what is queued.
    void abort();
    // Closes now with a TCP reset (SO_LINGER 0): the peer reads ECONNRESET, not an end of file.
    void reset();
    void resume_reading();
    void start_replay();

    const AmiSession& session() const { return session_; }
    bool open() const { return !closed_; }
    bool closing() const { return closing_; }
    std::size_t queued_bytes() const { return queued_bytes_; }
    std::uint64_t id() const { return id_; }

private:
    void read();
    void on_bytes(std::string_view bytes);
    void handle(const ClientFramer::Piece& piece);
    void write_next();
    void finish_close();
    void replay_next();

    Server& server_;
    tcp::socket socket_;
    std::uint64_t id_;
    AmiSession session_;
    ClientFramer framer_;
    std::array<char, 16384> buffer_{};
    std::string held_;            // received while reads were paused, processed on resume
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool writing_ = false;
    bool reading_ = false;
    bool blocked_ = false;        // a failed login is waiting out its delay
    bool closing_ = false;
    bool closed_ = false;
    asio::steady_timer delay_timer_;
    asio::steady_timer replay_timer_;
    std::size_t replay_index_ = 0;
    SteadyClock::time_point replay_start_;
};

class ControlConnection : public std::enable_shared_from_this<ControlConnection> {
public:
    ControlConnection(Server& server, tcp::socket socket) : server_(server), socket_(std::move(socket)), buffer_(kMaxControlLine) {}
    void start() { read(); }

private:
    void read();
    void reply(std::string line, bool close);

    Server& server_;
    tcp::socket socket_;
    asio::streambuf buffer_;
    std::string out_;
};

class Server {
public:
    Server(asio::io_context& io, Simulator& sim, ActionHandler& handler, const ServerOptions& options)
        : io_(io),
          sim_(sim),
          handler_(handler),
          options_(options),
          ami_acceptor_(io),
          control_acceptor_(io),
          signals_(io, SIGINT, SIGTERM),
          lively_timer_(io),
          storm_timer_(io),
          scenario_(options.seed),
          reads_paused_(options.pause_reads) {
        if (!options.replay.empty()) replay_ = replay_schedule(options.replay, options.replay_speed);
    }

    void start();

    Simulator& sim() { return sim_; }
    ActionHandler& handler() { return handler_; }
    const ServerOptions& options() const { return options_; }
    const std::vector<ReplayEvent>& replay() const { return replay_; }
    asio::io_context& io() { return io_; }
    bool reads_paused() const { return reads_paused_; }

    void record(std::string_view bytes);
    void note_action(std::string_view action, std::string_view wire) { actions_.note(action, wire); }
    void broadcast(const Events& events);
    void forget(std::uint64_t id) { connections_.erase(id); }
    // Event: Shutdown to every session with events on (except `quiet`), then close them all.
    void shutdown_sessions(std::uint64_t quiet = 0);
    std::string run_control(std::string_view line);
    // Runs a control command later, as the simulated phones do (an Originate's auto-answer).
    void run_control_later(std::string command, std::chrono::milliseconds delay);

private:
    void listen(tcp::acceptor& acceptor, std::uint16_t port);
    void accept_ami();
    void accept_control();
    void write_port_file();
    void schedule_lively();
    void start_storm(const StormOptions& options);
    void storm_turn(std::uint64_t generation);
    void end_storm(const char* state);
    void stop();
    int logged_in_clients() const;

    asio::io_context& io_;
    Simulator& sim_;
    ActionHandler& handler_;
    const ServerOptions& options_;
    tcp::acceptor ami_acceptor_;
    tcp::acceptor control_acceptor_;
    asio::signal_set signals_;
    asio::steady_timer lively_timer_;
    asio::steady_timer storm_timer_;
    std::unique_ptr<Storm> storm_;
    StormStatus storm_status_;
    std::uint64_t storm_generation_ = 0;  // a turn of an older storm does nothing
    SteadyClock::time_point storm_start_;
    LivelyScenario scenario_;
    std::vector<ReplayEvent> replay_;
    ActionLog actions_;
    std::map<std::uint64_t, std::shared_ptr<AmiConnection>> connections_;
    std::uint64_t next_id_ = 1;
    bool reads_paused_ = false;
    std::ofstream record_;
};

// ------------------------------------------------------------------------------------------
// AmiConnection

AmiConnection::AmiConnection(Server& server, tcp::socket socket, std::uint64_t id)
    : server_(server),
      socket_(std::move(socket)),
      id_(id),
      session_(server.sim(), server.handler(), server.options().users),
      delay_timer_(server.io()),
      replay_timer_(server.io()) {}

void AmiConnection::start() {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    send(session_.greeting());
    read();
}

void AmiConnection::read() {
    if (reading_ || closing_ || closed_ || blocked_ || server_.reads_paused()) return;
    reading_ = true;
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        self->reading_ = false;
        if (ec) {
            if (self->closed_) return;
            spdlog::info("ami#{} closed by the client ({})", self->id_, ec.message());
            // A client that half-closes after its last action still gets the answers to it.
            if (ec == asio::error::eof) self->close_after_flush();
            else self->abort();
            return;
        }
        const std::string_view bytes(self->buffer_.data(), n);
        self->server_.record(bytes);
        if (self->server_.reads_paused()) {
            self->held_.append(bytes);
            return;
        }
        self->on_bytes(bytes);
        self->read();
    });
}

void AmiConnection::resume_reading() {
    if (closed_) return;
    if (!held_.empty()) {
        std::string held = std::move(held_);
        held_.clear();
        on_bytes(held);
    }
    read();
}

void AmiConnection::on_bytes(std::string_view bytes) {
    for (const auto& piece : framer_.feed(bytes)) {
        if (closing_ || closed_ || blocked_) break;  // nothing is read after Logoff or a failed login
        handle(piece);
    }
}

void AmiConnection::handle(const ClientFramer::Piece& piece) {
    if (piece.oversized) {
        spdlog::warn("ami#{} dropped a message over {} bytes: {}", id_, ami::Parser::kMaxMessageBytes, printable(piece.wire));
        return;
    }
    ami::Parser parser(false);
    std::optional<ami::Message> message;
    for (auto& item : parser.feed(piece.wire)) {
        if (auto* m = std::get_if<ami::Message>(&item); m && !message) message = std::move(*m);
        else if (auto* e = std::get_if<ami::ParseError>(&item)) spdlog::warn("ami#{} {}", id_, e->detail);
    }
    if (!message) {
        // Asterisk keeps lines without a colon as nameless headers: no Action header then.
        spdlog::warn("ami#{} unparsable input: {}", id_, printable(piece.wire));
        message.emplace();
    }
    const std::string action(message->get("Action"));
    if (!action.empty()) server_.note_action(action, piece.wire);
    spdlog::info("ami#{} action {} ActionID={}", id_, action.empty() ? "(none)" : printable(action, 60),
                 printable(message->action_id(), 60));

    SessionStep step = session_.on_message(*message, epoch_now());
    if (step.delayed) {
        blocked_ = true;
        delay_timer_.expires_after(server_.options().login_delay);
        delay_timer_.async_wait([self = shared_from_this(), reply = std::move(step.reply)](boost::system::error_code ec) {
            if (ec || self->closed_) return;
            spdlog::info("ami#{} login failed", self->id_);
            self->send(reply);
            self->close_after_flush();
        });
        return;
    }
    if (step.logged_in) spdlog::info("ami#{} logged in as {}", id_, session_.username());
    if (!step.reply.empty()) send(std::move(step.reply));
    if (!step.broadcast.empty()) server_.broadcast(step.broadcast);
    for (auto& command : step.follow_ups)
        server_.run_control_later(std::move(command),
                                  std::chrono::milliseconds(server_.handler().originate_answer_ms()));
    if (step.restart) {
        spdlog::info("ami#{} asked for a restart: every session is closed", id_);
        abort();
        server_.shutdown_sessions(id_);
        return;
    }
    if (step.close) close_after_flush();
    if (step.logged_in && session_.events_on() && !server_.replay().empty()) start_replay();
}

void AmiConnection::send(std::string bytes) {
    if (closed_ || closing_ || bytes.empty()) return;
    queued_bytes_ += bytes.size();
    queue_.push_back(std::move(bytes));
    if (queued_bytes_ > kMaxQueuedBytes) {
        spdlog::warn("ami#{} does not read: dropped with {} bytes queued", id_, queued_bytes_);
        abort();
        return;
    }
    if (!writing_) write_next();
}

void AmiConnection::write_next() {
    if (queue_.empty() || closed_) {
        writing_ = false;
        if (closing_) finish_close();
        return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(queue_.front()), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (self->closed_) return;
        if (ec) {
            spdlog::info("ami#{} write failed ({})", self->id_, ec.message());
            self->abort();
            return;
        }
        self->queued_bytes_ -= self->queue_.front().size();
        self->queue_.pop_front();
        self->write_next();
    });
}

void AmiConnection::close_after_flush() {
    if (closed_ || closing_) return;
    closing_ = true;
    replay_timer_.cancel();
    if (!writing_) finish_close();
}

void AmiConnection::finish_close() {
    if (closed_) return;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    abort();
}

void AmiConnection::abort() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.close(ec);
    delay_timer_.cancel();
    replay_timer_.cancel();
    queue_.clear();
    server_.forget(id_);
}

void AmiConnection::reset() {
    if (closed_) return;
    boost::system::error_code ec;
    socket_.set_option(asio::socket_base::linger(true, 0), ec);
    abort();
}

void AmiConnection::start_replay() {
    replay_index_ = 0;
    replay_start_ = SteadyClock::now();
    spdlog::info("ami#{} replaying {} recorded events", id_, server_.replay().size());
    replay_next();
}

void AmiConnection::replay_next() {
    const auto& schedule = server_.replay();
    if (replay_index_ >= schedule.size() || closed_ || closing_) return;
    const auto due = replay_start_ + std::chrono::duration_cast<SteadyClock::duration>(
                                         std::chrono::duration<double>(schedule[replay_index_].at));
    replay_timer_.expires_at(due);
    replay_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->closed_) return;
        const auto& schedule = self->server_.replay();
        // Everything due by now goes out in one go (speed 0: the whole transcript).
        const auto now = SteadyClock::now();
        while (self->replay_index_ < schedule.size()) {
            const auto& event = schedule[self->replay_index_];
            const auto due = self->replay_start_ + std::chrono::duration_cast<SteadyClock::duration>(
                                                       std::chrono::duration<double>(event.at));
            if (due > now) break;
            self->send(event.recorded->wire);
            self->server_.sim().apply_recorded_event(event.recorded->message);
            ++self->replay_index_;
        }
        self->replay_next();
    });
}

// ------------------------------------------------------------------------------------------
// ControlConnection

void ControlConnection::read() {
    asio::async_read_until(socket_, buffer_, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (ec == asio::error::not_found) {
            self->reply("ERR line too long", true);
            return;
        }
        if (ec) return;
        std::string line(asio::buffers_begin(self->buffer_.data()), asio::buffers_begin(self->buffer_.data()) + static_cast<std::ptrdiff_t>(n));
        self->buffer_.consume(n);
        self->reply(self->server_.run_control(line), false);
    });
}

void ControlConnection::reply(std::string line, bool close) {
    out_ = std::move(line) + "\n";
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this(), close](boost::system::error_code ec, std::size_t) {
        if (ec || close) {
            boost::system::error_code ignored;
            self->socket_.close(ignored);
            return;
        }
        self->read();
    });
}

// ------------------------------------------------------------------------------------------
// Server

void Server::listen(tcp::acceptor& acceptor, std::uint16_t port) {
    const tcp::endpoint endpoint(asio::ip::make_address(options_.bind), port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
}

void Server::start() {
    if (!options_.record_path.empty()) {
        record_.open(options_.record_path, std::ios::binary | std::ios::app);
        if (!record_) throw std::runtime_error("cannot open --record file " + options_.record_path);
    }
    listen(ami_acceptor_, options_.port);
    if (options_.control_port) listen(control_acceptor_, *options_.control_port);
    const auto ami_port = ami_acceptor_.local_endpoint().port();
    const auto control_port = options_.control_port ? control_acceptor_.local_endpoint().port() : 0;
    write_port_file();
    std::printf("ami-sim listening ami=%u control=%u\n", static_cast<unsigned>(ami_port), static_cast<unsigned>(control_port));
    std::fflush(stdout);
    spdlog::info("flavor {}, {} peers, {} hints; AMI on {}:{}", sim_.flavor_traits().name, sim_.state().peers.size(),
                 sim_.state().hints.size(), options_.bind, ami_port);

    signals_.async_wait([this](boost::system::error_code ec, int signal) {
        if (ec) return;
        spdlog::info("signal {}: stopping", signal);
        stop();
    });
    accept_ami();
    if (options_.control_port) accept_control();
    if (options_.lively) schedule_lively();
}

void Server::write_port_file() {
    if (options_.port_file.empty()) return;
    const std::string tmp = options_.port_file + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << "ami=" << ami_acceptor_.local_endpoint().port() << "\n"
            << "control=" << (options_.control_port ? control_acceptor_.local_endpoint().port() : 0) << "\n";
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, options_.port_file);
}

void Server::accept_ami() {
    ami_acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
            const std::uint64_t id = next_id_++;
            boost::system::error_code ignored;
            const auto peer = socket.remote_endpoint(ignored);
            spdlog::info("ami#{} connected from {}:{}", id, peer.address().to_string(), peer.port());
            auto connection = std::make_shared<AmiConnection>(*this, std::move(socket), id);
            connections_[id] = connection;
            connection->start();
        } else {
            spdlog::warn("accept failed: {}", ec.message());
        }
        accept_ami();
    });
}

void Server::accept_control() {
    control_acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) std::make_shared<ControlConnection>(*this, std::move(socket))->start();
        accept_control();
    });
}

void Server::record(std::string_view bytes) {
    if (!record_.is_open()) return;
    record_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    record_.flush();
}

void Server::broadcast(const Events& events) {
    std::string bytes;
    for (const auto& event : events) bytes += event.serialize();
    if (bytes.empty()) return;
    // Copy: a failing send may remove a connection from the map.
    auto targets = connections_;
    for (auto& [id, connection] : targets)
        if (connection->session().events_on()) connection->send(bytes);
}

void Server::shutdown_sessions(std::uint64_t quiet) {
    const std::string event = shutdown_event().serialize();
    auto targets = connections_;
    for (auto& [id, connection] : targets) {
        if (id == quiet) continue;
        if (connection->session().events_on()) connection->send(event);
        connection->close_after_flush();
    }
}

int Server::logged_in_clients() const {
    int count = 0;
    for (const auto& [id, connection] : connections_)
        if (connection->session().authenticated() && !connection->closing()) ++count;
    return count;
}

std::string Server::run_control(std::string_view line) {
    ControlContext context{.sim = sim_, .actions = actions_, .logged_in_clients = logged_in_clients(), .now = epoch_now(), .storm = {}};
    context.storm = storm_status_;
    if (storm_) {
        context.storm.emitted = storm_->emitted();
        context.storm.seconds = std::chrono::duration<double>(SteadyClock::now() - storm_start_).count();
    }
    for (const auto& [id, connection] : connections_) {
        context.backlog_max = std::max(context.backlog_max, connection->queued_bytes());
        context.backlog_total += connection->queued_bytes();
    }
    ControlResult result = run_control_command(context, line);
    spdlog::info("control: {} -> {}", printable(line, 200), printable(result.reply, 200));
    if (!result.broadcast.empty()) broadcast(result.broadcast);
    if (result.raw) {
        auto targets = connections_;
        for (auto& [id, connection] : targets) connection->send(*result.raw);
    }
    if (result.drop) {
        auto targets = connections_;
        for (auto& [id, connection] : targets) connection->abort();
    }
    if (result.reset) {
        auto targets = connections_;
        for (auto& [id, connection] : targets) connection->reset();
    }
    if (result.shutdown) shutdown_sessions();
    if (result.storm_stop && storm_) end_storm("stopped");
    if (result.storm) start_storm(*result.storm);
    if (result.pause_reads) {
        reads_paused_ = *result.pause_reads;
        if (!reads_paused_) {
            auto targets = connections_;
            for (auto& [id, connection] : targets) connection->resume_reading();
        }
    }
    return result.reply;
}

void Server::run_control_later(std::string command, std::chrono::milliseconds delay) {
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([this, timer, command = std::move(command)](boost::system::error_code ec) {
        if (!ec) run_control(command);
    });
}

void Server::schedule_lively() {
    lively_timer_.expires_after(scenario_.next_delay());
    lively_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        const std::string command = scenario_.next_command(sim_);
        if (!command.empty()) run_control(command);
        schedule_lively();
    });
}

void Server::start_storm(const StormOptions& options) {
    storm_ = std::make_unique<Storm>(sim_, options);
    storm_start_ = SteadyClock::now();
    storm_status_ = StormStatus{"running", 0, options.events, 0};
    spdlog::info("storm: {} events{}", options.events,
                 options.rate > 0 ? " at " + std::to_string(options.rate) + "/s" : std::string(" as fast as read"));
    asio::post(io_, [this, generation = ++storm_generation_] { storm_turn(generation); });
}

void Server::end_storm(const char* state) {
    storm_timer_.cancel();
    storm_status_.state = state;
    storm_status_.emitted = storm_->emitted();
    storm_status_.seconds = std::chrono::duration<double>(SteadyClock::now() - storm_start_).count();
    spdlog::info("storm {}: {} events in {:.3f} s", state, storm_status_.emitted, storm_status_.seconds);
    storm_.reset();
}

// One batch, then the next turn: at once while every client keeps up, after a short wait when
// one has kStormHighWater queued (or when the rate says the next events are not due yet).
void Server::storm_turn(std::uint64_t generation) {
    if (!storm_ || generation != storm_generation_) return;
    if (storm_->done()) {
        end_storm("done");
        return;
    }
    std::size_t backlog = 0;
    for (const auto& [id, connection] : connections_) backlog = std::max(backlog, connection->queued_bytes());
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - storm_start_).count();
    const std::size_t allowed = backlog >= kStormHighWater ? 0 : storm_->allowance(elapsed, kStormBatch);
    if (allowed > 0) broadcast(storm_->next(allowed, epoch_now()));
    if (allowed == 0) {
        storm_timer_.expires_after(std::chrono::milliseconds(1));
        storm_timer_.async_wait([this, generation](boost::system::error_code ec) {
            if (!ec) storm_turn(generation);
        });
        return;
    }
    asio::post(io_, [this, generation] { storm_turn(generation); });
}

void Server::stop() {
    boost::system::error_code ec;
    ami_acceptor_.close(ec);
    control_acceptor_.close(ec);
    lively_timer_.cancel();
    storm_timer_.cancel();
    storm_.reset();
    auto targets = connections_;
    for (auto& [id, connection] : targets) connection->abort();
    io_.stop();
}

}  // namespace

int run_server(Simulator& sim, ActionHandler& handler, const ServerOptions& options) {
    asio::io_context io(1);
    Server server(io, sim, handler, options);
    server.start();
    io.run();
    return 0;
}

}  // namespace amisim
