#include "harness/verify.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "harness/csv.hpp"

namespace ptbench::harness {
namespace {

// Fifteen repetitions (what verify runs) around `center` (±1% in a pattern of its own, so that
// the ratios of two benchmarks differ from round to round) for a benchmark and metric.
void add(std::vector<Sample>& out, const std::string& benchmark, double center,
         const std::string& metric = "real_time", int reps = 15) {
  const auto grid = *parse_grid_name(benchmark);
  const auto phase = static_cast<int>(std::hash<std::string>{}(benchmark + metric) % 15);
  for (int r = 0; r < reps; ++r) {
    Sample s;
    s.benchmark = grid.benchmark;
    s.metric = metric;
    s.repetition = r;
    s.value = center * (1 + 0.01 * ((r * 7 + phase) % 15 - 7) / 7.0);
    s.direction = metric == "bytes_per_second" ? "higher_is_better" : "lower_is_better";
    out.push_back(s);
  }
}

struct Host {
  double thread_create = 50e3;
  double pipe_64_rate = 0.2e9;  // the pipe streams 64 B messages at this rate; the ring at 1e9
};

// What the notes expect, plus what a modern Linux host shows: the endpoint does not matter
// over one mechanism, the switch does not empty the cache, speed-up stops at the CPUs.
std::vector<Sample> textbook_host(Host h = {}) {
  std::vector<Sample> s;
  add(s, "BM_Create/pthread/thread/same-cpu/0/rss_mib=0", h.thread_create);
  add(s, "BM_Create/fork/process/same-cpu/0/rss_mib=0", 1e6);
  add(s, "BM_Create/pthread/thread/same-cpu/0/rss_mib=256", h.thread_create * 1.01);
  add(s, "BM_Create/fork/process/same-cpu/0/rss_mib=256", 5e6);
  add(s, "BM_Switch/pipe/thread/same-cpu/0/tasks=2/ws_kib=0", 8e3);
  add(s, "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=0", 17e3);
  add(s, "BM_Switch/pipe/thread/same-cpu/0/tasks=2/ws_kib=0", 0.5e3, "net_switch_ns");
  add(s, "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=0", 3.5e3, "net_switch_ns");
  add(s, "BM_Switch/pipe/thread/cross-cpu/0/tasks=2/ws_kib=0", 30e3);
  add(s, "BM_Switch/pipe/process/cross-cpu/0/tasks=2/ws_kib=0", 30.5e3);
  add(s, "BM_Floor/heap_handoff/thread/cross-cpu/64", 1.5e3);
  add(s, "BM_IpcLatency/pipe/process/cross-cpu/64", 25e3);
  add(s, "BM_IpcLatency/pipe/thread/cross-cpu/64", 24.5e3);
  add(s, "BM_IpcLatency/shm_ring/process/cross-cpu/64/policy=spin", 700);
  add(s, "BM_IpcLatency/shm_ring/thread/cross-cpu/64/policy=spin", 680);
  add(s, "BM_IpcThroughput/pipe/process/cross-cpu/64", h.pipe_64_rate, "bytes_per_second");
  add(s, "BM_IpcThroughput/shm_ring/process/cross-cpu/64/policy=spin_futex", 1e9,
      "bytes_per_second");
  add(s, "BM_IpcThroughput/pipe/process/cross-cpu/65536", 1.2e9, "bytes_per_second");
  add(s, "BM_IpcThroughput/shm_ring/process/cross-cpu/65536/policy=spin_futex", 12e9,
      "bytes_per_second");
  // The same data costs the same; private copies cost more.
  add(s, "BM_SharedData/pipe/process/same-cpu/0/data=shared/ws_kib=1024", 100e3);
  add(s, "BM_SharedData/pipe/thread/same-cpu/0/data=shared/ws_kib=1024", 100e3);
  add(s, "BM_SharedData/pipe/process/same-cpu/0/data=private/ws_kib=1024", 160e3);
  add(s, "BM_SharedData/pipe/thread/same-cpu/0/data=private/ws_kib=1024", 158e3);
  add(s, "BM_CowWrite/fork/process/unpinned/4096/pages=1024", 2000, "ns_per_page");
  add(s, "BM_CowWrite/thread/thread/unpinned/4096/pages=1024", 5, "ns_per_page");
  add(s, "BM_CowWrite/fork/process/unpinned/4096/pages=1024", 1, "faults_per_page");
  const std::map<int, double> job = {{1, 100e6}, {2, 50e6},  {4, 50.5e6},
                                     {8, 51e6},  {16, 51e6}, {64, 52e6}};
  for (const auto& [n, t] : job) {
    const std::string b = "BM_Speedup/xorshift/thread/unpinned/0/threads=" + std::to_string(n);
    add(s, b, t);
    add(s, b, 2, "cpus");
  }
  for (const char* how : {"exit", "killed"}) {
    const std::string b = std::string("BM_Zombie/") + how + "/process/unpinned/0";
    add(s, b, 80e3);
    add(s, b, 1, "zombie_fraction");
  }
  add(s, "BM_Footprint/fork/process/unpinned/0/workers=64", 450, "pss_kib_per_worker");
  add(s, "BM_Footprint/pthread/thread/unpinned/0/workers=64", 264, "pss_kib_per_worker");
  add(s, "BM_TimeSlice/cpu_bound/process/same-cpu/0/tasks=2", 3e6);
  add(s, "BM_TimeSlice/cpu_bound/process/same-cpu/0/tasks=2", 100, "samples");
  add(s, "BM_Fiber/create/fiber/same-cpu/0", 50);
  add(s, "BM_Fiber/switch/fiber/same-cpu/0", 20);
  return s;
}

std::map<int, ClaimResult> by_number(const std::vector<ClaimResult>& v) {
  std::map<int, ClaimResult> m;
  for (const auto& c : v) m[c.number] = c;
  return m;
}

// The facts a host.csv gives the claims: a 2-CPU host with PCID, no PTI, a readable base slice.
KeyValues textbook_facts() {
  return {{"cpus_allowed", "0-1"},
          {"cpu_pcid", "yes"},
          {"pti", "no"},
          {"sched_base_slice_ns", "1500000"},
          {"sched_base_slice_source", "/sys/kernel/debug/sched/base_slice_ns"},
          {"config_hz", "250"},
          {"config_hz_source", "/proc/config.gz"}};
}

// The verdicts say at which topology level their two-CPU rows were measured.
TEST(Verify, ThePlacementLineNamesTheLevel) {
  const KeyValues host = {{"topology", "2 packages, 2 NUMA nodes, 2 LLC domains, 16 cores"},
                          {"cross_cpu_level", "cross-package"}};
  const std::string en = placement_line(host, false);
  EXPECT_NE(en.find("measured at 'cross-package'"), std::string::npos) << en;
  EXPECT_NE(en.find("2 packages"), std::string::npos) << en;
  // A run from before the level was recorded says so instead of guessing one.
  EXPECT_NE(placement_line({}, false).find("was not recorded"), std::string::npos);
  EXPECT_NE(placement_line(host, true).find("cross-package"), std::string::npos);
}

// A run whose host.csv recorded the level reads its rows across CPUs at that level: the same
// data named by level give the same verdicts as under the old name.
TEST(Verify, ClaimsReadTheRowsAtTheRunsLevel) {
  std::vector<Sample> named = textbook_host();
  map_legacy_placements(named, "cross-package");
  KeyValues facts = textbook_facts();
  facts.emplace_back("cross_cpu_level", "cross-package");
  const auto old = by_number(evaluate_claims(textbook_host(), 0.01, textbook_facts()));
  const auto now = by_number(evaluate_claims(named, 0.01, facts));
  ASSERT_EQ(old.size(), now.size());
  for (const auto& [n, c] : old) {
    EXPECT_EQ(c.verdict, now.at(n).verdict) << n;
    if (!std::isnan(c.ratio)) {
      EXPECT_DOUBLE_EQ(c.ratio, now.at(n).ratio) << n;
    }
  }
  // Read at a level the run did not measure, the claims across CPUs find nothing.
  facts.back().second = "smt";
  const auto wrong = by_number(evaluate_claims(named, 0.01, facts));
  EXPECT_EQ(wrong.at(3).verdict, ClaimVerdict::kInconclusive);
}

TEST(Verify, TwelveClaimsOnATextbookHost) {
  auto c = by_number(evaluate_claims(textbook_host(), 0.01, textbook_facts()));
  ASSERT_EQ(c.size(), 12u);
  EXPECT_EQ(c[1].verdict, ClaimVerdict::kHolds);
  EXPECT_NEAR(c[1].ratio, 20, 0.5);
  EXPECT_LE(c[1].ci_low, c[1].ratio);
  EXPECT_GE(c[1].ci_high, c[1].ratio);
  EXPECT_LT(c[1].p_value, 0.01);
  EXPECT_NE(c[1].note.en.find("smallest the signed-rank test gives for 15 paired rounds"),
            std::string::npos)
      << c[1].note.en;
  EXPECT_LT(c[1].p_holm, 0.01);
  EXPECT_GT(c[1].p_holm, c[1].p_value);
  EXPECT_EQ(c[2].verdict, ClaimVerdict::kHolds);
  EXPECT_NEAR(c[2].ratio, 7, 0.1);  // net per switch: 3.5 us against 0.5 us
  EXPECT_NE(c[2].explanation.en.find("Across two CPUs"), std::string::npos);
  EXPECT_EQ(c[3].verdict, ClaimVerdict::kHoldsPartly);  // the endpoint does not matter
  EXPECT_EQ(c[4].verdict, ClaimVerdict::kHolds);
  EXPECT_NE(c[4].condition.en.find("64 B 4.96x, 64 KiB 10.10x"), std::string::npos)
      << c[4].condition.en;
  EXPECT_EQ(c[5].verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(c[6].verdict, ClaimVerdict::kDoesNotHold) << c[6].note.en;
  EXPECT_NE(c[6].explanation.en.find("private copies"), std::string::npos);
  EXPECT_EQ(c[7].verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(c[8].verdict, ClaimVerdict::kHoldsPartly);
  EXPECT_NEAR(c[8].ratio, 2, 0.05);
  EXPECT_EQ(c[9].verdict, ClaimVerdict::kHoldsPartly);
  EXPECT_EQ(c[10].verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(c[11].verdict, ClaimVerdict::kHolds);
  EXPECT_NEAR(c[11].ratio, 2.0, 0.05);  // 3 ms against the 1.5 ms read, within 1.5 + 4 ms
  EXPECT_EQ(c[12].verdict, ClaimVerdict::kHolds);
  for (const auto& [n, claim] : c) {
    EXPECT_FALSE(claim.condition.en.empty()) << n;
    EXPECT_FALSE(claim.explanation.en.empty()) << n;
    EXPECT_FALSE(claim.explanation.ko.empty()) << n;
  }
}

TEST(Verify, AClaimThatFailsHereIsAResultNotAnError) {
  // A host where creating a thread costs more than forking.
  auto c = by_number(evaluate_claims(textbook_host({.thread_create = 3e6})));
  EXPECT_EQ(c[1].verdict, ClaimVerdict::kDoesNotHold);
  EXPECT_LT(c[1].ratio, 1);
}

// The textbook host with the process switch's round trip and net cost per switch replaced.
std::vector<Sample> with_process_switch(double round_trip_ns, double net_ns) {
  auto s = textbook_host();
  std::erase_if(s, [](const Sample& x) {
    return x.benchmark.find("BM_Switch/pipe/process/same-cpu/0/tasks=2") == 0;
  });
  add(s, "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=0", round_trip_ns);
  add(s, "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=0", net_ns, "net_switch_ns");
  return s;
}

TEST(Verify, ADifferenceUnderTenPercentDoesNotCount) {
  // Thread and process switches alike but for the noise: "cheaper" does not hold here.
  auto c = by_number(evaluate_claims(with_process_switch(8e3, 0.5e3)));
  EXPECT_EQ(c[2].verdict, ClaimVerdict::kDoesNotHold) << c[2].note.en;
  EXPECT_NE(c[2].note.en.find("within 10%"), std::string::npos) << c[2].note.en;
}

// Significant in the claimed direction but by less than 10%: it holds, by less, not "does not".
TEST(Verify, ASignificantEffectUnderTenPercentHoldsByLess) {
  auto c = by_number(evaluate_claims(with_process_switch(8.4e3, 0.53e3)));
  EXPECT_EQ(c[2].verdict, ClaimVerdict::kHoldsByLess) << c[2].note.en;
  EXPECT_STREQ(verdict_text(c[2].verdict), "holds, by less than 10%");
  EXPECT_NE(c[2].note.en.find("by less than the 10%"), std::string::npos) << c[2].note.en;
}

// The family is controlled: 8 rounds reach p = 2 / 2^8 = 0.0078 for one claim, below 0.01, but
// not after Holm's adjustment over the ten claims that have a test.
TEST(Verify, HolmsAdjustmentCanLeaveAClaimInconclusive) {
  std::vector<Sample> s;
  for (const auto& x : textbook_host()) {
    if (x.repetition < 8) s.push_back(x);
  }
  auto c = by_number(evaluate_claims(s));
  EXPECT_LT(c[1].p_value, 0.01);
  EXPECT_GE(c[1].p_holm, 0.01);
  EXPECT_EQ(c[1].verdict, ClaimVerdict::kInconclusive) << c[1].note.en;
}

// The why-texts follow the host's facts: no PCID with PTI on says the TLB is flushed.
TEST(Verify, TheExplanationsFollowTheHostsCpuFlags) {
  auto facts = textbook_facts();
  auto with = by_number(evaluate_claims(textbook_host(), 0.01, facts));
  EXPECT_NE(with[2].explanation.en.find("has PCID"), std::string::npos) << with[2].explanation.en;
  for (auto& [k, v] : facts) {
    if (k == "cpu_pcid") v = "no";
    if (k == "pti") v = "yes";
  }
  auto without = by_number(evaluate_claims(textbook_host(), 0.01, facts));
  for (int n : {2, 6}) {
    EXPECT_NE(without[n].explanation.en.find("without PCID"), std::string::npos)
        << without[n].explanation.en;
    EXPECT_EQ(without[n].explanation.en.find("has PCID"), std::string::npos);
  }
  auto unknown = by_number(evaluate_claims(textbook_host()));
  EXPECT_NE(unknown[2].explanation.en.find("did not record"), std::string::npos);
}

// Claim 8 needs the CPU count: from the benchmark, else host.csv; never assumed.
TEST(Verify, TheCpuCountIsReadNotAssumed) {
  auto s = textbook_host();
  std::erase_if(s, [](const Sample& x) { return x.metric == "cpus"; });
  EXPECT_EQ(by_number(evaluate_claims(s))[8].verdict, ClaimVerdict::kInconclusive);
  auto c = by_number(evaluate_claims(s, 0.01, {{"cpus_allowed", "0-1"}}));
  EXPECT_EQ(c[8].verdict, ClaimVerdict::kHoldsPartly);
  EXPECT_NE(c[8].condition.en.find("on 2 CPUs"), std::string::npos) << c[8].condition.en;
}

// Claim 9 is read from /proc: a killed child that was not a zombie until waited for makes it
// fail; zombies after an abnormal end only is what the notes say.
TEST(Verify, ZombiesAreJudgedFromWhatProcShowed) {
  auto with = [](double exited, double killed) {
    auto s = textbook_host();
    std::erase_if(s, [](const Sample& x) { return x.metric == "zombie_fraction"; });
    add(s, "BM_Zombie/exit/process/unpinned/0", exited, "zombie_fraction");
    add(s, "BM_Zombie/killed/process/unpinned/0", killed, "zombie_fraction");
    return by_number(evaluate_claims(s))[9].verdict;
  };
  EXPECT_EQ(with(1, 1), ClaimVerdict::kHoldsPartly);
  EXPECT_EQ(with(0, 1), ClaimVerdict::kHolds);
  EXPECT_EQ(with(1, 0.5), ClaimVerdict::kDoesNotHold);
}

// Claim 11 is judged against the base slice and tick read from the kernel: slices far longer
// than both fail, and an unreadable base slice is inconclusive, saying where it was looked for.
TEST(Verify, TimeSlicesAreJudgedAgainstTheKernelsBaseSlice) {
  auto s = textbook_host();
  std::erase_if(s, [](const Sample& x) { return x.benchmark.find("BM_TimeSlice/") == 0; });
  add(s, "BM_TimeSlice/cpu_bound/process/same-cpu/0/tasks=2", 50e6);
  add(s, "BM_TimeSlice/cpu_bound/process/same-cpu/0/tasks=2", 30, "samples");
  EXPECT_EQ(by_number(evaluate_claims(s, 0.01, textbook_facts()))[11].verdict,
            ClaimVerdict::kDoesNotHold);
  KeyValues unreadable = {{"sched_base_slice_source", "not readable (debugfs not mounted)"}};
  auto c = by_number(evaluate_claims(textbook_host(), 0.01, unreadable));
  EXPECT_EQ(c[11].verdict, ClaimVerdict::kInconclusive);
  EXPECT_NE(c[11].note.en.find("debugfs not mounted"), std::string::npos) << c[11].note.en;
}

// Every claim that compares two sides must be able to fail: with the sides' values swapped (the
// claimed-cheaper side now the dearer one, by the same factor), it does not hold.
TEST(Verify, EveryComparisonFailsWhenItsSidesAreSwapped) {
  struct Pair {
    int claim;
    std::string a, b, metric;
  };
  const std::vector<Pair> pairs = {
      {1, "BM_Create/fork/process/same-cpu/0/rss_mib=0",
       "BM_Create/pthread/thread/same-cpu/0/rss_mib=0", "real_time"},
      {2, "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=0",
       "BM_Switch/pipe/thread/same-cpu/0/tasks=2/ws_kib=0", "net_switch_ns"},
      {3, "BM_IpcLatency/pipe/process/cross-cpu/64", "BM_Floor/heap_handoff/thread/cross-cpu/64",
       "real_time"},
      {5, "BM_Create/fork/process/same-cpu/0/rss_mib=256",
       "BM_Create/pthread/thread/same-cpu/0/rss_mib=256", "real_time"},
      {7, "BM_CowWrite/fork/process/unpinned/4096/pages=1024",
       "BM_CowWrite/thread/thread/unpinned/4096/pages=1024", "ns_per_page"},
      {10, "BM_Footprint/fork/process/unpinned/0/workers=64",
       "BM_Footprint/pthread/thread/unpinned/0/workers=64", "pss_kib_per_worker"},
      {12, "BM_Create/pthread/thread/same-cpu/0/rss_mib=0", "BM_Fiber/create/fiber/same-cpu/0",
       "real_time"},
  };
  for (const auto& p : pairs) {
    auto s = textbook_host();
    for (auto& x : s) {
      if (x.metric != p.metric) continue;
      if (x.benchmark == p.a) {
        x.benchmark = p.b;
      } else if (x.benchmark == p.b) {
        x.benchmark = p.a;
      }
    }
    const auto c = by_number(evaluate_claims(s, 0.01, textbook_facts()));
    EXPECT_EQ(c.at(p.claim).verdict, ClaimVerdict::kDoesNotHold)
        << "claim " << p.claim << ": " << verdict_text(c.at(p.claim).verdict) << " "
        << c.at(p.claim).note.en;
  }
  // Claim 4: the pipe streaming faster than the ring at every size.
  auto s = textbook_host();
  for (auto& x : s) {
    if (x.benchmark.find("BM_IpcThroughput/pipe/") == 0) {
      x.benchmark = "BM_IpcThroughput/shm_ring" + x.benchmark.substr(21) + "/policy=spin_futex";
    } else if (x.benchmark.find("BM_IpcThroughput/shm_ring/") == 0) {
      x.benchmark =
          "BM_IpcThroughput/pipe" + x.benchmark.substr(25, x.benchmark.find("/policy") - 25);
    }
  }
  EXPECT_EQ(by_number(evaluate_claims(s))[4].verdict, ClaimVerdict::kDoesNotHold);
}

TEST(Verify, BulkDataThatHoldsAtSomeSizesOnlyHoldsInPart) {
  auto c = by_number(evaluate_claims(textbook_host({.pipe_64_rate = 2e9})));
  EXPECT_EQ(c[4].verdict, ClaimVerdict::kHoldsPartly);
  EXPECT_NE(c[4].condition.en.find("not shown at 64 B"), std::string::npos) << c[4].condition.en;
}

TEST(Verify, MissingMeasurementsMakeAClaimInconclusive) {
  auto c = by_number(evaluate_claims({}));
  for (int i = 1; i <= 12; ++i) EXPECT_EQ(c[i].verdict, ClaimVerdict::kInconclusive) << i;
}

TEST(Verify, TooFewRepetitionsAreInconclusiveWithTheFix) {
  std::vector<Sample> s;
  add(s, "BM_Create/pthread/thread/same-cpu/0/rss_mib=0", 50e3, "real_time", 3);
  add(s, "BM_Create/fork/process/same-cpu/0/rss_mib=0", 1e6, "real_time", 3);
  auto c = by_number(evaluate_claims(s));
  EXPECT_EQ(c[1].verdict, ClaimVerdict::kInconclusive);
  EXPECT_NE(c[1].note.en.find("more repetitions"), std::string::npos) << c[1].note.en;
}

TEST(Verify, CsvHasOneRowPerClaimAndReadsBack) {
  std::ostringstream out;
  const auto claims = evaluate_claims(textbook_host());
  write_verify_csv(out, claims);
  auto parsed = parse_verify_csv(out.str());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->size(), claims.size());
  for (std::size_t i = 0; i < claims.size(); ++i) {
    EXPECT_EQ((*parsed)[i].number, claims[i].number);
    EXPECT_EQ((*parsed)[i].verdict, claims[i].verdict);
    if (!std::isnan(claims[i].ratio)) {
      EXPECT_DOUBLE_EQ((*parsed)[i].ratio, claims[i].ratio);
    }
    EXPECT_EQ((*parsed)[i].condition.en, claims[i].condition.en);
    EXPECT_EQ((*parsed)[i].explanation.en, claims[i].explanation.en);
  }
  EXPECT_FALSE(parse_verify_csv("claim,verdict\n1,holds\n").ok());  // columns missing
}

TEST(Verify, PrintsInEnglishOrKorean) {
  const auto claims = evaluate_claims(textbook_host());
  std::ostringstream en, ko;
  print_claims(en, claims, "en");
  print_claims(ko, claims, "ko");
  EXPECT_NE(en.str().find("verdict: holds in part"), std::string::npos) << en.str();
  EXPECT_NE(ko.str().find("판정: 부분적으로 성립"), std::string::npos) << ko.str();
  EXPECT_NE(ko.str().find("스레드를 생성하는 것은"), std::string::npos);
}

TEST(Verify, TheRunFilterSelectsNamesOnTheGrid) {
  std::set<std::string> unique(verify_benchmarks().begin(), verify_benchmarks().end());
  EXPECT_EQ(unique.size(), verify_benchmarks().size());
  for (const auto& b : verify_benchmarks()) EXPECT_TRUE(parse_grid_name(b).has_value()) << b;
}

}  // namespace
}  // namespace ptbench::harness
