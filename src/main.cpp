// pbx2mqtt: arguments -> Config -> App -> run.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app.hpp"
#include "config/cli.hpp"
#include "config/config.hpp"
#include "process/cpu_affinity.hpp"
#include "process/log_format.hpp"
#include "version.hpp"

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const auto cli = config::parse_cli(args);
    if (!cli.options) {
        std::cerr << "pbx2mqtt: " << cli.error << "\n" << "Try 'pbx2mqtt --help'.\n";
        return config::kExitUsageOrConfigError;
    }
    const auto& opts = *cli.options;
    if (opts.show_help) {
        std::cout << config::usage("pbx2mqtt");
        return config::kExitOk;
    }
    if (opts.show_version) {
        std::cout << "pbx2mqtt " << pbx2mqtt::kVersion << "\n";
        return config::kExitOk;
    }
    auto loaded = config::load_file(opts.config_path, config::process_environment());
    if (!loaded.ok()) {
        for (const auto& e : loaded.errors) std::cerr << e.to_string() << "\n";
        std::cerr << "pbx2mqtt: " << loaded.errors.size() << " error(s) in " << opts.config_path << "\n";
        return config::kExitUsageOrConfigError;
    }
    if (opts.check_config) {
        // A fixed [process] cpu this process could not use is an error here too.
        if (const auto& cpu = loaded.config->process.cpu; cpu.mode == process::CpuSetting::Mode::Fixed) {
            if (const auto would = process::pin_process(cpu, false); !would.error.empty()) {
                std::cerr << opts.config_path << ": " << would.error << "\n";
                return config::kExitUsageOrConfigError;
            }
        }
        std::cout << opts.config_path << ": configuration OK\n";
        return config::kExitOk;
    }
    // stdout, one line per record: journald (systemd) and `docker logs` keep it as it is; colours
    // only on a terminal.
    auto logger = spdlog::stdout_color_mt("pbx2mqtt");
    spdlog::set_default_logger(logger);
    spdlog::set_formatter(process::log_formatter());  // control characters of quoted input escaped
    const auto level = spdlog::level::from_str(loaded.config->log.level);
    spdlog::set_level(level);
    spdlog::flush_on(std::min(level, spdlog::level::info));  // as App does on reload
    // Before App: Paho's threads, created with the MQTT client, inherit the affinity.
    const auto& cpu = loaded.config->process.cpu;
    const auto pinned = process::pin_process(cpu);
    if (!pinned.error.empty()) {
        if (cpu.mode == process::CpuSetting::Mode::Fixed) {
            spdlog::critical("{}", pinned.error);
            return config::kExitUsageOrConfigError;
        }
        spdlog::warn("{}; the scheduler decides where it runs", pinned.error);
    } else if (pinned.cpu) {
        spdlog::info("running on CPU {} of {}{}", *pinned.cpu, process::cpu_list(pinned.allowed),
                     cpu.mode == process::CpuSetting::Mode::One ? " ([process] cpu = \"any\" lets the scheduler move it)" : "");
    }
    try {
        pbx2mqtt::App app(std::move(*loaded.config));
        return app.run();
    } catch (const std::exception& e) {
        spdlog::critical("fatal: {}", e.what());
        return config::kExitRuntimeFailure;
    }
}
