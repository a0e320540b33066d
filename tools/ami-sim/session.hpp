#pragma once
// One AMI connection as Asterisk's manager sees it: the banner, Challenge/Login (plain or MD5),
// "Permission denied" before login and for read-only users, Events on/off, Logoff; everything
// else goes to the ActionHandler. Pure: the server carries out the returned steps.
#include <string>
#include <string_view>
#include <vector>

#include "ami-sim/actions.hpp"

namespace amisim {

struct User {
    std::string name;
    std::string secret;
    bool read_only = false;  // like the recorded "viewer": read=all, write= (nothing)
};

struct SessionStep {
    std::string reply;   // bytes for this client
    Events broadcast;    // for every session with events on
    bool delayed = false;    // a failed login: send `reply` after the login delay, then close
    bool close = false;      // close once `reply` is written
    bool logged_in = false;  // this message logged the session in
    bool restart = false;    // "core restart now": every session is dropped
    std::vector<std::string> follow_ups = {};  // control commands to run later (ActionReply)
};

class AmiSession {
public:
    AmiSession(Simulator& sim, ActionHandler& handler, const std::vector<User>& users)
        : sim_(sim), handler_(handler), users_(users) {}

    std::string greeting() const;  // the banner line, no blank line after it
    SessionStep on_message(const ami::Message& message, double now);

    bool authenticated() const { return authenticated_; }
    bool events_on() const { return authenticated_ && events_on_; }
    const std::string& username() const { return username_; }

private:
    SessionStep login(const ami::Message& message, double now);

    Simulator& sim_;
    ActionHandler& handler_;
    const std::vector<User>& users_;
    std::string challenge_;
    std::string username_;
    bool authenticated_ = false;
    bool events_on_ = true;
    bool read_only_ = false;
};

// Events: on/off/<class list> -> on?
bool events_wanted(std::string_view value);

}  // namespace amisim
