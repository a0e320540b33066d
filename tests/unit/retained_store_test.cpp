// RetainedStore: publishes on change only, and after a failed publish re-asserts the topic's
// current state (not the value that failed, which may be older).
#include <gtest/gtest.h>

#include "fixture_pbx.hpp"
#include "mqtt/outbound_queue.hpp"
#include "mqtt/retained_store.hpp"

namespace retained_store_test {  // named: the unity build compiles several test files as one

TEST(RetainedStore, PublishesOnlyWhatChanged) {
    testsupport::RecordingPort port;
    mqtt::RetainedStore store(port, 1);
    EXPECT_TRUE(store.set("pbx/extensions/2001/status", "online"));
    EXPECT_FALSE(store.set("pbx/extensions/2001/status", "online"));
    EXPECT_TRUE(store.set("pbx/extensions/2001/status", "busy"));
    ASSERT_EQ(port.published.size(), 2u);
    EXPECT_EQ(port.published[1].payload, "busy");
    EXPECT_TRUE(port.published[1].retain);
}

// set() with an equivalence (an extension whose calls changed only in their running durations):
// the asserted value stays and nothing is published when the two are equivalent; a topic not yet
// asserted, a payload that differs otherwise, and a clear (empty payload) go out as with set().
TEST(RetainedStore, AnEquivalentPayloadKeepsTheAssertedOneAndPublishesNothing) {
    testsupport::RecordingPort port;
    mqtt::RetainedStore store(port, 1);
    const std::string topic = "pbx/extensions/2001";
    auto same_but_digits = [](std::string_view a, std::string_view b) {
        auto strip = [](std::string_view s) {
            std::string out;
            for (char c : s)
                if (c < '0' || c > '9') out += c;
            return out;
        };
        return strip(a) == strip(b);
    };
    EXPECT_TRUE(store.set(topic, R"({"duration":5})", same_but_digits));  // not asserted yet: published
    EXPECT_FALSE(store.set(topic, R"({"duration":6})", same_but_digits));  // equivalent: kept
    ASSERT_EQ(port.published.size(), 1u);
    EXPECT_EQ(*store.payload(topic), R"({"duration":5})");
    EXPECT_TRUE(store.set(topic, R"({"duration":7,"x":1})", same_but_digits));  // differs otherwise
    ASSERT_EQ(port.published.size(), 2u);
    EXPECT_EQ(*store.payload(topic), R"({"duration":7,"x":1})");
    EXPECT_TRUE(store.set(topic, "", [](std::string_view, std::string_view) { return true; }));  // a clear stays a clear
    ASSERT_EQ(port.published.size(), 3u);
    EXPECT_EQ(port.published[2].payload, "");
    EXPECT_EQ(store.payload(topic), nullptr);
}

// The ids of the inventory are counted from the base, which may have several levels
// ("acme/pbx", or "pbx/site-a" with a node id).
TEST(RetainedStore, EntityIdsUnderABaseOfSeveralLevels) {
    testsupport::RecordingPort port;
    mqtt::RetainedStore store(port, 1, "pbx/site-a");
    store.set("pbx/site-a/extensions/2001", "{}");
    store.set("pbx/site-a/extensions/2001/status", "online");
    store.set("pbx/site-a/queues/401", "{}");
    store.set("pbx/site-a/queues/401/members/SIP_2003", "{}");
    store.set("pbx/site-b/extensions/9999", "{}");  // not under this base
    EXPECT_EQ(store.entity_ids("extensions"), (std::set<std::string>{"2001"}));
    EXPECT_EQ(store.entity_ids("queues"), (std::set<std::string>{"401"}));
    EXPECT_TRUE(store.entity_ids("site-a").empty());
    store.clear("pbx/site-a/extensions/2001");
    EXPECT_TRUE(store.entity_ids("extensions").empty());
}

TEST(RetainedStore, ReassertSendsTheCurrentValueNotAnOlderOne) {
    testsupport::RecordingPort port;
    mqtt::RetainedStore store(port, 1);
    store.set("pbx/extensions/2001/status", "busy");
    store.set("pbx/extensions/2001/status", "ringing");  // "busy" fails at the broker later
    port.published.clear();
    store.reassert("pbx/extensions/2001/status");
    ASSERT_EQ(port.published.size(), 1u);
    EXPECT_EQ(port.published[0].topic, "pbx/extensions/2001/status");
    EXPECT_EQ(port.published[0].payload, "ringing");
    EXPECT_TRUE(port.published[0].retain);
    EXPECT_EQ(port.published[0].qos, 1);
}

TEST(RetainedStore, ReassertOfAClearedTopicClearsItAgain) {
    testsupport::RecordingPort port;
    mqtt::RetainedStore store(port, 1);
    store.set("pbx/calls/1795801243.2", "{}");
    store.clear("pbx/calls/1795801243.2");
    port.published.clear();
    store.reassert("pbx/calls/1795801243.2");
    ASSERT_EQ(port.published.size(), 1u);
    EXPECT_EQ(port.published[0].payload, "");
    EXPECT_TRUE(port.published[0].retain);
    EXPECT_EQ(store.asserted().count("pbx/calls/1795801243.2"), 0u);
}

TEST(RetainedStore, ReassertWhileDisconnectedIsLeftToTheReconnect) {
    testsupport::RecordingPort port;
    mqtt::RetainedStore store(port, 1);
    store.set("pbx/extensions/2001/status", "online");
    port.is_connected = false;
    port.published.clear();
    store.reassert("pbx/extensions/2001/status");
    EXPECT_TRUE(port.published.empty());
    port.is_connected = true;
    store.republish_all();
    ASSERT_EQ(port.published.size(), 1u);
    EXPECT_EQ(port.published[0].payload, "online");
}

using testsupport::QueueingPort;

// A builder of a deferred value that counts its calls.
auto counting_build(int& builds, std::string value = "built") {
    return [&builds, value = std::move(value)] {
        ++builds;
        return value;
    };
}

TEST(RetainedStore, AQueueingClientGetsTopicsAndSendsTheLatestPayloads) {
    QueueingPort port;
    mqtt::RetainedStore store(port, 1);
    store.set("pbx/extensions/2001", std::string(600, 'a'));
    store.set("pbx/extensions/2001", std::string(600, 'b'));  // while the first waits
    store.set("pbx/extensions/2002/status", "online");
    store.set("pbx/extensions/2003/status", "online");
    store.clear("pbx/extensions/2003/status");  // a clear carries its (empty) payload
    EXPECT_EQ(port.queue.size(), 3u);
    EXPECT_EQ(port.queue.coalesced(), 2u);
    std::vector<std::pair<std::string, std::string>> sent;
    while (auto m = port.queue.pop()) {
        // A value waits as a reference (no copy of its payload), a clear as its empty payload.
        const bool is_clear = m->topic == "pbx/extensions/2003/status";
        EXPECT_EQ(m->by_reference, !is_clear) << m->topic;
        if (!m->by_reference) {
            sent.emplace_back(m->topic, m->payload);
            continue;
        }
        EXPECT_TRUE(m->payload.empty());
        const std::string* payload = store.payload(m->topic);
        ASSERT_NE(payload, nullptr) << m->topic;
        sent.emplace_back(m->topic, *payload);
    }
    EXPECT_EQ(sent, (std::vector<std::pair<std::string, std::string>>{{"pbx/extensions/2001", std::string(600, 'b')},
                                                                       {"pbx/extensions/2002/status", "online"},
                                                                       {"pbx/extensions/2003/status", ""}}));
    // After a reconnect everything is asserted again, by reference too.
    store.republish_all();
    ASSERT_EQ(port.queue.size(), 2u);
    while (auto m = port.queue.pop()) EXPECT_TRUE(m->by_reference) << m->topic;
}

// A value whose message waits is built when the message leaves, once, however often it changed.
TEST(RetainedStore, ADeferredValueIsBuiltOnceWhenItsWaitingMessageLeaves) {
    QueueingPort port;
    mqtt::RetainedStore store(port, 1);
    std::string model = "v1";
    int builds = 0;
    const auto build = [&] {
        ++builds;
        return model;
    };
    store.set("pbx/extensions/2001", "v0");
    for (const char* next : {"v1", "v2", "v3"}) {
        model = next;
        EXPECT_TRUE(store.defer("pbx/extensions/2001", build));
    }
    EXPECT_EQ(builds, 0);
    EXPECT_EQ(store.deferred(), 1u);
    EXPECT_EQ(port.queue.size(), 1u);  // still the one message
    auto m = port.queue.pop();
    ASSERT_TRUE(m && m->by_reference);
    const std::string* payload = store.payload(m->topic);
    ASSERT_NE(payload, nullptr);
    EXPECT_EQ(*payload, "v3");  // the model as the message leaves
    EXPECT_EQ(builds, 1);
    EXPECT_EQ(store.deferred(), 0u);
    EXPECT_EQ(store.deferred_builds(), 1u);
    EXPECT_EQ(store.asserted().at("pbx/extensions/2001"), "v3");
    // Read again (a republish): no build.
    EXPECT_EQ(*store.payload("pbx/extensions/2001"), "v3");
    EXPECT_EQ(builds, 1);
}

TEST(RetainedStore, NothingIsDeferredUnlessTheTopicWaitsAsAReference) {
    QueueingPort port;
    mqtt::RetainedStore store(port, 1);
    int builds = 0;
    const auto build = counting_build(builds);
    // Never asserted.
    EXPECT_FALSE(store.defer("pbx/extensions/2001", build));
    // Asserted and already sent: nothing waits.
    store.set("pbx/extensions/2001", "v1");
    while (port.queue.pop()) {
    }
    EXPECT_FALSE(store.defer("pbx/extensions/2001", build));
    // Its clear waits (a clear goes by value): nothing asserted to build.
    store.clear("pbx/extensions/2001");
    EXPECT_FALSE(store.defer("pbx/extensions/2001", build));
    // A port that does not queue.
    testsupport::RecordingPort recording;
    mqtt::RetainedStore plain(recording, 1);
    plain.set("pbx/extensions/2001", "v1");
    EXPECT_FALSE(plain.defer("pbx/extensions/2001", build));
    EXPECT_EQ(builds, 0);
    EXPECT_EQ(store.deferred() + plain.deferred(), 0u);
}

TEST(RetainedStore, ASetOrAClearDropsWhatWasDeferred) {
    QueueingPort port;
    mqtt::RetainedStore store(port, 1);
    int builds = 0;
    const auto build = counting_build(builds);
    store.set("pbx/extensions/2001", "v1");
    ASSERT_TRUE(store.defer("pbx/extensions/2001", build));
    store.set("pbx/extensions/2001", "v2");  // a value given now wins
    EXPECT_EQ(store.deferred(), 0u);
    EXPECT_EQ(*store.payload("pbx/extensions/2001"), "v2");
    store.set("pbx/extensions/2002", "v1");
    ASSERT_TRUE(store.defer("pbx/extensions/2002", build));
    store.clear("pbx/extensions/2002");  // gone: nothing to build
    EXPECT_EQ(store.payload("pbx/extensions/2002"), nullptr);
    EXPECT_EQ(builds, 0);
    std::vector<std::pair<std::string, std::string>> sent;
    while (auto m = port.queue.pop()) sent.emplace_back(m->topic, m->by_reference ? *store.payload(m->topic) : m->payload);
    EXPECT_EQ(sent, (std::vector<std::pair<std::string, std::string>>{{"pbx/extensions/2001", "v2"}, {"pbx/extensions/2002", ""}}));
    EXPECT_EQ(builds, 0);
}

}  // namespace
