#include "ami-sim/server.hpp"

// Boost 1.74 Asio with C++20 needs <utility> first (std::exchange).
#include <utility>

#include <boost/asio.hpp>

#include <array>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <span>
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
// A prepared storm is handed to the clients in pieces of about kGoChunk bytes (whole steps) while
// every target has less than kGoHighWater queued: big writes, bounded queues.
constexpr std::size_t kGoChunk = 1024 * 1024;
constexpr std::size_t kGoHighWater = 8 * 1024 * 1024;

double epoch_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// CLOCK_REALTIME in nanoseconds: the storm log's clock, comparable with other processes' clocks.
std::int64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
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
    // `length` bytes of `data` from `offset`, not copied (a prepared storm shared by every client).
    void send_shared(std::shared_ptr<const std::string> data, std::size_t offset, std::size_t length);
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
    // When a write last completed (the bytes were handed to the kernel), on both clocks.
    SteadyClock::time_point last_write() const { return last_write_; }
    std::int64_t last_write_ns() const { return last_write_ns_; }

private:
    void read();
    void on_bytes(std::string_view bytes);
    void handle(const ClientFramer::Piece& piece);
    void write_next();
    void finish_close();
    void replay_next();

    // Bytes waiting to be written: owned, or a view of shared bytes.
    struct Chunk {
        std::string owned;
        std::shared_ptr<const std::string> shared;
        std::size_t offset = 0;
        std::size_t length = 0;
        std::string_view bytes() const {
            return shared ? std::string_view(*shared).substr(offset, length) : std::string_view(owned);
        }
    };
    // Queues a chunk of `length` bytes; a client with too much queued is dropped.
    void enqueue(Chunk chunk, std::size_t length);

    Server& server_;
    tcp::socket socket_;
    std::uint64_t id_;
    AmiSession session_;
    ClientFramer framer_;
    std::array<char, 16384> buffer_{};
    std::string held_;            // received while reads were paused, processed on resume
    std::deque<Chunk> queue_;
    std::size_t queued_bytes_ = 0;
    SteadyClock::time_point last_write_{};
    std::int64_t last_write_ns_ = 0;
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
    std::string prepare(const StormOptions& options);
    std::string go(double rate);
    void go_turn(std::uint64_t generation);
    // The storm has handed out its last bytes: it is done once they are written.
    void drain_storm(std::uint64_t generation);
    void end_storm(const char* state);
    std::string set_storm_log(const std::string& path);
    void log_steps(const std::vector<std::string>& extensions, std::span<const StormStep> steps, std::int64_t ns);
    // The sessions the current storm goes to: every session with events on, or a prepared
    // storm's targets.
    std::vector<std::shared_ptr<AmiConnection>> storm_targets() const;
    std::uint64_t storm_emitted() const;
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
    std::unique_ptr<Storm> storm_;                 // a live storm: generated as it is sent
    std::shared_ptr<const PreparedStorm> prepared_;  // storm-prepare'd, then sent by storm-go
    std::size_t prepared_next_ = 0;                // the next step of the prepared storm to send
    double prepared_rate_ = 0;
    std::vector<std::uint64_t> prepared_targets_;  // ids of the sessions storm-go sends to
    bool storm_draining_ = false;                  // every byte handed out, waiting for the writes
    StormStatus storm_status_;
    std::uint64_t storm_generation_ = 0;  // a turn of an older storm does nothing
    SteadyClock::time_point storm_start_;
    std::FILE* storm_log_ = nullptr;      // storm-log: one line per step
    std::vector<StormStep> logged_steps_;
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
    if (bytes.empty()) return;
    const std::size_t length = bytes.size();
    Chunk chunk;
    chunk.owned = std::move(bytes);
    enqueue(std::move(chunk), length);
}

void AmiConnection::send_shared(std::shared_ptr<const std::string> data, std::size_t offset, std::size_t length) {
    if (length == 0) return;
    Chunk chunk;
    chunk.shared = std::move(data);
    chunk.offset = offset;
    chunk.length = length;
    enqueue(std::move(chunk), length);
}

void AmiConnection::enqueue(Chunk chunk, std::size_t length) {
    if (closed_ || closing_) return;
    queued_bytes_ += length;
    queue_.push_back(std::move(chunk));
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
    const std::string_view bytes = queue_.front().bytes();
    asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) {
            spdlog::info("ami#{} write failed ({})", self->id_, ec.message());
            self->abort();
            return;
        }
        self->last_write_ = SteadyClock::now();
        self->last_write_ns_ = realtime_ns();
        self->queued_bytes_ -= n;
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
    for (const auto& event : events) append_wire(bytes, event);
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
    if (context.storm.state == "running") {
        context.storm.emitted = storm_emitted();
        context.storm.seconds = std::chrono::duration<double>(SteadyClock::now() - storm_start_).count();
    }
    for (const auto& [id, connection] : connections_) {
        context.backlog_max = std::max(context.backlog_max, connection->queued_bytes());
        context.backlog_total += connection->queued_bytes();
    }
    ControlResult result = run_control_command(context, line);
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
    if (result.storm_stop && (storm_ || prepared_)) end_storm("stopped");
    if (result.storm) start_storm(*result.storm);
    if (result.storm_prepare) result.reply = prepare(*result.storm_prepare);
    if (result.storm_go) result.reply = go(*result.storm_go);
    if (result.storm_log) result.reply = set_storm_log(*result.storm_log);
    if (result.pause_reads) {
        reads_paused_ = *result.pause_reads;
        if (!reads_paused_) {
            auto targets = connections_;
            for (auto& [id, connection] : targets) connection->resume_reading();
        }
    }
    spdlog::info("control: {} -> {}", printable(line, 200), printable(result.reply, 200));
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
    storm_draining_ = false;
    storm_start_ = SteadyClock::now();
    storm_status_ = StormStatus{"running", 0, options.events, 0};
    spdlog::info("storm: {} events{}", options.events,
                 options.rate > 0 ? " at " + std::to_string(options.rate) + "/s" : std::string(" as fast as read"));
    asio::post(io_, [this, generation = ++storm_generation_] { storm_turn(generation); });
}

std::vector<std::shared_ptr<AmiConnection>> Server::storm_targets() const {
    std::vector<std::shared_ptr<AmiConnection>> targets;
    if (prepared_) {
        for (std::uint64_t id : prepared_targets_)
            if (auto it = connections_.find(id); it != connections_.end()) targets.push_back(it->second);
        return targets;
    }
    for (const auto& [id, connection] : connections_)
        if (connection->session().events_on()) targets.push_back(connection);
    return targets;
}

std::uint64_t Server::storm_emitted() const {
    if (storm_) return storm_->emitted();
    if (prepared_ && prepared_next_ > 0) return prepared_->steps[prepared_next_ - 1].events;
    return storm_status_.emitted;
}

std::string Server::prepare(const StormOptions& options) {
    const auto started = SteadyClock::now();
    auto prepared = std::make_shared<PreparedStorm>(prepare_storm(sim_, options, epoch_now()));
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.3f", seconds);
    const std::string reply = "OK prepared " + std::to_string(prepared->events) + " " +
                              std::to_string(prepared->bytes.size()) + " " + elapsed;
    spdlog::info("storm prepared: {} events, {} steps, {} bytes in {} s", prepared->events, prepared->steps.size(),
                 prepared->bytes.size(), elapsed);
    prepared_ = std::move(prepared);
    prepared_next_ = 0;
    ++storm_generation_;
    storm_status_ = StormStatus{"prepared", 0, prepared_->events, 0};
    return reply;
}

std::string Server::go(double rate) {
    prepared_targets_.clear();
    for (const auto& [id, connection] : connections_)
        if (connection->session().events_on()) prepared_targets_.push_back(id);
    prepared_rate_ = rate;
    prepared_next_ = 0;
    storm_draining_ = false;
    storm_start_ = SteadyClock::now();
    storm_status_ = StormStatus{"running", 0, prepared_->events, 0};
    spdlog::info("storm-go: {} events to {} sessions{}", prepared_->events, prepared_targets_.size(),
                 rate > 0 ? " at " + std::to_string(rate) + "/s" : std::string(" as fast as read"));
    asio::post(io_, [this, generation = ++storm_generation_] { go_turn(generation); });
    return "OK storm " + std::to_string(prepared_->events) + " " + std::to_string(prepared_targets_.size());
}

std::string Server::set_storm_log(const std::string& path) {
    if (storm_log_) std::fclose(storm_log_);
    storm_log_ = nullptr;
    if (path.empty()) return "OK";
    storm_log_ = std::fopen(path.c_str(), "w");
    if (!storm_log_) return "ERR cannot open " + path;
    return "OK " + path;
}

void Server::log_steps(const std::vector<std::string>& extensions, std::span<const StormStep> steps, std::int64_t ns) {
    if (!storm_log_) return;
    for (const auto& step : steps)
        std::fprintf(storm_log_, "%lld %s %.*s\n", static_cast<long long>(ns), extensions[step.extension].c_str(),
                     static_cast<int>(storm_step_kind_name(step.kind).size()), storm_step_kind_name(step.kind).data());
}

void Server::end_storm(const char* state) {
    storm_timer_.cancel();
    ++storm_generation_;
    // Done: until the last byte was written to the slowest target; stopped: until now.
    auto end = SteadyClock::now();
    std::int64_t end_ns = realtime_ns();
    if (std::string_view(state) == "done") {
        end = storm_start_;
        end_ns = 0;
        for (const auto& connection : storm_targets())
            if (connection->last_write() > end) {
                end = connection->last_write();
                end_ns = connection->last_write_ns();
            }
        if (end_ns == 0) end_ns = realtime_ns();
    }
    storm_status_.state = state;
    storm_status_.emitted = storm_emitted();
    storm_status_.seconds = std::chrono::duration<double>(end - storm_start_).count();
    spdlog::info("storm {}: {} events in {:.3f} s", state, storm_status_.emitted, storm_status_.seconds);
    // The harness's cue: the storm is over and its last byte was written at `end_ns`.
    std::printf("ami-sim storm %s %llu %.6f %lld\n", state, static_cast<unsigned long long>(storm_status_.emitted),
                storm_status_.seconds, static_cast<long long>(end_ns));
    std::fflush(stdout);
    if (storm_log_) {
        std::fprintf(storm_log_, "# end %s events=%llu seconds=%.6f last_byte_ns=%lld\n", state,
                     static_cast<unsigned long long>(storm_status_.emitted), storm_status_.seconds,
                     static_cast<long long>(end_ns));
        std::fflush(storm_log_);
    }
    storm_.reset();
    prepared_.reset();
    prepared_targets_.clear();
    storm_draining_ = false;
}

void Server::drain_storm(std::uint64_t generation) {
    if (generation != storm_generation_) return;
    storm_draining_ = true;
    bool drained = true;
    for (const auto& connection : storm_targets())
        if (connection->queued_bytes() > 0) drained = false;
    if (drained) {
        end_storm("done");
        return;
    }
    storm_timer_.expires_after(std::chrono::milliseconds(1));
    storm_timer_.async_wait([this, generation](boost::system::error_code ec) {
        if (!ec) drain_storm(generation);
    });
}

// One batch, then the next turn: at once while every client keeps up, after a short wait when
// one has kStormHighWater queued (or when the rate says the next events are not due yet).
void Server::storm_turn(std::uint64_t generation) {
    if (!storm_ || generation != storm_generation_) return;
    if (storm_->done()) {
        drain_storm(generation);
        return;
    }
    std::size_t backlog = 0;
    for (const auto& [id, connection] : connections_) backlog = std::max(backlog, connection->queued_bytes());
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - storm_start_).count();
    const std::size_t allowed = backlog >= kStormHighWater ? 0 : storm_->allowance(elapsed, kStormBatch);
    if (allowed > 0) {
        logged_steps_.clear();
        const Events events = storm_->next(allowed, epoch_now(), storm_log_ ? &logged_steps_ : nullptr);
        const std::int64_t ns = realtime_ns();
        broadcast(events);
        log_steps(storm_->extensions(), logged_steps_, ns);
    }
    if (allowed == 0) {
        storm_timer_.expires_after(std::chrono::milliseconds(1));
        storm_timer_.async_wait([this, generation](boost::system::error_code ec) {
            if (!ec) storm_turn(generation);
        });
        return;
    }
    asio::post(io_, [this, generation] { storm_turn(generation); });
}

// The prepared storm's next steps: at the rate, or (rate 0) about kGoChunk bytes while every
// target has room; the bytes are shared by the targets, not copied.
void Server::go_turn(std::uint64_t generation) {
    if (!prepared_ || generation != storm_generation_) return;
    const PreparedStorm& prepared = *prepared_;
    const auto targets = storm_targets();
    if (targets.empty() && !prepared_targets_.empty()) {
        end_storm("stopped");  // every session it went to is gone
        return;
    }
    if (prepared_next_ >= prepared.steps.size() || targets.empty()) {
        prepared_next_ = prepared.steps.size();
        drain_storm(generation);
        return;
    }
    std::size_t backlog = 0;
    for (const auto& connection : targets) backlog = std::max(backlog, connection->queued_bytes());
    auto events_before = [&](std::size_t step) { return step == 0 ? 0 : prepared.steps[step - 1].events; };
    auto offset_of = [&](std::size_t step) { return step == 0 ? 0 : prepared.steps[step - 1].end; };
    std::size_t last = prepared_next_;
    if (backlog < kGoHighWater) {
        if (prepared_rate_ > 0) {
            const double elapsed = std::chrono::duration<double>(SteadyClock::now() - storm_start_).count();
            const auto due = static_cast<std::uint64_t>(std::floor(prepared_rate_ * elapsed));
            while (last < prepared.steps.size() && events_before(last) < due) ++last;
        } else {
            const std::uint64_t begin = offset_of(prepared_next_);
            while (last < prepared.steps.size() && (last == prepared_next_ || offset_of(last) - begin < kGoChunk)) ++last;
        }
    }
    if (last == prepared_next_) {
        storm_timer_.expires_after(std::chrono::milliseconds(1));
        storm_timer_.async_wait([this, generation](boost::system::error_code ec) {
            if (!ec) go_turn(generation);
        });
        return;
    }
    const std::uint64_t begin = offset_of(prepared_next_);
    const std::uint64_t end = offset_of(last);
    const std::shared_ptr<const std::string> bytes(prepared_, &prepared.bytes);
    const std::int64_t ns = realtime_ns();
    for (const auto& connection : targets) connection->send_shared(bytes, begin, end - begin);
    if (storm_log_) {
        logged_steps_.clear();
        for (std::size_t i = prepared_next_; i < last; ++i)
            logged_steps_.push_back({prepared.steps[i].extension, prepared.steps[i].kind,
                                     static_cast<std::uint32_t>(prepared.steps[i].events - events_before(i))});
        log_steps(prepared.extensions, logged_steps_, ns);
    }
    prepared_next_ = last;
    asio::post(io_, [this, generation] { go_turn(generation); });
}

void Server::stop() {
    boost::system::error_code ec;
    ami_acceptor_.close(ec);
    control_acceptor_.close(ec);
    lively_timer_.cancel();
    storm_timer_.cancel();
    storm_.reset();
    prepared_.reset();
    if (storm_log_) std::fclose(storm_log_);
    storm_log_ = nullptr;
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
