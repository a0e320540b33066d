// The MQTT outbound queue: retained updates of a topic coalesce in place, transient messages keep
// their order and are bounded, and memory stays bounded under a flood.
#include <gtest/gtest.h>

#include "mqtt/outbound_queue.hpp"

namespace outbound_queue_test {  // named: the unity build compiles several test files as one

mqtt::OutgoingMessage msg(std::string topic, std::string payload, bool retain) {
    mqtt::OutgoingMessage m;
    m.topic = std::move(topic);
    m.payload = std::move(payload);
    m.retain = retain;
    return m;
}

std::vector<std::string> drain(mqtt::OutboundQueue& q) {
    std::vector<std::string> out;
    while (auto m = q.pop()) out.push_back(m->topic + "=" + m->payload);
    return out;
}

TEST(OutboundQueue, RetainedUpdatesCoalesceInTheFirstPlace) {
    mqtt::OutboundQueue q;
    q.push(msg("pbx/extensions/2001/status", "ringing", true));
    q.push(msg("pbx/extensions/2001/event", "{ringing}", false));
    q.push(msg("pbx/extensions/2002/status", "busy", true));
    q.push(msg("pbx/extensions/2001/status", "busy", true));
    q.push(msg("pbx/extensions/2001/status", "", true));  // cleared: the latest value wins
    EXPECT_EQ(q.size(), 3u);
    EXPECT_EQ(q.coalesced(), 2u);
    EXPECT_EQ(drain(q), (std::vector<std::string>{"pbx/extensions/2001/status=", "pbx/extensions/2001/event={ringing}",
                                                  "pbx/extensions/2002/status=busy"}));
    // Once sent, a new value of the topic waits again.
    q.push(msg("pbx/extensions/2001/status", "online", true));
    EXPECT_EQ(drain(q), (std::vector<std::string>{"pbx/extensions/2001/status=online"}));
}

// A reconnect asserts the whole retained tree again; the replies and events that waited go out
// on the new connection, in their order.
TEST(OutboundQueue, DropRetainedKeepsTheTransientMessagesInOrder) {
    mqtt::OutboundQueue q;
    q.push(msg("pbx/extensions/2001/status", "ringing", true));
    q.push(msg("test/reply/1", "{ok}", false));
    q.push(msg("pbx/extensions/2002/status", "busy", true));
    q.push(msg("pbx/extensions/2001/event", "{ringing}", false));
    q.drop_retained();
    EXPECT_EQ(q.size(), 2u);
    // The retained topics can wait again afterwards (their index was rebuilt).
    q.push(msg("pbx/extensions/2001/status", "online", true));
    q.push(msg("pbx/extensions/2001/status", "busy", true));
    EXPECT_EQ(q.coalesced(), 1u);
    EXPECT_EQ(drain(q), (std::vector<std::string>{"test/reply/1={ok}", "pbx/extensions/2001/event={ringing}",
                                                  "pbx/extensions/2001/status=busy"}));
}

TEST(OutboundQueue, TransientMessagesAreBoundedOldestDroppedFirst) {
    mqtt::OutboundQueue q(3);
    q.push(msg("r", "1", true));
    for (int i = 0; i < 6; ++i) q.push(msg("e", std::to_string(i), false));
    EXPECT_EQ(q.dropped(), 3u);
    EXPECT_EQ(drain(q), (std::vector<std::string>{"r=1", "e=3", "e=4", "e=5"}));
    EXPECT_TRUE(q.empty());
}

TEST(OutboundQueue, AFloodWhileNothingIsSentStaysBounded) {
    mqtt::OutboundQueue q(100);
    for (int i = 0; i < 200000; ++i) {
        q.push(msg("pbx/extensions/" + std::to_string(i % 50) + "/status", std::to_string(i), true));
        q.push(msg("pbx/events/x", std::to_string(i), false));
    }
    EXPECT_EQ(q.size(), 150u);  // 50 distinct retained topics + the last 100 events
    const auto out = drain(q);
    ASSERT_EQ(out.size(), 150u);
    EXPECT_EQ(out.front(), "pbx/extensions/0/status=199950");
    EXPECT_EQ(out.back(), "pbx/events/x=199999");
}

TEST(OutboundQueue, TransientMessagesAreBoundedInBytes) {
    // 10 bytes each (topic "e" + 9-byte payload): 35 bytes hold 3 of them.
    mqtt::OutboundQueue q(1000, 35);
    q.push(msg("pbx/extensions/2001/status", std::string(100, 'r'), true));  // retained: not counted
    for (int i = 0; i < 6; ++i) q.push(msg("e", "payload-" + std::to_string(i), false));
    EXPECT_EQ(q.dropped(), 3u);
    EXPECT_EQ(q.transient_bytes(), 30u);
    EXPECT_EQ(q.size(), 4u);
    const auto out = drain(q);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[1], "e=payload-3");
    EXPECT_EQ(out[3], "e=payload-5");
    EXPECT_EQ(q.transient_bytes(), 0u);
}

TEST(OutboundQueue, ALongFloodOfEventsStaysWithinTheByteBound) {
    // A broker slower than the PBX: events keep coming, a few leave now and then.
    mqtt::OutboundQueue q(100000, 64 * 1024);
    const std::string payload(400, 'x');
    std::size_t sent = 0;
    for (int i = 0; i < 100000; ++i) {
        q.push(msg("pbx/extensions/2001/event", payload, false));
        if (i % 3 == 0 && q.pop()) ++sent;
        ASSERT_LE(q.transient_bytes(), 64u * 1024u);
    }
    EXPECT_GT(q.dropped(), 0u);
    EXPECT_EQ(sent + q.dropped() + q.size(), 100000u);
    const std::size_t waiting = q.size();
    EXPECT_EQ(drain(q).size(), waiting);
    EXPECT_EQ(q.transient_bytes(), 0u);
}

}  // namespace
