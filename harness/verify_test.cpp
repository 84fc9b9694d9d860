#include "harness/verify.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "harness/csv.hpp"

namespace ptbench::harness {
namespace {

// Seven repetitions around `center` (±1% in a fixed pattern) for a benchmark and metric.
void add(std::vector<Sample>& out, const std::string& benchmark, double center,
         const std::string& metric = "real_time", int reps = 7) {
  const auto grid = *parse_grid_name(benchmark);
  for (int r = 0; r < reps; ++r) {
    Sample s;
    s.benchmark = grid.benchmark;
    s.metric = metric;
    s.repetition = r;
    s.value = center * (1 + 0.01 * ((r * 3) % 7 - 3) / 3.0);
    s.direction = metric == "bytes_per_second" ? "higher_is_better" : "lower_is_better";
    out.push_back(s);
  }
}

std::vector<Sample> textbook_host(double thread_create = 50e3) {
  std::vector<Sample> s;
  add(s, "BM_Create/pthread/thread/same-cpu/0/rss_mib=0", thread_create);
  add(s, "BM_Create/fork/process/same-cpu/0/rss_mib=0", 1e6);
  add(s, "BM_Create/pthread/thread/same-cpu/0/rss_mib=256", thread_create * 1.01);
  add(s, "BM_Create/fork/process/same-cpu/0/rss_mib=256", 5e6);
  add(s, "BM_Switch/pipe/thread/same-cpu/0/tasks=2/ws_kib=0", 8e3);
  add(s, "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=0", 17e3);
  // The working set adds 4 us to both: no difference between processes and threads.
  add(s, "BM_Switch/pipe/thread/same-cpu/0/tasks=2/ws_kib=256", 12e3);
  add(s, "BM_Switch/pipe/process/same-cpu/0/tasks=2/ws_kib=256", 21e3);
  add(s, "BM_Floor/heap_handoff/thread/cross-cpu/64", 1.5e3);
  add(s, "BM_IpcLatency/pipe/process/cross-cpu/64", 25e3);
  add(s, "BM_IpcThroughput/shm_ring/process/cross-cpu/65536/policy=spin_futex", 12e9,
      "bytes_per_second");
  add(s, "BM_IpcThroughput/pipe/process/cross-cpu/65536", 1.2e9, "bytes_per_second");
  return s;
}

std::map<int, ClaimResult> by_number(const std::vector<ClaimResult>& v) {
  std::map<int, ClaimResult> m;
  for (const auto& c : v) m[c.number] = c;
  return m;
}

TEST(Verify, TheTextbookClaimsOnATextbookHost) {
  auto c = by_number(evaluate_claims(textbook_host()));
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[1].verdict, ClaimVerdict::kHolds);
  EXPECT_NEAR(c[1].ratio, 20, 0.5);
  EXPECT_LE(c[1].ci_low, c[1].ratio);
  EXPECT_GE(c[1].ci_high, c[1].ratio);
  EXPECT_LT(c[1].p_value, 0.01);
  EXPECT_EQ(c[2].verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(c[3].verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(c[4].verdict, ClaimVerdict::kHolds);
  EXPECT_NEAR(c[4].ratio, 10, 0.3);  // the ring moves ten times the bytes per second
  EXPECT_EQ(c[5].verdict, ClaimVerdict::kHolds);
  EXPECT_EQ(c[6].verdict, ClaimVerdict::kInconclusive) << c[6].note;  // equal extra time for both
}

TEST(Verify, AClaimThatFailsHereIsAResultNotAnError) {
  // A host where creating a thread costs more than forking.
  auto c = by_number(evaluate_claims(textbook_host(/*thread_create=*/3e6)));
  EXPECT_EQ(c[1].verdict, ClaimVerdict::kDoesNotHold);
  EXPECT_LT(c[1].ratio, 1);
}

TEST(Verify, MissingMeasurementsMakeAClaimInconclusive) {
  auto c = by_number(evaluate_claims({}));
  for (int i = 1; i <= 6; ++i) EXPECT_EQ(c[i].verdict, ClaimVerdict::kInconclusive) << i;
}

TEST(Verify, TooFewRepetitionsAreInconclusiveWithTheFix) {
  std::vector<Sample> s;
  add(s, "BM_Create/pthread/thread/same-cpu/0/rss_mib=0", 50e3, "real_time", 3);
  add(s, "BM_Create/fork/process/same-cpu/0/rss_mib=0", 1e6, "real_time", 3);
  auto c = by_number(evaluate_claims(s));
  EXPECT_EQ(c[1].verdict, ClaimVerdict::kInconclusive);
  EXPECT_NE(c[1].note.find("more repetitions"), std::string::npos) << c[1].note;
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
    EXPECT_DOUBLE_EQ((*parsed)[i].ratio, claims[i].ratio);
    EXPECT_EQ((*parsed)[i].note, claims[i].note);
  }
  EXPECT_FALSE(parse_verify_csv("claim,verdict\n1,holds\n").ok());  // columns missing
}

TEST(Verify, TheRunFilterSelectsExactlyTheNeededBenchmarks) {
  EXPECT_EQ(verify_benchmarks().size(), 12u);
  for (const auto& b : verify_benchmarks()) EXPECT_TRUE(parse_grid_name(b).has_value()) << b;
}

}  // namespace
}  // namespace ptbench::harness
