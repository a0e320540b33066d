#include "process/log_format.hpp"

#include <spdlog/pattern_formatter.h>

namespace process {

namespace {

template <typename Out>
void escape_into(std::string_view text, Out& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t plain = 0;  // start of the run of bytes copied as they are
    auto flush = [&](std::size_t end) { out.append(text.data() + plain, text.data() + end); };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != 0x7f) continue;
        flush(i);
        plain = i + 1;
        const char* named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : nullptr;
        if (named) {
            out.append(named, named + 2);
        } else {
            const char hex[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 0xf]};
            out.append(hex, hex + 4);
        }
    }
    flush(text.size());
}

// %* : the record's message, escaped.
class SafeMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        escape_into(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SafeMessage>(); }
};

}  // namespace

void append_log_safe(std::string_view text, std::string& out) { escape_into(text, out); }

std::unique_ptr<spdlog::formatter> log_formatter() {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<SafeMessage>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %*");
    return f;
}

}  // namespace process
