#include "config/cli.hpp"

#include <utility>

namespace config {
namespace {

CliResult fail(std::string message) { return {std::nullopt, std::move(message)}; }

}  // namespace

CliResult parse_cli(const std::vector<std::string>& args) {
    CliOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-c" || arg == "--config") {
            // Taking "--check-config" as the file name in `-c --check-config` would hide the mistake.
            if (i + 1 == args.size() || args[i + 1].starts_with('-')) {
                return fail("option '" + arg + "' requires a FILE argument");
            }
            options.config_path = args[++i];
            if (options.config_path.empty()) return fail("option '" + arg + "' requires a non-empty FILE argument");
        } else if (arg.starts_with("--config=")) {
            options.config_path = arg.substr(std::string_view("--config=").size());
            if (options.config_path.empty()) return fail("option '--config' requires a non-empty FILE argument");
        } else if (arg == "--check-config") {
            options.check_config = true;
        } else if (arg == "-V" || arg == "--version") {
            options.show_version = true;
        } else if (arg == "-h" || arg == "--help") {
            options.show_help = true;
        } else if (arg.starts_with("--check-config=") || arg.starts_with("--version=") || arg.starts_with("--help=")) {
            return fail("option '" + arg.substr(0, arg.find('=')) + "' takes no argument");
        } else if (arg.starts_with('-') && arg != "-") {
            return fail("unknown option '" + arg + "'");
        } else {
            return fail("unexpected argument '" + arg + "'");
        }
    }
    return {std::move(options), {}};
}

std::string usage(std::string_view program) {
    std::string text = "Usage: ";
    text += program;
    text += R"( [OPTION]...
Bridge the Asterisk Manager Interface (AMI) to an MQTT broker.

Options:
  -c, --config FILE   read the configuration from FILE (default: config.toml);
                      also --config=FILE
      --check-config  validate the configuration, print every error found, and exit
  -V, --version       print the version and exit
  -h, --help          print this help and exit

Environment:
  PBX2MQTT_AMI_PASSWORD   AMI password; overrides ami.password and ami.password_file
  PBX2MQTT_MQTT_PASSWORD  MQTT password; overrides mqtt.password and mqtt.password_file

Exit status:
  0  success (or --check-config found no error)
  1  runtime failure
  2  usage or configuration error
)";
    return text;
}

}  // namespace config
