#pragma once
// What the simulated PBX answers to each action of a logged-in session, and which actions the
// flavor knows at all (its ListCommands). Login, Challenge, Logoff and permissions are the
// session's business (session.hpp).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ami-sim/canned.hpp"
#include "ami-sim/simulator.hpp"

namespace amisim {

// The actions of a flavor with their privileges, as its ListCommands shows them.
class ActionCatalog {
public:
    ActionCatalog(Flavor flavor, const std::vector<RecordedMessage>& recording);
    bool exists(std::string_view action) const;
    // The write privilege ListCommands shows ("<none>", "system,reporting,all").
    std::string privilege(std::string_view action) const;
    std::string list_commands(std::string_view action_id) const;

private:
    std::vector<std::string> lines_;          // "Name: description  (Priv: x)", in ListCommands order
    std::map<std::string, std::string> privileges_;  // lower-case name -> privilege
};

struct ActionReply {
    std::string bytes;          // the answer to the client
    Events events;              // broadcast to every session with events on
    bool close = false;         // close the session after the answer
    bool restart = false;       // "core restart now": drop every session, as the real restart does
    // Control commands to run after ActionHandler::originate_answer_ms() ("answer <callid>": the
    // phone an async Originate rings answers by itself).
    std::vector<std::string> follow_ups = {};
};

class ActionHandler {
public:
    ActionHandler(Simulator& sim, CannedAnswers canned, ActionCatalog catalog)
        : sim_(sim), canned_(std::move(canned)), catalog_(std::move(catalog)) {}

    const ActionCatalog& catalog() const { return catalog_; }
    // How long the phone an async Originate rings takes to answer; negative: it does not (the
    // control command `answer <callid>` answers it).
    int originate_answer_ms() const { return originate_answer_ms_; }
    void set_originate_answer_ms(int ms) { originate_answer_ms_ = ms; }
    // An action of a logged-in session (the action name is known to exist or not by the catalog).
    ActionReply handle(const ami::Message& action, double now);

private:
    // Queue, parking, ConfBridge and registration actions that change the state.
    std::optional<ActionReply> entity_action(const std::string& name, const ami::Message& action, std::string_view id,
                                             double now);
    // Originate, Redirect, transfers, PlayDTMF, MixMonitor, NOTIFY and Reload (sim_commands.cpp).
    std::optional<ActionReply> call_control_action(const std::string& name, const ami::Message& action,
                                                   std::string_view id, double now);
    ActionReply originate(const ami::Message& action, std::string_view id, double now);
    ActionReply command(const ami::Message& action, std::string_view id);
    ActionReply setvar(const ami::Message& action, std::string_view id);
    std::string getvar(const ami::Message& action, std::string_view id);
    ActionReply user_event(const ami::Message& action, std::string_view id);
    std::string database(const ami::Message& action, std::string_view id);

    Simulator& sim_;
    CannedAnswers canned_;
    ActionCatalog catalog_;
    int originate_answer_ms_ = 300;
};

}  // namespace amisim
