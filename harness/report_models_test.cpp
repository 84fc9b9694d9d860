#include "harness/report_models.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace ptbench::harness {
namespace {

SummaryRow row(const std::string& model, int clients, const std::string& metric, double median) {
  SummaryRow r;
  r.suite = "server";
  r.mechanism = model;
  r.payload_bytes = 64;
  r.params = "clients=" + std::to_string(clients);
  r.benchmark = "BM_Server/" + model + "/thread/unpinned/64/" + r.params;
  r.metric = metric;
  r.stats.median = median;
  return r;
}

// The fastest model leads its group; one 5% behind is close, one at a quarter is 4x slower, a
// failed row is left out, and each number of clients is its own group.
TEST(ReportModels, ChoosesTheFastestAndSaysHowFarTheOthersAre) {
  std::vector<SummaryRow> rows = {row("epoll", 16, "items_per_second", 100),
                                  row("thread_pool", 16, "items_per_second", 95),
                                  row("fork_per_request", 16, "items_per_second", 25),
                                  row("thread_pool", 16, "p99_ns", 900),
                                  row("epoll", 16, "p99_ns", 1200),
                                  row("prefork", 16, "items_per_second", 500),
                                  row("epoll", 1, "items_per_second", 40)};
  rows[5].errors = 1;
  const auto choices = choose_models(rows);
  ASSERT_EQ(choices.size(), 2u);
  EXPECT_EQ(choices[0].clients, 1);
  EXPECT_EQ(choices[1].best, "epoll");
  EXPECT_EQ(choices[1].best_p99_ns, 1200);
  ASSERT_EQ(choices[1].close.size(), 1u);
  EXPECT_EQ(choices[1].close[0].first, "thread_pool");
  EXPECT_DOUBLE_EQ(choices[1].close[0].second, 0.95);
  ASSERT_EQ(choices[1].slower.size(), 1u);
  EXPECT_DOUBLE_EQ(choices[1].slower[0].second, 4);
  std::ostringstream md;
  report_models(md, rows);
  EXPECT_NE(md.str().find("## Choosing a model"), std::string::npos);
  EXPECT_NE(md.str().find("| 64 B | 16 | epoll: "), std::string::npos) << md.str();
  EXPECT_NE(md.str().find("thread_pool (-5%)"), std::string::npos) << md.str();
  EXPECT_NE(md.str().find("fork_per_request 4×"), std::string::npos) << md.str();
}

TEST(ReportModels, NoServerRowsNoSection) {
  std::ostringstream md;
  report_models(md, {});
  EXPECT_TRUE(md.str().empty());
}

}  // namespace
}  // namespace ptbench::harness
