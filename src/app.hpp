#pragma once
// Owns the io_context, the signal handling, the two I/O edges and the pure core, and runs
// them on one thread. Signals only request work (mosquitto's flag_reload habit).
#include <memory>

#include "config/config.hpp"

namespace pbx2mqtt {

class App {
public:
    explicit App(config::Config config);
    ~App();
    // Runs until SIGTERM/SIGINT (exit code 0) or until AMI gives up with reconnect off (1).
    int run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pbx2mqtt
