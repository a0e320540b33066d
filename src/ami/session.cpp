#include "ami/session.hpp"

#include <utility>

#include "ami/md5.hpp"

namespace ami {

std::string ActionResult::message() const {
    switch (status) {
        case Status::Timeout: return "no answer from Asterisk in time";
        case Status::Disconnected: return "AMI connection lost";
        default: break;
    }
    std::string text(response.get("Message"));
    if (text.empty() && !events.empty()) text = std::string(events.back().get("Message"));
    return text;
}

Session::Session(SessionOptions options, SessionCallbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {}

void Session::connected(Clock::time_point now) {
    parser_.reset(true);
    output_.clear();
    banner_.clear();
    state_ = State::AwaitingGreeting;
    now_ = now;
    last_received_ = now;
    login_deadline_ = now + options_.login_timeout;
    ping_outstanding_ = false;
}

void Session::disconnected() {
    state_ = State::Disconnected;
    output_.clear();
    ping_outstanding_ = false;
    // Complete in ActionID order; a callback may not add new actions (we are not logged in).
    auto pending = std::exchange(pending_, {});
    deadlines_.clear();
    for (auto& [id, p] : pending) {
        p.result.status = ActionResult::Status::Disconnected;
        if (p.done) p.done(std::move(p.result));
    }
}

void Session::received(std::string_view bytes, Clock::time_point now) {
    if (state_ == State::Disconnected || state_ == State::Failed) return;
    now_ = now;
    last_received_ = now;
    // The list of one read is kept between reads (taken, so that a nested call gets its own).
    std::vector<ParsedItem> items = std::move(items_);
    items.clear();
    parser_.feed(bytes, items);
    for (auto& item : items) {
        if (auto* error = std::get_if<ParseError>(&item)) {
            if (callbacks_.parse_error) callbacks_.parse_error(*error);
            continue;
        }
        on_message(std::move(std::get<Message>(item)));
        if (state_ == State::Disconnected || state_ == State::Failed) return;
    }
    // Events are only looked at: their buffers serve the next messages.
    for (auto& item : items)
        if (auto* message = std::get_if<Message>(&item)) parser_.recycle(std::move(*message));
    items.clear();
    items_ = std::move(items);
}

void Session::on_message(Message&& message) {
    if (message.kind() == Message::Kind::Greeting) {
        if (state_ == State::AwaitingGreeting) {
            banner_ = message.banner();
            start_login(now_);
        }
        return;
    }
    if (state_ == State::AwaitingGreeting) {
        // No banner (some proxies drop it): log in all the same.
        start_login(now_);
    }
    const std::string_view id = message.action_id();
    auto it = id.empty() ? pending_.end() : pending_.find(std::string(id));

    if (message.is_event()) {
        if (it != pending_.end()) {
            Pending& p = it->second;
            if (p.listing) {
                if (iequals(message.get("EventList"), "Complete") || iequals(message.get("EventList"), "Cancelled")) {
                    p.result.list_complete = std::move(message);
                    complete(it, ActionResult::Status::Success);
                } else {
                    p.result.events.push_back(std::move(message));
                }
                return;
            }
            if (!p.completion_event.empty() && iequals(message.event(), p.completion_event)) {
                const bool success = !iequals(message.get("Response"), "Failure");
                p.result.events.push_back(std::move(message));
                complete(it, success ? ActionResult::Status::Success : ActionResult::Status::Error);
                return;
            }
        } else if (!id.empty() && id.substr(0, options_.action_id_prefix.size()) == options_.action_id_prefix) {
            return;  // a late item of a list we gave up on: never mistake it for a live event
        }
        if (state_ == State::LoggedIn && callbacks_.event) callbacks_.event(message);
        return;
    }

    if (message.is_response() && it != pending_.end()) {
        Pending& p = it->second;
        const bool error = iequals(message.response(), "Error");
        const bool list = iequals(message.get("EventList"), "start");
        p.result.response = std::move(message);
        if (error) {
            complete(it, ActionResult::Status::Error);
        } else if (list) {
            p.listing = true;
        } else if (!p.completion_event.empty()) {
            p.awaiting_event = true;
        } else {
            complete(it, ActionResult::Status::Success);
        }
    }
    // A response nobody waits for (no ActionID, or after a timeout) is dropped.
}

void Session::complete(std::map<std::string, Pending>::iterator it, ActionResult::Status status) {
    Pending p = std::move(it->second);
    deadlines_.erase(p.deadline_entry);
    pending_.erase(it);
    p.result.status = status;
    if (p.done) p.done(std::move(p.result));
}

std::string Session::send_internal(const Action& action, ActionCallback on_done, Clock::time_point now) {
    std::string id = options_.action_id_prefix + std::to_string(next_id_++);
    output_ += action.serialize(id);
    Pending p;
    p.action = action.name;
    p.done = std::move(on_done);
    p.completion_event = action.completion_event;
    auto it = pending_.emplace(id, std::move(p)).first;
    it->second.deadline_entry = deadlines_.emplace(now + action.timeout, id);
    return id;
}

std::optional<std::string> Session::send(const Action& action, ActionCallback on_done, Clock::time_point now) {
    if (state_ != State::LoggedIn) return std::nullopt;
    if (action.unsafe_field()) return std::nullopt;
    return send_internal(action, std::move(on_done), now);
}

void Session::logoff(Clock::time_point now) {
    if (state_ != State::LoggedIn) return;
    send_internal(Action("Logoff"), nullptr, now);
}

void Session::start_login(Clock::time_point now) {
    state_ = State::Authenticating;
    Action challenge("Challenge");
    challenge.set("AuthType", "MD5");
    challenge.timeout = options_.login_timeout;
    send_internal(challenge,
                  [this](ActionResult&& r) {
                      if (r.status == ActionResult::Status::Disconnected) return;
                      const std::string challenge_text(r.response.get("Challenge"));
                      if (!r.ok() || challenge_text.empty()) {
                          plain_login(now_);  // the server does not offer MD5: fall back to a plain login
                          return;
                      }
                      Action login("Login");
                      login.set("AuthType", "MD5");
                      login.set("Username", options_.username);
                      login.set("Key", md5_hex(challenge_text + options_.secret));
                      login.set("Events", options_.events ? "on" : "off");
                      login.timeout = options_.login_timeout;
                      if (login.unsafe_field()) return fail("username contains CR, LF or NUL");
                      send_internal(login, [this](ActionResult&& lr) { login_answered(std::move(lr)); }, now_);
                  },
                  now);
}

void Session::plain_login(Clock::time_point now) {
    Action login("Login");
    login.set("Username", options_.username);
    login.set("Secret", options_.secret);
    login.set("Events", options_.events ? "on" : "off");
    login.timeout = options_.login_timeout;
    if (login.unsafe_field()) return fail("username or secret contains CR, LF or NUL");
    send_internal(login, [this](ActionResult&& r) { login_answered(std::move(r)); }, now);
}

void Session::login_answered(ActionResult&& result) {
    if (result.status == ActionResult::Status::Disconnected) return;
    if (!result.ok()) {
        const std::string reason = result.status == ActionResult::Status::Timeout
                                       ? std::string("no answer to Login")
                                       : "Asterisk refused the login: " + result.message();
        if (callbacks_.login_failed) callbacks_.login_failed(reason);
        fail(reason);
        return;
    }
    state_ = State::LoggedIn;
    if (callbacks_.logged_in) callbacks_.logged_in(banner_);
}

void Session::fail(const std::string& reason) {
    state_ = State::Failed;
    if (callbacks_.close_requested) callbacks_.close_requested(reason);
}

void Session::tick(Clock::time_point now) {
    now_ = now;
    if (state_ == State::Disconnected || state_ == State::Failed) return;
    if (state_ != State::LoggedIn && now >= login_deadline_) {
        const std::string reason = state_ == State::AwaitingGreeting ? "no AMI greeting" : "no answer to Login";
        if (callbacks_.login_failed) callbacks_.login_failed(reason);
        fail(reason);
        return;
    }
    if (state_ == State::LoggedIn) {
        if (now - last_received_ >= 2 * options_.keepalive) {
            fail("no data from Asterisk for " + std::to_string((2 * options_.keepalive).count()) + " ms");
            return;
        }
        if (!ping_outstanding_ && now - last_received_ >= options_.keepalive) {
            ping_outstanding_ = true;
            Action ping("Ping");
            ping.timeout = options_.keepalive;
            send_internal(ping, [this](ActionResult&&) { ping_outstanding_ = false; }, now);
        }
    }
    // Time out expired actions (collect first: callbacks may send new actions).
    std::vector<std::string> expired;
    for (auto d = deadlines_.begin(); d != deadlines_.end() && now >= d->first; ++d) expired.push_back(d->second);
    for (const auto& id : expired) {
        auto it = pending_.find(id);
        if (it != pending_.end()) complete(it, ActionResult::Status::Timeout);
        if (state_ == State::Disconnected || state_ == State::Failed) return;
    }
}

std::optional<Clock::time_point> Session::next_deadline() const {
    if (state_ == State::Disconnected || state_ == State::Failed) return std::nullopt;
    std::optional<Clock::time_point> next;
    auto consider = [&](Clock::time_point t) {
        if (!next || t < *next) next = t;
    };
    if (state_ != State::LoggedIn) consider(login_deadline_);
    if (state_ == State::LoggedIn) {
        consider(last_received_ + (ping_outstanding_ ? 2 * options_.keepalive : options_.keepalive));
    }
    if (!deadlines_.empty()) consider(deadlines_.begin()->first);
    return next;
}

}  // namespace ami
