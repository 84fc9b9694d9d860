#include "ipc/status.hpp"

#include <gtest/gtest.h>

#include <utility>

namespace ptbench::ipc {
namespace {

TEST(Status, SuccessHasNoMessage) {
  Status ok;
  EXPECT_TRUE(ok);
  EXPECT_EQ(ok.code(), Errc::kOk);
  EXPECT_EQ(ok.message(), "");
  EXPECT_TRUE(Status::ok());
}

TEST(Status, ACopyKeepsTheErrorAndOwnsItsMessage) {
  Status copy;
  {
    Status e{Errc::kTimeout, "recv: no progress"};
    copy = e;
    Status again(e);
    EXPECT_EQ(again.message(), "recv: no progress");
  }
  EXPECT_FALSE(copy);
  EXPECT_EQ(copy.code(), Errc::kTimeout);
  EXPECT_EQ(copy.message(), "recv: no progress");
  copy = copy;  // NOLINT: assigning a Status to itself keeps it
  EXPECT_EQ(copy.message(), "recv: no progress");
  copy = Status{};
  EXPECT_TRUE(copy);
  EXPECT_EQ(copy.message(), "");
}

TEST(Status, AMoveTakesTheMessage) {
  Status e{Errc::kCorrupt, "checksum mismatch"};
  Status moved(std::move(e));
  EXPECT_EQ(moved.code(), Errc::kCorrupt);
  EXPECT_EQ(moved.message(), "checksum mismatch");
}

}  // namespace
}  // namespace ptbench::ipc
