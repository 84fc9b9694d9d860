// The course notes' claims, one function each, and what they share: an index of a run's
// samples by benchmark, metric and repetition, and the tests a verdict rests on. Used by
// verify.cpp; tested through evaluate_claims.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "harness/results.hpp"
#include "harness/verify.hpp"

namespace ptbench::harness::claims {

using Series = std::map<int, double>;  // repetition -> value

class Index {
 public:
  explicit Index(const std::vector<Sample>& samples, const KeyValues& host = {});
  // A fact of the run's host (host.csv), or "unknown".
  std::string host(const std::string& key) const;
  // A benchmark's series; kCrossRef in its name stands for the run's reference level.
  const Series* find(const std::string& benchmark, const std::string& metric = "real_time") const;
  // The run's reference level ("cross-cpu" when its host.csv recorded none).
  const std::string& level() const { return level_; }
  std::vector<double> values(const std::string& benchmark,
                             const std::string& metric = "real_time") const;
  // The median over repetitions, or NaN.
  double median(const std::string& benchmark, const std::string& metric = "real_time") const;
  // Per repetition present in both: f(a, b).
  template <typename F>
  std::vector<double> paired(const std::string& a, const std::string& b, F f,
                             const std::string& metric = "real_time") const {
    std::vector<double> out;
    const Series *sa = find(a, metric), *sb = find(b, metric);
    if (sa == nullptr || sb == nullptr) return out;
    for (const auto& [rep, va] : *sa) {
      auto it = sb->find(rep);
      if (it != sb->end()) out.push_back(f(va, it->second));
    }
    return out;
  }

 private:
  std::map<std::pair<std::string, std::string>, Series> series_;
  std::map<std::string, std::string> host_;
  std::string level_;  // the run's reference level: what kCrossRef in a name stands for
};

// What a comparison of a costlier side with a cheaper one found.
struct Test : ClaimNumbers {
  ClaimVerdict verdict = ClaimVerdict::kInconclusive;  // holds, does not hold or inconclusive
  Text note;
};

// "expensive costs `ratio` x cheap" over unpaired repetitions (Mann-Whitney, the medians'
// intervals).
Test costlier(const std::vector<double>& expensive, const std::vector<double>& cheap, double alpha);

// The same from ratios paired by repetition (one round of the run each), so that drift between
// rounds cancels: holds when the ratios are significantly above 1 (Wilcoxon signed-rank on their
// logs) by at least 10%, holds by less than 10% when significant but smaller, does not hold when
// significantly below 1 or inside +-10%.
Test paired_ratios(const std::vector<double>& ratios, double alpha);

// Copies a test's numbers and verdict into the claim.
void take(ClaimResult& c, const Test& t);

// "expensive costs `ratio` x cheap" from the rounds both ran: paired_ratios of expensive / cheap.
Test costlier_paired(const Index& idx, const std::string& expensive, const std::string& cheap,
                     double alpha, const std::string& metric = "real_time");

// "4.46 µs": a time in ns as people read it.
std::string time_text(double ns);

// The twelve claims in the notes' order, each evaluated on a run's index.
using Claim = ClaimResult (*)(const Index&, double alpha);
const std::vector<Claim>& all();

// Every benchmark the claims read (grid names).
const std::vector<std::string>& benchmarks();

}  // namespace ptbench::harness::claims
