// What a spinning wait does between two looks at shared memory: the CPU's spin-wait hint. On
// x86 a loop of loads without it keeps several loads of the watched line in flight and pays a
// pipeline flush when the line changes; with it the loop waits quietly and leaves the core to a
// sibling hyperthread.
#pragma once

#include <atomic>

namespace ptbench::ipc {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace ptbench::ipc
