// The planted slowdown: what PTBENCH_PLANT accepts, which rows it names, and that a malformed one
// is refused instead of silently planting nothing.
#include "bench/support/plant.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace ptbench::bench {
namespace {

TEST(Plant, ParsesRegexAndNanoseconds) {
  std::string why;
  auto spec = parse_plant("^BM_IpcLatency/pipe/process/same-cache/64$:250", &why);
  ASSERT_TRUE(spec.has_value()) << why;
  EXPECT_EQ(spec->pattern, "^BM_IpcLatency/pipe/process/same-cache/64$");
  EXPECT_EQ(spec->ns, 250);
  // The last colon splits, so a pattern may hold colons of its own.
  spec = parse_plant("a:b:7", &why);
  ASSERT_TRUE(spec.has_value()) << why;
  EXPECT_EQ(spec->pattern, "a:b");
}

TEST(Plant, RefusesWhatIsNotOne) {
  for (const char* bad : {"", "250", ":250", "BM_X:", "BM_X:0", "BM_X:-5", "BM_X:12ns", "(:5"}) {
    std::string why;
    EXPECT_FALSE(parse_plant(bad, &why).has_value()) << bad;
    EXPECT_NE(why.find("PTBENCH_PLANT"), std::string::npos) << bad << ": " << why;
  }
}

TEST(Plant, SeveralRowsAtOnce) {
  std::string why;
  auto specs = parse_plants("^BM_A$:100;^BM_B:7", &why);
  ASSERT_TRUE(specs.has_value()) << why;
  ASSERT_EQ(specs->size(), 2u);
  EXPECT_EQ((*specs)[1].pattern, "^BM_B");
  EXPECT_EQ((*specs)[1].ns, 7);
  EXPECT_EQ(planted_ns(*specs, "BM_A"), 100);
  EXPECT_EQ(planted_ns(*specs, "BM_B/x"), 7);
  EXPECT_EQ(planted_ns(*specs, "BM_C"), 0);
  EXPECT_EQ(planted_ns(*parse_plants("BM_:3;_B:4", &why), "BM_B"), 7);  // both entries match
  for (const char* bad : {"^BM_A$:100;", ";^BM_A$:100", "^BM_A$:100;^BM_B", "a:1;;b:2"}) {
    EXPECT_FALSE(parse_plants(bad, &why).has_value()) << bad;
    EXPECT_NE(why.find("PTBENCH_PLANT"), std::string::npos) << bad << ": " << why;
  }
  setenv("PTBENCH_PLANT", "^BM_A/:100;^BM_B/:7;/x$:1", 1);
  EXPECT_TRUE(plant_environment_ok(&why)) << why;
  unsetenv("PTBENCH_PLANT");
}

TEST(Plant, NamesOnlyTheMatchingRowsAndChecksTheEnvironment) {
  setenv("PTBENCH_PLANT", "^BM_Switch/futex/thread/:400", 1);
  std::string why;
  EXPECT_TRUE(plant_environment_ok(&why)) << why;
  EXPECT_EQ(planted_ns("BM_Switch/futex/thread/same-cpu/0/tasks=2/ws_kib=0"), 400);
  EXPECT_EQ(planted_ns("BM_Switch/futex/process/same-cpu/0/tasks=2/ws_kib=0"), 0);
  setenv("PTBENCH_PLANT", "BM_Switch:lots", 1);
  EXPECT_FALSE(plant_environment_ok(&why));
  unsetenv("PTBENCH_PLANT");
}

}  // namespace
}  // namespace ptbench::bench
