#include "transcript.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace testsupport {

namespace {
std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char n = s[++i];
            out += n == 'n' ? '\n' : n == 'r' ? '\r' : n;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string stream(const std::vector<TranscriptLine>& lines, bool from_server) {
    std::string out;
    for (const auto& l : lines)
        if (l.from_server == from_server) out += l.text + "\r\n";
    return out;
}
}  // namespace

std::string Connection::received() const { return stream(lines, true); }
std::string Connection::sent() const { return stream(lines, false); }

std::string Transcript::received() const {
    std::string out;
    for (const auto& c : connections) out += c.received();
    return out;
}

Transcript read_transcript(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    Transcript t;
    t.path = path;
    std::string line;
    std::string current;
    bool closed = true;
    while (std::getline(in, line)) {
        if (line.rfind("#@ ", 0) == 0) {
            const std::string name = line.substr(line.find_last_of(' ') + 1);
            if (closed || name != current) {
                t.connections.push_back({name, {}});
                current = name;
                closed = false;
            }
            continue;
        }
        if (line.rfind("# [", 0) == 0 && line.find("connection closed") != std::string::npos) {
            closed = true;
            continue;
        }
        if (line.size() < 3) continue;
        const std::string prefix = line.substr(0, 3);
        const bool server = prefix == "<<<" || prefix == "<<!";
        const bool client = prefix == ">>>" || prefix == ">>!";
        if (!server && !client) continue;
        const bool escaped = prefix[2] == '!';
        std::string text = line.size() > 4 ? line.substr(4) : std::string();
        if (escaped) text = unescape(text);
        if (t.connections.empty()) t.connections.push_back({"bridge", {}});
        t.connections.back().lines.push_back({server, escaped, std::move(text)});
    }
    return t;
}

std::string fixtures_dir() { return PBX2MQTT_FIXTURES_DIR; }

std::string fixture(const std::string& relative) { return fixtures_dir() + "/ami/" + relative; }

std::vector<std::string> all_transcripts() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(fixtures_dir() + "/ami"))
        if (e.is_regular_file() && e.path().extension() == ".txt") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace testsupport
