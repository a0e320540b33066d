#include "fixture_pbx.hpp"

#include "ami/parser.hpp"

namespace testsupport {

namespace {
std::vector<ami::Message> parse_all(const std::string& bytes, bool greeting) {
    ami::Parser p(greeting);
    std::vector<ami::Message> out;
    for (auto& item : p.feed(bytes))
        if (auto* m = std::get_if<ami::Message>(&item)) out.push_back(std::move(*m));
    return out;
}

bool same_action(const ami::Message& a, const ami::Message& b) {
    std::vector<ami::Header> ha, hb;
    for (const auto& h : a.headers())
        if (!ami::iequals(h.name, "ActionID")) ha.push_back(h);
    for (const auto& h : b.headers())
        if (!ami::iequals(h.name, "ActionID")) hb.push_back(h);
    if (ha.size() != hb.size()) return false;
    for (std::size_t i = 0; i < ha.size(); ++i)
        if (!ami::iequals(ha[i].name, hb[i].name) || ha[i].value != hb[i].value) return false;
    return true;
}

std::string with_action_id(ami::Message m, const std::string& id) {
    for (auto& h : m.headers())
        if (ami::iequals(h.name, "ActionID")) h.value = id;
    if (m.response() != "Follows") return m.serialize();
    // Asterisk <= 13 command output is raw text up to --END COMMAND--, not headers.
    std::string out, text;
    for (const auto& h : m.headers()) {
        if (ami::iequals(h.name, "Output")) text += h.value + "\n";
        else out += h.name + ": " + h.value + "\r\n";
    }
    return out + text + "--END COMMAND--\r\n\r\n";
}
}  // namespace

FixturePbx::FixturePbx(const std::string& snapshot_path) {
    const auto t = read_transcript(snapshot_path);
    const auto& c = t.connections.at(0);
    auto server = parse_all(c.received(), true);
    banner_ = server.at(0).banner();
    for (auto& action : parse_all(c.sent(), false)) {
        Recorded r{action, {}};
        const std::string_view id = action.action_id();
        if (id.empty()) continue;
        for (const auto& m : server)
            if (m.action_id() == id) r.answer.push_back(m);
        recorded_.push_back(std::move(r));
    }
}

std::string FixturePbx::answer(const std::string& client_bytes) {
    pending_ += client_bytes;
    const std::size_t end = pending_.rfind("\r\n\r\n");
    if (end == std::string::npos) return {};
    const std::string complete = pending_.substr(0, end + 4);
    pending_.erase(0, end + 4);
    std::string out;
    for (auto& action : parse_all(complete, false)) {
        actions_.push_back(action);
        const std::string id(action.action_id());
        const std::string_view name = action.get("Action");
        if (ami::iequals(name, "Challenge")) {
            out += "Response: Success\r\nActionID: " + id + "\r\nChallenge: 840371602\r\n\r\n";
            continue;
        }
        if (ami::iequals(name, "Login")) {
            out += "Response: Success\r\nActionID: " + id + "\r\nMessage: Authentication accepted\r\n\r\n";
            continue;
        }
        const Recorded* match = nullptr;
        for (const auto& r : recorded_)
            if (same_action(r.action, action)) {
                match = &r;
                break;
            }
        if (!match) {
            out += "Response: Error\r\nActionID: " + id + "\r\nMessage: Invalid/unknown command: " + std::string(name) +
                   ". Use Action: ListCommands to show available commands.\r\n\r\n";
            continue;
        }
        for (const auto& m : match->answer) out += with_action_id(m, id);
    }
    return out;
}

std::vector<ami::Message> transcript_events(const std::string& path) {
    std::vector<ami::Message> out;
    for (const auto& c : read_transcript(path).connections)
        for (auto& m : parse_all(c.received(), true))
            if (m.is_event() && m.action_id().empty()) out.push_back(std::move(m));
    return out;
}

std::map<std::string, std::string> RecordingPort::retained() const {
    std::map<std::string, std::string> tree;
    for (const auto& m : published) {
        if (!m.retain) continue;
        if (m.payload.empty()) tree.erase(m.topic);
        else tree[m.topic] = m.payload;
    }
    return tree;
}

std::vector<std::string> RecordingPort::values(const std::string& topic) const {
    std::vector<std::string> out;
    for (const auto& m : published)
        if (m.topic == topic) out.push_back(m.payload);
    return out;
}

}  // namespace testsupport
