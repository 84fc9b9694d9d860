// GoogleTest support for Status: `ASSERT_TRUE(IsOk(expr))` prints the status's message on failure,
// where a plain `ASSERT_TRUE(expr)` would only say "false".
#pragma once

#include <gtest/gtest.h>

#include "ipc/status.hpp"

namespace ptbench::ipc {

inline testing::AssertionResult IsOk(const Status& s) {
  if (s) return testing::AssertionSuccess();
  return testing::AssertionFailure() << errc_name(s.code()) << ": " << s.message();
}

}  // namespace ptbench::ipc
