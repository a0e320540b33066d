#pragma once
// What a command answers: {"status":"ok","data":{...},"transaction":...} or
// {"status":"error","error":{"code":"...","message":"..."},"transaction":...}.
#include <string>

#include <nlohmann/json.hpp>

namespace commands {

// The error codes, documented in docs/topics.md ("Commands").
namespace code {
inline constexpr const char* kBadRequest = "bad_request";          // the payload: JSON, fields, types, values
inline constexpr const char* kUnknownCommand = "unknown_command";
inline constexpr const char* kDisabled = "disabled";               // switched off in [commands]
inline constexpr const char* kForbidden = "forbidden";             // a context or source the config does not allow
inline constexpr const char* kNotFound = "not_found";              // extension, channel, call... unknown to the bridge
inline constexpr const char* kNotInCall = "not_in_call";           // the extension has no call to act on
inline constexpr const char* kUnsupported = "unsupported";         // the PBX or the phone cannot do it
inline constexpr const char* kBusy = "busy";                       // too many commands in flight
inline constexpr const char* kPbxUnavailable = "pbx_unavailable";  // AMI is down: nothing was sent
inline constexpr const char* kPbxError = "pbx_error";              // Asterisk refused: message is its text
inline constexpr const char* kPermissionDenied = "permission_denied";  // the AMI user lacks the privilege
inline constexpr const char* kCallFailed = "call_failed";          // Originate's outcome was a failure
inline constexpr const char* kTimeout = "timeout";                 // Asterisk did not answer in time
}  // namespace code

struct Reply {
    bool ok = true;
    nlohmann::ordered_json data = nlohmann::ordered_json::object();
    std::string code;
    std::string message;

    static Reply success(nlohmann::ordered_json data = nlohmann::ordered_json::object()) {
        Reply r;
        r.data = std::move(data);
        return r;
    }
    static Reply error(std::string code, std::string message) {
        Reply r;
        r.ok = false;
        r.code = std::move(code);
        r.message = std::move(message);
        return r;
    }

    // The envelope; `transaction` is echoed when the request had one (null otherwise is left out).
    std::string envelope(const nlohmann::json* transaction) const;
};

}  // namespace commands
