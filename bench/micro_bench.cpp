// Micro-benchmarks of the pure core on the recorded transcripts (Google Benchmark):
//   parser   the AMI framing parser on every transcript's server bytes, fed in 4 KiB reads: MB/s
//   model    PbxState::apply_event on a model read from the Asterisk 20 snapshot, replaying the
//            recorded calls, queue, parking, conference... events in a loop: events/s
//   core     the whole pure pipeline (parser, session, model, modules, retained store) on the
//            same events as raw AMI bytes, publishing into a counting port: events/s
//   storm    the same pipeline at bench/run.sh's scale: the simulator (tools/ami-sim, in
//            process) with 10,000 extensions and 2,000 answered calls, read by the core, then a
//            prepared storm of run.sh's mix fed in 64 KiB reads: events/s and CPU per event of
//            the bridge's io thread without the MQTT client
// Build: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DPBX2MQTT_BENCH=ON -DPBX2MQTT_TESTS=OFF
//        cmake --build build-rel --target micro_bench && build-rel/bench/micro_bench
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>

#include <string>
#include <vector>

#include "ami-sim/actions.hpp"
#include "ami-sim/canned.hpp"
#include "ami-sim/recording.hpp"
#include "ami-sim/flavor.hpp"
#include "ami-sim/seed.hpp"
#include "ami-sim/session.hpp"
#include "ami-sim/simulator.hpp"
#include "ami-sim/storm.hpp"
#include "ami/parser.hpp"
#include "core/bridge_core.hpp"
#include "mqtt/outbound_queue.hpp"
#include "core_rig.hpp"
#include "transcript.hpp"

namespace {

// Every connection's server bytes, each starting with its banner.
const std::vector<std::string>& server_streams() {
    static const std::vector<std::string> streams = [] {
        std::vector<std::string> out;
        for (const auto& path : testsupport::all_transcripts())
            for (const auto& c : testsupport::read_transcript(path).connections) out.push_back(c.received());
        return out;
    }();
    return streams;
}

void BM_Parser(benchmark::State& state) {
    std::size_t bytes = 0, messages = 0;
    std::vector<ami::ParsedItem> items;
    for (auto _ : state) {
        for (const auto& stream : server_streams()) {
            ami::Parser parser(true);
            for (std::size_t at = 0; at < stream.size(); at += 4096) {
                items.clear();
                parser.feed(std::string_view(stream).substr(at, 4096), items);
                messages += items.size();
            }
            bytes += stream.size();
        }
    }
    benchmark::DoNotOptimize(messages);
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.SetItemsProcessed(static_cast<std::int64_t>(messages));
}
BENCHMARK(BM_Parser)->Unit(benchmark::kMillisecond);

// The live events of every Asterisk 20 transcript but the snapshot, in order.
const std::vector<ami::Message>& asterisk20_events() {
    static const std::vector<ami::Message> events = [] {
        std::vector<ami::Message> out;
        for (const auto& path : testsupport::all_transcripts()) {
            if (path.find("/asterisk20-chansip/") == std::string::npos || path.find("01-snapshot") != std::string::npos) continue;
            for (auto& e : testsupport::transcript_events(path)) {
                // Not the PBX restarting or booting: those start a resync, which is not this bench's.
                const std::string name(e.get("Event"));
                if (name == "Shutdown" || name == "FullyBooted" || name == "Reload") continue;
                out.push_back(std::move(e));
            }
        }
        return out;
    }();
    return events;
}

core::CoreOptions options() {
    core::CoreOptions o;
    o.session.username = "bridge";
    o.session.secret = "bridgepass";
    o.trunks = {"trunk1"};
    return o;
}

void BM_Model(benchmark::State& state) {
    testsupport::CoreRig rig(options(), "asterisk20-chansip/01-snapshot-actions.txt");
    model::PbxState model = rig.core->state();
    const auto& events = asterisk20_events();
    const auto now = std::chrono::system_clock::now();
    std::size_t n = 0;
    for (auto _ : state) {
        for (const auto& e : events) {
            model::ChangeSet changes;
            model.apply_event(e, now, changes);
            benchmark::DoNotOptimize(changes);
        }
        n += events.size();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_Model)->Unit(benchmark::kMillisecond);

void BM_Core(benchmark::State& state) {
    testsupport::CoreRig rig(options(), "asterisk20-chansip/01-snapshot-actions.txt");
    std::string bytes;
    for (const auto& e : asterisk20_events()) bytes += e.serialize();
    const std::size_t events = asterisk20_events().size();
    std::size_t n = 0;
    for (auto _ : state) {
        for (std::size_t at = 0; at < bytes.size(); at += 4096) rig.core->ami_received(std::string_view(bytes).substr(at, 4096), rig.now);
        rig.core->take_ami_output();  // follow-up queries stay unanswered: the model as it is
        rig.port.published.clear();   // what a broker would have received
        n += events;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes.size() * static_cast<std::size_t>(state.iterations())));
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_Core)->Unit(benchmark::kMillisecond);

// --- the core at bench/run.sh's scale -----------------------------------------------------------

// What a broker would count: the messages, not kept. With a backlog (`per_read` > 0) it queues
// like the MQTT client (retained values by reference, coalesced) and sends `per_read` of them after
// each read, as the bridge does in a storm (one publish window per 256 KB read of AMI); `defer`
// says whether it reports the values waiting, so that the store builds them as they leave.
class CountingPort : public mqtt::Port {
public:
    void publish(mqtt::OutgoingMessage m) override {
        if (per_read > 0) {
            queue.push(std::move(m));
            return;
        }
        ++messages;
        bytes += m.payload.size();
    }
    void subscribe(const std::string&, int) override {}
    bool connected() const override { return true; }
    bool takes_references() const override { return per_read > 0; }
    bool waiting(const std::string& topic) const override { return defer && queue.waiting_by_reference(topic); }
    // Sends up to `n` waiting messages (all: SIZE_MAX).
    void send(core::BridgeCore& core, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            auto m = queue.pop();
            if (!m) return;
            if (m->by_reference) {
                const std::string* current = core.retained_payload(m->topic);
                if (current == nullptr) continue;
                bytes += current->size();
            } else {
                bytes += m->payload.size();
            }
            ++messages;
        }
    }
    std::size_t messages = 0, bytes = 0;
    std::size_t per_read = 0;
    bool defer = false;
    mqtt::OutboundQueue queue;
};

// The simulator and the core wired back to back, no sockets: what the core writes is parsed and
// answered by the simulator's AMI session, whose answers the core reads.
class ScaleRig {
public:
    ScaleRig(int extensions, int calls, std::size_t per_read = 0, bool defer = false)
        : sim_(make_sim(extensions)),
          handler_(sim_, canned(), amisim::ActionCatalog(kFlavor, {})),
          session_(sim_, handler_, users_) {
        const auto started = sim_.start_answered_calls(calls, kNow);
        if (!started.ok()) throw std::runtime_error("calls: " + started.error);
        core::CoreOptions o;
        o.session.username = "bridge";
        o.session.secret = "bridgepass";
        o.wall_clock = [] { return model::Timestamp(std::chrono::seconds(static_cast<long>(kNow))); };
        port_.per_read = per_read;
        port_.defer = defer;
        core_ = std::make_unique<core::BridgeCore>(std::move(o), port_);
        core_->start();
        core_->ami_connected(now_);
        core_->ami_received(session_.greeting() + "\r\n", now_);
        answer();
        if (!core_->session().logged_in() || core_->synchronizing()) throw std::runtime_error("the core did not read the simulated PBX");
    }

    // Feeds AMI bytes in reads of `chunk` and answers what the core asks meanwhile; returns the
    // CPU seconds spent in the core (the simulator's answers are not counted). Not inlined, so
    // that a profiler can count this part alone (valgrind --toggle-collect='*ScaleRig::feed*').
    [[gnu::noinline]] double feed(const std::string& bytes, std::size_t chunk) {
        double seconds = 0;
        for (std::size_t at = 0; at < bytes.size(); at += chunk) {
            const auto t0 = cpu_now();
            core_->ami_received(std::string_view(bytes).substr(at, chunk), now_);
            port_.send(*core_, port_.per_read);
            seconds += cpu_now() - t0;
            seconds += answer();
        }
        const auto t0 = cpu_now();
        port_.send(*core_, SIZE_MAX);  // the drain after the storm
        return seconds + cpu_now() - t0;
    }
    // The snapshot's messages leave before the storm (not timed).
    void settle() { port_.send(*core_, SIZE_MAX); }

    amisim::Simulator& sim() { return sim_; }
    const CountingPort& port() const { return port_; }
    const core::BridgeCore& core() const { return *core_; }

private:
    static constexpr amisim::Flavor kFlavor = amisim::Flavor::Asterisk20ChanSip;
    static constexpr double kNow = 1795801200;

    static amisim::Simulator make_sim(int extensions) {
        amisim::SimState state = amisim::default_state(kFlavor);
        amisim::generate_extensions(state, kFlavor, extensions);
        return amisim::Simulator(kFlavor, std::move(state), 1, kNow);
    }
    static amisim::CannedAnswers canned() {
        amisim::CannedAnswers c;
        c.add(amisim::parse_recording(amisim::embedded_snapshot(kFlavor)));
        return c;
    }
    static double cpu_now() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }

    // Answers the core's actions until it asks nothing more; returns the core's CPU seconds.
    double answer() {
        double seconds = 0;
        for (int round = 0; round < 1000; ++round) {
            const std::string out = core_->take_ami_output();
            if (out.empty()) return seconds;
            std::string replies;
            for (auto& item : parser_.feed(out)) {
                const auto* action = std::get_if<ami::Message>(&item);
                if (!action) throw std::runtime_error("the core wrote malformed AMI");
                auto step = session_.on_message(*action, kNow);
                replies += step.reply;
                for (const auto& e : step.broadcast) amisim::append_wire(replies, e);
            }
            const auto t0 = cpu_now();
            core_->ami_received(replies, now_);
            seconds += cpu_now() - t0;
        }
        throw std::runtime_error("the core kept asking");
    }

    std::vector<amisim::User> users_{{"bridge", "bridgepass", false}};
    amisim::Simulator sim_;
    amisim::ActionHandler handler_;
    amisim::AmiSession session_;
    ami::Parser parser_{false};
    CountingPort port_;
    std::unique_ptr<core::BridgeCore> core_;
    ami::Clock::time_point now_ = ami::Clock::time_point(std::chrono::seconds(1000));
};

// One storm through a fresh rig per iteration (a storm changes the PBX for good; its making is
// not timed), in reads of `chunk` bytes, into a port sending `per_read` messages after each read
// (0: no queue, every message counted at once; see CountingPort).
void run_storm(benchmark::State& state, std::size_t chunk, std::size_t per_read, bool defer) {
    const int extensions = static_cast<int>(state.range(0));
    const int calls = static_cast<int>(state.range(1));
    const std::uint64_t events = static_cast<std::uint64_t>(state.range(2));
    std::uint64_t n = 0, messages = 0, bytes = 0, builds = 0;
    double seconds = 0;
    for (auto _ : state) {
        ScaleRig rig(extensions, calls, per_read, defer);
        rig.settle();
        amisim::StormOptions options;
        options.events = events;
        const auto storm = amisim::prepare_storm(rig.sim(), options, 1795801200);
        const std::size_t before = rig.port().messages;
        const std::uint64_t builds_before = rig.core().store().deferred_builds();
        const double spent = rig.feed(storm.bytes, chunk);
        state.SetIterationTime(spent);
        seconds += spent;
        n += storm.events;
        bytes += storm.bytes.size();
        messages += rig.port().messages - before;
        builds += rig.core().store().deferred_builds() - builds_before;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    if (n == 0) {
        state.SkipWithError("the storm made no events");
        return;
    }
    state.counters["messages_per_event"] = static_cast<double>(messages) / static_cast<double>(n);
    if (per_read > 0) state.counters["deferred_builds"] = static_cast<double>(builds);
    state.counters["us_per_event"] = seconds * 1e6 / static_cast<double>(n);
}

void BM_CoreStorm(benchmark::State& state) { run_storm(state, 64 * 1024, 0, false); }

// The same storm in reads of 256 KB, a broker taking 20 messages after each (the bridge's publish
// window in a storm), the rest after the storm: the last argument 0 builds every changed value as
// the read that changed it ends; 1 defers what waits until it leaves (RetainedStore::defer).
void BM_CoreStormBacklog(benchmark::State& state) { run_storm(state, 256 * 1024, 20, state.range(3) != 0); }
BENCHMARK(BM_CoreStormBacklog)->Args({2000, 400, 40000, 0})->Args({2000, 400, 40000, 1})->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CoreStormBacklog)->Args({10000, 2000, 200000, 0})->Args({10000, 2000, 200000, 1})->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

// The small one is for instruction counts under callgrind (docs/benchmarks.md).
BENCHMARK(BM_CoreStorm)->Args({2000, 400, 40000})->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CoreStorm)->Args({10000, 2000, 200000})->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_level(spdlog::level::off);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    std::printf("%zu server streams, %zu Asterisk 20 events replayed per iteration\n", server_streams().size(),
                asterisk20_events().size());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
