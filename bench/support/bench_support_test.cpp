// The iteration plan a program reads: good files load, bad ones say why, and only the named rows
// get a count.
#include "bench/support/bench_support.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace ptbench::bench {
namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/ptbench-plan-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(IterationPlan, LoadsNamedCounts) {
  const std::string path =
      write_temp("BM_A/x/thread/unpinned/0\t1234\n\nBM_B/y/process/same-cpu/8\t7\n");
  std::string why;
  ASSERT_TRUE(load_iteration_plan(path, &why)) << why;
  unlink(path.c_str());
  EXPECT_EQ(planned_iterations("BM_A/x/thread/unpinned/0"), 1234);
  EXPECT_EQ(planned_iterations("BM_B/y/process/same-cpu/8"), 7);
  EXPECT_EQ(planned_iterations("BM_C/z/thread/unpinned/0"), 0);
}

TEST(IterationPlan, RefusesWhatIsNotACount) {
  for (const char* text : {"BM_A/x/thread/unpinned/0\n", "BM_A/x/thread/unpinned/0\t0\n",
                           "BM_A/x/thread/unpinned/0\t12x\n", "BM_A/x/thread/unpinned/0\t-3\n"}) {
    const std::string path = write_temp(text);
    std::string why;
    EXPECT_FALSE(load_iteration_plan(path, &why)) << text;
    EXPECT_NE(why.find("line 1"), std::string::npos) << why;
    unlink(path.c_str());
  }
  std::string why;
  EXPECT_FALSE(load_iteration_plan("/nonexistent/plan", &why));
  EXPECT_NE(why.find("cannot read"), std::string::npos) << why;
}

}  // namespace
}  // namespace ptbench::bench
