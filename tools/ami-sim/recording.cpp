#include "ami-sim/recording.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "ami/parser.hpp"

namespace amisim {

namespace {

std::string unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            const char next = text[i + 1];
            if (next == 'n') { out += '\n'; ++i; continue; }
            if (next == 'r') { out += '\r'; ++i; continue; }
            if (next == '\\') { out += '\\'; ++i; continue; }
        }
        out += text[i];
    }
    return out;
}

ami::Message parse_wire(const std::string& wire, bool banner) {
    if (banner) {
        std::string line = wire;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        return ami::Message::greeting(line);
    }
    ami::Parser parser(false);
    for (auto& item : parser.feed(wire))
        if (auto* m = std::get_if<ami::Message>(&item)) return std::move(*m);
    return {};
}

// "#@ 2026-11-27T17:40:25.200Z +0.008 recv bridge"
void parse_stamp(std::string_view line, double& offset, std::string& connection) {
    std::istringstream in{std::string(line.substr(2))};
    std::string iso, plus, direction, conn;
    in >> iso >> plus >> direction >> conn;
    if (!plus.empty() && plus[0] == '+') offset = std::strtod(plus.c_str() + 1, nullptr);
    if (!conn.empty()) connection = conn;
}

}  // namespace

std::vector<RecordedMessage> parse_recording(std::string_view text) {
    std::vector<RecordedMessage> out;
    RecordedMessage current;
    bool open = false;  // `current` holds at least one line
    double offset = 0;
    std::string connection;

    auto flush = [&](bool banner) {
        current.message = parse_wire(current.wire, banner);
        out.push_back(std::move(current));
        current = RecordedMessage{};
        open = false;
    };

    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

        if (line.rfind("#@", 0) == 0) {
            parse_stamp(line, offset, connection);
            continue;
        }
        const bool client = line.rfind(">>>", 0) == 0 || line.rfind(">>!", 0) == 0;
        const bool server = line.rfind("<<<", 0) == 0 || line.rfind("<<!", 0) == 0;
        if (!client && !server) continue;
        const bool escaped = line[2] == '!';
        std::string_view body = line.size() > 4 ? line.substr(4) : std::string_view{};

        if (open && current.from_server != server) flush(false);  // a message never spans directions
        if (!open) {
            current.connection = connection;
            current.from_server = server;
            current.offset = offset;
            open = true;
        }
        current.wire += escaped ? unescape(body) : std::string(body);
        current.wire += "\r\n";
        if (server && current.wire.find("Call Manager/") != std::string::npos &&
            current.wire.find(": ") == std::string::npos) {
            flush(true);  // the banner is one line with no blank line after it
        } else if (body.empty() && !escaped) {
            flush(false);  // the blank line ends the message (alone: the lone CRLF after some errors)
        }
        if (end == text.size()) break;
    }
    if (open) flush(false);
    return out;
}

std::vector<Exchange> exchanges(const std::vector<RecordedMessage>& messages) {
    std::vector<Exchange> out;
    std::map<std::string, std::size_t> open;  // connection -> index in `out` of its last request
    for (const auto& m : messages) {
        if (!m.from_server) {
            open[m.connection] = out.size();
            out.push_back({&m, {}});
        } else if (auto it = open.find(m.connection); it != open.end()) {
            out[it->second].replies.push_back(&m);
        }
    }
    return out;
}

std::vector<ami::Header> headers_without(const ami::Message& m, std::initializer_list<std::string_view> names) {
    std::vector<ami::Header> out;
    for (const auto& h : m.headers()) {
        bool skip = false;
        for (auto n : names) skip = skip || ami::iequals(h.name, n);
        if (!skip) out.push_back(h);
    }
    return out;
}

std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace amisim
