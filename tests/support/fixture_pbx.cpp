#include "fixture_pbx.hpp"

#include "ami/parser.hpp"

#include <cstdio>
#include <ctime>
#include <fstream>

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

void FixturePbx::learn(const std::string& transcript_path) {
    const auto t = read_transcript(transcript_path);
    for (const auto& c : t.connections) {
        auto server = parse_all(c.received(), true);
        for (auto& action : parse_all(c.sent(), false)) {
            const std::string_view id = action.action_id();
            if (id.empty()) continue;
            Recorded r{action, {}};
            for (const auto& m : server)
                if (m.action_id() == id) r.answer.push_back(m);
            recorded_.push_back(std::move(r));
        }
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

std::chrono::system_clock::time_point parse_iso8601(const std::string& text) {
    std::tm tm{};
    int ms = 0;
    std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

std::vector<TimedEvent> timed_transcript_events(const std::string& path) {
    // Walk the transcript's lines: each "#@" line dates the message that follows it.
    std::ifstream in(path);
    std::vector<TimedEvent> out;
    std::string line, block, at;
    std::chrono::system_clock::time_point when{};
    auto flush = [&] {
        if (block.empty()) return;
        ami::Parser p(false);
        for (auto& item : p.feed(block + "\r\n"))
            if (auto* m = std::get_if<ami::Message>(&item); m && m->is_event() && m->action_id().empty())
                out.push_back({when, std::move(*m)});
        block.clear();
    };
    while (std::getline(in, line)) {
        if (line.rfind("#@ ", 0) == 0) {
            flush();
            when = parse_iso8601(line.substr(3, line.find(' ', 3) - 3));
            continue;
        }
        if (line.size() < 3 || (line.compare(0, 3, "<<<") != 0 && line.compare(0, 3, "<<!") != 0)) continue;
        std::string text = line.size() > 4 ? line.substr(4) : std::string();
        if (line[2] == '!') {
            std::string raw;
            for (std::size_t i = 0; i < text.size(); ++i) {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    const char n = text[++i];
                    raw += n == 'n' ? '\n' : n == 'r' ? '\r' : n;
                } else {
                    raw += text[i];
                }
            }
            text = raw;
        }
        if (text.rfind("Asterisk Call Manager/", 0) == 0) {  // a banner: not a message
            continue;
        }
        block += text + "\r\n";
        if (text.empty()) flush();
    }
    flush();
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
