#include "ami-sim/canned.hpp"

#include <algorithm>
#include <iterator>

namespace amisim {

namespace {

bool same_headers(const std::vector<ami::Header>& a, const std::vector<ami::Header>& b) {
    if (a.size() != b.size()) return false;
    std::vector<bool> used(b.size(), false);
    for (const auto& h : a) {
        bool found = false;
        for (std::size_t i = 0; i < b.size() && !found; ++i)
            if (!used[i] && ami::iequals(h.name, b[i].name) && h.value == b[i].value) used[i] = found = true;
        if (!found) return false;
    }
    return true;
}

}  // namespace

std::string replace_action_id(std::string_view wire, std::string_view from, std::string_view to) {
    std::string out;
    const std::string old_line = "ActionID: " + std::string(from);
    std::size_t pos = 0;
    bool first = true;
    while (pos < wire.size()) {
        std::size_t end = wire.find("\r\n", pos);
        std::size_t next = end == std::string_view::npos ? wire.size() : end + 2;
        std::string_view line = wire.substr(pos, (end == std::string_view::npos ? wire.size() : end) - pos);
        if (!from.empty() && line == old_line) {
            if (!to.empty()) out += "ActionID: " + std::string(to) + "\r\n";
        } else {
            out += wire.substr(pos, next - pos);
            if (from.empty() && !to.empty() && first && line.rfind("Response:", 0) == 0)
                out += "ActionID: " + std::string(to) + "\r\n";
        }
        first = false;
        pos = next;
    }
    return out;
}

void CannedAnswers::add(const std::vector<RecordedMessage>& recording) {
    std::vector<Entry> added;
    for (const Exchange& e : exchanges(recording)) {
        const ami::Message& req = e.request->message;
        if (!req.has("Action") || e.replies.empty()) continue;
        Entry entry;
        entry.action = std::string(req.get("Action"));
        entry.request = headers_without(req, {"Action", "ActionID"});
        entry.action_id = std::string(req.action_id());
        for (const auto* r : e.replies) entry.replies.push_back(r->wire);
        added.push_back(std::move(entry));
    }
    // Prefer answers recorded with an ActionID: their ActionID lines can be swapped reliably.
    std::stable_sort(added.begin(), added.end(),
                     [](const Entry& a, const Entry& b) { return !a.action_id.empty() && b.action_id.empty(); });
    entries_.insert(entries_.end(), std::make_move_iterator(added.begin()), std::make_move_iterator(added.end()));
}

std::string CannedAnswers::render(const Entry& entry, std::string_view action_id) const {
    std::string out;
    for (const auto& wire : entry.replies) out += replace_action_id(wire, entry.action_id, action_id);
    return out;
}

std::optional<std::string> CannedAnswers::find(const ami::Message& action, std::string_view action_id,
                                               bool any_headers) const {
    const std::string_view name = action.get("Action");
    const auto request = headers_without(action, {"Action", "ActionID"});
    for (const auto& entry : entries_)
        if (ami::iequals(entry.action, name) && same_headers(entry.request, request)) return render(entry, action_id);
    if (!any_headers) return std::nullopt;
    for (const auto& entry : entries_)
        if (ami::iequals(entry.action, name)) return render(entry, action_id);
    return std::nullopt;
}

}  // namespace amisim
