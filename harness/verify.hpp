// `ptbench verify`: the course notes' claims as hypotheses, tested on this host's measurements.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/results.hpp"
#include "harness/runner.hpp"

namespace ptbench::harness {

enum class ClaimVerdict { kHolds, kDoesNotHold, kInconclusive };

// "holds", "does not hold", "inconclusive": the words verify.csv and the report use.
const char* verdict_text(ClaimVerdict v);
std::optional<ClaimVerdict> parse_verdict(std::string_view text);

struct ClaimResult {
  int number = 0;
  std::string statement;
  std::string evidence;  // what was compared
  double ratio = 0;      // how many times the claim's "expensive" side costs the "cheap" side
  double ci_low = 0, ci_high = 0;  // from the medians' confidence intervals
  double ci_coverage = 0;          // the joint coverage of that interval
  double p_value = 1;              // Mann-Whitney, two-sided
  ClaimVerdict verdict = ClaimVerdict::kInconclusive;
  std::string note;
};

// The benchmarks the claims need (grid names).
const std::vector<std::string>& verify_benchmarks();

// Tests the six claims on the samples of a run. Missing data makes a claim inconclusive.
std::vector<ClaimResult> evaluate_claims(const std::vector<Sample>& samples, double alpha = 0.01);

void write_verify_csv(std::ostream& out, const std::vector<ClaimResult>& claims);
// verify.csv read back (the report shows the verdicts of a run that was verified).
Result<std::vector<ClaimResult>> parse_verify_csv(std::string_view text);
void print_claims(std::ostream& out, const std::vector<ClaimResult>& claims);

// Runs what the claims need (unless `from` names a finished run), then evaluates them, prints
// the table and writes verify.csv into the run directory. Exit 0 whatever the verdicts, 2 on
// bad input or failed benchmarks.
int verify_command(RunOptions run, const std::filesystem::path& from, std::ostream& out,
                   std::ostream& err);

}  // namespace ptbench::harness
