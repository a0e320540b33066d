#include "mqtt/stale_topics.hpp"

#include <algorithm>

namespace mqtt {

std::vector<std::string> owned_filters(const std::string& base) {
    std::vector<std::string> filters;
    for (const auto collection : kOwnedCollections) filters.push_back(base + "/" + std::string(collection) + "/#");
    return filters;
}

namespace {
bool owned(const std::string& base, std::string_view topic, bool failover) {
    if (topic.size() <= base.size() + 1 || topic.compare(0, base.size(), base) != 0 || topic[base.size()] != '/')
        return false;
    const std::string_view rest = topic.substr(base.size() + 1);
    const auto slash = rest.find('/');
    const std::string_view collection = rest.substr(0, slash);
    if (std::find(std::begin(kOwnedCollections), std::end(kOwnedCollections), collection) == std::end(kOwnedCollections))
        return false;
    if (slash == std::string_view::npos) return false;  // "<base>/extensions" itself is never published
    const std::string_view last = rest.substr(rest.rfind('/') + 1);
    if (last == "set") return false;
    if (collection == "bridge" && rest.substr(slash + 1).rfind("request", 0) == 0) return false;
    // The failover election's topic: written by the instances' election, not by the model.
    if (failover && collection == "bridge" && rest.substr(slash + 1) == "leader") return false;
    return true;
}
}  // namespace

std::vector<std::string> stale_topics(const std::string& base, const std::vector<std::string>& seen,
                                      const std::map<std::string, std::string>& asserted, bool failover) {
    std::vector<std::string> stale;
    for (const auto& topic : seen) {
        if (!owned(base, topic, failover) || asserted.count(topic) > 0) continue;
        stale.push_back(topic);
    }
    std::sort(stale.begin(), stale.end());
    stale.erase(std::unique(stale.begin(), stale.end()), stale.end());
    return stale;
}

}  // namespace mqtt
