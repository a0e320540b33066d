#pragma once
// The voicemail topics (docs/topics.md).
#include "modules/module.hpp"

namespace voicemail {

class VoicemailModule final : public modules::Module {
public:
    std::string_view name() const override { return "voicemail"; }
};

}  // namespace voicemail
