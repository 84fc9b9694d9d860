// Errors are values at the channel boundary: every operation returns a Status the caller reports.
#pragma once

#include <chrono>
#include <memory>
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

// Success costs what an error code does: the message lives on the heap, and only an error has
// one (an empty std::string would be built and torn down on every call of a transport's hot path).
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Errc code, std::string message)
      : code_(code), message_(std::make_unique<std::string>(std::move(message))) {}
  Status(const Status& o) : code_(o.code_), message_(o.message_ ? copy(*o.message_) : nullptr) {}
  Status& operator=(const Status& o) {
    if (this != &o) *this = Status(o);
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;
  static Status ok() { return {}; }
  // kSystem with "what: strerror(errno)".
  static Status from_errno(const std::string& what, int err);

  bool is_ok() const { return code_ == Errc::kOk; }
  explicit operator bool() const { return is_ok(); }
  Errc code() const { return code_; }
  const std::string& message() const { return message_ ? *message_ : kNoMessage; }

 private:
  static std::unique_ptr<std::string> copy(const std::string& m) {
    return std::make_unique<std::string>(m);
  }
  static inline const std::string kNoMessage;
  Errc code_ = Errc::kOk;
  std::unique_ptr<std::string> message_;
};

const char* errc_name(Errc e);

// kTimeout for a blocking call that made no progress before its deadline.
Status timed_out(const char* what, std::chrono::milliseconds timeout);

}  // namespace ptbench::ipc
