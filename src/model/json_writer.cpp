#include "model/json_writer.hpp"

#include <cstring>

#include <charconv>

#include <nlohmann/json.hpp>

namespace model {

JsonWriter& JsonWriter::value(long long n) {
    separate();
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, n);
    out_.append(buffer, result.ptr);
    need_comma_ = true;
    return *this;
}

void JsonWriter::quoted(std::string_view s) {
    bool plain = true;
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        // One compare for "below 0x20 or from 0x7f on" (unsigned wrap-around).
        if (static_cast<unsigned char>(u - 0x20) >= 0x5f || c == '"' || c == '\\') {
            plain = false;
            break;
        }
    }
    if (plain) {
        const std::size_t at = out_.size();
        out_.resize(at + s.size() + 2);  // one size check instead of three appends
        char* p = out_.data() + at;
        *p++ = '"';
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        p[s.size()] = '"';
        return;
    }
    // Escapes, UTF-8 and invalid bytes (replaced by U+FFFD) exactly as nlohmann does.
    out_ += nlohmann::ordered_json(std::string(s)).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace model
