// `ptbench ab BASE CANDIDATE`: a regression gate in one job. Both sides run the same benchmarks in
// alternating rounds (base first in even rounds, the candidate first in odd ones: drift within a
// round favours neither side) and each benchmark is decided from its paired per-round ratios, not
// from pooled repetitions: the drift between rounds on a shared VM is ten times the spread within
// one, and a pair taken back to back cancels it.
//
// A decision per benchmark, on its primary metric:
// - slower / faster: the Wilcoxon signed-rank test of the log ratios is significant after Holm's
//   correction across benchmarks at the look's share of alpha, and the median change is at
//   least the minimal effect (5% by default);
// - same: two one-sided signed-rank tests (the change is below +e, and above -e) are both
//   significant at the same corrected level (Holm across benchmarks, the look's share of alpha),
//   so that a change at the minimal effect is called same in at most alpha of the gates;
// Alpha is spent across the looks (a union bound, like Bonferroni's, but unequal): the final look
// spends most of it, the interim looks share the rest. Gates on a shared VM nearly always run to
// their final look, where an equal share would leave a tenth of alpha.
// - undecided otherwise, with the reason. The gate stops when every benchmark is decided, at the
//   last round, or when the next round would not fit in the time budget.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/result.hpp"
#include "harness/runner.hpp"

namespace ptbench::harness {

struct AbOptions {
  RunOptions run;                               // profile (ci by default), filter, programs
  std::string base, candidate;                  // build directory, install prefix or binary
  std::vector<std::string> base_env, cand_env;  // "K=V" for that side's benchmark programs
  double budget_s = 600;                        // stop when the next round would not fit
  double min_effect = 0.05;                     // the smallest change that counts
  std::map<std::string, double> suite_effects;  // per-suite minimal effects
  double alpha = 0.05;                          // family-wise, across benchmarks and looks
  // 60 rounds at the most: the 10-minute budget ends a ci gate on the development VM first (about
  // 10 s a round); 30 rounds left half of it unused, with power that the noise there needed.
  int min_rounds = 6, max_rounds = 60;
  double min_time = 0.05;  // seconds each benchmark runs per side and round
  std::filesystem::path out_dir;
  std::optional<unsigned> seed;  // the program order of each round
  std::string metric;            // decide on this metric instead of each suite's primary one
};

enum class AbDecision { kSame, kSlower, kFaster, kUndecided };
const char* decision_name(AbDecision d);

struct AbRow {
  std::string program, suite, benchmark, metric, unit;
  // The name the base's program registered: `benchmark`, except for a base built before
  // placements were named by level, whose rows across CPUs are "cross-cpu".
  std::string base_benchmark;
  bool higher_is_better = false;
  double min_effect = 0.05;
  std::vector<double> base, cand;  // one value per round, paired
  // The evaluation at the last look. `change` is the median paired slowdown: +0.10 means the
  // candidate takes 10% longer (or moves 1/1.1 of the bytes).
  double change = 0, ci_low = 0, ci_high = 0;
  bool has_interval = false;
  double p = 1, p_adjusted = 1;
  double p_same = 1, p_same_adjusted = 1;  // the equivalence tests' larger p, and Holm's
  AbDecision decision = AbDecision::kUndecided;
  std::string reason;
  std::size_t decided_after = 0;  // rounds when decided
  std::string failure;            // a side failed to measure it
};

// The rounds at which the gate looks: min_rounds, then each about a quarter more, then
// max_rounds. Fewer looks keep more of alpha for each.
std::vector<int> look_schedule(int min_rounds, int max_rounds);

struct AbRules {
  double alpha = 0.05;
  std::size_t min_rounds = 6;
  std::size_t interim_looks = 0;  // the looks before the final one the gate may take
  double final_share = 0.8;       // of alpha, spent at the final look when there are interim ones
};

// The rules of a gate that looks at `looks` (look_schedule): every look but the last may be an
// interim one; the final look is the last round run, whatever ends the gate.
AbRules gate_rules(double alpha, int min_rounds, const std::vector<int>& looks);

// The level of one look before Holm: the final look's share of alpha, or an interim look's equal
// part of the rest. The sum over every look the gate may take is alpha.
double look_alpha(const AbRules& rules, bool final_look);

// One look: evaluates and decides every row not decided yet. On the final look a row that is
// still undecided says so in its reason.
void decide(std::vector<AbRow>& rows, const AbRules& rules, bool final_look);

// "N same, N slower, N faster, N undecided".
std::string ab_summary_line(const std::vector<AbRow>& rows);

void write_ab_csv(std::ostream& out, const std::vector<AbRow>& rows);
void write_ab_markdown(std::ostream& out, const std::vector<AbRow>& rows, const std::string& title);
// github-action-benchmark input: each benchmark's candidate median, times or rates.
void write_ab_github_json(std::ostream& out, const std::vector<AbRow>& rows, bool smaller);

// "90", "90s", "10m", "1h" in seconds; nullopt for anything else or a value that is not positive.
std::optional<double> parse_duration(const std::string& text);

// Where a side's benchmark programs are: BASE or CANDIDATE may be a build directory (bench/), an
// install prefix (libexec/ptbench/), a directory of programs, or a ptbench binary of either; the
// one that holds `program` (an executable) is it.
Result<std::filesystem::path> resolve_bench_dir(const std::string& given,
                                                const std::string& program);

// The whole command; the exit code: 0 nothing slower, 1 something slower, 2 bad input, 3 a
// benchmark failed on a side (and nothing was slower), 130 interrupted.
// `decided`, when given, receives every row as the gate left it.
int ab_command(const AbOptions& opt, std::ostream& out, std::ostream& err,
               std::vector<AbRow>* decided = nullptr);

}  // namespace ptbench::harness
