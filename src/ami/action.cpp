#include "ami/action.hpp"

namespace ami {

bool is_safe_header_text(std::string_view s) noexcept {
    for (char c : s)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

std::string_view Action::get(std::string_view key) const noexcept {
    for (const auto& h : headers)
        if (iequals(h.name, key)) return h.value;
    return {};
}

std::optional<std::string> Action::unsafe_field() const {
    if (name.empty() || !is_safe_header_text(name) || name.find(':') != std::string::npos) return std::string("Action");
    for (const auto& h : headers) {
        if (h.name.empty() || !is_safe_header_text(h.name) || h.name.find(':') != std::string::npos) return h.name;
        if (!is_safe_header_text(h.value)) return h.name;
    }
    return std::nullopt;
}

std::string Action::serialize(std::string_view action_id) const {
    std::string out;
    out.reserve(64 + headers.size() * 32);
    out += "Action: ";
    out += name;
    out += "\r\nActionID: ";
    out += action_id;
    out += "\r\n";
    for (const auto& h : headers) {
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

}  // namespace ami
