#pragma once
// JSON text written straight into a string, without building a document first: the payloads
// rendered at every change (extensions, calls, conversations) were mostly allocation in
// nlohmann::ordered_json (a node and a key string per field). The text is byte for byte what
// ordered_json::dump(-1, ' ', false, error_handler_t::replace) gives for the same fields in the
// same order (the golden tests compare them): plain printable ASCII is copied, any other string
// is escaped by nlohmann itself.
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace model {

class JsonWriter {
public:
    // `capacity`: the size the text is expected to reach (one allocation instead of a growth
    // series for every payload).
    explicit JsonWriter(std::size_t capacity = 256) { out_.reserve(capacity); }

    JsonWriter& begin_object() {
        separate();
        out_ += '{';
        need_comma_ = false;
        return *this;
    }
    JsonWriter& end_object() {
        out_ += '}';
        need_comma_ = true;
        return *this;
    }
    JsonWriter& begin_array() {
        separate();
        out_ += '[';
        need_comma_ = false;
        return *this;
    }
    JsonWriter& end_array() {
        out_ += ']';
        need_comma_ = true;
        return *this;
    }
    // The name of the next value in an object.
    JsonWriter& key(std::string_view name) {
        separate();
        quoted(name);
        out_ += ':';
        need_comma_ = false;
        return *this;
    }
    JsonWriter& value(std::string_view s) {
        separate();
        quoted(s);
        need_comma_ = true;
        return *this;
    }
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b) {
        separate();
        out_ += b ? "true" : "false";
        need_comma_ = true;
        return *this;
    }
    JsonWriter& value(long long n);
    JsonWriter& value(int n) { return value(static_cast<long long>(n)); }
    JsonWriter& null() {
        separate();
        out_ += "null";
        need_comma_ = true;
        return *this;
    }
    // Text that already is JSON (a nested object rendered elsewhere).
    JsonWriter& raw(std::string_view json) {
        separate();
        out_ += json;
        need_comma_ = true;
        return *this;
    }
    // The name of a field as written in the source, checked when the program is compiled: a
    // string literal of printable ASCII without '"' or '\\' (anything else does not compile), so it
    // is copied as it is. Names known only at run time go through key().
    class LiteralKey {
    public:
        template <std::size_t N>
        consteval LiteralKey(const char (&name)[N]) : text_(name, N - 1) {
            if (name[N - 1] != '\0') throw "a field name must be a string literal";
            for (std::size_t i = 0; i + 1 < N; ++i) {
                const char c = name[i];
                if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') throw "a field name must be plain printable ASCII";
            }
        }
        constexpr std::string_view text() const noexcept { return text_; }

    private:
        std::string_view text_;
    };
    // key(name).value(v) in one call, for a name written in the source.
    template <typename T>
    JsonWriter& field(LiteralKey name, const T& v) {
        literal_key(name.text());
        return value(v);
    }

    const std::string& text() const noexcept { return out_; }
    std::string take() { return std::move(out_); }

private:
    void separate() {
        if (need_comma_) out_ += ',';
    }
    void quoted(std::string_view s);
    void literal_key(std::string_view name) {
        // ,"name": in one size check (LiteralKey checked the name when the program was compiled).
        const std::size_t at = out_.size();
        const std::size_t comma = need_comma_ ? 1 : 0;
        out_.resize(at + comma + name.size() + 3);
        char* p = out_.data() + at;
        if (comma) *p++ = ',';
        *p++ = '"';
        std::memcpy(p, name.data(), name.size());
        p += name.size();
        p[0] = '"';
        p[1] = ':';
        need_comma_ = false;
    }
    static bool is_plain(std::string_view s) noexcept;

    std::string out_;
    bool need_comma_ = false;
};

}  // namespace model
