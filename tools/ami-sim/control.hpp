#pragma once
// The control port: one text command per line, one "OK [details]" / "ERR <reason>" line back.
// Tests and the demo drive the simulated PBX through it (register, call, dnd, raw bytes...).
// Pure: the server carries out what the result asks (broadcast, raw bytes, drop, shutdown).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ami-sim/simulator.hpp"
#include "ami-sim/storm.hpp"

namespace amisim {

// What the AMI clients asked so far, for "actions" and "last-action".
class ActionLog {
public:
    void note(std::string_view action, std::string_view wire);
    std::uint64_t count() const { return count_; }
    std::optional<std::string> last(std::string_view action) const;

private:
    std::uint64_t count_ = 0;
    std::map<std::string, std::string> last_;  // lower-case action name -> its wire bytes
};

struct ControlContext {
    Simulator& sim;
    const ActionLog& actions;
    int logged_in_clients = 0;
    double now = 0;
    StormStatus storm{};            // for storm-status (storm.cpp)
    std::size_t backlog_max = 0;    // bytes queued for the AMI client with the most waiting
    std::size_t backlog_total = 0;  // bytes queued for all AMI clients
};

struct ControlResult {
    std::string reply;              // "OK ..." or "ERR ...", without a line end
    Events broadcast;               // for every logged-in session with events on
    std::optional<std::string> raw; // bytes for every AMI connection, as they are
    bool drop = false;              // close every AMI connection abruptly
    bool shutdown = false;          // Event: Shutdown to every session, then close them
    std::optional<bool> pause_reads;
    std::optional<StormOptions> storm;  // start a storm (storm.cpp)
    bool storm_stop = false;            // stop the running storm, or drop a prepared one
    // storm-prepare: the server generates the storm now and replies with its size and the time
    // it took; storm-go: it sends the prepared storm at this rate (0: as fast as read).
    std::optional<StormOptions> storm_prepare;
    std::optional<double> storm_go;
    std::optional<std::string> storm_log;  // storm-log: log each step's send time here ("": stop)
    bool reset = false;             // close every AMI connection with a TCP reset (SO_LINGER 0)
};

ControlResult run_control_command(ControlContext& context, std::string_view line);

// storm, storm-prepare, storm-go, storm-log, storm-status, storm-stop and backlog (storm.cpp);
// nullopt for any other command.
std::optional<ControlResult> storm_control(ControlContext& context, const std::string& command,
                                           const std::vector<std::string_view>& words);

// The simulator state as one line of JSON (the "state" command).
std::string state_json(const Simulator& sim);

}  // namespace amisim
