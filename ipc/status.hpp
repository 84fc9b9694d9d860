// Errors are values at the channel boundary: every operation returns a Status the caller reports.
#pragma once

#include <chrono>
#include <string>
#include <utility>

namespace ptbench::ipc {

enum class Errc {
  kOk,
  kTimeout,     // no progress before the deadline: the peer is stuck or dead
  kPeerClosed,  // the other end went away (EOF, EPIPE, ECONNRESET, a removed queue)
  kTooLarge,    // the message exceeds a limit of the transport; the message names it
  kCorrupt,     // a message arrived, but not the one expected (sequence or checksum)
  kRefused,     // the combination cannot run here (spin on one CPU, too few CPUs)
  kSystem,      // a system call failed
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Errc code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }
  // kSystem with "what: strerror(errno)".
  static Status from_errno(const std::string& what, int err);

  bool is_ok() const { return code_ == Errc::kOk; }
  explicit operator bool() const { return is_ok(); }
  Errc code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Errc code_ = Errc::kOk;
  std::string message_;
};

const char* errc_name(Errc e);

// kTimeout for a blocking call that made no progress before its deadline.
Status timed_out(const char* what, std::chrono::milliseconds timeout);

}  // namespace ptbench::ipc
