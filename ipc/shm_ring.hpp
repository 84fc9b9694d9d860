// A single-producer single-consumer ring of variable-size messages in shared memory, one per
// direction, built for speed:
// - a record is a 16-byte header (sequence number, size) followed by the payload, so for small
//   messages the ready signal travels in the same cache line as the data: the consumer polls the
//   header of the next record, not a shared head index;
// - the consumer publishes its tail on its own cache line; the producer keeps a cached copy and
//   reads the shared one only when the cached value says the ring is full;
// - before publishing a record the producer zeroes the header slot after it, so the consumer can
//   never mistake stale bytes of an earlier lap for the next record;
// - waiting is a policy: spin, yield, futex, or spin then futex. Sleepers use an eventcount (an
//   epoch word and a waiter count): a publisher issues FUTEX_WAKE only when someone sleeps, and
//   a wake-up cannot be lost because the sleeper re-checks after announcing itself and
//   FUTEX_WAIT refuses to sleep once the epoch has moved.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ipc/channel.hpp"

namespace ptbench::ipc {

struct EventCount {
  std::atomic<std::uint32_t> epoch{0};
  std::atomic<std::uint32_t> waiters{0};
};

// The shared part of one direction, placed at the start of its area of the segment.
struct alignas(64) RingControl {
  alignas(64) std::atomic<std::uint64_t> tail{0};          // consumer position in bytes
  alignas(64) EventCount data;                             // the consumer sleeps here
  alignas(64) EventCount space;                            // the producer sleeps here
  alignas(64) std::atomic<std::uint64_t> lost_wakeups{0};  // must stay 0 (see wait())
  std::uint64_t capacity = 0;                              // bytes, a power of two
};

// Ring capacity for messages of up to `max_message` bytes.
std::size_t ring_capacity(std::size_t max_message);

// What both ends of one direction know: the shared control block and data, and how to wait.
class RingEnd {
 public:
  RingEnd(RingControl* control, std::byte* data, WaitPolicy policy, Placement placement,
          std::chrono::milliseconds timeout);

 protected:
  RingControl* ctl_;
  std::byte* data_;
  std::uint64_t cap_, mask_;
  WaitPolicy policy_;
  std::chrono::nanoseconds spin_budget_;  // spin_futex: spin this long, then sleep (0 on one CPU)
  std::chrono::milliseconds timeout_;
};

class RingProducer : private RingEnd {
 public:
  using RingEnd::RingEnd;
  Status push(const void* msg, std::size_t size);

 private:
  std::uint64_t head_ = 0, cached_tail_ = 0, seq_ = 1;
};

class RingConsumer : private RingEnd {
 public:
  using RingEnd::RingEnd;
  Status pop(void* buf, std::size_t capacity, std::size_t* size);

 private:
  std::uint64_t tail_ = 0, seq_ = 1;
};

// Lost wake-ups detected so far by the rings of a transport (both directions). A lost wake-up is
// a sleeper that found its condition already true when its deadline woke it.
std::uint64_t shm_ring_lost_wakeups(const Transport& t);

}  // namespace ptbench::ipc
