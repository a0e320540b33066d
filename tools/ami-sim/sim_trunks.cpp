// Outbound trunk registrations (22: 10-trunk-registration), voicemail boxes (22:
// 09-mwi-voicemail), and the bulk operations used for load tests.
#include <algorithm>
#include <cctype>

#include "ami-sim/simulator.hpp"

namespace amisim {

namespace {

std::optional<std::string> registration_status(std::string_view text) {
    const std::string s = lower_ascii(text);
    if (s == "registered") return "Registered";
    if (s == "unregistered") return "Unregistered";
    if (s == "rejected") return "Rejected";
    return std::nullopt;
}

// "sip:127.0.0.1:5060" -> "127.0.0.1"
std::string host_of(std::string_view uri) {
    if (uri.rfind("sip:", 0) == 0) uri.remove_prefix(4);
    if (const auto at = uri.find('@'); at != std::string_view::npos) uri.remove_prefix(at + 1);
    return std::string(uri.substr(0, uri.find(':')));
}

}  // namespace

Outcome Simulator::set_registration(std::string_view name, std::string_view status_text, double now) {
    now = clock(now);
    const auto status = registration_status(status_text);
    if (!status) return {"usage: trunk-register <name> registered|unregistered|rejected", {}, {}};
    Registration* reg = state_.find_registration(name);
    if (!reg && !flavor_traits().pjsip) {
        // chan_sip: as if the trunk peer had a "register =>" line.
        const Peer* trunk = state_.find_peer(name);
        if (!trunk || !is_trunk(*trunk)) return {"unknown trunk " + std::string(name), {}, {}};
        Registration added;
        added.name = trunk->name;
        added.status = "Unregistered";
        added.far_end = "Registered";
        added.client_uri = trunk->name;
        const std::string ip = header_value(trunk->peer_entry, "IPaddress");
        added.server_uri = ip.empty() || ip == "-none-" ? "127.0.0.1" : ip;
        state_.registrations.push_back(added);
        reg = &state_.registrations.back();
    }
    if (!reg) return {"unknown trunk " + std::string(name), {}, {}};
    Outcome result;
    Events& out = result.events;
    const bool was_registered = reg->status == "Registered";
    reg->status = *status;
    if (*status != "Unregistered") reg->far_end = *status;
    if (*status == "Registered") reg->registered_at = now;
    if (!flavor_traits().pjsip) {
        out.push_back(registry_event("SIP", reg->client_uri, reg->server_uri, *status));
        return result;
    }
    Peer* self = reg->self_endpoint.empty() ? nullptr : state_.find_peer(reg->self_endpoint);
    if (!self) {
        out.push_back(registry_event("PJSIP", reg->client_uri, reg->server_uri, *status));
        return result;
    }
    // trunk2 registers to this PBX's own endpoint "selftrunk": its inbound side shows it too.
    const std::string device = state_.device_of(*self);
    Contact contact;
    contact.aor = self->aors.empty() ? self->name : self->aors.front();
    contact.endpoint = self->name;
    contact.uri = reg->self_contact_uri;
    contact.status = "NonQualified";
    if (*status == "Registered" && !was_registered) {
        contact.id = contact.aor + ";@" + random_hex(32);
        contact.via_addr = host_of(reg->server_uri);
        contact.via_port = 5070;
        contact.call_id = random_hex(16);
        contact.expiration_time = std::to_string(static_cast<long long>(now) + 300);
        state_.add_contact(contact);
        self->registered = true;
        report_device(device, state_.natural_device_state(*self), "d", out);
        out.push_back(registry_event("PJSIP", reg->client_uri, reg->server_uri, *status));
        out.push_back(peer_status_event("PJSIP", self->name, "Reachable"));
        out.push_back(contact_status_event(contact, "NonQualified", "0"));
        return result;
    }
    if (*status != "Registered" && was_registered) {
        for (const Contact* c : state_.contacts_of_aor(contact.aor))
            if (c->uri == contact.uri) contact.id = c->id;
        state_.remove_contact(contact.id);
        self->registered = !state_.contacts_of_aor(contact.aor).empty();
        out.push_back(peer_status_event("PJSIP", self->name, "Unreachable"));
        report_device(device, state_.natural_device_state(*self), "d", out);
        out.push_back(registry_event("PJSIP", reg->client_uri, reg->server_uri, *status));
        out.push_back(contact_status_event(contact, "Removed", "0"));
        return result;
    }
    out.push_back(registry_event("PJSIP", reg->client_uri, reg->server_uri, *status));
    return result;
}

Outcome Simulator::pjsip_register(std::string_view name, double now) {
    Registration* reg = state_.find_registration(name);
    if (!reg) return {"Unable to retrieve registration entry\n", {}, {}};
    // The current state first, then the answer of the far end.
    Outcome result;
    const std::string current = reg->status;
    const std::string far_end = reg->far_end.empty() ? std::string("Registered") : reg->far_end;
    result.events.push_back(registry_event("PJSIP", reg->client_uri, reg->server_uri, current));
    Outcome outcome = set_registration(name, far_end, now);
    for (auto& e : outcome.events) result.events.push_back(std::move(e));
    return result;
}

Outcome Simulator::pjsip_unregister(std::string_view name) {
    Registration* reg = state_.find_registration(name);
    if (!reg) return {"Unable to retrieve registration entry\n", {}, {}};
    if (reg->status != "Registered") {
        Outcome result;
        result.events.push_back(registry_event("PJSIP", reg->client_uri, reg->server_uri, reg->status));
        return result;
    }
    return set_registration(name, "Unregistered", 0);
}

Outcome Simulator::set_mailbox(std::string_view mailbox, int new_messages, int old_messages) {
    if (mailbox.empty() || new_messages < 0 || old_messages < 0) return {"usage: voicemail <mailbox> <new> <old>", {}, {}};
    std::string id(mailbox);
    if (id.find('@') == std::string::npos) id += "@default";
    Mailbox* box = state_.find_mailbox(id);
    if (!box) {
        Mailbox added;
        added.id = id;
        added.configured = false;  // MWI for a box voicemail.conf does not know (external)
        state_.mailboxes.push_back(added);
        box = &state_.mailboxes.back();
    }
    box->new_messages = new_messages;
    box->old_messages = old_messages;
    Outcome result;
    result.events.push_back(message_waiting_event(*box));
    report_device("MWI:" + id, new_messages > 0 ? DeviceState::InUse : DeviceState::NotInUse, "d", result.events);
    return result;
}

Outcome Simulator::start_answered_calls(int count, double now) {
    now = clock(now);
    if (count <= 0) return {"usage: calls <count>", {}, {}};
    // Idle registered extensions, generated ones first.
    std::vector<const Peer*> idle;
    for (int pass = 0; pass < 2; ++pass)
        for (const auto& p : state_.peers)
            if (p.generated == (pass == 0) && p.registered && !is_trunk(p) && state_.channels_of_peer(p.name).empty())
                idle.push_back(&p);
    if (idle.size() < static_cast<std::size_t>(count) * 2)
        return {"only " + std::to_string(idle.size()) + " idle extensions for " + std::to_string(count) + " calls", {},
                {}};
    std::vector<std::string> names;
    for (std::size_t i = 0; i < static_cast<std::size_t>(count) * 2; ++i) names.push_back(idle[i]->name);
    Outcome result;
    std::string first, last;
    for (int i = 0; i < count; ++i) {
        Outcome call = start_call(names[2 * i], names[2 * i + 1], now);
        if (!call.ok()) return call;
        Outcome answer = answer_call(call.detail, now);
        for (auto& e : call.events) result.events.push_back(std::move(e));
        for (auto& e : answer.events) result.events.push_back(std::move(e));
        if (first.empty()) first = call.detail;
        last = call.detail;
    }
    result.detail = first + " " + last;
    return result;
}

Outcome Simulator::hangup_everything(double now) {
    now = clock(now);
    Outcome result;
    int ended = 0;
    auto take = [&](Outcome o) {
        if (!o.ok()) return;
        ++ended;
        for (auto& e : o.events) result.events.push_back(std::move(e));
    };
    std::vector<std::string> ids;
    for (const auto& call : state_.calls) ids.push_back(call.id);
    for (const auto& id : ids)
        if (state_.find_call(id)) take(hangup_call(id, HangupSide::Caller, 16, now));
    while (!state_.parked_calls.empty()) take(park_giveup(state_.parked_calls.front().space, now));
    while (!state_.conferences.empty()) {
        Conference& conference = state_.conferences.front();
        if (conference.users.empty()) {
            state_.conferences.erase(state_.conferences.begin());
            continue;
        }
        take(conf_remove_user(conference, 0, false));
    }
    result.detail = std::to_string(ended);
    return result;
}

}  // namespace amisim
