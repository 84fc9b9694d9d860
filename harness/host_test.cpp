#include "harness/host.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "ipc/placement.hpp"

namespace ptbench::harness {
namespace {

std::map<std::string, std::string> as_map(const KeyValues& kv) {
  return {kv.begin(), kv.end()};
}

TEST(Host, ReadsEveryFieldFromAFakeRoot) {
  auto m = as_map(collect_host("testdata/fakehost"));
  EXPECT_EQ(m["hostname"], "testhost");
  EXPECT_EQ(m["kernel"], "6.1.0-test");
  EXPECT_EQ(m["cpu_model"], "Test CPU 9000 @ 3.00GHz");
  EXPECT_EQ(m["cpus_online"], "0-1");
  EXPECT_EQ(m["virtualization"], "virtual machine (QEMU Standard PC)");
  EXPECT_EQ(m["mitigations"], "meltdown: Not affected; spectre_v2: Mitigation: Retpolines");
  EXPECT_EQ(m["thp"], "never");
  EXPECT_EQ(m["governor"], "performance");
  EXPECT_EQ(m["mem_total"], "2048000 kB");
  EXPECT_EQ(read_load("testdata/fakehost"), "0.50 0.25 0.10");
  // What the claims and the noise warnings read, each with where it came from.
  EXPECT_EQ(m["cpu_pcid"], "no");
  EXPECT_EQ(m["pti"], "no");
  EXPECT_EQ(m["sched_base_slice_ns"], "3000000");
  EXPECT_EQ(m["sched_base_slice_source"], "/sys/kernel/debug/sched/base_slice_ns");
  EXPECT_EQ(m["config_hz"], "unknown");
  EXPECT_EQ(m["cpu_quota"], "0.50 CPUs (50000 us per 100000 us)");  // cgroup v2 cpu.max
  EXPECT_EQ(m["cgroup_cpuset"], "0");
  // Toolchain facts come from the build, not the root.
  EXPECT_FALSE(m["compiler"].empty());
  EXPECT_FALSE(m["build_type"].empty());
}

TEST(Host, MissingFilesGiveUnknownNotAGuess) {
  auto m = as_map(collect_host("testdata/no-such-root"));
  for (const char* key :
       {"hostname", "kernel", "cpu_model", "cpus_online", "cpus_allowed", "virtualization",
        "mitigations", "thp", "governor", "mem_total", "cpu_pcid", "pti", "sched_base_slice_ns",
        "config_hz", "cpu_quota", "cgroup_cpuset"}) {
    EXPECT_EQ(m[key], "unknown") << key;
  }
  EXPECT_EQ(read_load("testdata/no-such-root"), "unknown");
}

TEST(Host, BracketedChoice) {
  EXPECT_EQ(bracketed_choice("always [madvise] never\n"), "madvise");
  EXPECT_EQ(bracketed_choice("no brackets"), "unknown");
}

TEST(Host, TheRealHostHasAKernelAndAllowedCpus) {
  auto m = as_map(collect_host());
  EXPECT_NE(m["kernel"], "unknown");
  EXPECT_NE(m["cpus_allowed"], "unknown");
  EXPECT_FALSE(m["cpus_allowed"].empty());
  // Where each pinned placement runs, and what the first and the last allowed CPU share.
  for (ipc::Level l : ipc::all_levels()) {  // every level: its CPUs, or "none"
    EXPECT_NE(m["placement_cpus"].find(std::string(ipc::to_string(l)) + "="), std::string::npos)
        << m["placement_cpus"];
  }
  EXPECT_FALSE(m["cross_cpu_level"].empty());
  // Each level with no CPUs is listed with its reason.
  for (ipc::Level l : ipc::all_levels()) {
    const std::string name(ipc::to_string(l));
    const bool none = m["placement_cpus"].find(name + "=none") != std::string::npos;
    EXPECT_EQ(none, m["placements_skipped"].find(name + ": ") != std::string::npos) << name;
    // A level with CPUs has groups too (the patterns' tasks), starting where its pair starts.
    EXPECT_EQ(none, m["placement_groups"].find(name + "=chain ") == std::string::npos) << name;
  }
}

TEST(Host, CsvHasAHeaderAndQuotesValues) {
  std::ostringstream out;
  write_host_csv(out, {{"cpu_model", "X, Y"}, {"thp", "never"}});
  EXPECT_EQ(out.str(), "key,value\ncpu_model,\"X, Y\"\nthp,never\n");
}

}  // namespace
}  // namespace ptbench::harness
