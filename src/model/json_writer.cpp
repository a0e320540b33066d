#include "model/json_writer.hpp"

#include <cstdint>
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

// True when every byte is printable ASCII other than '"' and '\\' (nothing to escape). Eight bytes
// at a time (SWAR): most names and numbers are plain, and this runs for every string written.
bool JsonWriter::is_plain(std::string_view s) noexcept {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t x;
        std::memcpy(&x, s.data() + i, 8);
        const std::uint64_t control = (x - kOnes * 0x20) & ~x & kHigh;        // a byte < 0x20
        const std::uint64_t high = (((x & ~kHigh) + kOnes) | x) & kHigh;      // a byte >= 0x7f
        const std::uint64_t quote = has_zero(x ^ (kOnes * '"'));
        const std::uint64_t backslash = has_zero(x ^ (kOnes * '\\'));
        if (control | high | quote | backslash) return false;
    }
    for (; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x20 || u >= 0x7f || u == '"' || u == '\\') return false;
    }
    return true;
}

void JsonWriter::quoted(std::string_view s) {
    if (is_plain(s)) {
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
