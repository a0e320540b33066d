#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/cli.hpp"

namespace cli_test {  // named: the unity build compiles several test files as one

config::CliOptions parse_ok(const std::vector<std::string>& args) {
    const auto result = config::parse_cli(args);
    EXPECT_TRUE(result.options.has_value()) << result.error;
    EXPECT_EQ(result.error, "");
    return result.options.value_or(config::CliOptions{});
}

std::string parse_error(const std::vector<std::string>& args) {
    const auto result = config::parse_cli(args);
    EXPECT_FALSE(result.options.has_value());
    return result.error;
}


TEST(Cli, NoArgumentsGiveDefaults) {
    const auto options = parse_ok({});
    EXPECT_EQ(options.config_path, "config.toml");
    EXPECT_FALSE(options.check_config);
    EXPECT_FALSE(options.show_version);
    EXPECT_FALSE(options.show_help);
}

TEST(Cli, ConfigOptionForms) {
    EXPECT_EQ(parse_ok({"-c", "/etc/pbx2mqtt.toml"}).config_path, "/etc/pbx2mqtt.toml");
    EXPECT_EQ(parse_ok({"--config", "a.toml"}).config_path, "a.toml");
    EXPECT_EQ(parse_ok({"--config=b.toml"}).config_path, "b.toml");
    // Only the =FILE form can name a file that starts with '-'.
    EXPECT_EQ(parse_ok({"--config=-odd.toml"}).config_path, "-odd.toml");
    // The last one wins, as with getopt.
    EXPECT_EQ(parse_ok({"-c", "first.toml", "--config=second.toml"}).config_path, "second.toml");
}

TEST(Cli, Flags) {
    EXPECT_TRUE(parse_ok({"--check-config"}).check_config);
    EXPECT_TRUE(parse_ok({"--version"}).show_version);
    EXPECT_TRUE(parse_ok({"-V"}).show_version);
    EXPECT_TRUE(parse_ok({"--help"}).show_help);
    EXPECT_TRUE(parse_ok({"-h"}).show_help);
}

TEST(Cli, CombinedOptions) {
    config::CliOptions expected;
    expected.config_path = "x.toml";
    expected.check_config = true;
    expected.show_version = true;
    expected.show_help = true;
    EXPECT_EQ(parse_ok({"--check-config", "-c", "x.toml", "-V", "-h"}), expected);
}

TEST(Cli, UnknownOption) {
    EXPECT_EQ(parse_error({"--bogus"}), "unknown option '--bogus'");
    EXPECT_EQ(parse_error({"-x"}), "unknown option '-x'");
    EXPECT_EQ(parse_error({"--", "x"}), "unknown option '--'");
    EXPECT_EQ(parse_error({"-cfile.toml"}), "unknown option '-cfile.toml'");
}

TEST(Cli, MissingArgument) {
    EXPECT_EQ(parse_error({"-c"}), "option '-c' requires a FILE argument");
    EXPECT_EQ(parse_error({"--config"}), "option '--config' requires a FILE argument");
    EXPECT_EQ(parse_error({"-c", "--check-config"}), "option '-c' requires a FILE argument");
    EXPECT_EQ(parse_error({"--config="}), "option '--config' requires a non-empty FILE argument");
    EXPECT_EQ(parse_error({"-c", ""}), "option '-c' requires a non-empty FILE argument");
}

TEST(Cli, FlagWithArgument) {
    EXPECT_EQ(parse_error({"--check-config=yes"}), "option '--check-config' takes no argument");
    EXPECT_EQ(parse_error({"--help=all"}), "option '--help' takes no argument");
}

TEST(Cli, StrayPositionalArgument) {
    EXPECT_EQ(parse_error({"config.toml"}), "unexpected argument 'config.toml'");
    EXPECT_EQ(parse_error({"-c", "a.toml", "b.toml"}), "unexpected argument 'b.toml'");
    EXPECT_EQ(parse_error({"-"}), "unexpected argument '-'");
}

TEST(Cli, UsageListsEveryOptionAndExitCode) {
    const std::string text = config::usage("pbx2mqtt");
    EXPECT_EQ(text.rfind("Usage: pbx2mqtt ", 0), 0u) << text;
    for (const char* needle : {"-c, --config FILE", "--config=FILE", "--check-config", "-V, --version", "-h, --help",
                               "PBX2MQTT_AMI_PASSWORD", "PBX2MQTT_MQTT_PASSWORD", "  0  success",
                               "  1  runtime failure", "  2  usage or configuration error"}) {
        EXPECT_NE(text.find(needle), std::string::npos) << needle << " missing from:\n" << text;
    }
}

TEST(Cli, ExitCodes) {
    EXPECT_EQ(config::kExitOk, 0);
    EXPECT_EQ(config::kExitRuntimeFailure, 1);
    EXPECT_EQ(config::kExitUsageOrConfigError, 2);
}

}  // namespace cli_test
