#include "commands/router.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "queues/queues_state.hpp"

namespace commands {

using nlohmann::json;
using nlohmann::ordered_json;

struct Router::Target {
    std::string command;
    std::optional<std::string> topic;  // nullopt: no reply wanted
    std::optional<std::string> correlation_data;
    std::optional<json> transaction;
};

struct Router::Running {
    Target target;
    Plan plan;
    std::vector<ami::ActionResult> results;
};

namespace {

std::vector<std::string_view> split(std::string_view topic) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto slash = topic.find('/');
        out.push_back(topic.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        topic.remove_prefix(slash + 1);
    }
}

// A reply topic named by the requester: one we can publish to.
bool publishable(const std::string& topic) {
    return !topic.empty() && topic.size() <= 1024 && topic.find_first_of("+#") == std::string::npos &&
           topic.find('\0') == std::string::npos;
}

// zigbee2mqtt's `transaction`: echoed so MQTT 3.1.1 clients can match replies. A string or an
// integer, bounded; anything else is not echoed (and the request is refused).
std::optional<json> transaction_of(const json& request, std::string* problem) {
    if (!request.is_object()) return std::nullopt;
    auto it = request.find("transaction");
    if (it == request.end()) return std::nullopt;
    if ((it->is_string() && it->get_ref<const std::string&>().size() <= 128) || it->is_number_integer()) return *it;
    *problem = "field 'transaction' must be a string of at most 128 bytes or an integer";
    return std::nullopt;
}

std::optional<bool> switch_value(std::string_view payload) {
    std::string p(payload);
    std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (p == "on" || p == "true" || p == "1") return true;
    if (p == "off" || p == "false" || p == "0") return false;
    return std::nullopt;
}

}  // namespace

Router::Router(RouterDeps deps) : deps_(std::move(deps)), dial_pattern_(deps_.config.dial_pattern, std::regex::ECMAScript) {}

Router::~Router() { *alive_ = false; }

void Router::reconfigure(config::CommandsConfig config, std::string dial_prefix, std::chrono::milliseconds action_timeout) {
    dial_pattern_ = std::regex(config.dial_pattern, std::regex::ECMAScript);  // validated by config::load_file
    deps_.config = std::move(config);
    deps_.dial_prefix = std::move(dial_prefix);
    deps_.action_timeout = action_timeout;
}

std::vector<std::string> Router::subscriptions() const {
    if (!deps_.config.enabled) return {};
    const std::string& base = deps_.topics.base();
    return {base + "/cmd/+", base + "/extensions/+/dnd/set", base + "/extensions/+/cf/set",
            base + "/queues/+/members/+/paused/set", base + "/bridge/request/log_level"};
}

bool Router::handle(const mqtt::IncomingMessage& message) {
    spdlog::debug("command topic {} ({} bytes)", message.topic, message.payload.size());
    if (!deps_.config.enabled) return false;
    const std::string& base = deps_.topics.base();
    if (message.topic.size() <= base.size() + 1 || message.topic.compare(0, base.size() + 1, base + "/") != 0) return false;
    const auto levels = split(std::string_view(message.topic).substr(base.size() + 1));

    std::string command;
    bool setter = false;
    std::string result_topic;
    if (levels.size() == 2 && levels[0] == "cmd") {
        command = std::string(levels[1]);
        result_topic = message.topic + "/result";
    } else if (levels.size() == 3 && levels[0] == "bridge" && levels[1] == "request" && levels[2] == "log_level") {
        // zigbee2mqtt's convention: <base>/bridge/request/<what>, answered on <base>/bridge/response/<what>.
        command = "log_level";
        result_topic = base + "/bridge/response/log_level";
    } else if (levels.size() == 4 && levels[0] == "extensions" && (levels[2] == "dnd" || levels[2] == "cf") && levels[3] == "set") {
        command = levels[2] == "dnd" ? "dnd" : "call_forward";
        setter = true;
    } else if (levels.size() == 6 && levels[0] == "queues" && levels[2] == "members" && levels[4] == "paused" && levels[5] == "set") {
        command = "queue_member_pause";
        setter = true;
    } else {
        return false;
    }
    if (setter) result_topic = message.topic.substr(0, message.topic.size() - 4) + "/result";

    // A retained command would run again at every (re)connection: never act on one.
    if (message.retained) {
        spdlog::warn("command topic {}: retained message ignored (commands must not be retained)", message.topic);
        return true;
    }

    Target target;
    target.command = command;
    if (message.response_topic && publishable(*message.response_topic)) {
        target.topic = *message.response_topic;
        target.correlation_data = message.correlation_data;
    }

    // Decode what can be decoded before the strict checks, so even a refusal echoes the transaction.
    json request;
    std::optional<Reply> refusal;
    std::optional<bool> plain_switch = setter && command != "call_forward" ? switch_value(message.payload) : std::nullopt;
    if (!plain_switch) {
        try {
            request = parse_payload(message.payload, deps_.config.max_payload_bytes);
        } catch (const Refusal& r) {
            refusal = Reply::error(r.code(), r.what());
        }
    }
    std::string problem;
    target.transaction = transaction_of(request, &problem);
    if (!refusal && !problem.empty()) refusal = Reply::error(code::kBadRequest, problem);
    if (!target.topic && (!setter || target.transaction)) target.topic = result_topic;
    if (target.topic && !publishable(*target.topic)) target.topic.reset();

    if (!refusal && setter) {
        // The setter's topic names the thing; its payload is the value.
        try {
            const std::string id(levels[1]);
            json fields = json::object();
            if (!plain_switch && !request.is_object()) bad_request("payload must be ON, OFF, true, false or a JSON object");
            if (request.is_object()) {
                fields = request;
                fields.erase("transaction");
            }
            if (command == "dnd") {
                if (plain_switch) fields["enabled"] = *plain_switch;
                if (fields.contains("extension")) bad_request("unknown field 'extension' (the topic names the extension)");
                fields["extension"] = id;
            } else if (command == "call_forward") {
                if (fields.contains("extension")) bad_request("unknown field 'extension' (the topic names the extension)");
                fields["extension"] = id;
            } else {
                bool paused = false;
                if (plain_switch) {
                    paused = *plain_switch;
                } else {
                    auto it = fields.find("paused");
                    if (it == fields.end() || !it->is_boolean()) bad_request("field 'paused' must be true or false");
                    paused = it->get<bool>();
                    fields.erase("paused");
                }
                if (fields.contains("queue") || fields.contains("interface") || fields.contains("extension"))
                    bad_request("the topic names the queue and the member: no 'queue', 'interface' or 'extension' field");
                const auto* queue = deps_.state.queues().find(id);
                if (!queue) throw Refusal(code::kNotFound, "no queue " + id);
                std::string interface;
                for (const auto& [name, m] : queue->members)
                    if (queues::member_id(name) == levels[3]) interface = name;
                if (interface.empty()) throw Refusal(code::kNotFound, "queue " + id + " has no member " + std::string(levels[3]));
                fields["queue"] = id;
                fields["interface"] = interface;
                command = paused ? "queue_member_pause" : "queue_member_unpause";
                target.command = command;
            }
            request = std::move(fields);
        } catch (const Refusal& r) {
            refusal = Reply::error(r.code(), r.what());
        }
    }

    if (refusal) {
        spdlog::info("command {}: refused: {}", command, refusal->message);
        reply(target, *refusal);
        return true;
    }
    run(command, request, std::move(target));
    return true;
}

void Router::run(const std::string& command, const json& request, Target target) {
    const Builder builder = builder_for(command);
    if (!builder) {
        // The name is untrusted: only a short printable one goes into the message.
        const bool printable = command.size() <= 64 && std::all_of(command.begin(), command.end(), [](char c) {
                                   return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
                               });
        reply(target, Reply::error(code::kUnknownCommand,
                                   printable ? "unknown command '" + command + "'" : std::string("unknown command")));
        return;
    }
    const auto& disabled = deps_.config.disabled;
    if (std::find(disabled.begin(), disabled.end(), command) != disabled.end()) {
        reply(target, Reply::error(code::kDisabled, "command '" + command + "' is disabled in [commands] disabled"));
        return;
    }
    if (in_flight_ >= deps_.config.max_in_flight) {
        reply(target, Reply::error(code::kBusy, std::to_string(in_flight_) + " commands are in flight; try again later"));
        return;
    }

    Plan plan;
    try {
        Fields fields(request);
        fields.ignore("transaction");
        Env env{deps_.state, deps_.config, deps_.dial_prefix, deps_.action_timeout, dial_pattern_};
        plan = builder(fields, env);
    } catch (const Refusal& r) {
        spdlog::info("command {}: refused: {}", command, r.what());
        reply(target, Reply::error(r.code(), r.what()));
        return;
    }

    if (plan.special == Special::HealthCheck) {
        health_check(std::move(target));
        return;
    }
    if (plan.special == Special::LogLevel) {
        if (!deps_.set_log_level || !deps_.set_log_level(plan.log_level)) {
            reply(target, Reply::error(code::kUnsupported, "the log level cannot be changed here"));
            return;
        }
        spdlog::warn("log level set to {} over MQTT", plan.log_level);
        reply(target, Reply::success(ordered_json{{"level", plan.log_level}}));
        return;
    }
    if (!deps_.ami_ready()) {
        reply(target, Reply::error(code::kPbxUnavailable, "not connected to Asterisk (AMI); nothing was sent"));
        return;
    }
    ++in_flight_;
    if (plan.special == Special::Resync) {
        deps_.resync([this, alive = alive_, target](bool ok, const std::string& error) {
            if (!*alive) return;
            --in_flight_;
            reply(target, ok ? Reply::success(ordered_json{{"resynchronized", true}})
                             : Reply::error(code::kPbxUnavailable, "resync failed: " + error));
        });
        return;
    }
    auto running = std::make_shared<Running>(Running{std::move(target), std::move(plan), {}});
    next_step(running);
}

void Router::next_step(const std::shared_ptr<Running>& running) {
    auto& r = *running;
    if (r.results.size() == r.plan.steps.size()) {
        --in_flight_;
        Reply out = r.plan.finish ? r.plan.finish(r.results) : Reply::success();
        spdlog::info("command {}: ok", r.target.command);
        if (!r.plan.refresh_astdb_of.empty() && deps_.refresh_astdb) deps_.refresh_astdb(r.plan.refresh_astdb_of);
        reply(r.target, out);
        return;
    }
    const Step& step = r.plan.steps[r.results.size()];
    const bool sent = deps_.send(step.action, [this, alive = alive_, running](ami::ActionResult&& result) {
        if (!*alive) return;
        const Step& s = running->plan.steps[running->results.size()];
        const bool accepted = s.accept ? s.accept(result) : result.ok();
        if (!accepted) {
            --in_flight_;
            Reply out = s.fail ? s.fail(result) : from_result(result);
            spdlog::info("command {}: {}: {}", running->target.command, out.code, out.message);
            reply(running->target, out);
            return;
        }
        running->results.push_back(std::move(result));
        next_step(running);
    });
    if (!sent) {
        --in_flight_;
        reply(r.target, Reply::error(code::kPbxUnavailable, r.results.empty()
                                                                ? "not connected to Asterisk (AMI); nothing was sent"
                                                                : "the AMI connection was lost part way; " +
                                                                      std::to_string(r.results.size()) + " of " +
                                                                      std::to_string(r.plan.steps.size()) + " actions were done"));
    }
}

void Router::health_check(Target target) {
    ordered_json data = deps_.health ? deps_.health() : ordered_json::object();
    data["commands_in_flight"] = in_flight_;
    if (!deps_.ami_ready()) {
        data["healthy"] = false;
        reply(target, Reply::success(std::move(data)));
        return;
    }
    // A Ping proves Asterisk answers now, not only that the socket is open.
    ami::Action ping("Ping");
    ping.timeout = deps_.action_timeout;
    const auto started = deps_.now();
    ++in_flight_;
    const bool sent = deps_.send(ping, [this, alive = alive_, target, data, started](ami::ActionResult&& result) mutable {
        if (!*alive) return;
        --in_flight_;
        data["healthy"] = result.ok();
        if (result.ok()) {
            data["ami_ping_ms"] = std::chrono::duration<double, std::milli>(deps_.now() - started).count();
        } else {
            data["ami_ping_error"] = result.message();
        }
        reply(target, Reply::success(std::move(data)));
    });
    if (!sent) {
        --in_flight_;
        data["healthy"] = false;
        reply(target, Reply::success(std::move(data)));
    }
}

void Router::reply(const Target& target, const Reply& out) {
    ++(out.ok ? served_ : failed_);
    spdlog::debug("command {}: reply to {}", target.command, target.topic.value_or("(none)"));
    if (!target.topic) return;
    mqtt::OutgoingMessage m;
    m.topic = *target.topic;
    m.payload = out.envelope(target.transaction ? &*target.transaction : nullptr);
    m.retain = false;
    m.qos = deps_.qos;
    m.correlation_data = target.correlation_data;
    deps_.port.publish(m);
}

}  // namespace commands
