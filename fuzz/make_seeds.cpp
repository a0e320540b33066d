// Writes the seed corpora of the fuzz targets:
//   make_seeds <source dir> <out dir>
//   <out>/fuzz_ami_parser/      the AMI bytes of every recorded transcript (tests/fixtures/ami/**.txt,
//                               read with tests/support/transcript.cpp), both directions, cut at
//                               message boundaries into pieces of about 4 KiB (the first piece of
//                               a connection starts with the banner)
//   <out>/fuzz_command_decoder/ byte 0 = the command's index in kCommandNames, then the payload:
//                               the request example of every command in docs/topics.md
//                               ("## Commands"), and a hostile corpus like the one of
//                               tests/integration/commands_protocol_test.cpp (injections in every
//                               string field, wrong types, bad JSON, nesting)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/names.hpp"
#include "transcript.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kPiece = 4096;

void write(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

// Cuts a stream after blank lines ("\r\n\r\n") into pieces of about kPiece bytes.
std::vector<std::string> pieces(const std::string& stream) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < stream.size()) {
        std::size_t end = start + kPiece;
        if (end >= stream.size()) {
            end = stream.size();
        } else {
            const auto cut = stream.rfind("\r\n\r\n", end);
            end = (cut != std::string::npos && cut + 4 > start + 16) ? cut + 4 : std::min(stream.size(), start + kPiece);
        }
        out.push_back(stream.substr(start, end - start));
        start = end;
    }
    return out;
}

int index_of(std::string_view name) {
    for (std::size_t i = 0; i < commands::kCommandNames.size(); ++i)
        if (commands::kCommandNames[i] == name) return static_cast<int>(i);
    return -1;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The ```json block after "Request" of every "### `name`" section of docs/topics.md "## Commands".
std::vector<std::pair<std::string, std::string>> documented_requests(const std::string& doc) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto start = doc.find("\n## Commands");
    if (start == std::string::npos) return out;
    const auto end = doc.find("\n## ", start + 5);
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::regex heading("\\n### `([a-z_]+)`");
    std::vector<std::pair<std::string, std::size_t>> heads;
    for (auto it = std::sregex_iterator(section.begin(), section.end(), heading); it != std::sregex_iterator(); ++it)
        heads.emplace_back((*it)[1].str(), static_cast<std::size_t>(it->position()));
    for (std::size_t i = 0; i < heads.size(); ++i) {
        const std::size_t to = i + 1 < heads.size() ? heads[i + 1].second : section.size();
        const std::string body = section.substr(heads[i].second, to - heads[i].second);
        const auto at = body.find("\nRequest");
        if (at == std::string::npos) continue;
        const auto open = body.find("```json\n", at);
        if (open == std::string::npos) continue;
        const auto close = body.find("\n```", open + 8);
        out.emplace_back(heads[i].first, body.substr(open + 8, close - open - 8));
    }
    return out;
}

// Like hostile_corpus() in tests/integration/commands_protocol_test.cpp (command, payload).
std::vector<std::pair<std::string, std::string>> hostile() {
    std::vector<std::pair<std::string, std::string>> out;
    const std::vector<std::string> injections = {
        "2002\r\nAction: Originate\r\nChannel: SIP/2001\r\nExten: 900",
        "2002\r\n\r\nAction: Hangup\r\nChannel: SIP/2001",
        "2002\nVariable: x=y",
        "2002\rVariable: x=y",
        std::string("2002\0Action: Logoff", 19),
        "2002\x1b[2J",
        "\r\n",
    };
    const std::vector<std::pair<std::string, json>> templates = {
        {"call", {{"from", "2001"}, {"to", "2002"}, {"context", "from-internal"}, {"caller_name", "Bob"}}},
        {"hangup", {{"channel", "SIP/2001-00000001"}}},
        {"dnd", {{"extension", "2002"}, {"enabled", true}}},
        {"call_forward", {{"extension", "2002"}, {"type", "always"}, {"to", "2003"}}},
        {"device_state", {{"device", "Custom:lamp"}, {"state", "INUSE"}}},
        {"queue_member_pause", {{"queue", "401"}, {"interface", "SIP/2003"}, {"reason", "lunch"}}},
        {"queue_member_add", {{"queue", "401"}, {"interface", "SIP/2004"}, {"name", "Dave"}}},
        {"conference_kick", {{"conference", "800"}, {"channel", "SIP/2001-00000001"}}},
        {"reload", {{"module", "app_queue.so"}}},
        {"dtmf", {{"channel", "SIP/2001-00000001"}, {"digits", "123"}}},
        {"record_start", {{"channel", "SIP/2001-00000001"}, {"file", "rec"}}},
        {"ami", {{"action", "Command"}, {"headers", {{"Command", "core show version"}}}}},
    };
    for (const auto& [command, base] : templates) {
        out.emplace_back(command, base.dump());
        for (const auto& [key, value] : base.items()) {
            if (!value.is_string()) continue;
            for (const auto& inj : injections) {
                json j = base;
                j[key] = value.get<std::string>() + inj;
                out.emplace_back(command, j.dump(-1, ' ', false, json::error_handler_t::replace));
            }
        }
    }
    const std::vector<std::pair<std::string, std::string>> more = {
        {"call", R"({"from":2001,"to":"2002"})"},
        {"call", R"({"from":["2001"],"to":"2002"})"},
        {"call", R"({"from":{"a":"2001"},"to":"2002"})"},
        {"call", R"({"from":"2001","to":"2002","auto_answer":"yes"})"},
        {"call", R"({"from":"2001"})"},
        {"call", R"({"from":"2001","to":"2002","extra":1})"},
        {"call", R"({"from":"2001","to":"2002","context":"from-trunk"})"},
        {"call", R"({"from":"2001","to":"2002;x"})"},
        {"call", R"({"from":"2001","to":"900,ChanSpy"})"},
        {"call", R"({"from":"2001","to":"2002","transaction":[1]})"},
        {"call", "null"},
        {"call", "[]"},
        {"call", "\"call\""},
        {"call", ""},
        {"call", "{"},
        {"call", "{\"from\":\"2001\",\"to\":\"2002\"}garbage"},
        {"call", std::string("{\"from\":\"20\xff\xfe\",\"to\":\"2002\"}")},
        {"call", std::string("{\"from\":\"2001\",\"to\":\"2002\"}\0", 29)},
        {"call", std::string(200, '[') + std::string(200, ']')},
        {"call", "{\"a\":" + std::string(50, '{') + std::string(50, '}') + "}"},
        {"call", R"({"from":"2001","to":"2002","caller_name":"\u00e9\u00e8 \ud83d\ude00"})"},
        {"hangup", R"({"extension":"2001","channel":"SIP/2001-1"})"},
        {"hangup", R"({})"},
        {"hangup", R"({"cause":"16","channel":"SIP/2001-00000001"})"},
        {"hangup", R"({"cause":999,"channel":"SIP/2001-00000001"})"},
        {"hangup", R"({"cause":-1e308,"channel":"SIP/2001-00000001"})"},
        {"hangup", R"({"cause":18446744073709551615,"channel":"SIP/2001-00000001"})"},
        {"dnd", R"({"extension":"2002","enabled":1})"},
        {"dnd", R"({"extension":"","enabled":true})"},
        {"dtmf", R"({"channel":"SIP/2001-00000001","digits":"1;2"})"},
        {"record_start", R"({"channel":"SIP/2001-00000001","file":"../../../etc/passwd"})"},
        {"record_start", R"({"channel":"SIP/2001-00000001","file":"/tmp/x"})"},
        {"device_state", R"({"device":"SIP/2001","state":"INUSE"})"},
        {"ami", R"({"action":"Command","headers":{"Command":"core stop now"}})"},
        {"ami", R"({"action":"Command","headers":{"ActionID":"x","Command":"a"}})"},
        {"queue_member_penalty", R"({"queue":"401","interface":"SIP/2003","penalty":2147483648})"},
    };
    out.insert(out.end(), more.begin(), more.end());
    for (std::string_view name : commands::kCommandNames) out.emplace_back(std::string(name), "{}");
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: make_seeds <source dir> <out dir>\n";
        return 2;
    }
    const fs::path src = argv[1], out = argv[2];
    const fs::path parser_dir = out / "fuzz_ami_parser", decoder_dir = out / "fuzz_command_decoder";
    fs::create_directories(parser_dir);
    fs::create_directories(decoder_dir);

    std::size_t n_parser = 0, n_decoder = 0;
    std::vector<fs::path> transcripts;
    for (const auto& e : fs::recursive_directory_iterator(src / "tests/fixtures/ami"))
        if (e.is_regular_file() && e.path().extension() == ".txt") transcripts.push_back(e.path());
    std::sort(transcripts.begin(), transcripts.end());
    for (const auto& path : transcripts) {
        const auto t = testsupport::read_transcript(path.string());
        const std::string stem = path.parent_path().filename().string() + "-" + path.stem().string();
        for (std::size_t c = 0; c < t.connections.size(); ++c) {
            int k = 0;
            for (const auto& dir : {t.connections[c].received(), t.connections[c].sent()}) {
                const auto parts = pieces(dir);
                for (std::size_t i = 0; i < parts.size(); ++i) {
                    char name[64];
                    std::snprintf(name, sizeof name, "-c%zu-%s-%03zu", c, k == 0 ? "recv" : "sent", i);
                    write(parser_dir / (stem + name), parts[i]);
                    ++n_parser;
                }
                ++k;
            }
        }
    }

    auto seed = [&](const std::string& command, const std::string& payload, const std::string& tag, std::size_t i) {
        const int idx = index_of(command);
        if (idx < 0) throw std::runtime_error("unknown command in the seeds: " + command);
        write(decoder_dir / (tag + "-" + command + "-" + std::to_string(i)), std::string(1, static_cast<char>(idx)) + payload);
        ++n_decoder;
    };
    const auto docs = documented_requests(read_file(src / "docs/topics.md"));
    if (docs.empty()) throw std::runtime_error("no request examples found in docs/topics.md");
    for (std::size_t i = 0; i < docs.size(); ++i) seed(docs[i].first, docs[i].second, "doc", i);
    const auto h = hostile();
    for (std::size_t i = 0; i < h.size(); ++i) seed(h[i].first, h[i].second, "hostile", i);

    std::cout << "make_seeds: " << n_parser << " AMI seeds in " << parser_dir.string() << ", " << n_decoder
              << " command seeds (" << docs.size() << " from docs/topics.md) in " << decoder_dir.string() << "\n";
    return 0;
}
