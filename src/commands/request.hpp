#pragma once
// Strict decoding of an MQTT command payload. Every byte from MQTT is untrusted: the payload is
// bounded in size and nesting before it is parsed, must be a JSON object of known fields with the
// right types, and every text value is checked (no control character at all, so never CR, LF or
// NUL: nothing a command builds can add an AMI header or action) before any action is built.
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace commands {

// A request the bridge refuses before sending anything; becomes an error reply with `code`.
class Refusal : public std::runtime_error {
public:
    Refusal(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
    const std::string& code() const noexcept { return code_; }

private:
    std::string code_;
};
// bad_request
[[noreturn]] void bad_request(const std::string& message);

inline constexpr std::size_t kMaxDepth = 8;

// Parses a payload: size bound, nesting bound, JSON, UTF-8 (nlohmann rejects ill-formed UTF-8).
// Throws Refusal(bad_request) naming the problem. Does not require an object.
nlohmann::json parse_payload(std::string_view payload, std::size_t max_bytes);

// What a text field may hold.
struct TextRule {
    std::size_t max = 128;
    // Allowed characters besides [A-Za-z0-9]; empty with `free_text` = any printable character.
    std::string_view extra = "";
    bool free_text = false;
    const char* what = "";  // e.g. "an extension", for the error message
};

// Rules for the kinds of values commands take.
namespace rule {
inline constexpr TextRule kExtension{40, "_.+-", false, "an extension (letters, digits, _ . + -)"};
inline constexpr TextRule kChannel{128, "/@._;:+#*-", false, "a channel name"};
inline constexpr TextRule kCallId{64, "._-", false, "a call id (linkedid)"};
inline constexpr TextRule kQueue{64, "_.+-", false, "a queue name"};
inline constexpr TextRule kInterface{128, "/@._;:+#*-", false, "a queue member interface"};
inline constexpr TextRule kConference{64, "_.+-", false, "a conference name"};
inline constexpr TextRule kLot{64, "_.+-", false, "a parking lot name"};
inline constexpr TextRule kContext{80, "_.+-", false, "a dialplan context"};
inline constexpr TextRule kDigits{64, "*#", false, "DTMF digits (0-9, A-D, * and #)"};
inline constexpr TextRule kDevice{64, "_.+-:", false, "a custom device name"};
inline constexpr TextRule kFileName{64, "_.-", false, "a file name (letters, digits, _ . -)"};
inline constexpr TextRule kModule{64, "_.-", false, "a module name"};
inline constexpr TextRule kAction{64, "", false, "an AMI action name"};
inline constexpr TextRule kHeaderName{64, "_-", false, "an AMI header name"};
inline constexpr TextRule kName{80, "", true, "a name"};                // caller id names
inline constexpr TextRule kReason{128, "", true, "a reason"};
inline constexpr TextRule kHeaderValue{1024, "", true, "an AMI header value"};
inline constexpr TextRule kNumber{64, "*#+", false, "a number"};      // before the dial pattern
}  // namespace rule

// Checks one text value; throws bad_request naming `field`.
void check_text(std::string_view field, std::string_view value, const TextRule& r);

// The fields of one request object. Each getter marks its key as known; finish() refuses any
// key never asked for, so a typo ("form" for "from") is an error instead of being ignored.
class Fields {
public:
    // `object` must outlive this. Throws bad_request if it is not a JSON object.
    explicit Fields(const nlohmann::json& object);

    bool has(std::string_view key) const;
    std::string text(std::string_view key, const TextRule& r);
    std::optional<std::string> optional_text(std::string_view key, const TextRule& r);
    bool boolean(std::string_view key);
    std::optional<bool> optional_boolean(std::string_view key);
    std::optional<std::int64_t> optional_integer(std::string_view key, std::int64_t min, std::int64_t max);
    // A nested value handed over as is (the raw `ami` command's headers); marks it known.
    const nlohmann::json* raw(std::string_view key);
    // Exactly one of `keys` must be present; returns its index.
    std::size_t one_of(std::initializer_list<std::string_view> keys);
    void ignore(std::string_view key) { known_.emplace(key); }
    void finish() const;

private:
    const nlohmann::json* find(std::string_view key);
    const nlohmann::json& object_;
    std::set<std::string, std::less<>> known_;
};

}  // namespace commands
