#include "model/json_writer.hpp"

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
        if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
            plain = false;
            break;
        }
    }
    if (plain) {
        out_ += '"';
        out_ += s;
        out_ += '"';
        return;
    }
    // Escapes, UTF-8 and invalid bytes (replaced by U+FFFD) exactly as nlohmann does.
    out_ += nlohmann::ordered_json(std::string(s)).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace model
