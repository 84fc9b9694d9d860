#include "ipc/status.hpp"

#include <fmt/format.h>

#include <cstring>

namespace ptbench::ipc {

Status Status::from_errno(const std::string& what, int err) {
  return {Errc::kSystem, fmt::format("{}: {}", what, std::strerror(err))};
}

Status timed_out(const char* what, std::chrono::milliseconds timeout) {
  return {Errc::kTimeout,
          fmt::format("{}: no progress within {} ms (peer stuck or dead)", what, timeout.count())};
}

const char* errc_name(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kPeerClosed:
      return "peer closed";
    case Errc::kTooLarge:
      return "too large";
    case Errc::kCorrupt:
      return "corrupt";
    case Errc::kRefused:
      return "refused";
    case Errc::kSystem:
      return "system error";
  }
  return "unknown";
}

}  // namespace ptbench::ipc
