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

namespace {

using testsupport::FixturePbx;
using testsupport::RecordingPort;

// The placeholder used in docs/topics.md for the id that follows each collection level.
const std::map<std::string, std::string> kIdPlaceholders = {{"extensions", "<exten>"}};

std::string pattern_of(const std::string& topic, const std::string& base) {
    std::vector<std::string> levels;
    std::stringstream ss(topic);
    for (std::string level; std::getline(ss, level, '/');) levels.push_back(level);
    std::string out;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        std::string level = levels[i];
        if (i == 0 && level == base) level = "<base>";
        else if (i > 0) {
            auto it = kIdPlaceholders.find(levels[i - 1]);
            if (it != kIdPlaceholders.end() && i == 2) level = it->second;
        }
        out += (i ? "/" : "") + level;
    }
    return out;
}

std::string read_doc() {
    std::ifstream in(std::string(PBX2MQTT_SOURCE_DIR) + "/docs/topics.md");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::set<std::string> documented_topics(const std::string& doc) {
    std::set<std::string> out;
    const std::regex tick("`(<base>/[^`\\s]*)`");
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

// The field paths of a JSON object (nested objects' fields as a.b; maps keyed by ids are not descended).
std::set<std::string> fields(const nlohmann::json& j, const std::string& prefix = "") {
    std::set<std::string> out;
    if (!j.is_object()) return out;
    for (auto& [key, value] : j.items()) {
        out.insert(prefix + key);
        if (value.is_object() && !value.empty() && key != "conversations")
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
    core.ami_disconnected("end of test");
    core.shutdown(now);
    return port.published;
}

TEST(TopicsDoc, EveryPublishedTopicIsDocumentedWithItsPayloadFields) {
    const std::string doc = read_doc();
    ASSERT_FALSE(doc.empty()) << "docs/topics.md not found";
    const auto documented = documented_topics(doc);
    const auto examples = documented_examples(doc);
    ASSERT_FALSE(examples.empty());
    std::set<std::string> seen;
    for (const auto& [flavor, trunks] : std::vector<std::pair<std::string, std::set<std::string>>>{
             {"asterisk20-chansip", {"trunk1"}}, {"asterisk22-pjsip", {"trunk1", "trunk2", "selftrunk"}}, {"asterisk13-chansip", {}}}) {
        for (const auto& m : publish_everything(flavor, trunks)) {
            const std::string pattern = pattern_of(m.topic, "pbx");
            seen.insert(pattern);
            EXPECT_TRUE(documented.count(pattern)) << "undocumented topic " << m.topic << " (" << pattern << ")";
            if (m.payload.empty() || m.payload.front() != '{') continue;
            auto ex = examples.find(pattern);
            ASSERT_NE(ex, examples.end()) << "no example payload documented for " << pattern;
            EXPECT_EQ(fields(nlohmann::json::parse(m.payload)), fields(ex->second)) << pattern;
        }
    }
    // The two directions: nothing documented as published that the code never produces.
    for (const auto& [pattern, example] : examples) EXPECT_TRUE(seen.count(pattern)) << "documented but never published: " << pattern;
}

}  // namespace
