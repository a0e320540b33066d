// process::choose_cpu and cpu_list: where [process] cpu puts the bridge.
#include <gtest/gtest.h>

#include "process/cpu_affinity.hpp"

namespace cpu_affinity_test {  // named: the unity build compiles several test files as one

using process::CpuSetting;
using Mode = process::CpuSetting::Mode;

TEST(CpuAffinity, OneStaysOnTheCpuItStartedOn) {
    EXPECT_EQ(process::choose_cpu({Mode::One, -1}, {0, 1, 2, 3}, 2).cpu, 2);
    EXPECT_EQ(process::choose_cpu({Mode::One, -1}, {0, 1}, 0).cpu, 0);
    EXPECT_TRUE(process::choose_cpu({Mode::One, -1}, {0, 1}, 1).error.empty());
}

TEST(CpuAffinity, OneTakesTheFirstAllowedCpuWhenTheCurrentOneIsUnknownOrNotAllowed) {
    EXPECT_EQ(process::choose_cpu({Mode::One, -1}, {4, 5}, -1).cpu, 4);
    EXPECT_EQ(process::choose_cpu({Mode::One, -1}, {4, 5}, 0).cpu, 4);
}

TEST(CpuAffinity, OneWithNothingKnownLeavesTheProcessAlone) {
    const auto choice = process::choose_cpu({Mode::One, -1}, {}, 0);
    EXPECT_FALSE(choice.cpu);
    EXPECT_TRUE(choice.error.empty());
}

TEST(CpuAffinity, AnyNeverPins) {
    const auto choice = process::choose_cpu({Mode::Any, -1}, {0, 1}, 1);
    EXPECT_FALSE(choice.cpu);
    EXPECT_TRUE(choice.error.empty());
}

TEST(CpuAffinity, AFixedCpuMustBeAllowed) {
    EXPECT_EQ(process::choose_cpu({Mode::Fixed, 1}, {0, 1}, 0).cpu, 1);
    const auto refused = process::choose_cpu({Mode::Fixed, 7}, {0, 1, 2, 3, 6}, 0);
    EXPECT_FALSE(refused.cpu);
    EXPECT_EQ(refused.error, "[process] cpu = 7 is not among the CPUs this process may use (0-3,6)");
    EXPECT_EQ(process::choose_cpu({Mode::Fixed, 0}, {}, 0).error,
              "[process] cpu = 0 is not among the CPUs this process may use (none known)");
}

TEST(CpuAffinity, CpuListIsWrittenAsTasksetAndProcPrintIt) {
    EXPECT_EQ(process::cpu_list({}), "");
    EXPECT_EQ(process::cpu_list({0}), "0");
    EXPECT_EQ(process::cpu_list({0, 1}), "0-1");
    EXPECT_EQ(process::cpu_list({1, 3}), "1,3");
    EXPECT_EQ(process::cpu_list({0, 1, 2, 3, 6, 8, 9}), "0-3,6,8-9");
}

}  // namespace cpu_affinity_test
