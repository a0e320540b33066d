// Writes the seed corpora of the fuzz targets:
//   make_seeds <source dir> <out dir>
//   <out>/fuzz_ami_parser/      the AMI bytes of every recorded transcript (tests/fixtures/ami/**.txt,
//                               read with tests/support/transcript.cpp), both directions, cut at
//                               message boundaries into pieces of about 4 KiB (the first piece of
//                               a connection starts with the banner)
//   <out>/fuzz_command_decoder/ byte 0 = the command's index in kCommandNames, then the payload:
//                               the request example of every command in docs/topics.md
//                               ("## Commands"), and the hostile requests of
//                               tests/support/command_corpus.hpp on command topics (injections in
//                               every string field, wrong types, bad JSON, nesting); and in router
//                               mode (byte 0 = 64 + the topic's kind) every hostile request with
//                               its topic, setter topics included, and one valid request per setter
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
#include "command_corpus.hpp"
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
    std::size_t n_docs = 0;
    for (const auto& [command, documented] : testsupport::documented_commands(read_file(src / "docs/topics.md")))
        if (!documented.request.empty()) seed(command, documented.request, "doc", n_docs++);
    if (n_docs == 0) throw std::runtime_error("no request examples found in docs/topics.md");
    // Command topics here (the decoder's input); every topic, setters included, in router mode below.
    std::size_t n_hostile = 0;
    for (const auto& [topic, payload] : testsupport::hostile_requests())
        if (topic.rfind("cmd/", 0) == 0 && index_of(topic.substr(4)) >= 0) seed(topic.substr(4), payload, "hostile", n_hostile++);
    for (std::string_view name : commands::kCommandNames) seed(std::string(name), "{}", "empty", 0);
    // Router mode (fuzz_command_decoder.cpp's header): the whole topic, setters included. Byte 0 =
    // 64 + the topic's kind (router mode, model 0), byte 1 = 0, then L1 NUL L2 NUL NUL payload.
    auto router_seed = [&](const std::string& topic, const std::string& payload, std::size_t i) {
        auto level = [&](std::size_t n) {
            std::size_t start = 0;
            for (std::size_t k = 0; k < n && start != std::string::npos; ++k) {
                start = topic.find('/', start);
                if (start != std::string::npos) ++start;
            }
            if (start == std::string::npos) return std::string();
            return topic.substr(start, topic.find('/', start) - start);
        };
        auto ends = [&](std::string_view tail) {
            return topic.size() >= tail.size() && topic.compare(topic.size() - tail.size(), tail.size(), tail) == 0;
        };
        int kind = 5;
        std::string l1 = topic, l2;
        if (topic.rfind("extensions/", 0) == 0 && ends("/dnd/set")) kind = 0, l1 = level(1);
        else if (topic.rfind("extensions/", 0) == 0 && ends("/cf/set")) kind = 1, l1 = level(1);
        else if (topic.rfind("queues/", 0) == 0 && ends("/paused/set")) kind = 2, l1 = level(1), l2 = level(3);
        else if (topic.rfind("cmd/", 0) == 0) kind = 3, l1 = topic.substr(4);
        else if (topic == "bridge/request/log_level") kind = 4, l1.clear();
        std::string bytes{static_cast<char>(64 + kind), '\0'};
        bytes += l1 + std::string(1, '\0') + l2 + std::string(2, '\0') + payload;
        write(decoder_dir / ("router-" + std::to_string(i)), bytes);
        ++n_decoder;
    };
    std::size_t n_router = 0;
    for (const auto& [topic, payload] : testsupport::hostile_requests()) router_seed(topic, payload, n_router++);
    router_seed("extensions/2001/dnd/set", "ON", n_router++);
    router_seed("extensions/2002/cf/set", R"({"type":"busy","to":"2004","transaction":5})", n_router++);
    router_seed("queues/401/members/SIP_2001/paused/set", "true", n_router++);
    router_seed("bridge/request/log_level", R"({"level":"debug","transaction":"t"})", n_router++);

    std::cout << "make_seeds: " << n_parser << " AMI seeds in " << parser_dir.string() << ", " << n_decoder
              << " command seeds (" << n_docs << " from docs/topics.md) in " << decoder_dir.string() << "\n";
    return 0;
}
