// "Choosing a model": a decision table derived from the server suite's rows (BM_Server): for
// each request size and number of clients, the model that answered the most requests per second,
// the models within 10% of it, and how many times slower the others were.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "harness/results.hpp"

namespace ptbench::harness {

struct ModelChoice {
  long long bytes = 0;
  int clients = 0;
  std::string best;
  double best_rate = 0;    // requests per second (median of the repetitions)
  double best_p99_ns = 0;  // 0 when the run has too few samples for a p99
  std::vector<std::pair<std::string, double>> close;   // within `margin`: model, rate / best
  std::vector<std::pair<std::string, double>> slower;  // the others: model, best / rate
};

// One choice per (bytes, clients) among the server rows that ran without errors, by request
// size and then clients.
std::vector<ModelChoice> choose_models(const std::vector<SummaryRow>& rows, double margin = 0.10);

// The section: the decision table, then the rows behind it. Nothing when the run has no server
// rows.
void report_models(std::ostream& md, const std::vector<SummaryRow>& rows);

}  // namespace ptbench::harness
