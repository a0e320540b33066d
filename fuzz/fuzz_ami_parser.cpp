// libFuzzer target: the AMI framing parser (src/ami/parser.hpp) on hostile bytes.
//
// Invariants checked on every input (a violation aborts, libFuzzer saves the input):
//  - no crash, leak or undefined behaviour (ASan + UBSan);
//  - the bytes the parser holds never exceed Parser::kMaxMessageBytes, whatever the input;
//  - "parsegrind": the input fed in one piece and fed in chunks split at data-derived offsets
//    yields exactly the same messages and errors, in the same order;
//  - every parsed message serialized (Message::serialize) parses back to the same message
//    (except "Response: Follows" CLI output, whose raw form has no serialized equivalent).
// One input in 128 is also amplified past kMaxMessageBytes (a slice of the input repeated, half
// the time without its line ends: one huge line), so the oversized-message path is reached
// although libFuzzer inputs are small; those are fed in big chunks to keep the speed up.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ami/parser.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
    std::fprintf(stderr, "fuzz_ami_parser: invariant violated: %s %.*s\n", what, static_cast<int>(detail.size()),
                 detail.data());
    std::abort();
}

// Deterministic pseudo-random numbers seeded from the input: same input, same splits.
struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};

std::uint64_t fnv1a(std::string_view d) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : d) h = (h ^ c) * 1099511628211ull;
    return h;
}

std::string describe(const ami::ParsedItem& item) {
    if (const auto* e = std::get_if<ami::ParseError>(&item)) return "error " + e->detail;
    const auto& m = std::get<ami::Message>(item);
    std::string s = m.serialize();
    return s.substr(0, 200);
}

void check_bounded(const ami::Parser& p) {
    if (p.buffered_bytes() > ami::Parser::kMaxMessageBytes)
        fail("buffered_bytes() above kMaxMessageBytes:", std::to_string(p.buffered_bytes()));
}

std::vector<ami::ParsedItem> parse_whole(std::string_view bytes, bool greeting) {
    ami::Parser p(greeting);
    std::vector<ami::ParsedItem> out;
    p.feed(bytes, out);
    check_bounded(p);
    return out;
}

std::vector<ami::ParsedItem> parse_chunked(std::string_view bytes, bool greeting, Rng& rng, std::size_t max_chunk) {
    ami::Parser p(greeting);
    std::vector<ami::ParsedItem> out;
    while (!bytes.empty()) {
        // Mostly small chunks (every split point inside lines and CRLFs), sometimes big ones.
        std::size_t n = (max_chunk > 64 || rng.next() % 4 == 0) ? 1 + rng.next() % max_chunk : 1 + rng.next() % 8;
        if (n > bytes.size()) n = bytes.size();
        p.feed(bytes.substr(0, n), out);
        check_bounded(p);
        bytes.remove_prefix(n);
    }
    return out;
}

bool is_follows(const ami::Message& m) {
    const auto& h = m.headers();
    return !h.empty() && ami::iequals(h.front().name, "Response") && ami::iequals(h.front().value, "Follows");
}

void check_round_trip(const std::vector<ami::ParsedItem>& items) {
    for (const auto& item : items) {
        const auto* m = std::get_if<ami::Message>(&item);
        if (m == nullptr || is_follows(*m)) continue;
        const bool greeting = m->kind() == ami::Message::Kind::Greeting;
        const std::string wire = m->serialize();
        ami::Parser p(greeting);
        const auto again = p.feed(wire);
        if (again.size() != 1 || !std::holds_alternative<ami::Message>(again[0]) ||
            std::get<ami::Message>(again[0]) != *m)
            fail("serialize() does not parse back to the same message:", wire.substr(0, 300));
        if (p.buffered_bytes() != 0) fail("serialize() leaves bytes in the parser:", wire.substr(0, 300));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::uint64_t h = fnv1a(input);
    Rng rng{h | 1};
    const bool greeting = (h >> 8) % 4 != 0;  // mostly a fresh connection (banner first)

    std::string amplified;
    std::string_view bytes = input;
    std::size_t max_chunk = 64;
    if (size >= 4 && (h >> 16) % 128 == 0) {
        // prefix + slice repeated past the limit + the rest: exercises MessageTooLarge.
        const std::size_t a = rng.next() % size;
        const std::size_t len = 1 + rng.next() % (size - a);
        std::string slice(input.substr(a, len));
        if (rng.next() % 2 == 0) std::erase(slice, '\n');
        if (slice.empty()) slice = "x";
        amplified.reserve(ami::Parser::kMaxMessageBytes + 2 * size + slice.size());
        amplified.append(input.substr(0, a));
        while (amplified.size() < ami::Parser::kMaxMessageBytes + slice.size()) amplified.append(slice);
        amplified.append(input.substr(a));
        bytes = amplified;
        max_chunk = 64 * 1024;
    }

    const auto whole = parse_whole(bytes, greeting);
    const auto chunked = parse_chunked(bytes, greeting, rng, max_chunk);
    if (whole != chunked) {
        const std::size_t n = std::min(whole.size(), chunked.size());
        std::size_t i = 0;
        while (i < n && whole[i] == chunked[i]) ++i;
        std::string detail = "item " + std::to_string(i) + " of " + std::to_string(whole.size()) + " vs " +
                             std::to_string(chunked.size()) + ": ";
        if (i < whole.size()) detail += "whole=[" + describe(whole[i]) + "] ";
        if (i < chunked.size()) detail += "chunked=[" + describe(chunked[i]) + "]";
        fail("one piece and chunks parse differently:", detail);
    }
    if (amplified.empty()) check_round_trip(whole);
    return 0;
}
