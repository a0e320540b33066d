#pragma once
// <base>/voicemail/<mailbox>: message counts of each voicemail box (docs/topics.md). The
// happening of a new message (<base>/events/voicemail) is published by the events module.
#include <set>
#include <string>

#include "modules/module.hpp"
#include "voicemail/voicemail_state.hpp"

namespace voicemail {

class VoicemailModule final : public modules::Module {
public:
    std::string_view name() const override { return "voicemail"; }
    void start(modules::Context& context) override;
    void on_changes(const model::ChangeSet& changes) override;
    void on_resync() override;

    static std::string render(const Mailbox& mailbox);
    // <base>/voicemail/<id>, the id made a valid topic level ('/', '+', '#' -> '_'); nullopt
    // when it still cannot be one (empty, control characters, too long).
    static std::optional<std::string> topic(const mqtt::Topics& topics, std::string_view id);

private:
    void publish(const std::string& id);
    std::set<std::string> skipped_;  // ids that cannot be a topic level (logged once)
};

}  // namespace voicemail
