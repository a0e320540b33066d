#pragma once
// What one event (or one snapshot) changed in the PBX model, per capability: the modules
// republish exactly these entities. Ids are the entities' topic ids.
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace model {

// A non-retained happening for automations (call events, queue and parking events).
struct Happening {
    std::string topic_kind;  // "extension" (-> <base>/extensions/<id>/event) or "events" (-> <base>/events/<id>)
    std::string id;          // the extension, or the event type
    nlohmann::ordered_json payload;
    // The payload already written as JSON text (model::JsonWriter), for happenings frequent enough
    // that building a document costs (call events); when set, `payload` is unused.
    std::string text = {};
    // The payload as published.
    std::string json() const {
        return text.empty() ? payload.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) : text;
    }
};

struct ChangeSet {
    std::set<std::string> extensions;
    std::set<std::string> calls;        // by linkedid
    std::set<std::string> queues;
    std::set<std::string> parkings;     // by parking lot
    std::set<std::string> conferences;  // by room
    std::set<std::string> trunks;
    std::set<std::string> mailboxes;
    std::vector<Happening> happenings;
    bool pbx_info = false;              // Asterisk version and the like
    // Targeted follow-up queries (never a full re-query): endpoints whose details (user agent,
    // contacts) must be read again after a (re)registration.
    std::set<std::string> refresh_endpoints;
    // Extensions whose AstDB keys DND/CF/CFB/CFU must be read again (one DBGet each): a phone
    // ran a feature code, which may have deleted a key without saying which (DB_DELETE).
    std::set<std::string> refresh_astdb;

    bool empty() const noexcept {
        return extensions.empty() && calls.empty() && queues.empty() && parkings.empty() && conferences.empty() &&
               trunks.empty() && mailboxes.empty() && happenings.empty() && !pbx_info && refresh_endpoints.empty() &&
               refresh_astdb.empty();
    }
    void merge(const ChangeSet& o) {
        extensions.insert(o.extensions.begin(), o.extensions.end());
        calls.insert(o.calls.begin(), o.calls.end());
        queues.insert(o.queues.begin(), o.queues.end());
        parkings.insert(o.parkings.begin(), o.parkings.end());
        conferences.insert(o.conferences.begin(), o.conferences.end());
        trunks.insert(o.trunks.begin(), o.trunks.end());
        mailboxes.insert(o.mailboxes.begin(), o.mailboxes.end());
        happenings.insert(happenings.end(), o.happenings.begin(), o.happenings.end());
        refresh_endpoints.insert(o.refresh_endpoints.begin(), o.refresh_endpoints.end());
        refresh_astdb.insert(o.refresh_astdb.begin(), o.refresh_astdb.end());
        pbx_info = pbx_info || o.pbx_info;
    }
    // The same, taking o's elements over: set nodes are spliced, happenings (JSON) moved.
    void merge(ChangeSet&& o) {
        extensions.merge(o.extensions);
        calls.merge(o.calls);
        queues.merge(o.queues);
        parkings.merge(o.parkings);
        conferences.merge(o.conferences);
        trunks.merge(o.trunks);
        mailboxes.merge(o.mailboxes);
        if (happenings.empty()) happenings = std::move(o.happenings);
        else happenings.insert(happenings.end(), std::make_move_iterator(o.happenings.begin()),
                               std::make_move_iterator(o.happenings.end()));
        refresh_endpoints.merge(o.refresh_endpoints);
        refresh_astdb.merge(o.refresh_astdb);
        pbx_info = pbx_info || o.pbx_info;
    }
};

}  // namespace model
