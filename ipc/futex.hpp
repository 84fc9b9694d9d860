// The futex operations the shared-memory code waits with. Not FUTEX_PRIVATE: the words live in
// memory that may be shared between processes (threads take the same path, so a thread/process
// comparison compares like with like).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>

namespace ptbench::ipc {

// Sleeps while *word == expected (returns at once otherwise), until woken or a signal arrives.
inline void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, expected, nullptr, nullptr,
          0);
}

inline void futex_wake(std::atomic<std::uint32_t>* word, int count) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, count, nullptr, nullptr,
          0);
}

inline void futex_wake_all(std::atomic<std::uint32_t>* word) {
  futex_wake(word, INT_MAX);
}

}  // namespace ptbench::ipc
