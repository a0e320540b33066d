#include "process/cpu_affinity.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#if defined(__linux__)
#include <sched.h>
#endif

namespace process {

CpuChoice choose_cpu(const CpuSetting& setting, const std::vector<int>& allowed, int current) {
    CpuChoice choice;
    switch (setting.mode) {
        case CpuSetting::Mode::Any:
            return choice;
        case CpuSetting::Mode::Fixed:
            if (std::find(allowed.begin(), allowed.end(), setting.cpu) == allowed.end()) {
                choice.error = "[process] cpu = " + std::to_string(setting.cpu) + " is not among the CPUs this process may use (" +
                               (allowed.empty() ? std::string("none known") : cpu_list(allowed)) + ")";
                return choice;
            }
            choice.cpu = setting.cpu;
            return choice;
        case CpuSetting::Mode::One:
            if (allowed.empty()) return choice;  // nothing known: leave it to the scheduler
            // Where it runs now: bridges started side by side (a failover pair, one per PBX) land
            // where the scheduler put them instead of all on the first CPU.
            choice.cpu = std::find(allowed.begin(), allowed.end(), current) != allowed.end() ? current : allowed.front();
            return choice;
    }
    return choice;
}

std::string cpu_list(const std::vector<int>& cpus) {
    std::string out;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(cpus[i]);
        if (j > i) out += '-' + std::to_string(cpus[j]);
        i = j + 1;
    }
    return out;
}

PinResult pin_process(const CpuSetting& setting, bool apply) {
    PinResult result;
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (setting.mode == CpuSetting::Mode::Any) return result;
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        // EINVAL: a machine with more than kMaxCpu CPUs; the process is left as it is.
        result.error = std::string("cannot read this process's CPU affinity: ") + std::strerror(errno);
        return result;
    }
    static_assert(kMaxCpu == CPU_SETSIZE);
    for (int cpu = 0; cpu < kMaxCpu; ++cpu)
        if (CPU_ISSET(cpu, &set)) result.allowed.push_back(cpu);
    const CpuChoice choice = choose_cpu(setting, result.allowed, sched_getcpu());
    if (!choice.error.empty()) {
        result.error = choice.error;
        return result;
    }
    if (!choice.cpu) return result;
    if (!apply) {
        result.cpu = choice.cpu;
        return result;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(*choice.cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        result.error = "cannot confine the process to CPU " + std::to_string(*choice.cpu) + ": " + std::strerror(errno);
        return result;
    }
    result.cpu = choice.cpu;
#else
    (void)apply;
    if (setting.mode == CpuSetting::Mode::Fixed) result.error = "[process] cpu: CPU affinity is only supported on Linux";
#endif
    return result;
}

}  // namespace process
