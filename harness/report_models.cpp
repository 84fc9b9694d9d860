#include "harness/report_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>

namespace ptbench::harness {

namespace {

int clients_of(const std::string& params) {
  const auto at = params.find("clients=");
  return at == std::string::npos ? 0 : std::atoi(params.c_str() + at + 8);
}

std::string size_text(long long bytes) {
  return bytes >= 1024 && bytes % 1024 == 0 ? fmt::format("{} KiB", bytes / 1024)
                                            : fmt::format("{} B", bytes);
}

std::string list_text(const std::vector<std::pair<std::string, double>>& v, bool slower) {
  std::string out;
  for (const auto& [model, x] : v) {
    if (!out.empty()) out += ", ";
    out += slower ? fmt::format("{} {:.3g}×", model, x)
                  : fmt::format("{} ({:+.0f}%)", model, (x - 1) * 100);
  }
  return out.empty() ? "–" : out;
}

}  // namespace

std::vector<ModelChoice> choose_models(const std::vector<SummaryRow>& rows, double margin) {
  std::map<std::string, double> p99;
  for (const auto& r : rows) {
    if (r.suite == "server" && r.metric == "p99_ns") p99[r.benchmark] = r.stats.median;
  }
  std::map<std::pair<long long, int>, std::vector<const SummaryRow*>> groups;
  for (const auto& r : rows) {
    if (r.suite != "server" || r.metric != "items_per_second" || r.skipped || r.errors > 0) {
      continue;
    }
    groups[{static_cast<long long>(r.payload_bytes), clients_of(r.params)}].push_back(&r);
  }
  std::vector<ModelChoice> out;
  for (auto& [key, group] : groups) {
    std::sort(group.begin(), group.end(), [](const SummaryRow* a, const SummaryRow* b) {
      return a->stats.median > b->stats.median;
    });
    ModelChoice c;
    c.bytes = key.first;
    c.clients = key.second;
    c.best = group.front()->mechanism;
    c.best_rate = group.front()->stats.median;
    if (auto it = p99.find(group.front()->benchmark); it != p99.end()) c.best_p99_ns = it->second;
    for (std::size_t i = 1; i < group.size(); ++i) {
      const double rel = group[i]->stats.median / c.best_rate;
      if (rel >= 1 - margin) {
        c.close.emplace_back(group[i]->mechanism, rel);
      } else {
        c.slower.emplace_back(group[i]->mechanism, c.best_rate / group[i]->stats.median);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

void report_models(std::ostream& md, const std::vector<SummaryRow>& rows) {
  const auto choices = choose_models(rows);
  if (choices.empty()) return;
  md << "\n## Choosing a model\n\nThe same request stream (a request of S bytes, a fixed "
        "amount of work over it (300 rounds of xorshift and a checksum), the request back as the "
        "answer) served by each server "
        "model, from C clients on this host, each waiting for its answer before the next "
        "request. Per request size and number of clients: the model that answered the most "
        "requests per second (median of the repetitions) with its p99 response time, the "
        "models within 10% of it (differences that size are within this VM's noise), and how "
        "many times slower the others were.\n\n"
        "| request | clients | most requests/s | p99 | within 10% | slower |\n"
        "|---:|---:|---|---:|---|---|\n";
  for (const auto& c : choices) {
    md << fmt::format("| {} | {} | {}: {} | {} | {} | {} |\n", size_text(c.bytes), c.clients,
                      c.best, human_value(c.best_rate, "1/s"),
                      c.best_p99_ns > 0 ? human_value(c.best_p99_ns, "ns") : "–",
                      list_text(c.close, false), list_text(c.slower, true));
  }
}

}  // namespace ptbench::harness
