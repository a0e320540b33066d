// DND, call forwards and custom device states, the FreePBX way: AstDB families DND/CF/CFB/CFU and
// Custom: device states (asterisk20-chansip/09-dnd-cf-devstate-userevent shows both).
#include <array>

#include "commands/call_commands.hpp"
#include "commands/lookup.hpp"

namespace commands {

namespace {
using nlohmann::ordered_json;

// DBDel of a key that is not there: already off is fine. Asterisk 20 answers "Database entry could
// not be deleted" (asterisk20-chansip/01, DBDel DND/2001 twice); "Database entry not found" is
// DBDelTree's (and DBGet's) text for the same case. Asterisk 13 answers Success.
bool ok_or_absent(const ami::ActionResult& r) {
    return r.ok() || (r.status == ami::ActionResult::Status::Error && (r.message() == "Database entry could not be deleted" ||
                                                                       r.message() == "Database entry not found"));
}

ami::Action timed(ami::Action a, const Env& env) {
    a.timeout = env.action_timeout;
    return a;
}
}  // namespace

Plan build_dnd(Fields& f, const Env& env) {
    const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
    const bool on = f.boolean("enabled");
    f.finish();
    Plan p;
    if (on) {
        p.steps.push_back({timed(ami::Action("DBPut").set("Family", "DND").set("Key", ext.exten).set("Val", "YES"), env), {}, {}});
    } else {
        p.steps.push_back({timed(ami::Action("DBDel").set("Family", "DND").set("Key", ext.exten), env), ok_or_absent, {}});
    }
    // The lamp: FreePBX's hint of the extension includes Custom:DND<ext>.
    p.steps.push_back({timed(ami::Action("Setvar")
                                 .set("Variable", "DEVICE_STATE(Custom:DND" + ext.exten + ")")
                                 .set("Value", on ? "BUSY" : "NOT_INUSE"),
                             env),
                       {},
                       {}});
    p.refresh_astdb_of = ext.exten;
    p.finish = [exten = ext.exten, on](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"extension", exten}, {"dnd", on}});
    };
    return p;
}

Plan build_call_forward(Fields& f, const Env& env) {
    const auto& ext = known_extension(env, "extension", f.text("extension", rule::kExtension));
    const std::string type = f.text("type", TextRule{16, "", false, "always, busy or unavailable"});
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kFamilies{
        {{"always", "CF"}, {"busy", "CFB"}, {"unavailable", "CFU"}}};
    std::string family;
    for (auto [name, fam] : kFamilies)
        if (type == name) family = fam;
    if (family.empty()) bad_request("field 'type' must be always, busy or unavailable");
    const auto to = f.optional_text("to", rule::kNumber);
    const bool voicemail = f.optional_boolean("voicemail").value_or(false);
    f.finish();
    if (to && voicemail) bad_request("give 'to' or 'voicemail', not both");
    Plan p;
    std::string value;
    if (to) {
        value = destination(env, "to", *to);
    } else if (voicemail) {
        value = "vmu" + ext.exten;  // FreePBX: unavailable-message voicemail of the extension's own box
    }
    if (value.empty()) {
        p.steps.push_back({timed(ami::Action("DBDel").set("Family", family).set("Key", ext.exten), env), ok_or_absent, {}});
    } else {
        p.steps.push_back({timed(ami::Action("DBPut").set("Family", family).set("Key", ext.exten).set("Val", value), env), {}, {}});
    }
    p.refresh_astdb_of = ext.exten;
    p.finish = [exten = ext.exten, type, to, voicemail](const std::vector<ami::ActionResult>&) {
        ordered_json d{{"extension", exten}, {"type", type}, {"to", to ? ordered_json(*to) : ordered_json(nullptr)}, {"voicemail", voicemail}};
        return Reply::success(std::move(d));
    };
    return p;
}

Plan build_device_state(Fields& f, const Env& env) {
    std::string device = f.text("device", rule::kDevice);
    if (device.rfind("Custom:", 0) == 0) device.erase(0, 7);
    if (device.empty() || device.find(':') != std::string::npos)
        bad_request("field 'device' must be a custom device name (Custom:<name> or <name>)");
    const std::string state = f.text("state", TextRule{16, "_", false, "a device state"});
    static constexpr std::array<std::string_view, 8> kStates{"NOT_INUSE", "INUSE",  "BUSY",   "UNAVAILABLE",
                                                              "RINGING",   "RINGINUSE", "ONHOLD", "UNKNOWN"};
    if (std::find(kStates.begin(), kStates.end(), state) == kStates.end())
        bad_request("field 'state' must be one of NOT_INUSE, INUSE, BUSY, UNAVAILABLE, RINGING, RINGINUSE, ONHOLD, UNKNOWN");
    f.finish();
    Plan p;
    p.steps.push_back({timed(ami::Action("Setvar").set("Variable", "DEVICE_STATE(Custom:" + device + ")").set("Value", state), env), {}, {}});
    p.finish = [device, state](const std::vector<ami::ActionResult>&) {
        return Reply::success(ordered_json{{"device", "Custom:" + device}, {"state", state}});
    };
    return p;
}

}  // namespace commands
