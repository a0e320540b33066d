// docs/topics.md is the contract: every topic the code publishes (replaying every recorded
// transcript of the three Asterisk versions through the pure core) must be documented there,
// and every JSON payload must have exactly the fields of the documented example.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace topics_doc_test {  // named: the unity build compiles several test files as one

using testsupport::FixturePbx;
using testsupport::RecordingPort;

// A documented topic ("<base>/queues/<queue>/members/<member>") as a regular expression: every
// <placeholder> level matches one topic level.
struct Pattern {
    std::string text;
    std::regex re;
    int literal_levels = 0;  // more literal levels = more specific
};

std::vector<Pattern> patterns_of(const std::set<std::string>& documented, const std::string& base) {
    std::vector<Pattern> out;
    for (const auto& doc : documented) {
        std::string re = "^";
        int literal = 0;
        std::stringstream ss(doc);
        bool first = true;
        for (std::string level; std::getline(ss, level, '/');) {
            if (!first) re += "/";
            if (first && level == "<base>") re += base;
            else if (first && level == "<discovery_prefix>") re += "homeassistant";
            else if (level.size() > 2 && level.front() == '<' && level.back() == '>') re += "[^/]+";
            else {
                ++literal;
                for (char c : level) re += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : std::string("\\") + c;
            }
            first = false;
        }
        out.push_back({doc, std::regex(re + "$"), literal});
    }
    return out;
}

// The most specific documented pattern a topic matches, or "".
std::string pattern_of(const std::string& topic, const std::vector<Pattern>& patterns) {
    const Pattern* best = nullptr;
    for (const auto& p : patterns)
        if (std::regex_match(topic, p.re) && (!best || p.literal_levels > best->literal_levels)) best = &p;
    return best ? best->text : std::string();
}

std::string read_doc() {
    std::ifstream in(std::string(PBX2MQTT_SOURCE_DIR) + "/docs/topics.md");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::set<std::string> documented_topics(const std::string& doc) {
    std::set<std::string> out;
    const std::regex tick("`((?:<base>|<discovery_prefix>)/[^`\\s]*)`");
    for (auto it = std::sregex_iterator(doc.begin(), doc.end(), tick); it != std::sregex_iterator(); ++it)
        out.insert((*it)[1].str());
    return out;
}

// "`<topic>`:" followed by a ```json block -> that example.
std::map<std::string, nlohmann::json> documented_examples(const std::string& doc) {
    std::map<std::string, nlohmann::json> out;
    const std::regex block("`(<base>/[^`]*)`:\\s*\\n```json\\n([\\s\\S]*?)\\n```");
    for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator(); ++it)
        out[(*it)[1].str()] = nlohmann::json::parse((*it)[2].str());
    return out;
}

// Objects whose keys are ids (channels, slots, conversation ids), not field names.
const std::set<std::string> kMapsKeyedById = {"conversations", "slots", "users"};

// The field paths of a JSON object (nested objects' fields as a.b; maps keyed by ids are not descended).
std::set<std::string> fields(const nlohmann::json& j, const std::string& prefix = "") {
    std::set<std::string> out;
    if (!j.is_object()) return out;
    for (auto& [key, value] : j.items()) {
        out.insert(prefix + key);
        if (value.is_object() && !value.empty() && !kMapsKeyedById.count(key))
            for (const auto& f : fields(value, prefix + key + ".")) out.insert(f);
    }
    return out;
}

struct Run {
    RecordingPort port;
};

// Everything the core publishes for one flavor: snapshot, then every transcript's events.
std::vector<mqtt::OutgoingMessage> publish_everything(const std::string& flavor, std::set<std::string> trunks) {
    RecordingPort port;
    core::CoreOptions o;
    o.session.username = "bridge";
    o.trunks = std::move(trunks);
    o.homeassistant.enabled = true;  // its discovery topics are part of the contract too
    core::BridgeCore core(o, port);
    FixturePbx pbx(testsupport::fixture(flavor + "/01-snapshot-actions.txt"));
    const auto now = ami::Clock::now();
    auto pump = [&](std::string bytes) {
        for (int i = 0; i < 100 && !bytes.empty(); ++i) {
            core.ami_received(bytes, now);
            bytes = pbx.answer(core.take_ami_output());
        }
    };
    core.start();
    core.ami_connected(now);
    pump(pbx.banner() + "\r\n");
    for (const auto& path : testsupport::all_transcripts())
        if (path.find("/" + flavor + "/") != std::string::npos)
            for (const auto& e : testsupport::transcript_events(path)) pump(e.serialize());
    mqtt::ClientStats client;
    client.messages_out = port.published.size();
    client.connections = 1;
    core.publish_stats(std::chrono::seconds(42), client);
    core.publish_log("warning", "a warning", "2026-11-27T18:00:00.123Z");
    core.ami_disconnected("end of test");
    core.shutdown(now);
    return port.published;
}

TEST(TopicsDoc, EveryPublishedTopicIsDocumentedWithItsPayloadFields) {
    const std::string doc = read_doc();
    ASSERT_FALSE(doc.empty()) << "docs/topics.md not found";
    const auto documented = documented_topics(doc);
    const auto patterns = patterns_of(documented, "pbx");
    const auto examples = documented_examples(doc);
    ASSERT_FALSE(examples.empty());
    std::set<std::string> seen;
    for (const auto& [flavor, trunks] : std::vector<std::pair<std::string, std::set<std::string>>>{
             {"asterisk20-chansip", {"trunk1"}}, {"asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"}}, {"asterisk13-chansip", {}}}) {
        for (const auto& m : publish_everything(flavor, trunks)) {
            const std::string pattern = pattern_of(m.topic, patterns);
            EXPECT_FALSE(pattern.empty()) << "undocumented topic " << m.topic;
            if (pattern.empty()) continue;
            seen.insert(pattern);
            if (m.payload.empty() || m.payload.front() != '{') continue;
            // Discovery configs differ per entity kind; tests/unit/homeassistant_test.cpp checks
            // each against Home Assistant's schema.
            if (pattern.rfind("<discovery_prefix>/", 0) == 0) continue;
            auto ex = examples.find(pattern);
            ASSERT_NE(ex, examples.end()) << "no example payload documented for " << pattern;
            EXPECT_EQ(fields(nlohmann::json::parse(m.payload)), fields(ex->second)) << pattern;
        }
    }
    // The two directions: nothing documented as published that the code never produces.
    for (const auto& [pattern, example] : examples) EXPECT_TRUE(seen.count(pattern)) << "documented but never published: " << pattern;
}

}  // namespace
