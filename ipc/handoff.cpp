#include "ipc/handoff.hpp"

#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <boost/interprocess/sync/interprocess_condition.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <cerrno>
#include <cstdint>
#include <new>

#include "ipc/boost_deadline.hpp"
#include "ipc/fd.hpp"
#include "ipc/futex.hpp"
#include "ipc/shared_object.hpp"

namespace ptbench::ipc {

namespace {

class PipeHandoff final : public Handoff {
 public:
  explicit PipeHandoff(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  Status create() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return Status::from_errno("pipe2", errno);
    r_.reset(fds[0]);
    w_.reset(fds[1]);
    return {};
  }
  Status signal() override {
    const char c = 't';
    return write(w_.get(), &c, 1) == 1 ? Status{} : Status::from_errno("write", errno);
  }
  Status wait() override {
    DeadlineGuard guard(timeout_);
    char c;
    for (;;) {
      const ssize_t n = read(r_.get(), &c, 1);
      if (n == 1) return {};
      if (n == 0) return {Errc::kPeerClosed, "pipe closed"};
      if (errno != EINTR) return Status::from_errno("read", errno);
      if (guard.expired()) return timed_out("pipe hand-off", timeout_);
    }
  }

 private:
  std::chrono::milliseconds timeout_;
  Fd r_, w_;
};

class EventfdHandoff final : public Handoff {
 public:
  explicit EventfdHandoff(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  Status create() {
    fd_.reset(eventfd(0, EFD_CLOEXEC));
    return fd_.get() >= 0 ? Status{} : Status::from_errno("eventfd", errno);
  }
  Status signal() override {
    const std::uint64_t one = 1;
    return write(fd_.get(), &one, 8) == 8 ? Status{} : Status::from_errno("eventfd write", errno);
  }
  Status wait() override {
    DeadlineGuard guard(timeout_);
    std::uint64_t v;
    while (read(fd_.get(), &v, 8) != 8) {
      if (errno != EINTR) return Status::from_errno("eventfd read", errno);
      if (guard.expired()) return timed_out("eventfd hand-off", timeout_);
    }
    return {};
  }

 private:
  std::chrono::milliseconds timeout_;
  Fd fd_;
};

// A word in shared memory: the futex kind sleeps on it, the yield kind polls it.
class WordHandoff final : public Handoff {
 public:
  WordHandoff(bool sleep, std::chrono::milliseconds timeout) : sleep_(sleep), timeout_(timeout) {}
  Status create() { return word_.create(); }
  Status signal() override {
    word_->store(1, std::memory_order_release);
    if (sleep_) futex_wake(word_.get(), 1);
    return {};
  }
  Status wait() override {
    DeadlineGuard guard(timeout_);
    while (word_->exchange(0, std::memory_order_acquire) == 0) {
      if (sleep_) {
        futex_wait(word_.get(), 0);
      } else {
        sched_yield();
      }
      if (guard.expired()) return timed_out(sleep_ ? "futex hand-off" : "yield hand-off", timeout_);
    }
    return {};
  }

 private:
  bool sleep_;
  std::chrono::milliseconds timeout_;
  SharedObject<std::atomic<std::uint32_t>> word_;
};

class SemaphoreHandoff final : public Handoff {
 public:
  explicit SemaphoreHandoff(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  ~SemaphoreHandoff() override {
    if (initialized_) sem_destroy(sem_.get());
  }
  Status create() {
    if (auto s = sem_.create(); !s) return s;
    if (sem_init(sem_.get(), 1, 0) != 0) return Status::from_errno("sem_init", errno);
    initialized_ = true;
    return {};
  }
  Status signal() override {
    return sem_post(sem_.get()) == 0 ? Status{} : Status::from_errno("sem_post", errno);
  }
  Status wait() override {
    DeadlineGuard guard(timeout_);
    while (sem_wait(sem_.get()) != 0) {
      if (errno != EINTR) return Status::from_errno("sem_wait", errno);
      if (guard.expired()) return timed_out("semaphore hand-off", timeout_);
    }
    return {};
  }

 private:
  std::chrono::milliseconds timeout_;
  SharedObject<sem_t> sem_;
  bool initialized_ = false;
};

// The flag makes a signal that comes before the wait count.
class CondvarHandoff final : public Handoff {
 public:
  explicit CondvarHandoff(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  Status create() { return shared_.create(); }
  Status signal() override {
    boost::interprocess::scoped_lock<boost::interprocess::interprocess_mutex> lock(shared_->m);
    shared_->flag = true;
    shared_->cv.notify_one();
    return {};
  }
  Status wait() override {
    const auto deadline = deadline_after(timeout_);
    boost::interprocess::scoped_lock<boost::interprocess::interprocess_mutex> lock(shared_->m);
    while (!shared_->flag) {
      if (!shared_->cv.timed_wait(lock, deadline)) return timed_out("condvar hand-off", timeout_);
    }
    shared_->flag = false;
    return {};
  }

 private:
  struct State {
    boost::interprocess::interprocess_mutex m;
    boost::interprocess::interprocess_condition cv;
    bool flag = false;
  };
  std::chrono::milliseconds timeout_;
  SharedObject<State> shared_;
};

template <typename H, typename... Args>
Status made(std::unique_ptr<Handoff>* out, Args... args) {
  auto h = std::make_unique<H>(args...);
  if (auto s = h->create(); !s) return s;
  *out = std::move(h);
  return {};
}

}  // namespace

std::string_view to_string(HandoffKind k) {
  switch (k) {
    case HandoffKind::kPipe:
      return "pipe";
    case HandoffKind::kFutex:
      return "futex";
    case HandoffKind::kEventfd:
      return "eventfd";
    case HandoffKind::kSemaphore:
      return "semaphore";
    case HandoffKind::kCondvar:
      return "condvar";
    case HandoffKind::kYield:
      return "sched_yield";
  }
  return "?";
}

std::optional<HandoffKind> parse_handoff_kind(std::string_view s) {
  for (auto k : {HandoffKind::kPipe, HandoffKind::kFutex, HandoffKind::kEventfd,
                 HandoffKind::kSemaphore, HandoffKind::kCondvar, HandoffKind::kYield}) {
    if (to_string(k) == s) return k;
  }
  return std::nullopt;
}

Status make_handoff(HandoffKind kind, std::unique_ptr<Handoff>* out,
                    std::chrono::milliseconds timeout) {
  switch (kind) {
    case HandoffKind::kPipe:
      return made<PipeHandoff>(out, timeout);
    case HandoffKind::kFutex:
      return made<WordHandoff>(out, true, timeout);
    case HandoffKind::kEventfd:
      return made<EventfdHandoff>(out, timeout);
    case HandoffKind::kSemaphore:
      return made<SemaphoreHandoff>(out, timeout);
    case HandoffKind::kCondvar:
      return made<CondvarHandoff>(out, timeout);
    case HandoffKind::kYield:
      return made<WordHandoff>(out, false, timeout);
  }
  return {Errc::kRefused, "unknown hand-off kind"};
}

}  // namespace ptbench::ipc
