// Golden files: every scenario transcript of the three Asterisk versions replayed through
// parser, session, model and modules; the full sequence of publishes (topic, payload, retain)
// after the snapshot is compared with tests/golden/<version>/<transcript>.golden, a reviewed file.
// PBX2MQTT_UPDATE_GOLDEN=1 rewrites the files instead (then review the diff before committing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "core/bridge_core.hpp"
#include "fixture_pbx.hpp"

namespace golden_test {  // named: the unity build compiles several test files as one

using testsupport::FixturePbx;
using testsupport::RecordingPort;

struct Case {
    std::string flavor;
    std::string transcript;  // file name
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.flavor << "/" << c.transcript; }

std::set<std::string> trunks_of(const std::string& flavor) {
    if (flavor == "asterisk20-chansip") return {"trunk1"};
    if (flavor == "asterisk22-pjsip") return {"trunk1", "trunk2", "selftrunk"};
    return {};
}

std::vector<Case> cases() {
    std::vector<Case> out;
    for (const auto& path : testsupport::all_transcripts()) {
        const std::filesystem::path p(path);
        const std::string name = p.filename().string();
        // Snapshot, login failures and a permission-denied session carry no live events.
        if (name.rfind("01-", 0) == 0 || name.find("login-failure") != std::string::npos ||
            name.find("permission-denied") != std::string::npos)
            continue;
        out.push_back({p.parent_path().filename().string(), name});
    }
    return out;
}

std::string render(const mqtt::OutgoingMessage& m) {
    return std::string(m.retain ? "R " : "- ") + m.topic + "\t" + m.payload + "\n";
}

// What a broker retains after `messages`.
void retain(std::map<std::string, std::string>& broker, const std::vector<mqtt::OutgoingMessage>& messages) {
    for (const auto& m : messages) {
        if (!m.retain) continue;
        if (m.payload.empty()) broker.erase(m.topic);
        else broker[m.topic] = m.payload;
    }
}

// One transcript through a core publishing into `port`: its snapshot, then its events one by
// one. `after` runs after the snapshot (with no event) and after each event; `at_end` once.
void run(const Case& c, mqtt::Port& port, const std::function<void(const ami::Message*)>& after,
         const std::function<void(core::BridgeCore&)>& at_end) {
    core::CoreOptions o;
    o.session.username = "bridge";
    o.trunks = trunks_of(c.flavor);
    o.version = "golden";
    o.started_at = "2026-11-27T00:00:00Z";
    const auto events = testsupport::timed_transcript_events(testsupport::fixture(c.flavor + "/" + c.transcript));
    auto wall = events.empty() ? std::chrono::system_clock::time_point{} : events.front().at;
    o.wall_clock = [&wall] { return wall; };
    core::BridgeCore core(o, port);
    FixturePbx pbx(testsupport::fixture(c.flavor + "/01-snapshot-actions.txt"));
    const auto now = ami::Clock::time_point(std::chrono::seconds(1000));
    auto pump = [&](std::string bytes) {
        for (int i = 0; i < 100 && !bytes.empty(); ++i) {
            core.ami_received(bytes, now);
            bytes = pbx.answer(core.take_ami_output());
        }
    };
    core.start();
    core.ami_connected(now);
    pump(pbx.banner() + "\r\n");
    after(nullptr);
    for (const auto& e : events) {
        wall = e.at;
        pump(e.event.serialize());
        after(&e.event);
    }
    at_end(core);
}

// Replays one transcript; returns the golden text. `broker`: the retained tree a broker holds after it.
std::string replay(const Case& c, std::map<std::string, std::string>* final_tree, std::map<std::string, std::string>* broker = nullptr) {
    RecordingPort port;
    std::string out;
    run(
        c, port,
        [&](const ami::Message* event) {
            if (!event) {
                out += "# snapshot\n";
            } else {
                if (port.published.empty()) return;
                out += "# " + std::string(event->event());
                for (const char* key : {"Channel", "Device", "Peer", "Exten", "Queue", "Conference", "Mailbox", "Uniqueid"})
                    if (event->has(key)) out += " " + std::string(key) + "=" + std::string(event->get(key));
                out += "\n";
            }
            for (const auto& m : port.published) out += render(m);
            if (broker) retain(*broker, port.published);
            port.published.clear();
        },
        [&](core::BridgeCore& core) {
            if (final_tree) *final_tree = core.store().asserted();
        });
    return out;
}

// The same transcript with a broker that acknowledges nothing until its end (a storm): every
// message waits in the client's queue, retained values by reference (the ones the core defers,
// RetainedStore::defer, are built as they leave), then the queue drains. Returns the broker's
// final retained tree; `deferred_builds`: how many values were built as they left.
std::map<std::string, std::string> replay_stuck(const Case& c, std::uint64_t* deferred_builds) {
    testsupport::QueueingPort port;
    std::map<std::string, std::string> broker;
    run(
        c, port, [](const ami::Message*) {},
        [&](core::BridgeCore& core) {
            while (auto m = port.queue.pop()) {
                if (!m->retain) continue;
                std::string payload = m->payload;
                if (m->by_reference) {
                    const std::string* current = core.retained_payload(m->topic);
                    if (current == nullptr) continue;
                    payload = *current;
                }
                if (payload.empty()) broker.erase(m->topic);
                else broker[m->topic] = payload;
            }
            *deferred_builds = core.store().deferred_builds();
        });
    return broker;
}

class Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Golden, PublishesMatchTheReviewedGoldenFile) {
    const Case& c = GetParam();
    std::map<std::string, std::string> tree;
    const std::string actual = replay(c, &tree);
    const std::filesystem::path golden = std::filesystem::path(PBX2MQTT_SOURCE_DIR) / "tests/golden" / c.flavor /
                                         (std::filesystem::path(c.transcript).stem().string() + ".golden");
    if (std::getenv("PBX2MQTT_UPDATE_GOLDEN")) {
        std::filesystem::create_directories(golden.parent_path());
        std::ofstream(golden, std::ios::binary) << actual;
        GTEST_SKIP() << "golden file written: " << golden;
    }
    std::ifstream in(golden, std::ios::binary);
    ASSERT_TRUE(in) << "missing golden file " << golden << " (run with PBX2MQTT_UPDATE_GOLDEN=1, then review it)";
    std::stringstream expected;
    expected << in.rdbuf();
    EXPECT_EQ(actual, expected.str()) << "publishes differ from " << golden;
    // Whatever happened, nothing of a finished call may remain retained.
    for (const auto& [topic, payload] : tree) {
        EXPECT_EQ(topic.find("pbx/calls/"), std::string::npos) << "a call outlived its transcript: " << topic;
    }
}

// Deferring the dearest payloads while their messages wait changes nothing the broker ends with.
TEST_P(Golden, AStuckBrokerEndsWithTheSameRetainedTree) {
    const Case& c = GetParam();
    std::map<std::string, std::string> unused, eager;
    replay(c, &unused, &eager);
    std::uint64_t builds = 0;
    const auto stuck = replay_stuck(c, &builds);
    EXPECT_EQ(stuck, eager);
    // An extension changed while its message waited (the transcripts with calls): built once, as it left.
    if (c.transcript.find("call") != std::string::npos) {
        EXPECT_GT(builds, 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(Transcripts, Golden, ::testing::ValuesIn(cases()), [](const auto& info) {
    std::string name = info.param.flavor + "_" + info.param.transcript;
    for (char& ch : name)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return name;
});

}  // namespace
