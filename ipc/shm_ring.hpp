// A single-producer single-consumer ring of messages in shared memory, one per direction, built
// to sit near the hardware floor (one cache line bounced between two CPUs).
//
// Layout: N slots of S bytes (S = 16 + max_message + 8 rounded up to whole 64-byte lines, N >= 4
// and about 256 KiB of slots). A slot starts with a 16-byte header {sequence number, size}, the
// message follows it, and the slot's last 8 bytes are a trailer holding the sequence number
// again. The producer writes the message, then the header, then the trailer; the consumer
// watches the header AND the trailer and takes the message when both show its number, so the
// second line of a two-line slot is asked for while the first is, not after it has arrived.
// (Watching both was measured faster than watching the header or the trailer alone: the A/B is
// in docs/findings/2026-11-25.md.)
// Header and trailer only ever hold sequence numbers, never payload, so a stale lap can never
// look ready and nothing has to be cleared ahead of the producer.
//
// Cache lines moved per message, by design (L = S / 64 lines per slot):
// - producer to consumer: the lines holding the header and the message, ceil((16 + size) / 64),
//   plus the trailer's line when it is another one: one line in a ring for messages of up to 40
//   bytes, two in a ring for 41-104 bytes (the 64-byte messages of the latency benchmark: the
//   header and the first 48 bytes in one line, the last 16 bytes and the trailer in the next);
// - consumer to producer: nothing per message. The consumer publishes how many messages it has
//   released in a 128-byte block of its own; the producer keeps a cached copy and reads the
//   shared one only when the cached value says the ring is full (once per N messages when
//   streaming);
// - the eventcount words: only when someone sleeps (plus one read-modify-write per message on the
//   other side's waiter word under the sleeping policies, in its own block).
// So a 64-byte round trip moves two lines each way where the cache-line floor moves one; the two
// travel together.
// Every block one side writes has 128 bytes to itself (the adjacent-line prefetcher moves lines
// in 128-byte pairs). A ring made for large messages carries small ones in whole slots: size it
// for the messages it will carry.
//
// Zero copy: loan() hands the producer the slot's message area to write in place and publish();
// peek() hands the consumer the message in place, and release() frees the slot. push() and
// pop() are the copying calls, built on those.
//
// Waiting is a policy: spin, yield, futex, or spin then futex. Sleepers use an eventcount (an
// epoch word and a waiter count): a publisher issues FUTEX_WAKE only when someone sleeps, and
// a wake-up cannot be lost because the sleeper re-checks after announcing itself and
// FUTEX_WAIT refuses to sleep once the epoch has moved.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "ipc/channel.hpp"
#include "ipc/eventcount.hpp"

namespace ptbench::ipc {

// The shared part of one direction, placed at the start of its area of the segment. Each block
// that one side writes has 128 bytes to itself.
struct alignas(128) RingControl {
  alignas(128) std::atomic<std::uint64_t> released{0};      // messages the consumer has freed
  alignas(128) EventCount data;                             // the consumer sleeps here
  alignas(128) EventCount space;                            // the producer sleeps here
  alignas(128) std::atomic<std::uint64_t> lost_wakeups{0};  // must stay 0 (see wait())
  std::uint64_t slot_bytes = 0;                             // a multiple of 64
  std::uint64_t slots = 0;
};

struct RingGeometry {
  std::size_t slot_bytes;
  std::size_t slots;
  std::size_t bytes() const { return slot_bytes * slots; }
};

// The slots for messages of up to `max_message` bytes.
RingGeometry ring_geometry(std::size_t max_message);

// What both ends of one direction know: the shared control block and slots, and how to wait.
class RingEnd {
 public:
  RingEnd(RingControl* control, std::byte* data, WaitPolicy policy, Placement placement,
          std::chrono::milliseconds timeout);
  static constexpr std::size_t kSlotOverhead = 24;  // the header and the trailer
  std::size_t max_message() const { return slot_bytes_ - kSlotOverhead; }

 protected:
  struct Header;
  Header* header(std::uint64_t slot) const;
  std::atomic<std::uint64_t>* trailer(std::uint64_t slot) const;
  std::byte* message(std::uint64_t slot) const;  // where the slot's message starts
  std::uint64_t next(std::uint64_t slot) const;

  RingControl* ctl_;
  std::byte* data_;
  std::uint64_t slot_bytes_, slots_;
  WaitPolicy policy_;
  std::chrono::nanoseconds spin_budget_;  // spin_futex: spin this long, then sleep (0 on one CPU)
  std::chrono::milliseconds timeout_;
};

class RingProducer : private RingEnd {
 public:
  using RingEnd::max_message;
  using RingEnd::RingEnd;
  // Waits for a free slot and points *where at room for `size` bytes in it (16-byte aligned).
  Status loan(std::size_t size, std::byte** where);
  // Makes the loaned message visible to the consumer; with `wake` false, leaves waking a sleeping
  // consumer to a later publish() or flush() (a batch: one wake-up for all its messages).
  void publish(bool wake = true);
  Status push(const void* msg, std::size_t size, bool wake = true);
  // Wakes the consumer for what was published without waking it (loan() does so before it
  // waits for room: a consumer asleep on a full ring would otherwise never empty it).
  void flush();

 private:
  std::uint64_t head_ = 0, cached_released_ = 0, slot_ = 0;
  std::size_t loaned_ = 0;
  bool unwoken_ = false;
};

class RingConsumer : private RingEnd {
 public:
  using RingEnd::max_message;
  using RingEnd::RingEnd;
  // Waits for the next message and points *where at it, in place.
  Status peek(const std::byte** where, std::size_t* size);
  // Frees the slot of the message peek() returned.
  void release();
  Status pop(void* buf, std::size_t capacity, std::size_t* size);
  // Whether the next message is there (pop() would not wait).
  bool ready() const;

 private:
  std::uint64_t tail_ = 0, slot_ = 0;
};

// Lost wake-ups detected so far by the rings of a transport (both directions). A lost wake-up is
// a sleeper that found its condition already true when its deadline woke it.
std::uint64_t shm_ring_lost_wakeups(const Transport& t);

}  // namespace ptbench::ipc
