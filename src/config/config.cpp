#include "config/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <system_error>
#include <regex>
#include <tuple>

#include <toml++/toml.h>

#include "commands/names.hpp"

namespace config {
namespace {

using namespace std::string_view_literals;
namespace fs = std::filesystem;

// Inclusive bounds of the numeric options.
struct Range {
    std::int64_t min;
    std::int64_t max;
};
constexpr Range kPortRange{1, 65535};
constexpr Range kReconnectMs{100, 3'600'000};   // reconnect_after, and the cap reconnect_max
constexpr Range kAmiKeepaliveMs{1000, 3'600'000};
constexpr Range kActionTimeoutMs{100, 600'000};
constexpr Range kQosRange{0, 2};
constexpr Range kMqttKeepaliveSeconds{1, 3600};
constexpr Range kStatsIntervalSeconds{0, 86400};
constexpr Range kMaxPayloadBytes{256, 1024 * 1024};
constexpr Range kMaxInFlight{1, 100000};
constexpr Range kRingTimeoutMs{1000, 600'000};

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};
constexpr std::array<std::string_view, 6> kMqttSchemes{"tcp://", "mqtt://", "ssl://", "mqtts://", "ws://", "wss://"};

// CR or LF would let a value inject extra AMI headers; NUL truncates it.
bool has_crlf_or_nul(std::string_view s) { return s.find_first_of("\r\n\0"sv) != std::string_view::npos; }

std::string join(const auto& words, std::string_view separator) {
    std::string out;
    for (std::string_view word : words) {
        if (!out.empty()) out += separator;
        out += word;
    }
    return out;
}

struct FileContents {
    std::optional<std::string> text;
    std::string error;  // strerror-like reason when text is empty
};

FileContents read_whole_file(const fs::path& path, std::size_t max_bytes) {
    errno = 0;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) return {std::nullopt, std::generic_category().message(errno)};
    std::string text;
    std::array<char, 8192> buffer;
    for (;;) {
        const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
        text.append(buffer.data(), n);
        if (text.size() > max_bytes) return {std::nullopt, "larger than " + std::to_string(max_bytes) + " bytes"};
        if (n < buffer.size()) {
            if (std::ferror(file.get())) return {std::nullopt, std::generic_category().message(errno)};
            break;
        }
    }
    return {std::move(text), {}};
}

// Password files are usually written with a trailing newline that is not part of the secret.
std::string strip_one_line_end(std::string s) {
    if (s.ends_with("\r\n")) {
        s.resize(s.size() - 2);
    } else if (s.ends_with('\n')) {
        s.pop_back();
    }
    return s;
}

std::string_view line_of(std::string_view text, std::uint32_t line_number) {
    for (std::uint32_t line = 1; line < line_number; ++line) {
        const auto end = text.find('\n');
        if (end == std::string_view::npos) return {};
        text.remove_prefix(end + 1);
    }
    return text.substr(0, text.find('\n'));
}

// toml++ quotes fragments of the offending token in some messages ("'12e999' could not be
// interpreted", "saw 'h'"). On a line that sets a password those fragments may be the password.
std::string describe_syntax_error(const toml::parse_error& e, std::string_view text) {
    std::string description(e.description());
    if (line_of(text, e.source().begin.line).find("password") == std::string_view::npos) return description;
    std::string redacted;
    std::size_t pos = 0;
    for (;;) {
        const auto open = description.find('\'', pos);
        const auto close = open == std::string::npos ? open : description.find('\'', open + 1);
        if (close == std::string::npos) break;
        redacted.append(description, pos, open + 1 - pos).append("***'");
        pos = close + 1;
    }
    redacted.append(description, pos);
    return redacted;
}

class Errors {
public:
    explicit Errors(std::string file) : file_(std::move(file)) {}

    void at(const toml::source_region& where, std::string message) {
        errors_.push_back({file_, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                           std::move(message)});
    }
    void at(const toml::node& node, std::string message) { at(node.source(), std::move(message)); }
    void unpositioned(std::string message) { errors_.push_back({file_, 0, 0, std::move(message)}); }

    // File order first (toml++ tables iterate by key, not by position), unpositioned ones last.
    std::vector<ConfigError> take() {
        std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
            return std::tuple(a.line == 0, a.line, a.column) < std::tuple(b.line == 0, b.line, b.column);
        });
        return std::move(errors_);
    }

private:
    std::string file_;
    std::vector<ConfigError> errors_;
};

// One [table] of the file: typed lookups that report wrong types, and remember which keys
// were asked for so everything else can be reported as unknown.
class Section {
public:
    Section(Errors& errors, const toml::table* table, std::string name)
        : errors_(errors), table_(table), name_(std::move(name)) {}

    const toml::table* table() const { return table_; }
    std::string quoted(std::string_view key) const { return "'" + name_ + "." + std::string(key) + "'"; }

    const toml::node* find(std::string_view key) {
        known_.emplace(key);
        return table_ ? table_->get(key) : nullptr;
    }

    std::optional<std::string> string(std::string_view key) {
        const toml::node* node = find(key);
        if (!node) return std::nullopt;
        if (const auto* s = node->as_string()) return s->get();
        errors_.at(*node, quoted(key) + " must be a string");
        return std::nullopt;
    }

    std::optional<bool> boolean(std::string_view key) {
        const toml::node* node = find(key);
        if (!node) return std::nullopt;
        if (const auto* b = node->as_boolean()) return b->get();
        errors_.at(*node, quoted(key) + " must be a boolean (true or false)");
        return std::nullopt;
    }

    // value_exact: a float is a type error, never silently truncated (and never UB on 1e300).
    std::optional<std::int64_t> integer(std::string_view key) {
        const toml::node* node = find(key);
        if (!node) return std::nullopt;
        if (auto v = node->value_exact<std::int64_t>()) return *v;
        errors_.at(*node, quoted(key) + " must be an integer");
        return std::nullopt;
    }

    std::optional<std::int64_t> integer(std::string_view key, Range range, std::string_view unit = {}) {
        auto value = integer(key);
        if (value && (*value < range.min || *value > range.max)) {
            std::string message = quoted(key) + " must be between " + std::to_string(range.min) + " and " +
                                  std::to_string(range.max);
            if (!unit.empty()) message.append(" ").append(unit);
            errors_.at(*find(key), std::move(message));
            return std::nullopt;
        }
        return value;
    }

    // A string that ends up inside an AMI action.
    std::optional<std::string> ami_string(std::string_view key) {
        auto value = string(key);
        if (value && has_crlf_or_nul(*value)) {
            errors_.at(*find(key), quoted(key) + " must not contain CR, LF or NUL");
            return std::nullopt;
        }
        return value;
    }

    // An array of non-empty strings without CR, LF or NUL (they may reach AMI); nullopt if absent.
    std::optional<std::vector<std::string>> string_array(std::string_view key) {
        const toml::node* node = find(key);
        if (!node) return std::nullopt;
        const toml::array* array = node->as_array();
        if (!array) {
            errors_.at(*node, quoted(key) + " must be an array of strings");
            return std::nullopt;
        }
        std::vector<std::string> out;
        for (std::size_t i = 0; i < array->size(); ++i) {
            const toml::node& element = *array->get(i);
            const std::string name = "'" + name_ + "." + std::string(key) + "[" + std::to_string(i) + "]'";
            const auto* str = element.as_string();
            if (!str) {
                errors_.at(element, name + " must be a string");
            } else if (str->get().empty()) {
                errors_.at(element, name + " must not be empty");
            } else if (has_crlf_or_nul(str->get())) {
                errors_.at(element, name + " must not contain CR, LF or NUL");
            } else {
                out.push_back(str->get());
            }
        }
        return out;
    }

    void report_unknown_keys() {
        if (!table_) return;
        for (auto&& [key, node] : *table_) {
            if (known_.contains(key.str())) continue;
            const std::string dotted = name_ + "." + std::string(key.str());
            if (node.is_table()) {
                errors_.at(node, "unknown table '" + dotted + "'");
            } else {
                errors_.at(key.source().begin.line ? key.source() : node.source(), "unknown key '" + dotted + "'");
            }
        }
    }

    Errors& errors() { return errors_; }

private:
    Errors& errors_;
    const toml::table* table_;
    std::string name_;
    std::set<std::string, std::less<>> known_;
};

std::optional<std::string> lookup(const Getenv& env, std::string_view name) {
    if (!env) return std::nullopt;
    return env(std::string(name));
}

// password, password_file and the environment variable, in that order of increasing precedence.
Secret read_password(Section& section, std::string_view env_name, const Getenv& env, const fs::path& base_dir,
                     bool reaches_ami) {
    Errors& errors = section.errors();
    const toml::node* password_node = section.find("password");
    const toml::node* file_node = section.find("password_file");
    const auto password = section.string("password");
    const auto file = section.string("password_file");

    if (password_node && file_node) {
        errors.at(*file_node, section.quoted("password") + " and " + section.quoted("password_file") +
                                  " must not both be set");
    }
    if (file && file->empty()) errors.at(*file_node, section.quoted("password_file") + " must not be empty");

    // The environment wins; the file named by password_file is then not read at all.
    if (auto from_env = lookup(env, env_name)) {
        if (reaches_ami && has_crlf_or_nul(*from_env)) {
            errors.unpositioned("environment variable " + std::string(env_name) + " must not contain CR, LF or NUL");
        }
        return Secret(std::move(*from_env));
    }
    if (password_node && file_node) return {};

    if (file && !file->empty()) {
        const fs::path path = base_dir / *file;
        auto contents = read_whole_file(path, kMaxPasswordFileBytes);
        if (!contents.text) {
            errors.at(*file_node,
                      section.quoted("password_file") + ": cannot read '" + path.string() + "': " + contents.error);
            return {};
        }
        std::string value = strip_one_line_end(std::move(*contents.text));
        if (reaches_ami && has_crlf_or_nul(value)) {
            errors.at(*file_node, section.quoted("password_file") +
                                      ": the file must hold one line (CR, LF or NUL found before its end)");
            return {};
        }
        return Secret(std::move(value));
    }
    if (password) {
        if (reaches_ami && has_crlf_or_nul(*password)) {
            errors.at(*password_node, section.quoted("password") + " must not contain CR, LF or NUL");
            return {};
        }
        return Secret(*password);
    }
    return {};
}

std::optional<std::string> check_mqtt_uri(std::string_view uri) {
    const auto scheme = std::find_if(kMqttSchemes.begin(), kMqttSchemes.end(),
                                     [&](std::string_view s) { return uri.starts_with(s); });
    if (scheme == kMqttSchemes.end()) return "must start with " + join(kMqttSchemes, ", ");
    std::string_view rest = uri.substr(scheme->size());
    std::string_view host;
    if (rest.starts_with('[')) {  // [IPv6]:port
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return "has an unterminated '[' in its host";
        host = rest.substr(1, close - 1);
        rest.remove_prefix(close + 1);
    } else {
        host = rest.substr(0, rest.find_first_of(":/"sv));
        rest.remove_prefix(host.size());
    }
    if (host.empty()) return "must name a host, e.g. tcp://127.0.0.1:1883";
    if (rest.starts_with(':')) {
        std::string_view port = rest.substr(1);
        port = port.substr(0, port.find('/'));
        int number = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
        if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || number < kPortRange.min ||
            number > kPortRange.max) {
            return "has an invalid port";
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_base_topic(std::string_view topic) {
    if (topic.empty()) return "must not be empty";
    if (topic.find_first_of("+#"sv) != std::string_view::npos) return "must not contain the wildcards '+' or '#'";
    if (topic.find('\0') != std::string_view::npos) return "must not contain NUL";
    if (topic.starts_with('/') || topic.ends_with('/')) return "must not start or end with '/'";
    if (topic.find("//"sv) != std::string_view::npos) return "must not contain an empty level ('//')";
    return std::nullopt;
}

void read_ami(Section& s, const Getenv& env, const fs::path& base_dir, AmiConfig& ami) {
    Errors& errors = s.errors();
    if (auto v = s.string("host")) {
        if (v->empty()) {
            errors.at(*s.find("host"), s.quoted("host") + " must not be empty");
        } else {
            ami.host = *v;
        }
    }
    if (auto v = s.integer("port", kPortRange)) ami.port = static_cast<std::uint16_t>(*v);

    const toml::node* username_node = s.find("username");
    if (auto v = s.ami_string("username")) {
        if (v->empty()) errors.at(*username_node, s.quoted("username") + " must not be empty");
        ami.username = *v;
    } else if (!username_node) {
        if (s.table()) {
            errors.at(*s.table(), s.quoted("username") + " is required");
        } else {
            errors.unpositioned(s.quoted("username") + " is required (in an [ami] table)");
        }
    }
    ami.password = read_password(s, kAmiPasswordEnv, env, base_dir, true);

    if (auto v = s.boolean("reconnect")) ami.reconnect = *v;
    const auto after = s.integer("reconnect_after", kReconnectMs, "milliseconds");
    const auto max = s.integer("reconnect_max", kReconnectMs, "milliseconds");
    if (after) ami.reconnect_after = std::chrono::milliseconds(*after);
    if (max) ami.reconnect_max = std::chrono::milliseconds(*max);
    const bool after_ok = after || !s.find("reconnect_after");
    const bool max_ok = max || !s.find("reconnect_max");
    if (after_ok && max_ok && ami.reconnect_max < ami.reconnect_after) {
        const toml::node* where = s.find("reconnect_max") ? s.find("reconnect_max") : s.find("reconnect_after");
        errors.at(*where, s.quoted("reconnect_max") + " (" + std::to_string(ami.reconnect_max.count()) +
                              ") must not be less than " + s.quoted("reconnect_after") + " (" +
                              std::to_string(ami.reconnect_after.count()) + ")");
    }
    if (auto v = s.integer("keepalive", kAmiKeepaliveMs, "milliseconds")) ami.keepalive = std::chrono::milliseconds(*v);
    if (auto v = s.integer("action_timeout", kActionTimeoutMs, "milliseconds")) {
        ami.action_timeout = std::chrono::milliseconds(*v);
    }
    if (auto v = s.ami_string("prefix")) ami.prefix = *v;
    s.report_unknown_keys();
}

void read_mqtt(Section& s, const Getenv& env, const fs::path& base_dir, MqttConfig& mqtt) {
    Errors& errors = s.errors();
    if (auto v = s.string("uri")) {
        if (auto problem = check_mqtt_uri(*v)) {
            errors.at(*s.find("uri"), s.quoted("uri") + " " + *problem);
        } else {
            mqtt.uri = *v;
        }
    }
    if (auto v = s.string("client_id")) {
        if (v->empty()) {
            errors.at(*s.find("client_id"), s.quoted("client_id") + " must not be empty");
        } else {
            mqtt.client_id = *v;
        }
    }
    if (auto v = s.string("username")) mqtt.username = *v;
    mqtt.password = read_password(s, kMqttPasswordEnv, env, base_dir, false);
    if (auto v = s.string("base_topic")) {
        if (auto problem = check_base_topic(*v)) {
            errors.at(*s.find("base_topic"), s.quoted("base_topic") + " " + *problem);
        } else {
            mqtt.base_topic = *v;
        }
    }
    if (auto v = s.integer("version")) {
        if (*v == 4 || *v == 5) {
            mqtt.version = static_cast<int>(*v);
        } else {
            errors.at(*s.find("version"), s.quoted("version") + " must be 4 (MQTT 3.1.1) or 5");
        }
    }
    if (auto v = s.integer("qos", kQosRange)) mqtt.qos = static_cast<int>(*v);
    if (auto v = s.integer("keepalive", kMqttKeepaliveSeconds, "seconds")) mqtt.keepalive = std::chrono::seconds(*v);
    if (auto v = s.integer("stats_interval", kStatsIntervalSeconds, "seconds")) mqtt.stats_interval = std::chrono::seconds(*v);

    // TLS files: readable now, so a typo is reported by --check-config, not at the first connect.
    const auto tls_file = [&](std::string_view key, std::string& out) {
        if (auto v = s.string(key)) {
            if (v->empty()) {
                errors.at(*s.find(key), s.quoted(key) + " must not be empty");
                return;
            }
            const fs::path path = base_dir / *v;
            auto contents = read_whole_file(path, kMaxConfigFileBytes);
            if (!contents.text) {
                errors.at(*s.find(key), s.quoted(key) + ": cannot read '" + path.string() + "': " + contents.error);
                return;
            }
            out = path.string();
        }
    };
    tls_file("ca_file", mqtt.ca_file);
    tls_file("cert_file", mqtt.cert_file);
    tls_file("key_file", mqtt.key_file);
    if (auto v = s.string("key_password")) mqtt.key_password = Secret(*v);
    if (auto v = s.boolean("tls_verify_hostname")) mqtt.tls_verify_hostname = *v;
    if (s.find("cert_file") && !s.find("key_file"))
        errors.at(*s.find("cert_file"), s.quoted("cert_file") + " needs " + s.quoted("key_file"));
    if (s.find("key_file") && !s.find("cert_file"))
        errors.at(*s.find("key_file"), s.quoted("key_file") + " needs " + s.quoted("cert_file"));
    for (const char* key : {"ca_file", "cert_file", "key_file", "key_password", "tls_verify_hostname"}) {
        if (s.find(key) && !mqtt.uses_tls()) {
            errors.at(*s.find(key), s.quoted(key) + " needs a TLS uri (ssl://, mqtts:// or wss://)");
            break;
        }
    }
    s.report_unknown_keys();
}

// The first levels a bridge publishes or listens to under its root: a node id equal to one of
// them would put that node's tree inside the tree of a bridge without a node id on the same base.
constexpr std::array<std::string_view, 11> kReservedNodeIds{"ami",      "bridge",   "calls",  "cmd",    "conferences", "events",
                                                            "extensions", "parkings", "queues", "trunks", "voicemail"};
constexpr std::size_t kMaxNodeIdLength = 64;

// A node id is one topic level that is also usable as it is in client ids and Home Assistant
// unique ids: ASCII letters, digits, '-' and '_'.
std::optional<std::string> check_node_id(std::string_view id) {
    if (id.empty()) return "must not be empty (leave it out for a single PBX)";
    if (id.size() > kMaxNodeIdLength) return "must be at most " + std::to_string(kMaxNodeIdLength) + " characters";
    const bool plain = std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
    if (!plain) return "must be one topic level of letters, digits, '-' and '_' (no '/', '+', '#')";
    if (std::find(kReservedNodeIds.begin(), kReservedNodeIds.end(), id) != kReservedNodeIds.end())
        return "must not be '" + std::string(id) + "': the bridge uses that level itself";
    return std::nullopt;
}

void read_pbx(Section& s, PbxConfig& pbx) {
    if (auto v = s.string_array("trunks")) pbx.trunks = std::move(*v);
    if (auto v = s.string("node_id")) {
        if (auto problem = check_node_id(*v)) s.errors().at(*s.find("node_id"), s.quoted("node_id") + " " + *problem);
        else pbx.node_id = *v;
    }
    s.report_unknown_keys();
}

// A dialplan context, a feature code prefix: printable ASCII without spaces.
bool is_plain_token(std::string_view v) {
    return !v.empty() && v.size() <= 80 &&
           std::all_of(v.begin(), v.end(), [](char c) { return c > ' ' && c < 0x7f && c != ','; });
}

void read_commands(Section& s, CommandsConfig& c) {
    Errors& errors = s.errors();
    if (auto v = s.boolean("enabled")) c.enabled = *v;
    if (auto v = s.string_array("disabled")) {
        const toml::array* array = s.find("disabled")->as_array();
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& name = (*v)[i];
            if (std::find(commands::kCommandNames.begin(), commands::kCommandNames.end(), name) ==
                commands::kCommandNames.end()) {
                errors.at(*array->get(i), "'commands.disabled': unknown command '" + name + "' (known: " +
                                              join(commands::kCommandNames, ", ") + ")");
            }
        }
        c.disabled = std::move(*v);
    }
    const auto token = [&](std::string_view key, std::string& out) {
        if (auto v = s.ami_string(key)) {
            if (is_plain_token(*v)) out = *v;
            else errors.at(*s.find(key), s.quoted(key) + " must be 1-80 printable characters without spaces or commas");
        }
    };
    token("context", c.context);
    token("pickup_prefix", c.pickup_prefix);
    token("parking_context", c.parking_context);
    if (auto v = s.ami_string("recording_format")) {
        if (!v->empty() && v->size() <= 8 && std::all_of(v->begin(), v->end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)); }))
            c.recording_format = *v;
        else
            errors.at(*s.find("recording_format"), s.quoted("recording_format") + " must be a file extension such as wav or gsm");
    }
    if (auto v = s.string_array("allowed_contexts")) {
        for (std::size_t i = 0; i < v->size(); ++i) {
            if (!is_plain_token((*v)[i]))
                errors.at(*s.find("allowed_contexts")->as_array()->get(i),
                          "'commands.allowed_contexts[" + std::to_string(i) + "]' must be printable without spaces or commas");
        }
        c.allowed_contexts = std::move(*v);
    }
    if (!s.find("allowed_contexts")) c.allowed_contexts = {c.context};
    else if (c.allowed_contexts.empty()) errors.at(*s.find("allowed_contexts"), s.quoted("allowed_contexts") + " must not be empty");
    if (auto v = s.string("dial_pattern")) {
        try {
            std::regex check(*v, std::regex::ECMAScript);
            c.dial_pattern = *v;
        } catch (const std::regex_error& e) {
            errors.at(*s.find("dial_pattern"), s.quoted("dial_pattern") + " is not a valid regular expression: " + e.what());
        }
    }
    if (auto v = s.boolean("allow_unknown_from")) c.allow_unknown_from = *v;
    if (auto v = s.integer("max_payload_bytes", kMaxPayloadBytes, "bytes")) c.max_payload_bytes = static_cast<std::size_t>(*v);
    if (auto v = s.integer("max_in_flight", kMaxInFlight)) c.max_in_flight = static_cast<std::size_t>(*v);
    if (auto v = s.integer("ring_timeout", kRingTimeoutMs, "milliseconds")) c.ring_timeout = std::chrono::milliseconds(*v);
    if (auto v = s.boolean("raw_ami")) c.raw_ami = *v;
    if (auto v = s.string_array("raw_ami_allow")) {
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto& name = (*v)[i];
            if (!std::all_of(name.begin(), name.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)); }))
                errors.at(*s.find("raw_ami_allow")->as_array()->get(i),
                          "'commands.raw_ami_allow[" + std::to_string(i) + "]' must be an AMI action name (letters and digits)");
        }
        c.raw_ami_allow = std::move(*v);
    }
    s.report_unknown_keys();
}

void read_log(Section& s, LogConfig& log) {
    if (auto v = s.string("level")) {
        if (std::find(kLogLevels.begin(), kLogLevels.end(), *v) == kLogLevels.end()) {
            s.errors().at(*s.find("level"), s.quoted("level") + " must be one of " + join(kLogLevels, ", "));
        } else {
            log.level = *v;
        }
    }
    if (auto v = s.boolean("mqtt")) log.mqtt = *v;
    s.report_unknown_keys();
}

void read_homeassistant(Section& s, HomeAssistantConfig& ha) {
    if (auto v = s.boolean("enabled")) ha.enabled = *v;
    if (auto v = s.string("discovery_prefix")) {
        // One or more topic levels, no wildcards, no leading or trailing '/'.
        const bool ok = !v->empty() && v->front() != '/' && v->back() != '/' && v->find_first_of("+#") == std::string::npos &&
                        v->find("//") == std::string::npos && v->find('\0') == std::string::npos;
        if (!ok) s.errors().at(*s.find("discovery_prefix"), s.quoted("discovery_prefix") + " must be a topic prefix such as \"homeassistant\" (no wildcards, no leading or trailing '/')");
        else ha.discovery_prefix = *v;
    }
    s.report_unknown_keys();
}

void read_failover(Section& s, FailoverConfig& f) {
    if (auto v = s.boolean("enabled")) f.enabled = *v;
    if (auto v = s.string("instance_id")) {
        // It becomes part of the MQTT client id and the payload of <base>/bridge/leader.
        const bool plain = v->size() <= kMaxNodeIdLength && std::all_of(v->begin(), v->end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
        if (!plain) s.errors().at(*s.find("instance_id"), s.quoted("instance_id") + " must be at most " + std::to_string(kMaxNodeIdLength) + " letters, digits, '-' and '_' (empty: <hostname>-<pid>)");
        else f.instance_id = *v;
    }
    s.report_unknown_keys();
}

void read_process(Section& s, ProcessConfig& p) {
    if (const toml::node* node = s.find("cpu")) {
        const std::string what = s.quoted("cpu") + " must be \"one\" (the CPU the bridge starts on), \"any\" (let the scheduler move it) or a CPU number";
        if (const auto* str = node->as_string()) {
            if (str->get() == "one") p.cpu = {process::CpuSetting::Mode::One, -1};
            else if (str->get() == "any") p.cpu = {process::CpuSetting::Mode::Any, -1};
            else s.errors().at(*node, what);
        } else if (auto v = node->value_exact<std::int64_t>(); v && *v >= 0 && *v < process::kMaxCpu) {
            p.cpu = {process::CpuSetting::Mode::Fixed, static_cast<int>(*v)};
        } else {
            s.errors().at(*node, what + " (0 to " + std::to_string(process::kMaxCpu - 1) + ")");
        }
    }
    s.report_unknown_keys();
}

LoadResult parse(std::string_view toml_text, std::string source_name, const Getenv& env, const fs::path& base_dir) {
    LoadResult result;
    toml::table root;
    try {
        root = toml::parse(toml_text, std::string(source_name));
    } catch (const toml::parse_error& e) {
        result.errors.push_back({std::move(source_name), static_cast<int>(e.source().begin.line),
                                 static_cast<int>(e.source().begin.column), describe_syntax_error(e, toml_text)});
        return result;
    }

    Errors errors(source_name);
    const auto table = [&](std::string_view name) -> const toml::table* {
        const toml::node* node = root.get(name);
        if (node && !node->is_table()) {
            errors.at(*node, "'" + std::string(name) + "' must be a table");
            return nullptr;
        }
        return node ? node->as_table() : nullptr;
    };

    Config config;
    config.source = source_name;
    Section ami(errors, table("ami"), "ami");
    read_ami(ami, env, base_dir, config.ami);
    Section mqtt(errors, table("mqtt"), "mqtt");
    read_mqtt(mqtt, env, base_dir, config.mqtt);
    Section pbx(errors, table("pbx"), "pbx");
    read_pbx(pbx, config.pbx);
    Section commands(errors, table("commands"), "commands");
    read_commands(commands, config.commands);
    Section log(errors, table("log"), "log");
    read_log(log, config.log);
    Section homeassistant(errors, table("homeassistant"), "homeassistant");
    read_homeassistant(homeassistant, config.homeassistant);
    Section failover(errors, table("failover"), "failover");
    read_failover(failover, config.failover);
    Section process_section(errors, table("process"), "process");
    read_process(process_section, config.process);

    for (auto&& [key, node] : root) {
        const std::string_view name = key.str();
        if (name == "ami" || name == "mqtt" || name == "pbx" || name == "commands" || name == "log" || name == "homeassistant" ||
            name == "failover" || name == "process")
            continue;
        const std::string what = node.is_table() ? "unknown table '" : "unknown key '";
        errors.at(node.is_table() || !key.source().begin.line ? node.source() : key.source(),
                  what + std::string(name) + "'");
    }

    result.errors = errors.take();
    if (result.errors.empty()) result.config = std::move(config);
    return result;
}

}  // namespace

std::string ConfigError::to_string() const {
    if (line <= 0) return file + ": " + message;
    std::string out = file + ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
    return out + ": " + message;
}

Getenv process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (!value) return std::nullopt;
        return std::string(value);
    };
}

LoadResult parse_string(std::string_view toml_text, std::string source_name, const Getenv& env) {
    return parse(toml_text, std::move(source_name), env, fs::path{});
}

LoadResult load_file(const std::string& path, const Getenv& env) {
    auto contents = read_whole_file(path, kMaxConfigFileBytes);
    if (!contents.text) {
        LoadResult result;
        result.errors.push_back({path, 0, 0, "cannot read file: " + contents.error});
        return result;
    }
    return parse(*contents.text, path, env, fs::path(path).parent_path());
}

}  // namespace config
