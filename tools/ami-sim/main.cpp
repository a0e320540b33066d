// ami-sim: an AMI server that behaves like the recorded Asterisk 20 (chan_sip), 22 (PJSIP) and
// 13 (chan_sip) PBXs, for the tests and the demo. See tools/ami-sim/README.md.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "ami-sim/actions.hpp"
#include "ami-sim/canned.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/server.hpp"

namespace {

constexpr const char* kUsage = R"(usage: ami-sim [options]
  --bind ADDR              listen address (127.0.0.1)
  --port N                 AMI port (5038; 0 = any free port)
  --control-port N         control port (default: none; 0 = any free port)
  --port-file FILE         write "ami=<port>\ncontrol=<port>\n" there once listening
  --flavor NAME            asterisk20-chansip (default) | asterisk22-pjsip | asterisk13-chansip
  --state FILE             initial state from a recorded 01-snapshot-actions transcript
  --username NAME          login user (bridge)
  --secret SECRET          its secret (bridgepass)
  --user NAME:SECRET       one more user (repeatable)
  --readonly-user NAME:SECRET  a user without write permissions (repeatable)
  --scenario idle|lively   lively: a random realistic change every 0.5-2 s
  --seed N                 random seed (1)
  --replay FILE            play that transcript's bridge events to each client after login
  --speed X                replay speed (1; 0 = as fast as possible)
  --record FILE            append every byte received from AMI clients
  --login-delay-ms N       delay before a failed login is answered (1000)
  --pause-reads on|off     start with reads paused, as the control command `pause-reads on` (off)
  --extensions N           N more registered extensions, numbered from 100000 (0)
  --originate-answer-ms N  the phone an async Originate rings answers after N ms (300;
                           -1: never, the control command `answer <callid>` answers it)
)";

[[noreturn]] void usage_error(const std::string& message) {
    std::fprintf(stderr, "ami-sim: %s\n%s", message.c_str(), kUsage);
    std::exit(2);
}

long parse_number(const std::string& option, const std::string& text, long min, long max) {
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < min || value > max) usage_error("bad value for " + option + ": " + text);
    return value;
}

amisim::User parse_user(const std::string& option, const std::string& text, bool read_only) {
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0) usage_error(option + " expects NAME:SECRET");
    return {text.substr(0, colon), text.substr(colon + 1), read_only};
}

}  // namespace

int main(int argc, char** argv) {
    auto logger = spdlog::stderr_color_mt("ami-sim");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");

    amisim::ServerOptions options;
    std::optional<amisim::Flavor> flavor;
    std::string state_file, replay_file, scenario = "idle";
    std::string username = "bridge", secret = "bridgepass";
    std::vector<amisim::User> extra_users;
    std::uint32_t seed = 1;
    long extensions = 0;
    long originate_answer_ms = 300;

    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (i + 1 >= argc) usage_error("missing value for " + arg);
        const std::string value = argv[++i];
        if (arg == "--bind") options.bind = value;
        else if (arg == "--port") options.port = static_cast<std::uint16_t>(parse_number(arg, value, 0, 65535));
        else if (arg == "--control-port") options.control_port = static_cast<std::uint16_t>(parse_number(arg, value, 0, 65535));
        else if (arg == "--port-file") options.port_file = value;
        else if (arg == "--flavor") {
            flavor = amisim::parse_flavor(value);
            if (!flavor) usage_error("unknown flavor " + value);
        } else if (arg == "--state") state_file = value;
        else if (arg == "--username") username = value;
        else if (arg == "--secret") secret = value;
        else if (arg == "--user") extra_users.push_back(parse_user(arg, value, false));
        else if (arg == "--readonly-user") extra_users.push_back(parse_user(arg, value, true));
        else if (arg == "--scenario") {
            if (value != "idle" && value != "lively") usage_error("unknown scenario " + value);
            scenario = value;
        } else if (arg == "--seed") seed = static_cast<std::uint32_t>(parse_number(arg, value, 0, 4294967295L));
        else if (arg == "--replay") replay_file = value;
        else if (arg == "--speed") {
            char* end = nullptr;
            options.replay_speed = std::strtod(value.c_str(), &end);
            if (value.empty() || *end != '\0' || options.replay_speed < 0) usage_error("bad value for --speed: " + value);
        } else if (arg == "--record") options.record_path = value;
        else if (arg == "--extensions") extensions = parse_number(arg, value, 0, 500000);
        else if (arg == "--originate-answer-ms") originate_answer_ms = parse_number(arg, value, -1, 600000);
        else if (arg == "--pause-reads") {
            if (value != "on" && value != "off") usage_error("bad value for --pause-reads: " + value);
            options.pause_reads = value == "on";
        } else if (arg == "--login-delay-ms")
            options.login_delay = std::chrono::milliseconds(parse_number(arg, value, 0, 600000));
        else usage_error("unknown option " + arg);
    }

    try {
        std::vector<amisim::RecordedMessage> state_recording;
        if (!state_file.empty()) {
            state_recording = amisim::parse_recording(amisim::read_text_file(state_file));
            if (!flavor)
                for (const auto& m : state_recording)
                    if (m.message.kind() == ami::Message::Kind::Greeting && !flavor)
                        flavor = amisim::flavor_from_banner(m.message.banner());
        }
        const amisim::Flavor chosen = flavor.value_or(amisim::Flavor::Asterisk20ChanSip);
        const auto embedded = amisim::parse_recording(amisim::embedded_snapshot(chosen));
        amisim::SimState state = state_file.empty() ? amisim::default_state(chosen)
                                                    : amisim::seed_state(chosen, state_recording);
        amisim::generate_extensions(state, chosen, static_cast<int>(extensions));
        if (!replay_file.empty()) options.replay = amisim::parse_recording(amisim::read_text_file(replay_file));

        const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
        amisim::Simulator sim(chosen, std::move(state), seed, now);
        amisim::CannedAnswers canned(state_recording);
        canned.add(embedded);
        amisim::ActionHandler handler(sim, std::move(canned), amisim::ActionCatalog(chosen, state_recording));
        handler.set_originate_answer_ms(static_cast<int>(originate_answer_ms));

        options.users.push_back({username, secret, false});
        options.users.insert(options.users.end(), extra_users.begin(), extra_users.end());
        options.lively = scenario == "lively";
        options.seed = seed;
        return amisim::run_server(sim, handler, options);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
}
