#include "mqtt/log_mirror.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace mqtt {

namespace {

class MirrorSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    MirrorSink(boost::asio::io_context& io, LogPublisher publish) : io_(io), publish_(std::make_shared<LogPublisher>(std::move(publish))) {
        set_level(spdlog::level::warn);
    }
    // The io_context may run handlers already posted after the mirror is gone: they see nothing.
    void detach() {
        std::lock_guard lock(mutex_);
        publish_.reset();
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (!publish_) return;
        const auto second = std::chrono::duration_cast<std::chrono::seconds>(msg.time.time_since_epoch()).count();
        if (second != window_) {
            window_ = second;
            in_window_ = 0;
        }
        if (++in_window_ > LogMirror::kPerSecond) return;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count() % 1000;
        char time[64];
        const std::time_t t = static_cast<std::time_t>(second);
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
        std::string level(spdlog::level::to_string_view(msg.level).data(), spdlog::level::to_string_view(msg.level).size());
        std::string text(msg.payload.data(), msg.payload.size());
        std::weak_ptr<LogPublisher> publish = publish_;
        boost::asio::post(io_, [publish, level = std::move(level), text = std::move(text), stamp = std::string(time)] {
            if (auto p = publish.lock()) (*p)(level, text, stamp);
        });
    }
    void flush_() override {}

private:
    boost::asio::io_context& io_;
    std::shared_ptr<LogPublisher> publish_;
    long long window_ = 0;
    int in_window_ = 0;
};

}  // namespace

LogMirror::LogMirror(boost::asio::io_context& io, LogPublisher publish) {
    auto sink = std::make_shared<MirrorSink>(io, std::move(publish));
    sink_ = sink;
    spdlog::default_logger()->sinks().push_back(sink_);
}

LogMirror::~LogMirror() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    std::static_pointer_cast<MirrorSink>(sink_)->detach();
}

}  // namespace mqtt
