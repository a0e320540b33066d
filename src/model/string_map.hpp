#pragma once
// A hash map keyed by std::string that is searched with a std::string_view (no key built for a
// lookup). For the model's hot indexes, whose keys share long prefixes ("SIP/1000...",
// "1795801200.1..."), where an ordered map spent its time in string comparisons.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace model {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

template <typename T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

}  // namespace model
