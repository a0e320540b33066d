#include "commands/reply.hpp"

namespace commands {

std::string Reply::envelope(const nlohmann::json* transaction) const {
    nlohmann::ordered_json out;
    out["status"] = ok ? "ok" : "error";
    if (ok) {
        out["data"] = data;
    } else {
        out["error"] = {{"code", code}, {"message", message}};
    }
    if (transaction) out["transaction"] = *transaction;
    // Replace invalid UTF-8 (an Asterisk message is not guaranteed to be UTF-8) instead of throwing.
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace commands
