#include "harness/ab.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "harness/csv.hpp"
#include "harness/exit_codes.hpp"
#include "harness/history.hpp"
#include "harness/host.hpp"
#include "harness/test_support.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;

// Paired rounds: the candidate is `factor` times the base, with a jitter that changes each round.
AbRow row(const std::string& name, double factor, std::size_t rounds, double jitter = 0.004) {
  AbRow r;
  r.benchmark = name;
  r.metric = "real_time";
  for (std::size_t i = 0; i < rounds; ++i) {
    const double base =
        1000 * (1 + 0.2 * std::sin(static_cast<double>(i)));  // drift between rounds
    const double wobble = jitter * (static_cast<double>(i * 7919 % 13) / 6.0 - 1);  // +-jitter
    r.base.push_back(base);
    r.cand.push_back(base * factor * (1 + wobble));
  }
  return r;
}

// One simulated gate over the look schedule, as `ptbench ab` takes it: row 0's candidate is
// `factor` times the base, `nulls` more rows are unchanged, each side of each round has lognormal
// noise of `sigma`. Every row's decision at the end.
std::vector<AbDecision> simulated_gate(double factor, double sigma, std::mt19937& rng,
                                       std::size_t nulls = 0,
                                       int max_rounds = AbOptions{}.max_rounds) {
  std::normal_distribution<double> noise(0, sigma);
  std::vector<AbRow> rows(1 + nulls);
  for (auto& r : rows) {
    r.metric = "real_time";
    r.min_effect = 0.05;
  }
  const auto looks = look_schedule(6, max_rounds);
  const AbRules rules = gate_rules(0.05, 6, looks);
  std::size_t round = 0;
  for (std::size_t k = 0; k < looks.size(); ++k) {
    for (; round < static_cast<std::size_t>(looks[k]); ++round) {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].decision != AbDecision::kUndecided) continue;
        rows[i].base.push_back(1000 * std::exp(noise(rng)));
        rows[i].cand.push_back(1000 * (i == 0 ? factor : 1.0) * std::exp(noise(rng)));
      }
    }
    decide(rows, rules, k + 1 == looks.size());
  }
  std::vector<AbDecision> out;
  for (const auto& r : rows) out.push_back(r.decision);
  return out;
}

// "same" has error control: a change exactly at the minimal effect (5%) is called same in at most
// alpha (5%) of the gates; the uncorrected 95% interval at any of the looks did so far more often.
TEST(AbDecide, AChangeAtTheMinimalEffectIsRarelyCalledSame) {
  std::mt19937 rng(20261202);
  int same = 0, gates = 200;
  for (int g = 0; g < gates; ++g) same += simulated_gate(1.05, 0.02, rng)[0] == AbDecision::kSame;
  EXPECT_LE(same, gates / 20) << same << " of " << gates << " gates said same at +5%";
}

// And it still can say same: no change, 1% noise, within the 30 rounds in nearly every gate.
TEST(AbDecide, NoChangeIsCalledSameWithinTheRounds) {
  std::mt19937 rng(7);
  int same = 0, gates = 50;
  for (int g = 0; g < gates; ++g) same += simulated_gate(1.0, 0.01, rng)[0] == AbDecision::kSame;
  EXPECT_GE(same, 45) << same << " of " << gates;
}

// The power the design is for: in a family of 27 rows (the ci profile's), a 10% slowdown of one
// row with 8% lognormal noise per side and round is slower by the end of the gate (60 rounds) in
// at least 9 of 10 gates. (Simulated with 60 gates: 60 caught; the design before, 30 rounds and an
// equal share of alpha at each of 9 looks, caught 40. At 12% noise: 70%, and 25% with 30 rounds.)
TEST(AbDecide, ATenPercentSlowdownInTheCiFamilyIsCaught) {
  std::mt19937 rng(20261203);
  int caught = 0, gates = 60;
  for (int g = 0; g < gates; ++g)
    caught += simulated_gate(1.10, 0.08, rng, 26)[0] == AbDecision::kSlower;
  EXPECT_GE(caught, gates * 9 / 10) << caught << " of " << gates;
}

// And it must say no: 27 unchanged rows, and a gate with any row slower or faster is a false
// alarm. At most alpha (5%) of the gates, with the same noise.
TEST(AbDecide, UnchangedRowsRaiseFewFalseAlarms) {
  std::mt19937 rng(11);
  int alarms = 0, gates = 120;
  for (int g = 0; g < gates; ++g) {
    const auto d = simulated_gate(1.0, 0.06, rng, 26);
    alarms += std::any_of(d.begin(), d.end(), [](AbDecision x) {
      return x == AbDecision::kSlower || x == AbDecision::kFaster;
    });
  }
  EXPECT_LE(alarms, gates / 20) << alarms << " of " << gates;
}

TEST(AbLooks, TheFinalLookSpendsMostOfAlphaAndAllLooksSpendIt) {
  const AbRules rules{0.05, 6, 7};
  EXPECT_DOUBLE_EQ(look_alpha(rules, true), 0.04);
  EXPECT_DOUBLE_EQ(look_alpha(rules, false) * 7 + look_alpha(rules, true), 0.05);
  EXPECT_DOUBLE_EQ(look_alpha({0.05, 6, 0}, false), 0.05);  // one look: all of it
}

TEST(AbLooks, StartAtTheMinimumGrowByAQuarterAndEndAtTheMaximum) {
  EXPECT_EQ(look_schedule(6, 30), (std::vector<int>{6, 8, 10, 13, 17, 22, 28, 30}));
  EXPECT_EQ(look_schedule(6, 6), (std::vector<int>{6}));
}

TEST(AbDecide, SlowerFasterSameAndUndecidedWithReasons) {
  std::vector<AbRow> rows = {row("slower", 1.10, 12), row("same", 1.0, 12),
                             row("faster", 0.8, 12),  row("noisy", 1.0, 12, 0.3),
                             row("short", 1.5, 4),    row("broken", 1.0, 12)};
  rows[5].failure = "candidate fake_bench killed by signal 11";
  decide(rows, {0.05, 6, 0}, false);
  EXPECT_EQ(rows[0].decision, AbDecision::kSlower);
  EXPECT_NEAR(rows[0].change, 0.10, 0.01);
  EXPECT_EQ(rows[0].decided_after, 12u);
  EXPECT_EQ(rows[1].decision, AbDecision::kSame);
  EXPECT_EQ(rows[2].decision, AbDecision::kFaster);
  EXPECT_EQ(rows[3].decision, AbDecision::kUndecided);
  EXPECT_NE(rows[3].reason.find("neither test is below"), std::string::npos) << rows[3].reason;
  EXPECT_EQ(rows[4].decision, AbDecision::kUndecided);
  EXPECT_NE(rows[4].reason.find("4 of the 6 rounds"), std::string::npos) << rows[4].reason;
  EXPECT_EQ(rows[5].decision, AbDecision::kUndecided);
  EXPECT_EQ(rows[5].reason, "failed: candidate fake_bench killed by signal 11");
  EXPECT_EQ(ab_summary_line(rows), "1 same, 1 slower, 1 faster, 3 undecided");
}

TEST(AbDecide, ARateThatDropsIsSlower) {
  AbRow r = row("rate", 1 / 1.12, 10);
  r.higher_is_better = true;
  std::vector<AbRow> rows = {r};
  decide(rows, {0.05, 6, 0}, false);
  EXPECT_EQ(rows[0].decision, AbDecision::kSlower);
  EXPECT_NEAR(rows[0].change, 0.12, 0.01);
}

TEST(AbDecide, AChangeBelowTheMinimalEffectIsNotSlower) {
  std::vector<AbRow> rows = {row("small", 1.03, 20)};
  decide(rows, {0.05, 6, 0}, true);
  EXPECT_EQ(rows[0].decision, AbDecision::kSame);  // significant, but inside +-5%
  rows = {row("small", 1.03, 20)};
  rows[0].min_effect = 0.02;
  decide(rows, {0.05, 6, 0}, true);
  EXPECT_EQ(rows[0].decision, AbDecision::kSlower);
}

// Many looks and many benchmarks leave less alpha for each: 8 rounds cannot reach it.
TEST(AbDecide, MultiplicityCanLeaveARealChangeUndecided) {
  std::vector<AbRow> rows;
  for (int i = 0; i < 20; ++i) rows.push_back(row(std::to_string(i), 1.2, 8));
  decide(rows, {0.05, 6, 9}, true);
  EXPECT_EQ(rows[0].decision, AbDecision::kUndecided);
  EXPECT_NE(rows[0].reason.find("ran out"), std::string::npos) << rows[0].reason;
}

TEST(AbFiles, CsvMarkdownAndJsonCarryTheDecisions) {
  std::vector<AbRow> rows = {row("BM_A/x/thread/unpinned/0", 1.10, 12)};
  rows[0].unit = "ns";
  decide(rows, {0.05, 6, 0}, false);
  std::ostringstream csv, md, json;
  write_ab_csv(csv, rows);
  auto parsed = parse_csv(csv.str(), {"benchmark", "change", "decision", "p_holm"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->rows[0][*parsed->column("decision")], "slower");
  write_ab_markdown(md, rows, "t");
  EXPECT_NE(md.str().find("**slower**"), std::string::npos) << md.str();
  EXPECT_NE(md.str().find("0 same, 1 slower, 0 faster, 0 undecided"), std::string::npos);
  write_ab_github_json(json, rows, true);
  EXPECT_NE(json.str().find("\"name\": \"BM_A/x/thread/unpinned/0\""), std::string::npos)
      << json.str();
}

TEST(AbDuration, SecondsMinutesHours) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("10m"), 600);
  EXPECT_EQ(parse_duration("1.5h"), 5400);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("0"));
  EXPECT_FALSE(parse_duration("ten minutes"));
  EXPECT_FALSE(parse_duration("-5m"));
}

// A stand-in benchmark program: one benchmark whose time is FAKE_NS (plus a little per process),
// and which crashes when FAKE_CRASH is set.
constexpr const char* kFakeBench = R"(#!/bin/sh
out=""
for a in "$@"; do
  case "$a" in
    --benchmark_list_tests=true) echo 'BM_Fake/x/thread/unpinned/0/real_time'; exit 0;;
    --ptbench_list_skipped) exit 0;;
    --benchmark_out=*) out="${a#--benchmark_out=}";;
  esac
done
if [ -n "$FAKE_CRASH" ]; then kill -SEGV $$; fi
t=$(( ${FAKE_NS:-1000} + $$ % 7 ))
cat > "$out" <<JSON
{"context": {}, "benchmarks": [{"name": "BM_Fake/x/thread/unpinned/0/real_time",
  "run_type": "iteration", "repetition_index": 0, "iterations": 10, "real_time": $t,
  "cpu_time": $t, "time_unit": "ns"}]}
JSON
)";

class AbCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    dir_ = tmp_.path();
    testing::write_script(dir_ / "bench/fake_bench", kFakeBench);
    opt_.base = opt_.candidate = dir_.string();  // a "build directory" with bench/
    opt_.run.profile = "quick";
    opt_.run.programs = {"fake_bench"};
    opt_.max_rounds = 12;
    opt_.out_dir = dir_ / "out";
  }
  int run() { return ab_command(opt_, out_, err_); }
  testing::TempDir tmp_{"ab-test"};
  fs::path dir_;
  AbOptions opt_;
  std::ostringstream out_, err_;
};

TEST_F(AbCommand, TheSameBuildIsTheSameAndExitsZero) {
  EXPECT_EQ(run(), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("1 same, 0 slower, 0 faster, 0 undecided\n"), std::string::npos)
      << out_.str();
  EXPECT_TRUE(fs::exists(dir_ / "out/ab.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "out/ab.md"));
  EXPECT_TRUE(fs::exists(dir_ / "out/github-benchmark-smaller.json"));
  const auto host = read_text_file(dir_ / "out/host.csv").value_or("");
  EXPECT_NE(host.find("ab_base,"), std::string::npos);
}

// Both sides go into the history as runs of profile ab-<profile>, each under the commit its build
// wrote beside its programs; without a database named, nothing is recorded.
TEST_F(AbCommand, EachSideIsRecordedUnderItsOwnCommit) {
  const fs::path cand = dir_ / "cand";
  testing::write_script(cand / "bench/fake_bench", kFakeBench);
  std::ofstream(dir_ / "bench/ptbench-revision") << "key,value\ngit_sha,aaa111\ngit_ordinal,7\n";
  std::ofstream(cand / "bench/ptbench-revision") << "key,value\ngit_sha,bbb222\ngit_ordinal,8\n";
  opt_.candidate = cand.string();
  opt_.cand_env = {"FAKE_NS=1300"};
  opt_.run.history_db = dir_ / "history.sqlite";
  EXPECT_EQ(run(), kExitRegression) << err_.str();
  auto db = HistoryDb::open(opt_.run.history_db);
  ASSERT_TRUE(db.ok()) << db.error();
  auto runs = (*db)->runs();
  ASSERT_TRUE(runs.ok()) << runs.error();
  ASSERT_EQ(runs->size(), 2u) << err_.str();
  std::map<std::string, std::string> sha_of_side;
  for (const auto& r : *runs) {
    EXPECT_EQ(r.profile, "ab-quick");
    EXPECT_EQ(r.rows, 1u);
    sha_of_side[r.run_id.substr(r.run_id.rfind('_') + 1)] = r.git_sha;
  }
  EXPECT_EQ(sha_of_side["base"], "aaa111");
  EXPECT_EQ(sha_of_side["candidate"], "bbb222");
  auto pts = (*db)->trend("BM_Fake/x/thread/unpinned/0", "real_time", "", "ab-quick");
  ASSERT_TRUE(pts.ok()) << pts.error();
  ASSERT_EQ(pts->size(), 2u);
  double base = 0, candidate = 0;
  for (const auto& p : *pts) (p.git_sha == "aaa111" ? base : candidate) = p.median;
  EXPECT_GT(candidate, base * 1.2) << base << " " << candidate;
}

TEST_F(AbCommand, WithoutADatabaseNothingIsRecorded) {
  EXPECT_EQ(run(), kExitOk) << err_.str();
  EXPECT_FALSE(fs::exists(dir_ / "out/history"));
}

TEST_F(AbCommand, APlantedSlowdownExitsOneAndNamesTheBenchmark) {
  opt_.cand_env = {"FAKE_NS=1300"};
  EXPECT_EQ(run(), kExitRegression) << err_.str();
  EXPECT_NE(out_.str().find("BM_Fake/x/thread/unpinned/0"), std::string::npos);
  EXPECT_NE(out_.str().find("slower"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("0 same, 1 slower, 0 faster, 0 undecided\n"), std::string::npos);
}

TEST_F(AbCommand, ACrashOnOneSideExitsThreeWithTheReason) {
  opt_.cand_env = {"FAKE_CRASH=1"};
  EXPECT_EQ(run(), kExitBenchmarkFailed) << err_.str();
  EXPECT_NE(out_.str().find("failed: candidate fake_bench killed by signal 11"), std::string::npos)
      << out_.str();
}

// A base built before placements were named by level lists its reference pair's rows as
// "cross-cpu"; the candidate lists them at this host's level: ab pairs and decides them, each
// side run by the name its program registered.
TEST_F(AbCommand, ABaseWithTheOldPlacementNamePairsWithTheLevel) {
  auto placed = [](const std::string& placement) {
    std::string script = kFakeBench;
    for (auto at = script.find("/unpinned/"); at != std::string::npos;
         at = script.find("/unpinned/", at + 1)) {
      script.replace(at + 1, std::string("unpinned").size(), placement);
    }
    return script;
  };
  const std::string level = host_reference_level();
  testing::write_script(dir_ / "old/bench/fake_bench", placed("cross-cpu"));
  testing::write_script(dir_ / "new/bench/fake_bench", placed(level));
  opt_.base = (dir_ / "old").string();
  opt_.candidate = (dir_ / "new").string();
  EXPECT_EQ(run(), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("1 same, 0 slower, 0 faster, 0 undecided\n"), std::string::npos)
      << out_.str() << err_.str();
  EXPECT_NE(out_.str().find("BM_Fake/x/thread/" + level + "/0"), std::string::npos) << out_.str();
}

TEST_F(AbCommand, BadInputExitsTwo) {
  opt_.candidate = (dir_ / "nowhere").string();
  EXPECT_EQ(run(), kExitBadInput);
  EXPECT_NE(err_.str().find("candidate: '"), std::string::npos) << err_.str();
  opt_.candidate = opt_.base;
  opt_.cand_env = {"NOEQUALS"};
  EXPECT_EQ(run(), kExitBadInput);
  opt_.cand_env = {};
  opt_.min_rounds = 3;
  EXPECT_EQ(run(), kExitBadInput);
}

TEST(AbResolve, BuildTreeInstallPrefixProgramDirectoryOrBinary) {
  testing::TempDir tmp("ab-resolve");
  const fs::path root = tmp.path();
  testing::write_script(root / "build/bench/p", "#!/bin/sh\n");
  testing::write_script(root / "build/harness/ptbench", "");
  EXPECT_EQ(*resolve_bench_dir((root / "build").string(), "p"), root / "build/bench");
  EXPECT_EQ(*resolve_bench_dir((root / "build/bench").string(), "p"), root / "build/bench");
  EXPECT_EQ(*resolve_bench_dir((root / "build/harness/ptbench").string(), "p"),
            root / "build/bench");
  EXPECT_FALSE(resolve_bench_dir((root / "build").string(), "q"));
}

}  // namespace
}  // namespace ptbench::harness
