#include "ami/message.hpp"

#include <utility>

namespace ami {

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

std::optional<std::string_view> Message::find(std::string_view name) const noexcept {
    if (parsed()) {
        // The hot path (every event is read this way, a dozen names each): sizes first.
        const char* text = text_.data();
        for (const Field& f : fields_)
            if (f.name_size == name.size() && iequals(std::string_view(text + f.name_at, f.name_size), name))
                return std::string_view(text + f.value_at, f.value_size);
        return std::nullopt;
    }
    for (const Header& h : headers_)
        if (iequals(h.name, name)) return std::string_view(h.value);
    return std::nullopt;
}

std::string_view Message::get(std::string_view name, std::string_view fallback) const noexcept {
    return find(name).value_or(fallback);
}

std::vector<std::string_view> Message::get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    const std::size_t count = header_count();
    for (std::size_t i = 0; i < count; ++i)
        if (iequals(name_at(i), name)) out.push_back(value_at(i));
    return out;
}

const std::vector<Header>& Message::headers() const {
    if (parsed() && headers_.size() != fields_.size()) {
        headers_.clear();
        headers_.reserve(fields_.size());
        for (std::size_t i = 0; i < fields_.size(); ++i)
            headers_.push_back({std::string(name_at(i)), std::string(value_at(i))});
    }
    return headers_;
}

std::vector<Header>& Message::headers() {
    if (parsed()) {
        std::as_const(*this).headers();
        // From now on headers_ is the message: the caller may edit it.
        text_.clear();
        fields_.clear();
    }
    return headers_;
}

std::string Message::serialize() const {
    if (!banner_.empty()) return banner_ + "\r\n";
    std::string out;
    const std::size_t count = header_count();
    for (std::size_t i = 0; i < count; ++i) {
        out += name_at(i);
        out += ": ";
        out += value_at(i);
        out += "\r\n";
    }
    out += "\r\n";
    return out;
}

bool Message::operator==(const Message& other) const noexcept {
    if (banner_ != other.banner_ || header_count() != other.header_count()) return false;
    for (std::size_t i = 0; i < header_count(); ++i)
        if (name_at(i) != other.name_at(i) || value_at(i) != other.value_at(i)) return false;
    return true;
}

}  // namespace ami
