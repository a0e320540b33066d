#include "calls/calls_module.hpp"

#include "calls/calls_view.hpp"

namespace calls {

void CallsModule::start(modules::Context& context) {
    Module::start(context);
    on_resync();
}

void CallsModule::publish(const std::string& linkedid) {
    const std::string topic = context_->topics.call(linkedid);
    if (!mqtt::is_topic_level(linkedid)) return;
    auto text = render_call(context_->state.calls(), linkedid, context_->state.extensions().trunks(), context_->wall_clock());
    if (!text) context_->store.clear(topic);
    else context_->store.set(topic, std::move(*text));
}

void CallsModule::on_changes(const model::ChangeSet& changes) {
    if (!context_) return;
    for (const auto& id : changes.calls) publish(id);
}

void CallsModule::on_resync() {
    if (!context_) return;
    std::map<std::string, std::string> wanted;
    const auto& state = context_->state;
    for (const auto& id : state.calls().linkedids()) {
        if (!mqtt::is_topic_level(id)) continue;
        wanted[context_->topics.call(id)] =
            render_call(state.calls(), id, state.extensions().trunks(), context_->wall_clock()).value_or("null");
    }
    context_->store.replace_subtree(context_->topics.call(""), std::move(wanted));
}

}  // namespace calls
