// A multi-producer queue of messages in shared memory (one consumer, or several readers) (a bounded
// queue after Dmitry Vyukov's design): N slots, each with a sequence word. A producer claims the
// next position with one compare-and-swap on the shared enqueue counter, writes its message into
// that position's slot and publishes it by storing position + 1 into the slot's sequence word; the
// consumer takes positions in order, waiting for that value, and frees the slot by storing
// position + N (the value the producer of the next lap waits for). No locks: a producer that is
// descheduled between claiming and publishing delays only the consumer's view of that one slot.
//
// Cache lines per message: the enqueue counter (shared by all producers: the one contended line),
// and the slot's lines (the sequence word travels with the first bytes of the message).
//
// Every blocking call has a deadline; a producer that dies between claiming and publishing leaves
// the consumer waiting on that slot, which becomes a timeout error. Waiting is a policy, as for
// the ring (ipc/eventcount.hpp): producers facing a full queue and the consumer facing an empty
// one spin, yield or sleep on an eventcount.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ipc/channel.hpp"
#include "ipc/eventcount.hpp"

namespace ptbench::ipc {

struct alignas(128) MpscControl {
  alignas(128) std::atomic<std::uint64_t> enqueue{0};  // the next position a producer claims
  alignas(128) std::atomic<std::uint64_t> dequeue{0};  // the next one a reader claims (fan-out)
  alignas(128) EventCount data;                        // the consumer sleeps here
  alignas(128) EventCount space;                       // producers facing a full queue sleep here
  alignas(128) std::atomic<std::uint64_t> lost_wakeups{0};
  std::uint64_t slot_bytes = 0;  // a multiple of 64
  std::uint64_t slots = 0;       // a power of two
};

struct MpscGeometry {
  std::size_t slot_bytes;
  std::size_t slots;
  std::size_t bytes() const { return slot_bytes * slots; }
};

// The slots for messages of up to `max_message` bytes: 16-byte header and message in whole lines,
// a power of two of them, about 256 KiB (at least 16, at most 4096).
MpscGeometry mpsc_geometry(std::size_t max_message);

// Lays out an empty queue in `control` and `slots` (shared memory of geometry.bytes()).
void mpsc_init(MpscControl* control, std::byte* slots, MpscGeometry geometry);

class MpscEnd {
 public:
  MpscEnd(MpscControl* control, std::byte* slots, WaitPolicy policy, Placement placement,
          std::chrono::milliseconds timeout);
  std::size_t max_message() const { return slot_bytes_ - kSlotHeader; }
  static constexpr std::size_t kSlotHeader = 16;

 protected:
  struct Slot;
  Slot* slot(std::uint64_t position) const;
  Status claim(std::atomic<std::uint64_t>& counter, std::uint64_t offset, EventCount& ec,
               const char* what, std::uint64_t* position, Slot** claimed);
  Status take(Slot* s, std::uint64_t position, void* buf, std::size_t capacity, std::size_t* size);

  MpscControl* ctl_;
  std::byte* slots_;
  std::uint64_t slot_bytes_, mask_;
  WaitPolicy policy_;
  std::chrono::nanoseconds spin_budget_;
  std::chrono::milliseconds timeout_;
};

// Any number of these, in any processes and threads, may push into one queue.
class MpscProducer : private MpscEnd {
 public:
  using MpscEnd::max_message;
  using MpscEnd::MpscEnd;
  Status push(const void* msg, std::size_t size);
};

// Exactly one consumer per queue.
class MpscConsumer : private MpscEnd {
 public:
  using MpscEnd::max_message;
  using MpscEnd::MpscEnd;
  Status pop(void* buf, std::size_t capacity, std::size_t* size);

 private:
  std::uint64_t position_ = 0;
};

// Any number of these may take messages from one queue (fan-out): each claims the next position
// with a compare-and-swap on the shared dequeue counter, so every message goes to exactly one.
// A queue has either one MpscConsumer or readers, never both.
class MpscReader : private MpscEnd {
 public:
  using MpscEnd::max_message;
  using MpscEnd::MpscEnd;
  Status pop(void* buf, std::size_t capacity, std::size_t* size);
};

// Lost wake-ups detected so far by the queues of a shm_mpsc transport (both directions).
std::uint64_t shm_mpsc_lost_wakeups(const Transport& t);

}  // namespace ptbench::ipc
