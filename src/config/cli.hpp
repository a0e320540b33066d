#pragma once
// Command-line parsing for the daemon: a pure function of the argument list (no I/O, no exit()),
// so main() decides what to print and which exit code to return.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace config {

// Exit codes of the daemon, listed by usage().
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitUsageOrConfigError = 2;

struct CliOptions {
    std::string config_path = "config.toml";
    bool check_config = false;  // validate the configuration, print the errors, exit
    bool show_version = false;
    bool show_help = false;

    bool operator==(const CliOptions&) const = default;
};

struct CliResult {
    std::optional<CliOptions> options;  // empty when error is set
    std::string error;                  // names the offending argument
};

// `args` excludes argv[0]. Accepted: -c FILE, --config FILE, --config=FILE, --check-config,
// -V/--version, -h/--help. A FILE argument may not start with '-' unless given as --config=FILE.
CliResult parse_cli(const std::vector<std::string>& args);

// The --help text: every option and the exit codes.
std::string usage(std::string_view program);

}  // namespace config
