// `ptbench verify`: the course notes' claims as hypotheses, tested on this host's measurements.
#pragma once

#include <cmath>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/host.hpp"
#include "harness/results.hpp"
#include "harness/runner.hpp"

namespace ptbench::harness {

// kHoldsByLess: significant in the claimed direction, by less than the 10% that counts.
enum class ClaimVerdict { kHolds, kHoldsPartly, kDoesNotHold, kInconclusive, kHoldsByLess };

// "holds", "holds in part", "does not hold", "inconclusive", "holds, by less than 10%": the words
// verify.csv and the report use; verdict_text_ko gives the Korean ones.
const char* verdict_text(ClaimVerdict v);
const char* verdict_text_ko(ClaimVerdict v);
std::optional<ClaimVerdict> parse_verdict(std::string_view text);

// A text in English (verify.csv, the report) and in Korean, the notes' language (--lang ko).
struct Text {
  std::string en, ko;
};

// What a test of a claim found: NaN where it found nothing.
struct ClaimNumbers {
  double ratio = NAN;  // how many times the claim's costlier side costs the cheaper one
  double ci_low = NAN, ci_high = NAN;  // its interval
  double ci_coverage = NAN;            // and how much that interval covers
  double p_value = NAN;  // Wilcoxon signed-rank of ratios paired by round (Mann-Whitney where
                         // the sides are not paired)
  double p_holm = NAN;   // p_value after Holm's adjustment over the claims that have a test
};

struct ClaimResult : ClaimNumbers {
  int number = 0;
  Text statement;        // the notes' claim
  Text condition;        // where and how it was measured: placement, size, working set
  std::string evidence;  // what was compared
  ClaimVerdict verdict = ClaimVerdict::kInconclusive;
  Text explanation;  // why it comes out so on this host, with the measured numbers
  Text note;         // what limits the verdict
};

// The benchmarks the claims need (grid names, at this host's reference level).
const std::vector<std::string>& verify_benchmarks();

// Tests the twelve claims on the samples of a run and the facts of its host (host.csv: PCID, PTI,
// the scheduler's base slice, CONFIG_HZ choose the explanations and judge claim 11). The family
// is controlled: a claim's test decides at its Holm-adjusted p. Missing data makes a claim
// inconclusive.
std::vector<ClaimResult> evaluate_claims(const std::vector<Sample>& samples, double alpha = 0.01,
                                         const KeyValues& host = {});

void write_verify_csv(std::ostream& out, const std::vector<ClaimResult>& claims);
// verify.csv read back, English texts only (the report shows the verdicts of a verified run).
Result<std::vector<ClaimResult>> parse_verify_csv(std::string_view text);
// The verdicts for a person; `lang` is "en" or "ko".
void print_claims(std::ostream& out, const std::vector<ClaimResult>& claims,
                  const std::string& lang = "en");

// Runs what the claims need (unless `from` names a finished run), then evaluates them, prints
// the table and writes verify.csv into the run directory. Exit 0 whatever the verdicts, 2 on
// bad input, 3 when a benchmark failed.
// Where the claims' two-CPU rows ran: the topology level their CPUs share (host.csv's
// cross_cpu_level) and the machine's summary.
std::string placement_line(const KeyValues& host, bool ko);

int verify_command(RunOptions run, const std::filesystem::path& from, const std::string& lang,
                   std::ostream& out, std::ostream& err);

}  // namespace ptbench::harness
