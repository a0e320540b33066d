#pragma once
// The truth a fault test compares with: a fresh bridge, started after the fault against the same
// PBX and broker on another base topic, reads the PBX from scratch (snapshot actions). The faulted
// bridge's retained tree must become equal to the fresh one's (bridge/* aside, see below).
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace harness {

using Tree = std::map<std::string, std::string>;

// The retained tree under `base` as the probe sees it, "<base>/" stripped, without the bridge's
// own topics (bridge/*: versions, start times, client ids differ between two bridges).
Tree state_tree(const MqttProbe& probe, const std::string& base);

// Differences between a faulted bridge's tree and a fresh one's (empty: equal). Payload keys
// holding a time are compared for presence and closeness (2.5 s) only: a fresh bridge can only
// estimate them from the snapshot (`Duration`, `Wait`... whole seconds before it read them) while
// the bridge that was there saw the events happen and keeps those times; a conversation's
// `duration` (seconds as of the last publication) of the faulted bridge may only be smaller.
std::vector<std::string> tree_diff(const Tree& faulted, const Tree& fresh);

// Starts a fresh bridge (`config` with base topic `truth_base`) and waits up to `timeout` until
// the tree under `base` equals its tree. Returns "" when equal, else the differences and the last
// messages the probe received on the first differing topic. The probe is subscribed to
// "<truth_base>/#" here; it must already see `base` (subscribed to "<base>/#" or "#").
// `ignore`: topics (below the bases, "ami/state") left out of the comparison.
std::string compare_with_fresh_bridge(MqttProbe& probe, BridgeConfig config, std::chrono::milliseconds timeout,
                                      const std::string& base = "pbx", const std::string& truth_base = "truth",
                                      const std::set<std::string>& ignore = {});

}  // namespace harness
