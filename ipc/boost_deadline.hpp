// Boost.Interprocess waits take an absolute time (UTC): the deadline `timeout` from now.
#pragma once

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <chrono>

namespace ptbench::ipc {

inline boost::posix_time::ptime deadline_after(std::chrono::milliseconds timeout) {
  return boost::posix_time::microsec_clock::universal_time() +
         boost::posix_time::milliseconds(timeout.count());
}

}  // namespace ptbench::ipc
