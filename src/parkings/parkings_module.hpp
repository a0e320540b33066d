#pragma once
// The parkings topics (docs/topics.md).
#include "modules/module.hpp"

namespace parkings {

class ParkingsModule final : public modules::Module {
public:
    std::string_view name() const override { return "parkings"; }
};

}  // namespace parkings
