#pragma once
// Which CPU the bridge runs on ([process] cpu, docs/benchmarks.md "One CPU").
//
// The bridge's own work is one thread (one io_context); Paho adds a send and a receive thread.
// Debian 12's Paho C is built with its call tracing and heap tracking on: every function entry
// and exit, and every malloc and free, takes one of two process-wide mutexes. Spread over two
// cores the three threads contend on them all the time (futex sleeps and wake-ups were over half
// of the bridge's CPU in a 10,000-extension startup). On one CPU they take turns and the mutexes
// are almost never contended: about 40 % less CPU under load (docs/benchmarks.md "One CPU").
//
// choose_cpu() is the decision (pure, unit-tested); pin_process() applies it to the calling
// thread. Call it before any other thread exists: threads created later inherit the mask.
#include <optional>
#include <string>
#include <vector>

namespace process {

// The largest CPU number + 1 a setting may name (glibc's CPU_SETSIZE).
inline constexpr int kMaxCpu = 1024;

// [process] cpu: "one" (the default: the CPU the bridge starts on), "any" (the scheduler decides,
// every allowed CPU), or a CPU number.
struct CpuSetting {
    enum class Mode { One, Any, Fixed };
    Mode mode = Mode::One;
    int cpu = -1;  // Fixed only

    bool operator==(const CpuSetting&) const = default;
};

struct CpuChoice {
    std::optional<int> cpu;  // the CPU to confine the process to; nullopt: leave it as it is
    std::string error;       // non-empty: the setting cannot be honoured (a fixed CPU not allowed)
};

// allowed: the CPUs this process may run on (its affinity mask, ascending); current: the CPU it
// is running on now (-1 when unknown).
CpuChoice choose_cpu(const CpuSetting& setting, const std::vector<int>& allowed, int current);

// "0-3,6" style, as /proc/<pid>/status Cpus_allowed_list and taskset print it.
std::string cpu_list(const std::vector<int>& cpus);

struct PinResult {
    std::optional<int> cpu;       // the CPU the process is confined to now; nullopt: not pinned
    std::vector<int> allowed;     // the CPUs it was allowed before
    std::string error;            // non-empty: nothing was changed, this is why
};

// Applies choose_cpu() to the calling thread (Linux: sched_getaffinity / sched_setaffinity).
// apply = false: only says what it would do (--check-config).
PinResult pin_process(const CpuSetting& setting, bool apply = true);

}  // namespace process
