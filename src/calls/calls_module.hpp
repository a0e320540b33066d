#pragma once
// The calls topics (docs/topics.md).
#include "modules/module.hpp"

namespace calls {

class CallsModule final : public modules::Module {
public:
    std::string_view name() const override { return "calls"; }
};

}  // namespace calls
