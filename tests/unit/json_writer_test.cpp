// model::JsonWriter writes the same bytes as nlohmann::ordered_json::dump(-1, ' ', false, replace)
// for the same fields: every payload of the bridge depends on it (the golden tests compare whole
// payloads; these pin the string escaping, whose plain-text check runs eight bytes at a time).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "model/json_writer.hpp"

namespace json_writer_test {  // named: the unity build compiles several test files as one

std::string nlohmann_text(const std::string& s) {
    return nlohmann::ordered_json(s).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string writer_text(const std::string& s) {
    model::JsonWriter w;
    w.value(s);
    return w.take();
}

// Every byte value at every position of strings of 1 to 19 bytes (the word-at-a-time part, its
// tail, and both), among plain letters: an escape or a replacement missed or invented shows.
TEST(JsonWriter, EveryByteAtEveryPositionIsWrittenAsNlohmannWritesIt) {
    int checked = 0;
    for (std::size_t length = 1; length <= 19; ++length)
        for (std::size_t at = 0; at < length; ++at)
            for (int byte = 0; byte < 256; ++byte) {
                std::string s(length, 'a');
                s[at] = static_cast<char>(byte);
                ASSERT_EQ(writer_text(s), nlohmann_text(s)) << "byte " << byte << " at " << at << " of " << length;
                ++checked;
            }
    EXPECT_EQ(checked, 256 * 190);
}

TEST(JsonWriter, UnicodeAndInvalidUtf8AndEmptyStrings) {
    for (const std::string& s : {std::string(), std::string("Jos\xc3\xa9 M\xc3\xbcller 2001"), std::string("bad \xff\xfe tail"),
                                std::string("quote \" and back\\slash in a long-enough string"), std::string("tab\tnew\nline"),
                                std::string("\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"), std::string(" ~ ~ ~ ~ ~ ~ ~ ~ ~")})
        EXPECT_EQ(writer_text(s), nlohmann_text(s)) << s;
}

TEST(JsonWriter, ObjectsWithLiteralAndRuntimeKeysMatchOrderedJson) {
    const std::string odd_key = "SIP/2001-0000001a>\"x\"";
    model::JsonWriter w;
    w.begin_object();
    w.field("exten", std::string("2001"));
    w.field("port", 5060);
    w.field("dnd", false);
    w.key(odd_key).null();
    w.key("nested").begin_object().field("a", std::string_view("b")).end_object();
    w.end_object();
    nlohmann::ordered_json j;
    j["exten"] = "2001";
    j["port"] = 5060;
    j["dnd"] = false;
    j[odd_key] = nullptr;
    j["nested"] = {{"a", "b"}};
    EXPECT_EQ(w.take(), j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace json_writer_test
