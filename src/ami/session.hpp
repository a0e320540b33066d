#pragma once
// The AMI session protocol, pure: no sockets, no clock of its own (time is passed in).
//
// The I/O edge calls connected()/received()/disconnected()/tick() and writes out whatever
// take_output() returns; the session logs in (MD5 challenge, plain login as fallback),
// correlates every action with its own ActionID, gathers event lists into one result,
// times actions out, and keeps the link alive with Ping.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ami/action.hpp"
#include "ami/message.hpp"
#include "ami/parser.hpp"

namespace ami {

using Clock = std::chrono::steady_clock;

struct ActionResult {
    enum class Status { Success, Error, Timeout, Disconnected };
    Status status = Status::Disconnected;
    Message response;             // the Response message (empty on Timeout/Disconnected)
    std::vector<Message> events;  // list items, or the completion event (OriginateResponse)
    Message list_complete;        // the "...Complete" event of an event list
    bool ok() const noexcept { return status == Status::Success; }
    // Asterisk's Message: text, or a description of the timeout/disconnect.
    std::string message() const;
};

using ActionCallback = std::function<void(ActionResult&&)>;

struct SessionOptions {
    std::string username;
    std::string secret;
    bool events = true;
    std::chrono::milliseconds keepalive{15000};      // Ping after this much silence
    std::chrono::milliseconds login_timeout{10000};
    std::string action_id_prefix = "p2m-";
};

struct SessionCallbacks {
    std::function<void(std::string_view banner)> logged_in;
    std::function<void(const std::string& reason)> login_failed;
    std::function<void(const Message& event)> event;
    std::function<void(const ParseError& error)> parse_error;
    // The session wants the connection closed (dead peer, failed login).
    std::function<void(const std::string& reason)> close_requested;
};

class Session {
public:
    enum class State { Disconnected, AwaitingGreeting, Authenticating, LoggedIn, Failed };

    Session(SessionOptions options, SessionCallbacks callbacks);
    // Its callbacks capture `this`, and the deadline index holds iterators: not copyable, not movable.
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // --- driven by the I/O edge ---
    void connected(Clock::time_point now);
    void received(std::string_view bytes, Clock::time_point now);
    // Every pending action completes with Status::Disconnected.
    void disconnected();
    void tick(Clock::time_point now);
    std::optional<Clock::time_point> next_deadline() const;
    // Bytes to write to the socket, in order; empties the buffer.
    std::string take_output() { return std::exchange(output_, {}); }
    bool has_output() const noexcept { return !output_.empty(); }

    // --- used by the bridge ---
    // Queues an action; returns its ActionID, or nullopt (and never calls back) when not
    // logged in or when a header would break the framing (CR/LF/NUL).
    std::optional<std::string> send(const Action& action, ActionCallback on_done, Clock::time_point now);
    // Configuration reload: credentials and login timeout count from the next login, keepalive at once.
    void set_options(SessionOptions options) { options_ = std::move(options); }
    // Sends Logoff (on clean shutdown).
    void logoff(Clock::time_point now);

    State state() const noexcept { return state_; }
    bool logged_in() const noexcept { return state_ == State::LoggedIn; }
    const std::string& banner() const noexcept { return banner_; }
    // The time of the last input (received/tick/connected).
    Clock::time_point now() const noexcept { return now_; }
    std::size_t pending_actions() const noexcept { return pending_.size(); }

private:
    // Pending actions by deadline (ActionIDs): the next timeout and the expired ones without a
    // walk over every pending action (a 10,000-extension snapshot has 10,000 in flight, and the
    // next deadline is asked after every read).
    using Deadlines = std::multimap<Clock::time_point, std::string>;
    struct Pending {
        std::string action;  // for logs
        ActionCallback done;
        Deadlines::iterator deadline_entry;  // its deadline is the key
        std::string completion_event;
        bool listing = false;
        bool awaiting_event = false;
        ActionResult result;
    };

    std::string send_internal(const Action& action, ActionCallback on_done, Clock::time_point now);
    void on_message(Message&& message);
    void complete(std::map<std::string, Pending>::iterator it, ActionResult::Status status);
    void start_login(Clock::time_point now);
    void plain_login(Clock::time_point now);
    void login_answered(ActionResult&& result);
    void fail(const std::string& reason);

    SessionOptions options_;
    SessionCallbacks callbacks_;
    Parser parser_;
    std::vector<ParsedItem> items_;  // reused by received()
    State state_ = State::Disconnected;
    std::string banner_;
    std::string output_;
    std::map<std::string, Pending> pending_;
    Deadlines deadlines_;
    std::uint64_t next_id_ = 1;
    Clock::time_point now_{};
    Clock::time_point last_received_{};
    Clock::time_point login_deadline_{};
    bool ping_outstanding_ = false;
};

}  // namespace ami
