#pragma once
// The trunks topics (docs/topics.md).
#include "modules/module.hpp"

namespace trunks {

class TrunksModule final : public modules::Module {
public:
    std::string_view name() const override { return "trunks"; }
};

}  // namespace trunks
