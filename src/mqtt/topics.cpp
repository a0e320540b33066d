#include "mqtt/topics.hpp"

namespace mqtt {

bool is_topic_level(std::string_view id) noexcept {
    if (id.empty() || id.size() > 256) return false;
    for (char c : id)
        if (c == '/' || c == '+' || c == '#' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return false;
    return true;
}

}  // namespace mqtt
