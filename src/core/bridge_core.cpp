#include "core/bridge_core.hpp"

#include "homeassistant/homeassistant_module.hpp"

#include "mqtt/stale_topics.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "modules/bridge_module.hpp"
#include "modules/events_module.hpp"
#include "modules/inventory_module.hpp"
#include "extensions/extensions_module.hpp"
#include "calls/calls_module.hpp"
#include "queues/queues_module.hpp"
#include "parkings/parkings_module.hpp"
#include "conferences/conferences_module.hpp"
#include "trunks/trunks_module.hpp"
#include "voicemail/voicemail_module.hpp"

namespace core {

namespace {
// Events buffered while a snapshot is read are replayed on the fresh model; the bound keeps
// a flood during a slow snapshot from growing memory without limit (a resync follows).
constexpr std::size_t kMaxEventsDuringSync = 200000;
}  // namespace

BridgeCore::BridgeCore(CoreOptions options, mqtt::Port& port)
    : options_(std::move(options)),
      port_(port),
      topics_(options_.base_topic),
      store_(port, options_.qos, options_.base_topic),
      state_(options_.trunks),
      session_(options_.session,
               ami::SessionCallbacks{
                   [this](std::string_view banner) { on_logged_in(banner); },
                   [](const std::string& reason) { spdlog::error("AMI login failed: {}", reason); },
                   [this](const ami::Message& e) { on_event(e); },
                   [](const ami::ParseError& e) { spdlog::warn("AMI: malformed input: {}", e.detail); },
                   [this](const std::string& reason) {
                       if (on_close_ami) on_close_ami(reason);
                   }}),
      context_{state_, store_, port, topics_, status_, options_.qos, options_.wall_clock} {
    status_.version = options_.version;
    status_.started_at = options_.started_at;
    status_.node_id = options_.node_id;
    status_.ami_host = options_.ami_host;
    status_.ami_port = options_.ami_port;
    modules_.push_back(std::make_unique<modules::BridgeModule>());
    modules_.push_back(std::make_unique<modules::EventsModule>());
    modules_.push_back(std::make_unique<extensions::ExtensionsModule>());
    modules_.push_back(std::make_unique<calls::CallsModule>());
    modules_.push_back(std::make_unique<queues::QueuesModule>());
    modules_.push_back(std::make_unique<parkings::ParkingsModule>());
    modules_.push_back(std::make_unique<conferences::ConferencesModule>());
    modules_.push_back(std::make_unique<trunks::TrunksModule>());
    modules_.push_back(std::make_unique<voicemail::VoicemailModule>());
    if (options_.homeassistant.enabled) {
        auto ha = std::make_unique<homeassistant::HomeAssistantModule>(options_.homeassistant.discovery_prefix, options_.version);
        homeassistant_ = ha.get();
        modules_.push_back(std::move(ha));
    }
    // Last: it lists what the others published.
    modules_.push_back(std::make_unique<modules::InventoryModule>());

    commands::RouterDeps deps{port_, topics_, state_, options_.commands, options_.dial_prefix, options_.action_timeout,
                              options_.qos, {}, {}, {}, {}, {}, {}, {}};
    deps.send = [this](const ami::Action& action, ami::ActionCallback done) {
        return session_.send(action, std::move(done), now_).has_value();
    };
    deps.ami_ready = [this] { return session_.logged_in(); };
    deps.resync = [this](std::function<void(bool, const std::string&)> done) {
        resync_waiters_.push_back(std::move(done));
        if (!sync_) {
            spdlog::info("resync requested over MQTT; reading the PBX state again");
            start_snapshot();
        }
    };
    deps.health = [this] { return health(); };
    deps.set_log_level = options_.set_log_level;
    deps.now = [this] { return now_; };
    deps.refresh_astdb = [this](const std::string& exten) { refresh_astdb(exten); };
    router_ = std::make_unique<commands::Router>(std::move(deps));
}

BridgeCore::~BridgeCore() {
    if (sync_) sync_->cancel();
}

template <typename F>
void BridgeCore::for_each_module(const char* what, F&& f) {
    for (auto& m : modules_) {
        try {
            f(*m);
        } catch (const std::exception& e) {
            // One module's failure must not stop the others.
            spdlog::error("module {}: {} failed: {}", m->name(), what, e.what());
        }
    }
}

void BridgeCore::start() {
    if (started_) return;
    started_ = true;
    for_each_module("start", [this](modules::Module& m) { m.start(context_); });
    // The MQTT client remembers its subscriptions and renews them at every (re)connection.
    for (const auto& filter : router_->subscriptions()) port_.subscribe(filter, options_.qos);
    // Home Assistant's birth message asks for the discovery configs again; a read-only bridge
    // ([commands] enabled = false) subscribes to nothing, and HA then relies on the retained configs.
    if (homeassistant_ && options_.commands.enabled) port_.subscribe(homeassistant_->status_topic(), options_.qos);
}

void BridgeCore::set_ami_state(const std::string& state) {
    const bool connected = state == "connected";
    if (status_.ami_state == state && status_.ami_connected == connected) return;
    status_.ami_state = state;
    status_.ami_connected = connected;
    for_each_module("bridge status", [](modules::Module& m) { m.on_bridge_status(); });
}

void BridgeCore::ami_connecting() { set_ami_state("connecting"); }

void BridgeCore::ami_connected(ami::Clock::time_point now) {
    now_ = now;
    session_.connected(now);
    set_ami_state("authenticating");
}

void BridgeCore::ami_received(std::string_view bytes, ami::Clock::time_point now) {
    now_ = now;
    struct Batch {
        BridgeCore& core;
        explicit Batch(BridgeCore& c) : core(c) { core.batching_ = true; }
        ~Batch() { core.batching_ = false; }
    };
    {
        Batch batch(*this);
        session_.received(bytes, now);
    }
    model::ChangeSet pending = std::move(pending_);
    pending_ = model::ChangeSet();
    apply(pending);
}

void BridgeCore::ami_disconnected(const std::string& reason) {
    if (sync_) {
        sync_->cancel();
        sync_.reset();
        events_during_sync_.clear();
    }
    notify_resync_waiters(false, "AMI connection lost: " + reason);
    session_.disconnected();
    if (status_.ami_state != "disconnected") spdlog::warn("AMI disconnected: {}", reason);
    set_ami_state("disconnected");
}

void BridgeCore::tick(ami::Clock::time_point now) {
    now_ = now;
    session_.tick(now);
}

void BridgeCore::on_logged_in(std::string_view banner) {
    spdlog::info("AMI logged in ({})", banner);
    ++logins_;
    events_since_login_ = 0;
    start_snapshot();
}

void BridgeCore::start_snapshot() {
    if (sync_) sync_->cancel();
    events_during_sync_.clear();
    set_ami_state("synchronizing");
    sync_started_ = now_;
    sync_ = SnapshotSync::create(session_, options_.trunks, options_.wall_clock,
                                 [this](bool ok, const std::string& error) { snapshot_done(ok, error); });
    sync_->state().set_banner(session_.banner());
    auto sync = sync_;  // start() may finish synchronously
    sync->start(now_);
}

void BridgeCore::snapshot_done(bool ok, const std::string& error) {
    auto sync = std::move(sync_);
    if (!ok) {
        events_during_sync_.clear();
        notify_resync_waiters(false, error);
        spdlog::error("PBX snapshot incomplete ({}); reconnecting", error);
        if (on_close_ami && session_.logged_in()) on_close_ami("snapshot incomplete: " + error);
        return;
    }
    sync->state().keep_known_times(state_);
    state_ = std::move(sync->state());
    // Events that arrived while the snapshot was read: what they changed may or may not be in
    // the answers, so replay them on the fresh model (device and contact states are idempotent).
    auto buffered = std::move(events_during_sync_);
    events_during_sync_.clear();
    model::ChangeSet follow_up;
    for (const auto& e : buffered) state_.apply_event(e, options_.wall_clock(), follow_up);
    status_.asterisk_version = state_.asterisk_version();
    status_.ami_version = state_.ami_version();
    for_each_module("resync", [](modules::Module& m) { m.on_resync(); });
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now_ - sync_started_).count();
    spdlog::info("PBX snapshot: {} extensions, Asterisk {}, {} actions, {} events replayed, {} ms",
                 state_.extensions().extensions().size(), state_.asterisk_version().empty() ? "?" : state_.asterisk_version(),
                 sync->actions_sent(), buffered.size(), ms);
    set_ami_state("connected");
    notify_resync_waiters(true, {});
    maybe_sweep();
    for (const auto& exten : follow_up.refresh_endpoints) refresh_endpoint(exten);
    for (const auto& exten : follow_up.refresh_astdb) refresh_astdb(exten);
}

void BridgeCore::on_event(const ami::Message& event) {
    if (sync_) {
        if (events_during_sync_.size() < kMaxEventsDuringSync) events_during_sync_.push_back(event);
        // The old model still shows live changes until the fresh one replaces it.
    }
    const std::string_view name = event.event();
    if (ami::iequals(name, "Shutdown")) {
        spdlog::warn("Asterisk is shutting down (Shutdown: {}, Restart: {})", event.get("Shutdown"), event.get("Restart"));
        return;
    }
    ++events_in_;
    const bool first_event = events_since_login_++ == 0;
    if (ami::iequals(name, "FullyBooted")) {
        // Asterisk sends FullyBooted right after a login when it is up: that one is the first
        // event of the session. Any later one means we logged in while it was still booting
        // (fixture 14): what we read may be incomplete, so read everything again.
        if (!first_event) {
            spdlog::info("Asterisk finished booting; reading the PBX state again");
            start_snapshot();
        }
        return;
    }
    if (ami::iequals(name, "Reload") && !sync_ && status_.ami_state == "connected") {
        spdlog::info("Asterisk reloaded ({}); reading the PBX state again", event.get("Module", "All"));
        start_snapshot();
        return;
    }
    model::ChangeSet changes;
    state_.apply_event(event, options_.wall_clock(), changes);
    if (changes.empty() && dropped_event_names_.size() < 256 && dropped_event_names_.insert(std::string(name)).second)
        spdlog::debug("AMI event {} (Uniqueid '{}') changed nothing; dropped (logged once per event name)", name,
                      event.get("Uniqueid"));
    if (changes.empty()) ++events_unchanged_;  // nothing to publish: publishes happen only on change
    if (batching_ && !changes.empty()) {
        pending_.merge(std::move(changes));  // rendered once at the end of the read (see apply)
        return;
    }
    apply(changes);
}

void BridgeCore::apply(const model::ChangeSet& changes) {
    if (changes.empty()) return;
    if (batching_) {
        pending_.merge(changes);
        return;
    }
    for_each_module("changes", [&](modules::Module& m) { m.on_changes(changes); });
    if (!sync_)
        for (const auto& exten : changes.refresh_endpoints) refresh_endpoint(exten);
    if (!sync_)
        for (const auto& exten : changes.refresh_astdb) refresh_astdb(exten);
}

void BridgeCore::refresh_endpoint(const std::string& exten) {
    const auto* ext = [&]() -> const extensions::Extension* {
        auto it = state_.extensions().extensions().find(exten);
        return it == state_.extensions().extensions().end() ? nullptr : &it->second;
    }();
    if (!ext) return;
    ami::Action action(ext->tech == extensions::Tech::Pjsip ? "PJSIPShowEndpoint" : "SIPshowpeer");
    action.set(ext->tech == extensions::Tech::Pjsip ? "Endpoint" : "Peer", exten);
    session_.send(
        action,
        [this, exten](ami::ActionResult&& r) {
            if (!r.ok()) return;
            std::vector<ami::Message> details = std::move(r.events);
            if (details.empty()) details.push_back(std::move(r.response));
            apply(state_.extensions().refresh_endpoint(exten, details));
        },
        now_);
}

// A feature code ran on the extension's phone: read its DND/CF/CFB/CFU keys again, one DBGet each.
void BridgeCore::refresh_astdb(const std::string& exten) {
    for (const auto& family : extensions::ExtensionsState::astdb_families()) {
        ami::Action action("DBGet");
        action.set("Family", family);
        action.set("Key", exten);
        session_.send(
            action,
            [this, family, exten](ami::ActionResult&& r) { apply(state_.extensions().apply_db_get(family, exten, r)); },
            now_);
    }
}

void BridgeCore::mqtt_connected() {
    spdlog::info("MQTT connected; asserting {} retained topics", store_.asserted().size());
    store_.republish_all();
    swept_this_connection_ = false;
    maybe_sweep();
}

void BridgeCore::mqtt_publish_failed(const std::string& topic) { store_.reassert(topic); }

void BridgeCore::publish_log(std::string_view level, std::string_view message, std::string_view time) {
    if (!port_.connected()) return;
    nlohmann::ordered_json j;
    j["level"] = level;
    j["message"] = message;
    j["time"] = time;
    port_.publish(mqtt::OutgoingMessage{topics_.bridge_log(), j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                                        false, options_.qos, std::nullopt});
}

void BridgeCore::publish_stats(std::chrono::seconds uptime, const mqtt::ClientStats& m) {
    if (!port_.connected()) return;
    nlohmann::ordered_json j;
    j["uptime_s"] = uptime.count();
    j["mqtt"] = {{"messages_out", m.messages_out}, {"connections", m.connections},
                 {"queue_depth", m.queue_depth}, {"in_flight", m.in_flight}, {"coalesced", m.coalesced},
                 {"dropped", m.dropped}, {"publish_failures", m.publish_failures}};
    j["ami"] = {{"connected", status_.ami_connected}, {"events_in", events_in_},
                {"events_unchanged", events_unchanged_}, {"logins", logins_},
                {"pending_actions", session_.pending_actions()}};
    j["commands"] = {{"served", router_->served()}, {"failed", router_->failed()}, {"in_flight", router_->in_flight()}};
    j["retained_publishes"] = store_.publish_count();
    port_.publish(mqtt::OutgoingMessage{topics_.bridge_stats(), j.dump(), false, options_.qos, std::nullopt});
}

void BridgeCore::maybe_sweep() {
    if (swept_this_connection_ || !port_.connected() || sync_ || status_.ami_state != "connected") return;
    swept_this_connection_ = true;
    if (on_tree_complete) on_tree_complete();
}

std::size_t BridgeCore::clear_stale(const std::vector<std::string>& seen) {
    const auto stale = mqtt::stale_topics(topics_.base(), seen, store_.asserted(), options_.failover);
    const std::size_t n = store_.clear_stale(stale);
    if (n > 0) spdlog::info("cleared {} stale retained topic(s) left on the broker, e.g. {}", n, stale.front());
    return n;
}

void BridgeCore::mqtt_message(const mqtt::IncomingMessage& message, ami::Clock::time_point now) {
    if (now > now_) now_ = now;
    // Every MQTT byte is untrusted: whatever a request does inside the router, it must not end
    // the daemon (the router answers refusals itself; anything else is a bug, logged here).
    try {
        if (homeassistant_ && message.topic == homeassistant_->status_topic()) {
            homeassistant_->home_assistant_status(message.payload);
            return;
        }
        if (!router_->handle(message)) spdlog::debug("MQTT message on {} ignored", message.topic);
    } catch (const std::exception& e) {
        spdlog::error("MQTT message on {} failed: {}", message.topic, e.what());
    }
}

void BridgeCore::notify_resync_waiters(bool ok, const std::string& error) {
    auto waiters = std::move(resync_waiters_);
    resync_waiters_.clear();
    for (auto& w : waiters) w(ok, error);
}

nlohmann::ordered_json BridgeCore::health() const {
    nlohmann::ordered_json h;
    h["version"] = status_.version;
    h["started_at"] = status_.started_at;
    h["ami"] = {{"connected", status_.ami_connected}, {"state", status_.ami_state}, {"pending_actions", session_.pending_actions()}};
    h["asterisk"] = {{"version", status_.asterisk_version}, {"ami_version", status_.ami_version}};
    h["mqtt"] = {{"connected", port_.connected()}};
    h["model"] = {{"extensions", state_.extensions().extensions().size()},
                  {"channels", state_.calls().channels().size()},
                  {"queues", state_.queues().queues().size()},
                  {"conferences", state_.conferences().conferences().size()}};
    return h;
}

void BridgeCore::reconfigure_commands(const config::CommandsConfig& commands, const std::string& dial_prefix,
                                      std::chrono::milliseconds action_timeout) {
    const auto before = router_->subscriptions();
    options_.commands = commands;
    options_.dial_prefix = dial_prefix;
    options_.action_timeout = action_timeout;
    router_->reconfigure(commands, dial_prefix, action_timeout);
    if (!started_) return;
    const auto after = router_->subscriptions();
    for (const auto& filter : before)
        if (std::find(after.begin(), after.end(), filter) == after.end()) port_.unsubscribe(filter);
    for (const auto& filter : after)
        if (std::find(before.begin(), before.end(), filter) == before.end()) port_.subscribe(filter, options_.qos);
}

void BridgeCore::reconfigure_ami(const ami::SessionOptions& session, const std::string& host, int port) {
    options_.session = session;
    options_.ami_host = host;
    options_.ami_port = port;
    session_.set_options(session);
    if (status_.ami_host == host && status_.ami_port == port) return;
    status_.ami_host = host;
    status_.ami_port = port;
    for_each_module("bridge status", [](modules::Module& m) { m.on_bridge_status(); });
}

void BridgeCore::reconfigure_trunks(const std::set<std::string>& trunks) {
    options_.trunks = trunks;
    if (session_.logged_in()) {
        spdlog::info("trunks changed; reading the PBX state again");
        start_snapshot();
    }
}

void BridgeCore::shutdown(ami::Clock::time_point now) {
    session_.logoff(now);
    store_.set(topics_.bridge_state(), "offline");
}

}  // namespace core
