#pragma once
// The conferences topics (docs/topics.md).
#include "modules/module.hpp"

namespace conferences {

class ConferencesModule final : public modules::Module {
public:
    std::string_view name() const override { return "conferences"; }
};

}  // namespace conferences
