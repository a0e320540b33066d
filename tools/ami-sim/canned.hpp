#pragma once
// Recorded answers, replayed for the actions the simulator does not model (CoreSettings,
// ListCommands, Parkinglots, BridgeTechnologyList, PJSIPShowAors...), with the client's
// ActionID in place of the recorded one.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ami-sim/recording.hpp"
#include "ami/message.hpp"

namespace amisim {

class CannedAnswers {
public:
    CannedAnswers() = default;
    explicit CannedAnswers(const std::vector<RecordedMessage>& recording) { add(recording); }
    // Answers found in `recording` are used after those added before.
    void add(const std::vector<RecordedMessage>& recording);

    // The recorded answer to an action of the same name whose other headers (ActionID aside)
    // are the same; with `any_headers`, to any action of that name.
    std::optional<std::string> find(const ami::Message& action, std::string_view action_id,
                                    bool any_headers = false) const;

private:
    struct Entry {
        std::string action;
        std::vector<ami::Header> request;  // without Action and ActionID
        std::string action_id;             // as recorded ("" when the client sent none)
        std::vector<std::string> replies;  // wire bytes of each message
    };
    std::string render(const Entry& entry, std::string_view action_id) const;

    std::vector<Entry> entries_;
};

// Replaces the "ActionID: <from>" lines of AMI wire bytes with `to` (drops them when `to` is
// empty); when `from` is empty, inserts `to` after a leading "Response:" line.
std::string replace_action_id(std::string_view wire, std::string_view from, std::string_view to);

}  // namespace amisim
