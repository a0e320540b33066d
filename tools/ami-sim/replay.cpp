#include "ami-sim/replay.hpp"

#include <algorithm>

namespace amisim {

std::vector<ReplayEvent> replay_schedule(const std::vector<RecordedMessage>& recording, double speed) {
    std::vector<ReplayEvent> out;
    double start = -1;
    bool after_login = false;  // the next message is the one right after the login response
    for (const auto& m : recording) {
        if (m.connection != "bridge" || !m.from_server) continue;
        const ami::Message& msg = m.message;
        if (msg.kind() == ami::Message::Kind::Greeting) continue;
        if (msg.is_response()) {
            if (start < 0) start = m.offset;
            after_login = true;
            continue;
        }
        const bool login_booted = after_login && ami::iequals(msg.event(), "FullyBooted");
        after_login = false;
        if (!msg.is_event() || msg.has("ActionID") || login_booted) continue;
        if (start < 0) start = m.offset;
        const double at = speed > 0 ? std::max(0.0, (m.offset - start) / speed) : 0.0;
        out.push_back({at, &m});
    }
    return out;
}

}  // namespace amisim
