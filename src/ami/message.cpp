#include "ami/message.hpp"

namespace ami {

namespace {
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

Message Message::greeting(std::string banner) {
    Message m;
    m.banner_ = std::move(banner);
    return m;
}

Message::Kind Message::kind() const noexcept {
    if (!banner_.empty()) return Kind::Greeting;
    if (has("Event")) return Kind::Event;
    if (has("Response")) return Kind::Response;
    if (has("Action")) return Kind::Action;
    return Kind::Other;
}

const std::string* Message::find(std::string_view name) const noexcept {
    for (const auto& h : headers_)
        if (iequals(h.name, name)) return &h.value;
    return nullptr;
}

std::string_view Message::get(std::string_view name, std::string_view fallback) const noexcept {
    const std::string* v = find(name);
    return v ? std::string_view(*v) : fallback;
}

std::vector<std::string_view> Message::get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& h : headers_)
        if (iequals(h.name, name)) out.emplace_back(h.value);
    return out;
}

std::string Message::serialize() const {
    if (!banner_.empty()) return banner_ + "\r\n";
    std::string out;
    for (const auto& h : headers_) {
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

}  // namespace ami
