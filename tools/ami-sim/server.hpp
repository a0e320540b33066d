#pragma once
// The simulator's I/O edge: one io_context on one thread serving many AMI connections and the
// control port, and carrying out what the pure parts (AmiSession, control, scenario, replay) ask.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ami-sim/actions.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/session.hpp"
#include "ami-sim/simulator.hpp"

namespace amisim {

struct ServerOptions {
    std::string bind = "127.0.0.1";
    std::uint16_t port = 5038;                  // 0: any free port
    std::optional<std::uint16_t> control_port;  // unset: no control port; 0: any free port
    std::string port_file;                      // "ami=<port>\ncontrol=<port>\n", written atomically
    std::vector<User> users;
    std::chrono::milliseconds login_delay{1000};
    std::string record_path;                    // every byte received from AMI clients, appended raw
    bool lively = false;
    std::uint32_t seed = 1;
    std::vector<RecordedMessage> replay;        // --replay transcript (empty: none)
    double replay_speed = 1.0;
    bool pause_reads = false;                   // start as `pause-reads on` does (a PBX that hangs)
};

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run_server(Simulator& sim, ActionHandler& handler, const ServerOptions& options);

}  // namespace amisim
