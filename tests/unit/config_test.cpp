#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace config_test {  // named: the unity build compiles several test files as one

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A password must not be printable by accident.
template <class T>
concept Streamable = requires(std::ostream& out, const T& value) { out << value; };
static_assert(!Streamable<config::Secret>);
static_assert(!fmt::is_formattable<config::Secret>::value);

config::Getenv no_env() {
    return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

config::Getenv fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

config::LoadResult parse(std::string_view text, const config::Getenv& env = no_env()) {
    return config::parse_string(text, "test.toml", env);
}

std::vector<std::string> error_texts(const config::LoadResult& result) {
    std::vector<std::string> out;
    for (const auto& e : result.errors) out.push_back(e.to_string());
    return out;
}

// Parses `text` and expects exactly the errors given (no config).
void expect_errors(std::string_view text, const std::vector<std::string>& expected) {
    SCOPED_TRACE(std::string(text));
    const auto result = parse(text);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(error_texts(result), expected);
}

constexpr std::string_view kMinimal = "[ami]\nusername = \"bridge\"\n";

// A scratch directory removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "pbx2mqtt-config-test-XXXXXX").string();
        const char* made = ::mkdtemp(pattern.data());
        if (made == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = made;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    fs::path write(const std::string& name, std::string_view contents) const {
        const fs::path file = path_ / name;
        std::ofstream(file, std::ios::binary) << contents;
        return file;
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};


TEST(ConfigSecret, RevealRedactCompare) {
    const config::Secret none;
    const config::Secret set("hunter2");
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.redacted(), "");
    EXPECT_FALSE(set.empty());
    EXPECT_EQ(set.reveal(), "hunter2");
    EXPECT_EQ(set.redacted(), "***");
    EXPECT_TRUE(set == config::Secret("hunter2"));
    EXPECT_FALSE(set == none);
}

TEST(ConfigError, ToString) {
    EXPECT_EQ((config::ConfigError{"a.toml", 3, 7, "bad"}).to_string(), "a.toml:3:7: bad");
    EXPECT_EQ((config::ConfigError{"a.toml", 0, 0, "bad"}).to_string(), "a.toml: bad");
}

TEST(ConfigDefaults, MinimalFile) {
    const auto result = parse(kMinimal);
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_TRUE(result.errors.empty());
    const config::Config& c = *result.config;
    EXPECT_EQ(c.source, "test.toml");

    EXPECT_EQ(c.ami.host, "127.0.0.1");
    EXPECT_EQ(c.ami.port, 5038);
    EXPECT_EQ(c.ami.username, "bridge");
    EXPECT_TRUE(c.ami.password.empty());
    EXPECT_TRUE(c.ami.reconnect);
    EXPECT_EQ(c.ami.reconnect_after, 3000ms);
    EXPECT_EQ(c.ami.reconnect_max, 30000ms);
    EXPECT_EQ(c.ami.keepalive, 15000ms);
    EXPECT_EQ(c.ami.action_timeout, 10000ms);
    EXPECT_EQ(c.ami.prefix, "");

    EXPECT_EQ(c.mqtt.uri, "tcp://127.0.0.1:1883");
    EXPECT_EQ(c.mqtt.client_id, "pbx2mqtt");
    EXPECT_EQ(c.mqtt.username, "");
    EXPECT_TRUE(c.mqtt.password.empty());
    EXPECT_EQ(c.mqtt.base_topic, "pbx");
    EXPECT_EQ(c.mqtt.version, 5);
    EXPECT_EQ(c.mqtt.qos, 1);
    EXPECT_EQ(c.mqtt.keepalive, 30s);

    EXPECT_TRUE(c.pbx.trunks.empty());
    EXPECT_EQ(c.log.level, "info");

    // The parsed defaults are the struct defaults.
    config::Config expected;
    expected.ami.username = "bridge";
    expected.source = "test.toml";
    EXPECT_TRUE(c == expected);
}

TEST(ConfigParse, EveryKey) {
    const auto result = parse(R"(
[ami]
host = "pbx.example.net"
port = 15038
username = "bridge"
password = "amipw"
reconnect = false
reconnect_after = 500
reconnect_max = 60000
keepalive = 5000
action_timeout = 2500
prefix = "0"

[mqtt]
uri = "ssl://broker.example.net:8883"
client_id = "pbx2mqtt-office"
username = "mqttuser"
password = "mqttpw"
base_topic = "site/pbx"
version = 4
qos = 2
keepalive = 60

[pbx]
trunks = ["trunk1", "PJSIP/provider"]

[log]
level = "debug"
)");
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    const config::Config& c = *result.config;
    EXPECT_EQ(c.ami.host, "pbx.example.net");
    EXPECT_EQ(c.ami.port, 15038);
    EXPECT_EQ(c.ami.username, "bridge");
    EXPECT_EQ(c.ami.password.reveal(), "amipw");
    EXPECT_FALSE(c.ami.reconnect);
    EXPECT_EQ(c.ami.reconnect_after, 500ms);
    EXPECT_EQ(c.ami.reconnect_max, 60000ms);
    EXPECT_EQ(c.ami.keepalive, 5000ms);
    EXPECT_EQ(c.ami.action_timeout, 2500ms);
    EXPECT_EQ(c.ami.prefix, "0");
    EXPECT_EQ(c.mqtt.uri, "ssl://broker.example.net:8883");
    EXPECT_EQ(c.mqtt.client_id, "pbx2mqtt-office");
    EXPECT_EQ(c.mqtt.username, "mqttuser");
    EXPECT_EQ(c.mqtt.password.reveal(), "mqttpw");
    EXPECT_EQ(c.mqtt.base_topic, "site/pbx");
    EXPECT_EQ(c.mqtt.version, 4);
    EXPECT_EQ(c.mqtt.qos, 2);
    EXPECT_EQ(c.mqtt.keepalive, 60s);
    EXPECT_EQ(c.pbx.trunks, (std::vector<std::string>{"trunk1", "PJSIP/provider"}));
    EXPECT_EQ(c.log.level, "debug");
}

TEST(ConfigParse, BoundaryValuesAccepted) {
    const auto result = parse(R"([ami]
username = "u"
port = 65535
reconnect_after = 100
reconnect_max = 100
keepalive = 1000
action_timeout = 600000
[mqtt]
uri = "ws://[::1]:9001/mqtt"
qos = 0
keepalive = 3600
[log]
level = "off"
)");
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_EQ(result.config->ami.port, 65535);
    EXPECT_EQ(result.config->ami.reconnect_max, 100ms);
    EXPECT_EQ(result.config->mqtt.uri, "ws://[::1]:9001/mqtt");
    EXPECT_EQ(result.config->mqtt.keepalive, 3600s);
}

TEST(ConfigParse, DottedKeysAtTopLevel) {
    const auto result = parse("ami.username = \"bridge\"\nmqtt.qos = 0\n");
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_EQ(result.config->ami.username, "bridge");
    EXPECT_EQ(result.config->mqtt.qos, 0);
}

// Each invalid value, on line 3 (ami), 4 (mqtt, pbx, log) of an otherwise valid file.
TEST(ConfigErrors, AmiValues) {
    const std::string head(kMinimal);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"port = 0", "test.toml:3:8: 'ami.port' must be between 1 and 65535"},
        {"port = 65536", "test.toml:3:8: 'ami.port' must be between 1 and 65535"},
        {"port = \"5038\"", "test.toml:3:8: 'ami.port' must be an integer"},
        {"port = 5038.0", "test.toml:3:8: 'ami.port' must be an integer"},
        {"port = 1e300", "test.toml:3:8: 'ami.port' must be an integer"},
        {"host = \"\"", "test.toml:3:8: 'ami.host' must not be empty"},
        {"host = 127", "test.toml:3:8: 'ami.host' must be a string"},
        {"reconnect = \"yes\"", "test.toml:3:13: 'ami.reconnect' must be a boolean (true or false)"},
        {"reconnect_after = 99", "test.toml:3:19: 'ami.reconnect_after' must be between 100 and 3600000 milliseconds"},
        {"reconnect_after = 3600001",
         "test.toml:3:19: 'ami.reconnect_after' must be between 100 and 3600000 milliseconds"},
        {"reconnect_after = 60000",
         "test.toml:3:19: 'ami.reconnect_max' (30000) must not be less than 'ami.reconnect_after' (60000)"},
        {"reconnect_max = 1000",
         "test.toml:3:17: 'ami.reconnect_max' (1000) must not be less than 'ami.reconnect_after' (3000)"},
        {"reconnect_max = 3600001",
         "test.toml:3:17: 'ami.reconnect_max' must be between 100 and 3600000 milliseconds"},
        {"keepalive = 999", "test.toml:3:13: 'ami.keepalive' must be between 1000 and 3600000 milliseconds"},
        {"keepalive = 15.5", "test.toml:3:13: 'ami.keepalive' must be an integer"},
        {"action_timeout = 99", "test.toml:3:18: 'ami.action_timeout' must be between 100 and 600000 milliseconds"},
        {"action_timeout = 600001",
         "test.toml:3:18: 'ami.action_timeout' must be between 100 and 600000 milliseconds"},
        {"prefix = \"9\\r\\nAction: Hangup\"", "test.toml:3:10: 'ami.prefix' must not contain CR, LF or NUL"},
        {"prefix = \"9\\u0000\"", "test.toml:3:10: 'ami.prefix' must not contain CR, LF or NUL"},
        {"hots = \"pbx\"", "test.toml:3:1: unknown key 'ami.hots'"},
        {"  [ami.extra]", "test.toml:3:3: unknown table 'ami.extra'"},
    };
    for (const auto& [line, message] : cases) expect_errors(head + line + "\n", {message});
}

TEST(ConfigErrors, AmiUsername) {
    expect_errors("[ami]\nhost = \"pbx\"\n", {"test.toml:1:1: 'ami.username' is required"});
    expect_errors("\n\n[ami]\n", {"test.toml:3:1: 'ami.username' is required"});
    expect_errors("", {"test.toml: 'ami.username' is required (in an [ami] table)"});
    expect_errors("[ami]\nusername = \"\"\n", {"test.toml:2:12: 'ami.username' must not be empty"});
    expect_errors("[ami]\nusername = 42\n", {"test.toml:2:12: 'ami.username' must be a string"});
    expect_errors("[ami]\nusername = \"a\\nAction: Logoff\"\n",
                  {"test.toml:2:12: 'ami.username' must not contain CR, LF or NUL"});
}

TEST(ConfigErrors, MqttValues) {
    const std::string head = std::string(kMinimal) + "[mqtt]\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"uri = \"http://broker\"",
         "test.toml:4:7: 'mqtt.uri' must start with tcp://, mqtt://, ssl://, mqtts://, ws://, wss://"},
        {"uri = \"broker:1883\"",
         "test.toml:4:7: 'mqtt.uri' must start with tcp://, mqtt://, ssl://, mqtts://, ws://, wss://"},
        {"uri = \"tcp://\"", "test.toml:4:7: 'mqtt.uri' must name a host, e.g. tcp://127.0.0.1:1883"},
        {"uri = \"tcp://:1883\"", "test.toml:4:7: 'mqtt.uri' must name a host, e.g. tcp://127.0.0.1:1883"},
        {"uri = \"tcp://broker:99999\"", "test.toml:4:7: 'mqtt.uri' has an invalid port"},
        {"uri = \"tcp://broker:\"", "test.toml:4:7: 'mqtt.uri' has an invalid port"},
        {"uri = 1883", "test.toml:4:7: 'mqtt.uri' must be a string"},
        {"client_id = \"\"", "test.toml:4:13: 'mqtt.client_id' must not be empty"},
        {"base_topic = \"\"", "test.toml:4:14: 'mqtt.base_topic' must not be empty"},
        {"base_topic = \"pbx/+\"", "test.toml:4:14: 'mqtt.base_topic' must not contain the wildcards '+' or '#'"},
        {"base_topic = \"pbx/#\"", "test.toml:4:14: 'mqtt.base_topic' must not contain the wildcards '+' or '#'"},
        {"base_topic = \"/pbx\"", "test.toml:4:14: 'mqtt.base_topic' must not start or end with '/'"},
        {"base_topic = \"pbx/\"", "test.toml:4:14: 'mqtt.base_topic' must not start or end with '/'"},
        {"base_topic = \"site//pbx\"", "test.toml:4:14: 'mqtt.base_topic' must not contain an empty level ('//')"},
        {"base_topic = \"pbx\\u0000\"", "test.toml:4:14: 'mqtt.base_topic' must not contain NUL"},
        {"version = 3", "test.toml:4:11: 'mqtt.version' must be 4 (MQTT 3.1.1) or 5"},
        {"version = 5.0", "test.toml:4:11: 'mqtt.version' must be an integer"},
        {"qos = 3", "test.toml:4:7: 'mqtt.qos' must be between 0 and 2"},
        {"qos = -1", "test.toml:4:7: 'mqtt.qos' must be between 0 and 2"},
        {"keepalive = 0", "test.toml:4:13: 'mqtt.keepalive' must be between 1 and 3600 seconds"},
        {"keepalive = 3601", "test.toml:4:13: 'mqtt.keepalive' must be between 1 and 3600 seconds"},
        {"keepalive = 1.5", "test.toml:4:13: 'mqtt.keepalive' must be an integer"},
        {"retain = true", "test.toml:4:1: unknown key 'mqtt.retain'"},
    };
    for (const auto& [line, message] : cases) expect_errors(head + line + "\n", {message});
}

TEST(ConfigErrors, PbxAndLogValues) {
    const std::string pbx = std::string(kMinimal) + "[pbx]\n";
    expect_errors(pbx + "trunks = \"trunk1\"\n", {"test.toml:4:10: 'pbx.trunks' must be an array of strings"});
    expect_errors(pbx + "trunks = [\"a\", 1]\n", {"test.toml:4:16: 'pbx.trunks[1]' must be a string"});
    expect_errors(pbx + "trunks = [\"\"]\n", {"test.toml:4:11: 'pbx.trunks[0]' must not be empty"});
    expect_errors(pbx + "trunks = [\n  \"ok\",\n  \"a\\nb\",\n]\n",
                  {"test.toml:6:3: 'pbx.trunks[1]' must not contain CR, LF or NUL"});
    expect_errors(pbx + "peers = []\n", {"test.toml:4:1: unknown key 'pbx.peers'"});
    expect_errors(pbx + "node_id = \"\"\n", {"test.toml:4:11: 'pbx.node_id' must not be empty (leave it out for a single PBX)"});
    for (const char* bad : {"site/a", "site+", "#", "site a", "site\\u0000", "s\u00e9te", "site.a"})
        expect_errors(pbx + "node_id = \"" + bad + "\"\n",
                      {"test.toml:4:11: 'pbx.node_id' must be one topic level of letters, digits, '-' and '_' (no '/', '+', '#')"});
    expect_errors(pbx + "node_id = \"" + std::string(65, 'a') + "\"\n", {"test.toml:4:11: 'pbx.node_id' must be at most 64 characters"});
    expect_errors(pbx + "node_id = \"extensions\"\n",
                  {"test.toml:4:11: 'pbx.node_id' must not be 'extensions': the bridge uses that level itself"});
    expect_errors(pbx + "node_id = 7\n", {"test.toml:4:11: 'pbx.node_id' must be a string"});
}

TEST(ConfigParse, NodeIdPutsTheTreeOneLevelDown) {
    auto single = config::parse_string(std::string(kMinimal), "test.toml", no_env());
    ASSERT_TRUE(single.ok());
    EXPECT_EQ(single.config->pbx.node_id, "");
    EXPECT_EQ(single.config->topic_root(), "pbx");
    auto node = config::parse_string(std::string(kMinimal) + "[mqtt]\nbase_topic = \"acme/pbx\"\n[pbx]\nnode_id = \"Site_A-2\"\n",
                                     "test.toml", no_env());
    ASSERT_TRUE(node.ok()) << node.errors.front().to_string();
    EXPECT_EQ(node.config->pbx.node_id, "Site_A-2");
    EXPECT_EQ(node.config->topic_root(), "acme/pbx/Site_A-2");

    const std::string log = std::string(kMinimal) + "[log]\n";
    expect_errors(log + "level = \"verbose\"\n",
                  {"test.toml:4:9: 'log.level' must be one of trace, debug, info, warn, error, critical, off"});
    expect_errors(log + "level = \"INFO\"\n",
                  {"test.toml:4:9: 'log.level' must be one of trace, debug, info, warn, error, critical, off"});
    expect_errors(log + "file = \"/var/log/x\"\n", {"test.toml:4:1: unknown key 'log.file'"});
}

TEST(ConfigParse, ProcessCpu) {
    const auto defaults = parse(kMinimal);
    ASSERT_TRUE(defaults.ok());
    EXPECT_EQ(defaults.config->process.cpu, (process::CpuSetting{process::CpuSetting::Mode::One, -1}));
    const std::string section = std::string(kMinimal) + "[process]\n";
    const auto any = parse(section + "cpu = \"any\"\n");
    ASSERT_TRUE(any.ok());
    EXPECT_EQ(any.config->process.cpu.mode, process::CpuSetting::Mode::Any);
    const auto one = parse(section + "cpu = \"one\"\n");
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one.config->process.cpu.mode, process::CpuSetting::Mode::One);
    const auto fixed = parse(section + "cpu = 3\n");
    ASSERT_TRUE(fixed.ok());
    EXPECT_EQ(fixed.config->process.cpu, (process::CpuSetting{process::CpuSetting::Mode::Fixed, 3}));
    const auto last = parse(section + "cpu = 1023\n");
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last.config->process.cpu.cpu, 1023);

    const std::string what =
        "test.toml:4:7: 'process.cpu' must be \"one\" (the CPU the bridge starts on), \"any\" (let the scheduler move it) or a CPU number";
    expect_errors(section + "cpu = \"two\"\n", {what});
    expect_errors(section + "cpu = \"ANY\"\n", {what});
    for (const char* bad : {"-1", "1024", "1.5", "true", "[0, 1]"}) expect_errors(section + "cpu = " + bad + "\n", {what + " (0 to 1023)"});
    expect_errors(section + "cpus = 1\n", {"test.toml:4:1: unknown key 'process.cpus'"});
}

TEST(ConfigErrors, TopLevel) {
    expect_errors(std::string(kMinimal) + "[amii]\nhost = \"x\"\n", {"test.toml:3:1: unknown table 'amii'"});
    expect_errors("debug = true\n" + std::string(kMinimal), {"test.toml:1:1: unknown key 'debug'"});
    expect_errors("ami = 1\n", {"test.toml:1:7: 'ami' must be a table",
                                "test.toml: 'ami.username' is required (in an [ami] table)"});
    expect_errors("mqtt = \"tcp://x\"\n" + std::string(kMinimal), {"test.toml:1:8: 'mqtt' must be a table"});
}

TEST(ConfigErrors, SyntaxErrorHasPosition) {
    const auto result = parse("[ami]\nusername = \"bridge\"\nport = \n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.errors[0].file, "test.toml");
    EXPECT_EQ(result.errors[0].line, 3);
    EXPECT_EQ(result.errors[0].column, 8);
    EXPECT_EQ(result.errors[0].to_string().rfind("test.toml:3:8: Error while parsing", 0), 0u)
        << result.errors[0].to_string();

    const auto redefined = parse("[ami]\nusername = \"a\"\n\n[ami]\n");
    EXPECT_EQ(error_texts(redefined),
              std::vector<std::string>{
                  "test.toml:4:1: Error while parsing table header: cannot redefine existing table 'ami'"});
}

TEST(ConfigErrors, SyntaxErrorOnPasswordLineIsRedacted) {
    const auto result = parse("[ami]\nusername = \"u\"\npassword = 1e400\n");
    ASSERT_EQ(result.errors.size(), 1u);
    const std::string text = result.errors[0].to_string();
    EXPECT_EQ(text.rfind("test.toml:3:", 0), 0u) << text;
    EXPECT_EQ(text.find("1e400"), std::string::npos) << text;
    EXPECT_NE(text.find("'***'"), std::string::npos) << text;
}

TEST(ConfigErrors, AllCollectedInFileOrder) {
    const auto result = parse(R"([log]
level = "loud"

[mqtt]
qos = 7
base_topic = "a//b"
colour = "blue"

[ami]
port = 70000
keepalive = 1.0
password = "pw"
password_file = "/nonexistent"
)");
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(error_texts(result),
              (std::vector<std::string>{
                  "test.toml:2:9: 'log.level' must be one of trace, debug, info, warn, error, critical, off",
                  "test.toml:5:7: 'mqtt.qos' must be between 0 and 2",
                  "test.toml:6:14: 'mqtt.base_topic' must not contain an empty level ('//')",
                  "test.toml:7:1: unknown key 'mqtt.colour'",
                  "test.toml:9:1: 'ami.username' is required",
                  "test.toml:10:8: 'ami.port' must be between 1 and 65535",
                  "test.toml:11:13: 'ami.keepalive' must be an integer",
                  "test.toml:13:17: 'ami.password' and 'ami.password_file' must not both be set",
              }));
}

TEST(ConfigPassword, FromFileStripsOneTrailingNewline) {
    const TempDir dir;
    const auto lf = dir.write("lf", "s3cret\n");
    const auto crlf = dir.write("crlf", "s3cret\r\n");
    const auto bare = dir.write("bare", "s3cret");
    const auto two = dir.write("two", "s3cret\n\n");
    for (const auto& file : {lf, crlf, bare}) {
        const auto result = parse(std::string(kMinimal) + "password_file = \"" + file.string() +
                                  "\"\n[mqtt]\npassword_file = \"" + file.string() + "\"\n");
        ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
        EXPECT_EQ(result.config->ami.password.reveal(), "s3cret");
        EXPECT_EQ(result.config->mqtt.password.reveal(), "s3cret");
    }
    // Only one line end is stripped; MQTT passwords may hold anything, AMI ones no line break.
    const auto mqtt = parse(std::string(kMinimal) + "[mqtt]\npassword_file = \"" + two.string() + "\"\n");
    ASSERT_TRUE(mqtt.ok()) << testing::PrintToString(error_texts(mqtt));
    EXPECT_EQ(mqtt.config->mqtt.password.reveal(), "s3cret\n");
    expect_errors(std::string(kMinimal) + "password_file = \"" + two.string() + "\"\n",
                  {"test.toml:3:17: 'ami.password_file': the file must hold one line (CR, LF or NUL found before "
                   "its end)"});
}

TEST(ConfigPassword, EmptyFileGivesEmptyPassword) {
    const TempDir dir;
    const auto empty = dir.write("empty", "");
    const auto result = parse(std::string(kMinimal) + "password_file = \"" + empty.string() + "\"\n");
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_TRUE(result.config->ami.password.empty());
}

TEST(ConfigPassword, UnreadableFileNamesTheKey) {
    const TempDir dir;
    const std::string missing = (dir.path() / "missing").string();
    expect_errors(std::string(kMinimal) + "[mqtt]\npassword_file = \"" + missing + "\"\n",
                  {"test.toml:4:17: 'mqtt.password_file': cannot read '" + missing +
                   "': No such file or directory"});
    expect_errors(std::string(kMinimal) + "password_file = \"\"\n",
                  {"test.toml:3:17: 'ami.password_file' must not be empty"});
}

TEST(ConfigPassword, BothPasswordAndFileIsAnError) {
    const TempDir dir;
    const auto file = dir.write("pw", "fromfile\n");
    expect_errors("[mqtt]\npassword = \"x\"\npassword_file = \"" + file.string() + "\"\n[ami]\nusername = \"u\"\n",
                  {"test.toml:3:17: 'mqtt.password' and 'mqtt.password_file' must not both be set"});
}

TEST(ConfigPassword, RelativeFileIsResolvedAgainstTheConfigDirectory) {
    const TempDir dir;
    dir.write("ami.secret", "relpw\n");
    const auto config_file = dir.write("config.toml", std::string(kMinimal) + "password_file = \"ami.secret\"\n");
    const auto result = config::load_file(config_file.string(), no_env());
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_EQ(result.config->ami.password.reveal(), "relpw");
    EXPECT_EQ(result.config->source, config_file.string());
}

TEST(ConfigPassword, EnvironmentWinsOverFile) {
    const auto env = fake_env({{"PBX2MQTT_AMI_PASSWORD", "envami"}, {"PBX2MQTT_MQTT_PASSWORD", "envmqtt"}});
    const auto result = parse(std::string(kMinimal) + "password = \"fileami\"\n[mqtt]\npassword = \"filemqtt\"\n", env);
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_EQ(result.config->ami.password.reveal(), "envami");
    EXPECT_EQ(result.config->mqtt.password.reveal(), "envmqtt");

    // Without a password in the file as well.
    const auto only_env = parse(kMinimal, env);
    ASSERT_TRUE(only_env.ok());
    EXPECT_EQ(only_env.config->ami.password.reveal(), "envami");
    EXPECT_EQ(only_env.config->mqtt.password.reveal(), "envmqtt");

    // Each variable affects its own table only.
    const auto ami_only = parse(std::string(kMinimal) + "[mqtt]\npassword = \"filemqtt\"\n",
                                fake_env({{"PBX2MQTT_AMI_PASSWORD", "envami"}}));
    ASSERT_TRUE(ami_only.ok());
    EXPECT_EQ(ami_only.config->mqtt.password.reveal(), "filemqtt");
}

TEST(ConfigPassword, EnvironmentWinsOverPasswordFileWhichIsNotRead) {
    const auto result = parse(std::string(kMinimal) + "password_file = \"/nonexistent/ami.secret\"\n",
                              fake_env({{"PBX2MQTT_AMI_PASSWORD", "envami"}}));
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_EQ(result.config->ami.password.reveal(), "envami");
}

TEST(ConfigPassword, SetButEmptyEnvironmentVariableStillWins) {
    const auto result = parse(std::string(kMinimal) + "password = \"fileami\"\n",
                              fake_env({{"PBX2MQTT_AMI_PASSWORD", ""}}));
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result.config->ami.password.empty());
}

TEST(ConfigPassword, ProcessEnvironmentReadsRealVariables) {
    ::setenv("PBX2MQTT_CONFIG_TEST_VAR", "value", 1);
    ::unsetenv("PBX2MQTT_CONFIG_TEST_UNSET");
    const auto env = config::process_environment();
    EXPECT_EQ(env("PBX2MQTT_CONFIG_TEST_VAR"), std::optional<std::string>("value"));
    EXPECT_EQ(env("PBX2MQTT_CONFIG_TEST_UNSET"), std::nullopt);
    ::unsetenv("PBX2MQTT_CONFIG_TEST_VAR");
}

TEST(ConfigPassword, NoErrorTextContainsThePassword) {
    const std::string password = "hunter2";
    const TempDir dir;
    const auto two_lines = dir.write("pw", password + "\nAction: Logoff\n");

    std::vector<config::LoadResult> results;
    results.push_back(parse(std::string(kMinimal) + "password = \"" + password + "\\r\\nAction: Logoff\"\n"));
    results.push_back(parse(std::string(kMinimal) + "password_file = \"" + two_lines.string() + "\"\n"));
    results.push_back(parse(std::string(kMinimal) + "password = \"" + password + "\"\npassword_file = \"" +
                            two_lines.string() + "\"\n"));
    results.push_back(parse(std::string(kMinimal) + "password = 1" + password + "\n"));
    results.push_back(parse(std::string(kMinimal) + "password = [\"" + password + "\"]\n"));
    results.push_back(parse("[ami]\npassword = \"" + password + "\"\n[mqtt]\npassword = \"" + password +
                            "\"\nqos = 9\npasword = \"" + password + "x\"\n"));
    results.push_back(parse(kMinimal, fake_env({{"PBX2MQTT_AMI_PASSWORD", password + "\r\n"}})));

    for (const auto& result : results) {
        ASSERT_FALSE(result.errors.empty());
        for (const auto& error : result.errors) {
            EXPECT_EQ(error.to_string().find(password), std::string::npos) << error.to_string();
        }
    }
    EXPECT_EQ(error_texts(results[0]),
              std::vector<std::string>{"test.toml:3:12: 'ami.password' must not contain CR, LF or NUL"});
    EXPECT_EQ(error_texts(results.back()),
              std::vector<std::string>{
                  "test.toml: environment variable PBX2MQTT_AMI_PASSWORD must not contain CR, LF or NUL"});
}

TEST(ConfigLoadFile, MissingFile) {
    const auto result = config::load_file("/nonexistent/pbx2mqtt/config.toml", no_env());
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(error_texts(result), std::vector<std::string>{
                                       "/nonexistent/pbx2mqtt/config.toml: cannot read file: No such file or directory"});
}

TEST(ConfigLoadFile, ErrorsNameTheFile) {
    const TempDir dir;
    const auto file = dir.write("bad.toml", "[ami]\nusername = \"u\"\nport = 0\n");
    const auto result = config::load_file(file.string(), no_env());
    EXPECT_EQ(error_texts(result),
              std::vector<std::string>{file.string() + ":3:8: 'ami.port' must be between 1 and 65535"});
}

TEST(ConfigExample, ParsesToTheDefaults) {
    const std::string path = std::string(PBX2MQTT_SOURCE_DIR) + "/config.toml.example";
    const auto result = config::load_file(path, no_env());
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_TRUE(result.errors.empty());
    config::Config expected;
    expected.ami.username = "bridge";
    expected.homeassistant.enabled = true;  // the one setting the example changes: discovery on
    expected.source = path;
    EXPECT_TRUE(*result.config == expected);
}

TEST(ConfigHomeAssistant, KeysAreReadAndABadPrefixIsRefusedWithItsPosition) {
    auto result = parse(std::string(kMinimal) + "[homeassistant]\nenabled = true\ndiscovery_prefix = \"ha/disco\"\n");
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_TRUE(result.config->homeassistant.enabled);
    EXPECT_EQ(result.config->homeassistant.discovery_prefix, "ha/disco");
    EXPECT_FALSE(parse(kMinimal).config->homeassistant.enabled);
    for (const char* bad : {"\"\"", "\"ha/#\"", "\"/ha\"", "\"ha/\"", "\"a//b\"", "\"+\""}) {
        result = parse(std::string(kMinimal) + "[homeassistant]\ndiscovery_prefix = " + bad + "\n");
        ASSERT_EQ(result.errors.size(), 1u) << bad;
        EXPECT_NE(result.errors[0].message.find("'homeassistant.discovery_prefix' must be a topic prefix"), std::string::npos)
            << result.errors[0].message;
        EXPECT_GT(result.errors[0].line, 0);
    }
    result = parse(std::string(kMinimal) + "[homeassistant]\nenable = true\n");
    ASSERT_EQ(result.errors.size(), 1u);
    EXPECT_NE(result.errors[0].message.find("enable"), std::string::npos);
}

TEST(ConfigFailover, OffByDefaultKeysAreReadAndABadInstanceIdIsRefused) {
    auto result = parse(kMinimal);
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(result.config->failover.enabled);
    EXPECT_EQ(result.config->failover.instance_id, "");
    result = parse(std::string(kMinimal) + "[failover]\nenabled = true\ninstance_id = \"pbx-a_1\"\n");
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    EXPECT_TRUE(result.config->failover.enabled);
    EXPECT_EQ(result.config->failover.instance_id, "pbx-a_1");
    for (const char* bad : {"\"a/b\"", "\"a b\"", "\"+\""}) {
        result = parse(std::string(kMinimal) + "[failover]\ninstance_id = " + bad + "\n");
        ASSERT_EQ(result.errors.size(), 1u) << bad;
        EXPECT_NE(result.errors[0].message.find("'failover.instance_id' must be"), std::string::npos) << result.errors[0].message;
    }
    result = parse(std::string(kMinimal) + "[failover]\nenable = true\n");
    ASSERT_EQ(result.errors.size(), 1u);
}

TEST(ConfigCommands, KeysAreReadAndAllowedContextsFollowContext) {
    const auto result = parse(std::string(kMinimal) +
                              "[commands]\nenabled = false\ndisabled = [\"spy_listen\", \"intrude\"]\ncontext = \"office\"\n"
                              "dial_pattern = \"^[0-9]{3,4}$\"\nallow_unknown_from = true\nmax_payload_bytes = 1024\n"
                              "max_in_flight = 8\nring_timeout = 15000\nraw_ami = true\nraw_ami_allow = [\"CoreStatus\"]\n");
    ASSERT_TRUE(result.ok()) << testing::PrintToString(error_texts(result));
    const auto& c = result.config->commands;
    EXPECT_FALSE(c.enabled);
    EXPECT_EQ(c.disabled, (std::vector<std::string>{"spy_listen", "intrude"}));
    EXPECT_EQ(c.context, "office");
    EXPECT_EQ(c.allowed_contexts, (std::vector<std::string>{"office"}));
    EXPECT_EQ(c.dial_pattern, "^[0-9]{3,4}$");
    EXPECT_TRUE(c.allow_unknown_from);
    EXPECT_EQ(c.max_payload_bytes, 1024u);
    EXPECT_EQ(c.max_in_flight, 8u);
    EXPECT_EQ(c.ring_timeout, std::chrono::milliseconds(15000));
    EXPECT_TRUE(c.raw_ami);
    EXPECT_EQ(c.raw_ami_allow, (std::vector<std::string>{"CoreStatus"}));
}

TEST(ConfigErrors, CommandsValues) {
    const std::string cmd = std::string(kMinimal) + "[commands]\n";
    expect_errors(cmd + "disabled = [\"call\", \"teleport\"]\n",
                  {"test.toml:4:21: 'commands.disabled': unknown command 'teleport' (known: call, hangup, answer, "
                   "blind_transfer, attended_transfer, park, pickup, dtmf, record_start, record_stop, record_mute, "
                   "record_unmute, spy_listen, spy_whisper, intrude, dnd, call_forward, queue_member_add, "
                   "queue_member_remove, queue_member_pause, queue_member_unpause, conference_mute, conference_unmute, "
                   "conference_kick, device_state, reload, resync, health_check, ami, queue_member_penalty, conference_lock, log_level)"});
    expect_errors(cmd + "context = \"from internal\"\n",
                  {"test.toml:4:11: 'commands.context' must be 1-80 printable characters without spaces or commas"});
    expect_errors(cmd + "context = \"a\\r\\nb\"\n", {"test.toml:4:11: 'commands.context' must not contain CR, LF or NUL"});
    expect_errors(cmd + "allowed_contexts = []\n", {"test.toml:4:20: 'commands.allowed_contexts' must not be empty"});
    expect_errors(cmd + "max_payload_bytes = 10\n",
                  {"test.toml:4:21: 'commands.max_payload_bytes' must be between 256 and 1048576 bytes"});
    expect_errors(cmd + "raw_ami_allow = [\"Core Status\"]\n",
                  {"test.toml:4:18: 'commands.raw_ami_allow[0]' must be an AMI action name (letters and digits)"});
    const auto bad_regex = parse(cmd + "dial_pattern = \"[0-9\"\n");
    ASSERT_FALSE(bad_regex.ok());
    ASSERT_EQ(bad_regex.errors.size(), 1u);
    EXPECT_NE(bad_regex.errors[0].to_string().find("test.toml:4:16: 'commands.dial_pattern' is not a valid regular expression"),
              std::string::npos);
}

TEST(ConfigErrors, MqttTlsValues) {
    const std::string mqtt = std::string(kMinimal) + "[mqtt]\n";
    expect_errors(mqtt + "uri = \"tcp://127.0.0.1:1883\"\ntls_verify_hostname = false\n",
                  {"test.toml:5:23: 'mqtt.tls_verify_hostname' needs a TLS uri (ssl://, mqtts:// or wss://)"});
    const auto missing = parse(mqtt + "uri = \"ssl://127.0.0.1:8883\"\nca_file = \"/nonexistent/ca.crt\"\n");
    ASSERT_EQ(missing.errors.size(), 1u);
    EXPECT_EQ(missing.errors[0].to_string(),
              "test.toml:5:11: 'mqtt.ca_file': cannot read '/nonexistent/ca.crt': No such file or directory");
    const auto ok = parse(mqtt + "uri = \"mqtts://broker:8883\"\ntls_verify_hostname = false\n");
    ASSERT_TRUE(ok.ok()) << testing::PrintToString(error_texts(ok));
    EXPECT_FALSE(ok.config->mqtt.tls_verify_hostname);
    EXPECT_TRUE(ok.config->mqtt.uses_tls());
}

}  // namespace config_test
