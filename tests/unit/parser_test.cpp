// The framing parser against every recorded transcript, whole, byte by byte, in random
// chunks and split at every offset; plus the traps the fixtures' READMEs list.
#include <gtest/gtest.h>

#include <random>

#include "ami/parser.hpp"
#include "transcript.hpp"

namespace parser_test {  // named: the unity build compiles several test files as one

using ami::Message;
using ami::Parser;
using testsupport::Connection;

// What the transcript says Asterisk sent, built from the transcript's lines (not from bytes):
// one message per blank line; `<<!` lines are either raw command output (Asterisk 13
// "Response: Follows", turned into Output: headers up to --END COMMAND--) or a header whose
// value ends in a bare LF (the LF is not part of the value).
std::vector<Message> expected_messages(const Connection& c) {
    std::vector<Message> out;
    std::vector<ami::Header> current;
    bool first = true;
    for (const auto& line : c.lines) {
        if (!line.from_server) continue;
        if (first) {
            out.push_back(Message::greeting(line.text));
            first = false;
            continue;
        }
        if (line.text.empty()) {
            if (!current.empty()) out.emplace_back(std::exchange(current, {}));
            continue;
        }
        const bool follows = !current.empty() && current.front().name == "Response" && current.front().value == "Follows";
        if (line.escaped && follows) {
            std::string text = line.text;
            const std::string end = "--END COMMAND--";
            EXPECT_TRUE(text.size() >= end.size() && text.substr(text.size() - end.size()) == end) << text;
            text.resize(text.size() - end.size());
            std::size_t start = 0;
            while (start < text.size()) {
                const std::size_t nl = text.find('\n', start);
                current.push_back({"Output", text.substr(start, nl - start)});
                start = nl == std::string::npos ? text.size() : nl + 1;
            }
            continue;
        }
        std::string text = line.text;
        while (line.escaped && !text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        const std::size_t colon = text.find(':');
        EXPECT_NE(colon, std::string::npos) << text;
        std::string value = text.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        current.push_back({text.substr(0, colon), value});
    }
    if (!current.empty()) out.emplace_back(std::move(current));
    return out;
}

std::vector<Message> parse_in_chunks(std::string_view bytes, const std::vector<std::size_t>& cuts) {
    Parser parser;
    std::vector<ami::ParsedItem> items;
    std::size_t at = 0;
    for (std::size_t cut : cuts) {
        parser.feed(bytes.substr(at, cut - at), items);
        at = cut;
    }
    parser.feed(bytes.substr(at), items);
    std::vector<Message> out;
    for (auto& item : items) {
        EXPECT_TRUE(std::holds_alternative<Message>(item)) << "unexpected parse error: " << std::get<ami::ParseError>(item).detail;
        if (auto* m = std::get_if<Message>(&item)) out.push_back(std::move(*m));
    }
    return out;
}

class EveryTranscript : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryTranscript, WholeStreamGivesTheRecordedMessages) {
    const auto t = testsupport::read_transcript(GetParam());
    ASSERT_FALSE(t.connections.empty());
    std::size_t total = 0;
    for (const auto& c : t.connections) {
        const auto expected = expected_messages(c);
        const auto parsed = parse_in_chunks(c.received(), {});
        ASSERT_EQ(parsed.size(), expected.size()) << c.name;
        for (std::size_t i = 0; i < parsed.size(); ++i) ASSERT_EQ(parsed[i], expected[i]) << c.name << " message " << i;
        total += parsed.size();
    }
    EXPECT_GT(total, 1u);
}

TEST_P(EveryTranscript, ByteByByteAndRandomChunksGiveTheSameMessages) {
    const auto t = testsupport::read_transcript(GetParam());
    std::mt19937 rng(20261127);
    for (const auto& c : t.connections) {
        const std::string bytes = c.received();
        const auto whole = parse_in_chunks(bytes, {});
        std::vector<std::size_t> every_byte;
        for (std::size_t i = 1; i < bytes.size(); ++i) every_byte.push_back(i);
        ASSERT_EQ(parse_in_chunks(bytes, every_byte), whole) << c.name << ": byte by byte";
        for (int round = 0; round < 8; ++round) {
            std::vector<std::size_t> cuts;
            std::uniform_int_distribution<std::size_t> step(1, round % 2 ? 7 : 4096);
            for (std::size_t at = step(rng); at < bytes.size(); at += step(rng)) cuts.push_back(at);
            ASSERT_EQ(parse_in_chunks(bytes, cuts), whole) << c.name << ": random chunks, round " << round;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EveryTranscript, ::testing::ValuesIn(testsupport::all_transcripts()),
                         [](const auto& info) {
                             std::string name = info.param.substr(testsupport::fixtures_dir().size() + 5);
                             for (char& ch : name)
                                 if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return name;
                         });

// Beast's parsegrind: a split at every single offset of the smaller transcripts.
TEST(Parser, EverySplitOffsetOfSmallTranscripts) {
    for (const char* name : {"asterisk20-chansip/02-login-failure.txt", "asterisk20-chansip/13-restart-via-ami-command.txt",
                             "asterisk20-chansip/04-phone-registration.txt", "asterisk20-chansip/03-permission-denied-viewer.txt"}) {
        const auto t = testsupport::read_transcript(testsupport::fixture(name));
        for (const auto& c : t.connections) {
            const std::string bytes = c.received();
            const auto whole = parse_in_chunks(bytes, {});
            for (std::size_t cut = 1; cut < bytes.size(); ++cut)
                ASSERT_EQ(parse_in_chunks(bytes, {cut}), whole) << name << " split at " << cut;
        }
    }
}

TEST(Parser, GreetingIsTheFirstLineOnly) {
    Parser p;
    auto items = p.feed("Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nMessage: x\r\n\r\n");
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(std::get<Message>(items[0]).kind(), Message::Kind::Greeting);
    EXPECT_EQ(std::get<Message>(items[0]).banner(), "Asterisk Call Manager/11.0.0");
    EXPECT_EQ(std::get<Message>(items[1]).kind(), Message::Kind::Response);
}

TEST(Parser, ParkResponseWithBareLineFeedEndsCleanly) {
    // Fixture 07: "Message: Park successful\n" + CRLF, then the blank CRLF.
    Parser p(false);
    auto items = p.feed("Response: Success\r\nActionID: a-1\r\nMessage: Park successful\n\r\n\r\nEvent: Next\r\n\r\n");
    ASSERT_EQ(items.size(), 2u);
    const auto& m = std::get<Message>(items[0]);
    EXPECT_EQ(m.get("Message"), "Park successful");
    EXPECT_EQ(m.action_id(), "a-1");
    EXPECT_EQ(std::get<Message>(items[1]).event(), "Next");
}

TEST(Parser, Asterisk13CommandOutputBecomesOutputHeaders) {
    const auto t = testsupport::read_transcript(testsupport::fixture("asterisk13-chansip/01-snapshot-actions.txt"));
    const auto msgs = parse_in_chunks(t.connections.at(0).received(), {});
    const Message* db = nullptr;
    for (const auto& m : msgs)
        if (m.action_id() == "bridge-a-031") db = &m;
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->response(), "Follows");
    // The CLI line looks like a header ("/DND/4001 ... : YES") but is output.
    const auto out = db->get_all("Output");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].substr(0, 10), "/DND/4001 ");
    EXPECT_NE(out[0].find(": YES"), std::string_view::npos);
    EXPECT_EQ(out[1], "1 results found.");
    EXPECT_FALSE(db->has("/DND/4001"));
}

TEST(Parser, FollowsOutputKeepsEmptyLinesUntilTheMarker) {
    Parser p(false);
    auto items = p.feed("Response: Follows\r\nPrivilege: Command\r\nActionID: 7\r\nline one\n\nKey: looks like a header\n--END COMMAND--\r\n\r\n");
    ASSERT_EQ(items.size(), 1u);
    const auto& m = std::get<Message>(items[0]);
    EXPECT_EQ(m.action_id(), "7");
    const auto out = m.get_all("Output");
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], "line one");
    EXPECT_EQ(out[1], "");
    EXPECT_EQ(out[2], "Key: looks like a header");
}

TEST(Parser, RepeatedHeadersAndValuesWithColons) {
    Parser p(false);
    auto items = p.feed("Event: Status\r\nVariable: A=1\r\nVariable: B=x: y\r\nMessage: a: b: c\r\n\r\n");
    const auto& m = std::get<Message>(items.at(0));
    ASSERT_EQ(m.get_all("Variable").size(), 2u);
    EXPECT_EQ(m.get_all("Variable")[1], "B=x: y");
    EXPECT_EQ(m.get("message"), "a: b: c");  // case-insensitive lookup
}

TEST(Parser, EventWithResponseHeaderIsAnEvent) {
    Parser p(false);
    auto items = p.feed("Event: OriginateResponse\r\nActionID: x\r\nResponse: Failure\r\n\r\n");
    EXPECT_EQ(std::get<Message>(items.at(0)).kind(), Message::Kind::Event);
}

TEST(Parser, BareLineFeedStreamParsesLikeCrLf) {
    const auto t = testsupport::read_transcript(testsupport::fixture("asterisk20-chansip/05-call-2001-2002.txt"));
    std::string crlf = t.connections.at(0).received();
    std::string lf;
    for (std::size_t i = 0; i < crlf.size(); ++i)
        if (!(crlf[i] == '\r' && i + 1 < crlf.size() && crlf[i + 1] == '\n')) lf += crlf[i];
    EXPECT_EQ(parse_in_chunks(lf, {}), parse_in_chunks(crlf, {}));
}

TEST(Parser, OversizedLineIsAnErrorAndTheNextMessageStillParses) {
    Parser p(false);
    std::vector<ami::ParsedItem> items;
    p.feed("Event: Big\r\nData: ", items);
    const std::string chunk(64 * 1024, 'x');
    std::size_t max_buffered = 0;
    for (int i = 0; i < 160; ++i) {  // a 10 MiB line
        p.feed(chunk, items);
        max_buffered = std::max(max_buffered, p.buffered_bytes());
    }
    p.feed("\r\n\r\nEvent: After\r\nA: b\r\n\r\n", items);
    EXPECT_LE(max_buffered, Parser::kMaxMessageBytes);
    ASSERT_EQ(items.size(), 2u);
    ASSERT_TRUE(std::holds_alternative<ami::ParseError>(items[0]));
    EXPECT_EQ(std::get<ami::ParseError>(items[0]).code, ami::ParseError::Code::MessageTooLarge);
    EXPECT_EQ(std::get<Message>(items[1]).event(), "After");
}

TEST(Parser, ManyHeadersOverTheBoundAreCutAtTheMessage) {
    Parser p(false);
    std::string big = "Event: Many\r\n";
    while (big.size() < Parser::kMaxMessageBytes + 100) big += "Variable: abcdefghijklmnopqrstuvwxyz=0123456789\r\n";
    big += "\r\nEvent: After\r\n\r\n";
    auto items = p.feed(big);
    ASSERT_EQ(items.size(), 2u);
    EXPECT_TRUE(std::holds_alternative<ami::ParseError>(items[0]));
    EXPECT_EQ(std::get<Message>(items[1]).event(), "After");
}

TEST(Parser, GarbageLinesAreReportedAndSkipped) {
    Parser p(false);
    auto items = p.feed(std::string("\x01\x02garbage without colon\r\n\xff\xfe\r\nEvent: Ok\r\nK: v\r\n\r\n", 49));
    std::size_t errors = 0, messages = 0;
    for (auto& i : items) (std::holds_alternative<ami::ParseError>(i) ? errors : messages)++;
    EXPECT_EQ(errors, 2u);
    ASSERT_EQ(messages, 1u);
    EXPECT_EQ(std::get<Message>(items.back()).event(), "Ok");
}

}  // namespace
