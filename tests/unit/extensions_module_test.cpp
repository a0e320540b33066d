// The extension payload's "only the durations moved" check (ExtensionsModule republishes an
// extension in a call only when something besides the clock changed).
#include <gtest/gtest.h>

#include "extensions/extensions_module.hpp"

namespace extensions_module_test {

using extensions::equal_but_durations;

TEST(ExtensionPayloads, EqualWhenOnlyDurationsDiffer) {
    EXPECT_TRUE(equal_but_durations(R"({"a":1,"conversations":{"x":{"duration":3,"b":"c"}}})",
                                    R"({"a":1,"conversations":{"x":{"duration":117,"b":"c"}}})"));
    EXPECT_TRUE(equal_but_durations(R"({"conversations":{"x":{"duration":0},"y":{"duration":9}}})",
                                    R"({"conversations":{"x":{"duration":12},"y":{"duration":10}}})"));
    EXPECT_TRUE(equal_but_durations(R"({"duration":-1})", R"({"duration":5})"));
    EXPECT_TRUE(equal_but_durations("", ""));
}

TEST(ExtensionPayloads, DifferentWhenAnythingElseDiffers) {
    EXPECT_FALSE(equal_but_durations(R"({"status":"busy","x":{"duration":3}})", R"({"status":"onhold","x":{"duration":3}})"));
    EXPECT_FALSE(equal_but_durations(R"({"x":{"duration":3,"connected":false}})", R"({"x":{"duration":4,"connected":true}})"));
    // One more conversation, or one less.
    EXPECT_FALSE(equal_but_durations(R"({"c":{"x":{"duration":3}}})", R"({"c":{"x":{"duration":3},"y":{"duration":1}}})"));
    EXPECT_FALSE(equal_but_durations(R"({"c":{"x":{"duration":3}}})", R"({"c":{"x":{"duration":3}}}})"));
}

TEST(ExtensionPayloads, DurationTextInsideAStringIsCompared) {
    // A caller name holding the text "duration": (escaped quotes) is content, not a key.
    EXPECT_FALSE(equal_but_durations(R"({"name":"\"duration\":1"})", R"({"name":"\"duration\":2"})"));
    // Three backslashes: an escaped backslash, then an escaped quote: still content.
    EXPECT_FALSE(equal_but_durations(R"({"name":"a\\\"duration\":1"})", R"({"name":"a\\\"duration\":2"})"));
    EXPECT_TRUE(equal_but_durations(R"({"name":"a\\\"duration\":1","duration":1})", R"({"name":"a\\\"duration\":1","duration":2})"));
}

}  // namespace extensions_module_test
