#pragma once
// The queues topics (docs/topics.md).
#include "modules/module.hpp"

namespace queues {

class QueuesModule final : public modules::Module {
public:
    std::string_view name() const override { return "queues"; }
};

}  // namespace queues
