#include "mid_call.hpp"

namespace testsupport {

namespace {
core::CoreOptions mid_call_options() {
    core::CoreOptions o;
    o.session.username = "bridge";
    o.trunks = {"trunk1"};
    return o;
}
}  // namespace

MidCall::MidCall(bool ringing) : CoreRig(mid_call_options(), "asterisk20-chansip/01-snapshot-actions.txt", ami::Clock::now()) {
    for (const auto& e : transcript_events(fixture("asterisk20-chansip/05-call-2001-2002.txt"))) {
        pump(e.serialize());
        const auto* a = core->state().calls().channel_by_name("SIP/2001-00000000");
        const auto* b = core->state().calls().channel_by_name("SIP/2002-00000001");
        if (ringing && b && b->state == 5) break;
        if (!ringing && a && a->state == 6 && core->state().calls().counterpart(*a)) break;
    }
}

ami::ActionResult success_for(const ami::Action& action) {
    ami::ActionResult r;
    r.status = ami::ActionResult::Status::Success;
    r.response.add("Response", "Success");
    r.response.add("Message", "Success");
    if (!action.completion_event.empty()) {
        ami::Message e;
        e.add("Event", action.completion_event);
        e.add("Response", "Success");
        e.add("Channel", "SIP/2001-00000007");
        e.add("Uniqueid", "1795801290.20");
        r.events.push_back(e);
    }
    return r;
}

}  // namespace testsupport
