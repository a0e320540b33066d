#include <gtest/gtest.h>

#include <algorithm>

#include "mqtt/port.hpp"
#include "fixture_pbx.hpp"
#include "mqtt/retained_store.hpp"
#include "mqtt/stale_topics.hpp"

namespace stale_topics_test {  // named: the unity build compiles several test files as one

TEST(StaleTopics, OnlyTheBridgesOwnCollectionsAndNotWhatItAssertsNow) {
    const std::map<std::string, std::string> asserted = {
        {"pbx/extensions/2001", "{}"}, {"pbx/extensions/2001/status", "online"}, {"pbx/bridge/state", "online"}};
    const std::vector<std::string> seen = {
        "pbx/extensions/2001",             // asserted now
        "pbx/extensions/2001/status",      // asserted now
        "pbx/extensions/2009/status",      // left by an earlier run: stale
        "pbx/calls/1795801243.2",          // a call that ended while no bridge ran: stale
        "pbx/parkings/default/71",         // stale
        "pbx/bridge/info",                 // ours, not asserted (yet): stale
        "pbx/extensions/2001/dnd/set",     // a (retained) request of another client
        "pbx/queues/401/members/2001/paused/set",
        "pbx/bridge/request/log_level",    // a request
        "pbx/bridge/leader",               // left from when [failover] was on: stale now
        "pbx/cmd/call",                    // a request
        "pbx/site-a/extensions/1/status",  // another bridge's tree (node id)
        "pbx/extensions",                  // never published by the bridge
        "pbxother/extensions/1/status",    // another base
        "other/pbx/extensions/1",
    };
    EXPECT_EQ(mqtt::stale_topics("pbx", seen, asserted),
              (std::vector<std::string>{"pbx/bridge/info", "pbx/bridge/leader", "pbx/calls/1795801243.2",
                                        "pbx/extensions/2009/status", "pbx/parkings/default/71"}));
    // With [failover] on, the leader topic is the election's, not the model's.
    EXPECT_EQ(mqtt::stale_topics("pbx", seen, asserted, true),
              (std::vector<std::string>{"pbx/bridge/info", "pbx/calls/1795801243.2", "pbx/extensions/2009/status",
                                        "pbx/parkings/default/71"}));
}

TEST(StaleTopics, FiltersCoverEveryOwnedCollection) {
    const auto filters = mqtt::owned_filters("pbx/site-a");
    EXPECT_EQ(filters.size(), std::size(mqtt::kOwnedCollections));
    EXPECT_NE(std::find(filters.begin(), filters.end(), "pbx/site-a/extensions/#"), filters.end());
    EXPECT_EQ(std::find(filters.begin(), filters.end(), "pbx/site-a/cmd/#"), filters.end());
}

TEST(StaleTopics, StoreClearsWithAnEmptyRetainedMessageButNeverWhatItAsserts) {
    testsupport::RecordingPort port;
    mqtt::RetainedStore store(port, 1);
    store.set("pbx/extensions/2001/status", "online");
    port.published.clear();
    EXPECT_EQ(store.clear_stale({"pbx/extensions/2009/status", "pbx/extensions/2001/status"}), 1u);
    ASSERT_EQ(port.published.size(), 1u);
    EXPECT_EQ(port.published[0].topic, "pbx/extensions/2009/status");
    EXPECT_EQ(port.published[0].payload, "");
    EXPECT_TRUE(port.published[0].retain);
    EXPECT_EQ(store.asserted().count("pbx/extensions/2001/status"), 1u);
}

}  // namespace
