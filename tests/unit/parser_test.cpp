#include <gtest/gtest.h>
#include "ami/parser.hpp"
TEST(Parser, Placeholder) { ami::Parser p; EXPECT_EQ(p.feed("Asterisk Call Manager/9.0.0\r\n").size(), 1u); }
