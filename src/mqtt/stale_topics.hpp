#pragma once
// Retained topics left on the broker that the bridge no longer asserts: written by an earlier
// run (killed before it could clear them, or the PBX changed while no bridge was running), or
// kept by a broker with persistence that missed a clear while the bridge could not reach it.
// Found by reading the broker's retained messages under the bridge's own collections once the
// model is complete; each one is then cleared (an empty retained message).
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mqtt {

// The first levels under <base> whose retained topics belong to the bridge. Nothing else under
// <base> is touched: command topics (<base>/cmd/..., .../set), and the trees of other bridges
// sharing the base under their own node levels.
inline constexpr std::string_view kOwnedCollections[] = {"ami",     "bridge",      "calls",  "conferences",
                                                         "extensions", "parkings", "queues", "trunks",
                                                         "voicemail"};

// The filters that read those collections: "<base>/<collection>/#" for each.
std::vector<std::string> owned_filters(const std::string& base);

// Of the retained topics `seen` on the broker (with a non-empty payload), those that belong to
// the bridge and are not in `asserted`. Request topics (a last level "set", or a "request" level
// under bridge) are never stale: they are other clients' input; nor, with `failover` on, is
// <base>/bridge/leader, the election's topic (docs/scaling.md), which the election writes, not the
// model (with failover off, a leader topic left from when it was on is stale).
std::vector<std::string> stale_topics(const std::string& base, const std::vector<std::string>& seen,
                                      const std::map<std::string, std::string>& asserted, bool failover = false);

}  // namespace mqtt
