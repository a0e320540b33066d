#include "core_rig.hpp"

namespace testsupport {

CoreRig::CoreRig(core::CoreOptions options, const std::string& snapshot, ami::Clock::time_point at) : now(at) {
    core = std::make_unique<core::BridgeCore>(std::move(options), port);
    pbx = std::make_unique<FixturePbx>(fixture(snapshot));
    core->start();
    core->ami_connected(now);
    pump(pbx->banner() + "\r\n");
}

void CoreRig::pump(std::string bytes) {
    for (int i = 0; i < 100 && !bytes.empty(); ++i) {
        core->ami_received(bytes, now);
        bytes = pbx->answer(core->take_ami_output());
    }
}

void CoreRig::events(const std::string& transcript) {
    for (const auto& e : transcript_events(fixture(transcript))) pump(e.serialize());
}

}  // namespace testsupport
