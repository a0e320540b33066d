#include "ami-sim/session.hpp"

#include <algorithm>
#include <cmath>

#include "ami-sim/responses.hpp"
#include "ami/md5.hpp"

namespace amisim {

bool events_wanted(std::string_view value) {
    if (value.empty()) return true;
    return !ami::iequals(value, "off") && !ami::iequals(value, "no") && !ami::iequals(value, "false") &&
           value != "0";
}

std::string AmiSession::greeting() const { return std::string(sim_.flavor_traits().banner) + "\r\n"; }

SessionStep AmiSession::login(const ami::Message& message, double now) {
    const std::string_view id = message.action_id();
    SessionStep step;
    if (authenticated_) {
        step.reply = success(id, "Already authenticated");
        return step;
    }
    const std::string_view name = message.get("Username");
    const User* user = nullptr;
    for (const auto& u : users_)
        if (!name.empty() && ami::iequals(u.name, name)) user = &u;
    bool accepted = false;
    if (user) {
        if (ami::iequals(message.get("AuthType"), "md5")) {
            accepted = !challenge_.empty() && ami::iequals(message.get("Key"), ami::md5_hex(challenge_ + user->secret));
        } else {
            accepted = message.has("Secret") && message.get("Secret") == user->secret;
        }
    }
    if (!accepted) {
        step.reply = error(id, "Authentication failed");
        step.delayed = true;
        step.close = true;
        return step;
    }
    authenticated_ = true;
    username_ = user->name;
    read_only_ = user->read_only;
    events_on_ = events_wanted(message.get("Events"));
    step.logged_in = true;
    step.reply = success(id, "Authentication accepted");
    if (events_on_) {
        const long uptime = std::max(0L, static_cast<long>(std::floor(now - sim_.boot_time())));
        step.reply += fully_booted_event(sim_.flavor_traits().fully_booted_uptime, uptime).serialize();
    }
    return step;
}

SessionStep AmiSession::on_message(const ami::Message& message, double now) {
    const std::string_view action = message.get("Action");
    const std::string_view id = message.action_id();
    SessionStep step;
    if (action.empty()) {
        step.reply = error(id, "Missing action in request");
        return step;
    }
    if (ami::iequals(action, "Login")) return login(message, now);
    if (ami::iequals(action, "Challenge")) {
        if (!ami::iequals(message.get("AuthType"), "md5")) {
            step.reply = error(id, "Must specify AuthType");
            return step;
        }
        if (challenge_.empty()) challenge_ = sim_.random_digits(9);
        step.reply = response_message("Success", id, {{"Challenge", challenge_}}).serialize();
        return step;
    }
    if (ami::iequals(action, "Logoff")) {
        step.reply = response_message("Goodbye", id, {{"Message", "Thanks for all the fish."}}).serialize();
        step.close = true;
        return step;
    }
    if (!authenticated_) {
        step.reply = error(id, "Permission denied");
        return step;
    }
    if (read_only_ && handler_.catalog().exists(action) && handler_.catalog().privilege(action) != "<none>") {
        step.reply = error(id, "Permission denied");
        return step;
    }
    if (ami::iequals(action, "Events")) {
        events_on_ = events_wanted(message.get("EventMask"));
        step.reply = response_message("Success", id, {{"Events", events_on_ ? "On" : "Off"}}).serialize();
        return step;
    }
    ActionReply reply = handler_.handle(message, now);
    step.reply = std::move(reply.bytes);
    step.broadcast = std::move(reply.events);
    step.close = reply.close;
    step.restart = reply.restart;
    step.follow_ups = std::move(reply.follow_ups);
    return step;
}

}  // namespace amisim
