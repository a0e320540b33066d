#include "commands/request.hpp"

#include <cctype>

namespace commands {

void bad_request(const std::string& message) { throw Refusal("bad_request", message); }

nlohmann::json parse_payload(std::string_view payload, std::size_t max_bytes) {
    if (payload.size() > max_bytes)
        bad_request("payload too large: " + std::to_string(payload.size()) + " bytes (the limit is " +
                    std::to_string(max_bytes) + ")");
    // nlohmann stops at a NUL byte and would accept what precedes it.
    if (payload.find('\0') != std::string_view::npos) bad_request("payload must not contain NUL bytes");
    // Nesting is bounded before parsing, so a hostile "[[[[..." never reaches the parser's
    // recursion or the recursive destructor of a deep json value.
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (const char c : payload) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxDepth) bad_request("payload nested deeper than " + std::to_string(kMaxDepth) + " levels");
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    try {
        return nlohmann::json::parse(payload.begin(), payload.end());
    } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
        // nlohmann's text names the position and the offending token; strip its "[json.exception...] " tag.
        std::string what = e.what();
        if (auto at = what.find("] "); at != std::string::npos) what.erase(0, at + 2);
        bad_request("payload is not valid JSON (UTF-8): " + what);
    }
}

void check_text(std::string_view field, std::string_view value, const TextRule& r) {
    const std::string name = "'" + std::string(field) + "'";
    for (const char c : value) {
        if (c == '\r' || c == '\n' || c == '\0')
            bad_request("field " + name + " must not contain CR, LF or NUL (AMI header injection refused)");
    }
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) bad_request("field " + name + " must not contain control characters");
    }
    if (value.empty()) bad_request("field " + name + " must not be empty");
    if (value.size() > r.max)
        bad_request("field " + name + " is too long (" + std::to_string(value.size()) + " bytes, at most " +
                    std::to_string(r.max) + ")");
    if (r.free_text) return;
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80 && std::isalnum(u)) continue;
        if (u < 0x80 && r.extra.find(c) != std::string_view::npos) continue;
        bad_request("field " + name + " must be " + r.what + "; '" + std::string(1, c) + "' is not allowed");
    }
}

Fields::Fields(const nlohmann::json& object) : object_(object) {
    if (!object.is_object()) bad_request("payload must be a JSON object");
}

bool Fields::has(std::string_view key) const {
    auto it = object_.find(std::string(key));
    return it != object_.end() && !it->is_null();
}

const nlohmann::json* Fields::find(std::string_view key) {
    known_.emplace(key);
    auto it = object_.find(std::string(key));
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<std::string> Fields::optional_text(std::string_view key, const TextRule& r) {
    const nlohmann::json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) bad_request("field '" + std::string(key) + "' must be a string");
    const auto& s = v->get_ref<const std::string&>();
    check_text(key, s, r);
    return s;
}

std::string Fields::text(std::string_view key, const TextRule& r) {
    auto v = optional_text(key, r);
    if (!v) bad_request("field '" + std::string(key) + "' is required");
    return *v;
}

std::optional<bool> Fields::optional_boolean(std::string_view key) {
    const nlohmann::json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) bad_request("field '" + std::string(key) + "' must be true or false");
    return v->get<bool>();
}

bool Fields::boolean(std::string_view key) {
    auto v = optional_boolean(key);
    if (!v) bad_request("field '" + std::string(key) + "' is required");
    return *v;
}

std::optional<std::int64_t> Fields::optional_integer(std::string_view key, std::int64_t min, std::int64_t max) {
    const nlohmann::json* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) bad_request("field '" + std::string(key) + "' must be an integer");
    const std::int64_t n = v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max)
                               ? max + 1
                               : v->get<std::int64_t>();
    if (n < min || n > max)
        bad_request("field '" + std::string(key) + "' must be between " + std::to_string(min) + " and " +
                    std::to_string(max));
    return n;
}

const nlohmann::json* Fields::raw(std::string_view key) { return find(key); }

std::size_t Fields::one_of(std::initializer_list<std::string_view> keys) {
    std::size_t found = keys.size(), count = 0, i = 0;
    std::string names;
    for (auto k : keys) {
        if (has(k)) {
            found = i;
            ++count;
        }
        names += (names.empty() ? "'" : ", '") + std::string(k) + "'";
        ++i;
    }
    if (count != 1) bad_request("exactly one of " + names + " is required");
    return found;
}

void Fields::finish() const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
        if (!known_.count(it.key())) {
            std::string key = it.key();
            // The key itself is untrusted: show it only when printable and short.
            bool printable = key.size() <= 64;
            for (char c : key) printable = printable && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
            bad_request(printable ? "unknown field '" + key + "'" : std::string("unknown field"));
        }
    }
}

}  // namespace commands
