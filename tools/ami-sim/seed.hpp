#pragma once
// The simulator's initial PBX state, taken from a recorded "01-snapshot-actions" transcript:
// the answers to SIPpeers/SIPshowpeer or PJSIPShowEndpoints/PJSIPShowEndpoint/PJSIPShowContacts,
// ExtensionStateList, DeviceStateList, QueueStatus and the AstDB reads and writes.
#include <string_view>
#include <vector>

#include "ami-sim/flavor.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/sim_state.hpp"

namespace amisim {

SimState seed_state(Flavor flavor, const std::vector<RecordedMessage>& recording);

// The flavor's tests/fixtures/ami/<flavor>/01-snapshot-actions.txt, embedded at build time.
std::string_view embedded_snapshot(Flavor flavor);

// seed_state() of the embedded snapshot, plus the caller IDs the fixture README lists for the
// peers whose caller ID the snapshot does not show (chan_sip shows it only in SIPshowpeer).
SimState default_state(Flavor flavor);

// --extensions: `count` more registered extensions numbered from `first`, copied from the
// flavor's first registered phone (peer or endpoint + AOR + auth + contact), each with a hint
// shaped like that phone's and a cached NOT_INUSE device.
void generate_extensions(SimState& state, Flavor flavor, int count, int first = 100000);

}  // namespace amisim
