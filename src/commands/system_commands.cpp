// reload, resync, health_check and the raw `ami` command (off unless [commands] raw_ami = true).
#include <algorithm>

#include "commands/call_commands.hpp"
#include "commands/lookup.hpp"

namespace commands {

namespace {
using nlohmann::ordered_json;

ordered_json headers_of(const ami::Message& m) {
    ordered_json o = ordered_json::object();
    for (const auto& h : m.headers()) {
        // The bridge's own ActionID: the request could not set it, the reply does not show it.
        if (ami::iequals(h.name, "ActionID")) continue;
        if (o.contains(h.name)) {
            auto& v = o[h.name];
            if (!v.is_array()) v = ordered_json::array({v});
            v.push_back(h.value);
        } else {
            o[h.name] = h.value;
        }
    }
    return o;
}
}  // namespace

Plan build_reload(Fields& f, const Env& env) {
    const auto module = f.optional_text("module", rule::kModule);
    f.finish();
    ami::Action a("Reload");
    if (module) a.set("Module", *module);
    a.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(a), {}, {}});
    p.finish = [module](const std::vector<ami::ActionResult>& r) {
        return Reply::success(ordered_json{{"module", module ? ordered_json(*module) : ordered_json(nullptr)},
                                           {"message", r.front().message()}});
    };
    return p;
}

Plan build_resync(Fields& f, const Env&) {
    f.finish();
    Plan p;
    p.special = Special::Resync;
    return p;
}

Plan build_health_check(Fields& f, const Env&) {
    f.finish();
    Plan p;
    p.special = Special::HealthCheck;
    return p;
}

Plan build_log_level(Fields& f, const Env&) {
    static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    const std::string level = f.text("level", rule::kAction);
    f.finish();
    if (std::find(std::begin(kLevels), std::end(kLevels), level) == std::end(kLevels))
        bad_request("field 'level' must be one of trace, debug, info, warn, error, critical, off");
    Plan p;
    p.special = Special::LogLevel;
    p.log_level = level;
    return p;
}

Plan build_ami(Fields& f, const Env& env) {
    if (!env.config.raw_ami) throw Refusal(code::kDisabled, "the raw ami command is off ([commands] raw_ami = false)");
    const std::string name = f.text("action", rule::kAction);
    const auto& allow = env.config.raw_ami_allow;
    if (std::none_of(allow.begin(), allow.end(), [&](const std::string& a) { return ami::iequals(a, name); }))
        throw Refusal(code::kForbidden, "AMI action '" + name + "' is not in [commands] raw_ami_allow");
    ami::Action a(name);
    if (const nlohmann::json* headers = f.raw("headers")) {
        if (!headers->is_object()) bad_request("field 'headers' must be an object of strings");
        if (headers->size() > 32) bad_request("field 'headers' has more than 32 headers");
        for (auto it = headers->begin(); it != headers->end(); ++it) {
            check_text("headers", it.key(), rule::kHeaderName);
            if (ami::iequals(it.key(), "ActionID") || ami::iequals(it.key(), "Action"))
                bad_request("field 'headers' must not set " + it.key() + " (the bridge sets it)");
            if (!it->is_string()) bad_request("field 'headers." + it.key() + "' must be a string");
            const auto& value = it->get_ref<const std::string&>();
            check_text("headers." + it.key(), value, rule::kHeaderValue);
            a.set(it.key(), value);
        }
    }
    f.finish();
    a.timeout = env.action_timeout;
    Plan p;
    p.steps.push_back({std::move(a), [](const ami::ActionResult& r) {
                           return r.status == ami::ActionResult::Status::Success ||
                                  r.status == ami::ActionResult::Status::Error;
                       },
                       {}});
    p.finish = [](const std::vector<ami::ActionResult>& r) {
        const auto& result = r.front();
        ordered_json d{{"response", headers_of(result.response)}};
        ordered_json events = ordered_json::array();
        for (const auto& e : result.events) events.push_back(headers_of(e));
        d["events"] = std::move(events);
        return Reply::success(std::move(d));
    };
    return p;
}

}  // namespace commands
