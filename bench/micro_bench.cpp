// Micro-benchmarks of the pure core on the recorded transcripts (Google Benchmark):
//   parser   the AMI framing parser on every transcript's server bytes, fed in 4 KiB reads: MB/s
//   model    PbxState::apply_event on a model read from the Asterisk 20 snapshot, replaying the
//            recorded calls, queue, parking, conference... events in a loop: events/s
//   core     the whole pure pipeline (parser, session, model, modules, retained store) on the
//            same events as raw AMI bytes, publishing into a counting port: events/s
// Build: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DPBX2MQTT_BENCH=ON -DPBX2MQTT_TESTS=OFF
//        cmake --build build-rel --target micro_bench && build-rel/bench/micro_bench
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include <string>
#include <vector>

#include "ami/parser.hpp"
#include "core/bridge_core.hpp"
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
