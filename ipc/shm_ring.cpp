#include "ipc/shm_ring.hpp"

#include <fmt/format.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <new>

#include "ipc/futex.hpp"
#include "ipc/shm_segment.hpp"

namespace ptbench::ipc {

namespace {

struct RecordHeader {
  std::atomic<std::uint64_t> seq;  // 0: not yet written
  std::uint32_t size;
  std::uint32_t flags;
};
static_assert(sizeof(RecordHeader) == 16);
constexpr std::uint32_t kWrap = 1;  // the rest of the ring is skipped: continue at 0
constexpr std::uint64_t kHeader = sizeof(RecordHeader);
// spin_futex spins this long before it sleeps: about what sleeping and being woken costs
// (a futex hop between cores is ~11 us on the development VM: half the futex policy's round
// trip), so spinning never costs more than twice the best choice made in hindsight. Much
// shorter is worse than either pure policy: once one end sleeps, its wake-up outlasts the other
// end's spin, which then sleeps too, and every hop after pays a wake-up (measured A/B on that VM:
// a 2.4 us budget gave a 22-33 us round trip at 64 KiB, 20 us gave 4-10 us, as did 50 us). On
// one CPU it spins not at all: the peer cannot run while we spin.
constexpr std::chrono::nanoseconds kSpinBeforeSleep = std::chrono::microseconds(20);

constexpr std::uint64_t record_bytes(std::size_t size) {
  return kHeader + ((size + 15) & ~15ull);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

// Publisher side of the eventcount: after the data is published (release), wake only if a
// waiter has announced itself. Reading the count with an RMW (adding 0) orders it with the
// waiter's own RMW on the same word: either we see the waiter, or the waiter's increment reads
// from ours, synchronizes with it and then sees the published data. No lost wake-up, and no
// standalone fence (which ThreadSanitizer cannot check).
void notify(EventCount& ec, WaitPolicy policy) {
  if (policy == WaitPolicy::kSpin || policy == WaitPolicy::kYield) return;
  if (ec.waiters.fetch_add(0, std::memory_order_acq_rel) != 0) {
    ec.epoch.fetch_add(1, std::memory_order_release);
    futex_wake_all(&ec.epoch);
  }
}

template <typename Ready>
Status wait(Ready ready, EventCount& ec, std::atomic<std::uint64_t>& lost, WaitPolicy policy,
            std::chrono::nanoseconds spin_budget, std::chrono::milliseconds timeout,
            const char* what) {
  if (ready()) return {};
  DeadlineGuard guard(timeout);
  auto overdue = [&] { return timed_out(what, timeout); };
  if (policy == WaitPolicy::kSpin ||
      (policy == WaitPolicy::kSpinFutex && spin_budget.count() > 0)) {
    const auto start = std::chrono::steady_clock::now();
    for (std::uint32_t n = 1;; ++n) {
      cpu_relax();
      if (ready()) return {};
      if ((n & 15) != 0) continue;  // the clock costs about a pause; look at it now and then
      if (policy == WaitPolicy::kSpinFutex &&
          std::chrono::steady_clock::now() - start >= spin_budget) {
        break;
      }
      if ((n & 0xfff) == 0 && guard.expired()) return overdue();
    }
  }
  if (policy == WaitPolicy::kYield) {
    for (;;) {
      sched_yield();
      if (ready()) return {};
      if (guard.expired()) return overdue();
    }
  }
  for (;;) {
    const std::uint32_t epoch = ec.epoch.load(std::memory_order_acquire);
    ec.waiters.fetch_add(1, std::memory_order_acq_rel);
    if (ready()) {
      ec.waiters.fetch_sub(1, std::memory_order_relaxed);
      return {};
    }
    futex_wait(&ec.epoch, epoch);  // returns at once if the epoch moved since we read it
    ec.waiters.fetch_sub(1, std::memory_order_relaxed);
    if (ready()) return {};
    if (guard.expired()) {
      // The deadline woke us: if the condition holds now, a publisher failed to wake us.
      if (ready()) {
        lost.fetch_add(1);
        return {Errc::kSystem, fmt::format("{}: lost wake-up", what)};
      }
      return overdue();
    }
  }
}

RecordHeader* header_at(std::byte* data, std::uint64_t index) {
  return std::launder(reinterpret_cast<RecordHeader*>(data + index));
}

}  // namespace

std::size_t ring_capacity(std::size_t max_message) {
  std::size_t need = 2 * record_bytes(max_message) + 2 * kHeader;
  std::size_t cap = 256 * 1024;
  while (cap < need) cap <<= 1;
  return cap;
}

std::chrono::nanoseconds spin_budget_for(Placement placement) {
  return placement == Placement::kSameCpu ? std::chrono::nanoseconds(0) : kSpinBeforeSleep;
}

RingEnd::RingEnd(RingControl* control, std::byte* data, WaitPolicy policy, Placement placement,
                 std::chrono::milliseconds timeout)
    : ctl_(control),
      data_(data),
      cap_(control->capacity),
      mask_(control->capacity - 1),
      policy_(policy),
      spin_budget_(spin_budget_for(placement)),
      timeout_(timeout) {}

Status RingProducer::push(const void* msg, std::size_t size) {
  const std::uint64_t need = record_bytes(size);
  if (2 * need + 2 * kHeader > cap_) {
    return {Errc::kTooLarge, fmt::format("a {}-byte message exceeds the {}-byte ring's limit of {}",
                                         size, cap_, (cap_ - 2 * kHeader) / 2 - kHeader)};
  }
  const std::uint64_t index = head_ & mask_;
  const std::uint64_t contiguous = cap_ - index;
  const bool wrap = need > contiguous;
  // The record, the skipped end of the ring when wrapping, and the next header we zero.
  const std::uint64_t total = (wrap ? contiguous + need : need) + kHeader;
  if (head_ + total - cached_tail_ > cap_) {
    auto has_space = [&] {
      cached_tail_ = ctl_->tail.load(std::memory_order_acquire);
      return head_ + total - cached_tail_ <= cap_;
    };
    if (auto s = wait(has_space, ctl_->space, ctl_->lost_wakeups, policy_, spin_budget_, timeout_,
                      "send");
        !s) {
      return s;
    }
  }
  const std::uint64_t at = wrap ? 0 : index;
  RecordHeader* rec = header_at(data_, at);
  header_at(data_, (at + need) & mask_)->seq.store(0, std::memory_order_relaxed);
  std::memcpy(data_ + at + kHeader, msg, size);
  rec->size = static_cast<std::uint32_t>(size);
  rec->flags = 0;
  rec->seq.store(seq_, std::memory_order_release);
  if (wrap) {
    // Published after the record at 0, so a consumer that follows the marker finds it ready.
    RecordHeader* marker = header_at(data_, index);
    marker->size = 0;
    marker->flags = kWrap;
    marker->seq.store(seq_, std::memory_order_release);
  }
  head_ += wrap ? contiguous + need : need;
  ++seq_;
  notify(ctl_->data, policy_);
  return {};
}

Status RingConsumer::pop(void* buf, std::size_t capacity, std::size_t* size) {
  RecordHeader* rec = header_at(data_, tail_ & mask_);
  auto ready = [&] { return rec->seq.load(std::memory_order_acquire) == seq_; };
  if (auto s = wait(ready, ctl_->data, ctl_->lost_wakeups, policy_, spin_budget_, timeout_, "recv");
      !s) {
    return s;
  }
  if (rec->flags & kWrap) {
    tail_ += cap_ - (tail_ & mask_);
    rec = header_at(data_, 0);
    if (rec->seq.load(std::memory_order_acquire) != seq_) {
      return {Errc::kCorrupt, "ring: the record after a wrap marker is missing"};
    }
  }
  const std::size_t n = rec->size;
  if (n > capacity) {
    return {Errc::kTooLarge,
            fmt::format("a {}-byte message does not fit the {}-byte buffer", n, capacity)};
  }
  std::memcpy(buf, reinterpret_cast<std::byte*>(rec) + kHeader, n);
  *size = n;
  tail_ += record_bytes(n);
  ++seq_;
  ctl_->tail.store(tail_, std::memory_order_release);
  notify(ctl_->space, policy_);
  return {};
}

namespace {

class ShmRingChannel final : public Channel {
 public:
  ShmRingChannel(RingProducer tx, RingConsumer rx) : tx_(tx), rx_(rx) {}
  Status send(const void* data, std::size_t size) override { return tx_.push(data, size); }
  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    return rx_.pop(buf, capacity, size);
  }

 private:
  RingProducer tx_;
  RingConsumer rx_;
};

class ShmRingTransport final : public Transport {
 public:
  ShmRingTransport(std::unique_ptr<ShmSegment> seg, std::size_t cap, const ChannelOptions& o)
      : seg_(std::move(seg)), opt_(o) {
    auto* base = static_cast<std::byte*>(seg_->data());
    for (int i = 0; i < 2; ++i) {
      ctl_[i] = new (base + i * sizeof(RingControl)) RingControl();
      ctl_[i]->capacity = cap;
      data_[i] = base + 4096 + i * cap;
    }
  }
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    const int tx = side == Side::kA ? 0 : 1, rx = 1 - tx;
    *out = std::make_unique<ShmRingChannel>(
        RingProducer(ctl_[tx], data_[tx], opt_.policy, opt_.placement, opt_.timeout),
        RingConsumer(ctl_[rx], data_[rx], opt_.policy, opt_.placement, opt_.timeout));
    return {};
  }
  std::uint64_t lost_wakeups() const {
    return ctl_[0]->lost_wakeups.load() + ctl_[1]->lost_wakeups.load();
  }

 private:
  std::unique_ptr<ShmSegment> seg_;
  ChannelOptions opt_;
  RingControl* ctl_[2];
  std::byte* data_[2];
};

}  // namespace

Status make_shm_ring_transport(const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  if (o.policy == WaitPolicy::kSpin && o.placement == Placement::kSameCpu) {
    return {Errc::kRefused,
            "spin with both ends on one CPU: the waiter would burn its time slice while the peer "
            "cannot run; use futex, spin_futex or yield"};
  }
  if (o.max_message > UINT32_MAX / 4)
    return {Errc::kTooLarge, "shm_ring messages are limited to 1 GiB"};
  const std::size_t cap = ring_capacity(o.max_message);
  std::unique_ptr<ShmSegment> seg;
  if (auto s = ShmSegment::create("ring", 4096 + 2 * cap, &seg); !s) return s;
  *out = std::make_unique<ShmRingTransport>(std::move(seg), cap, o);
  return {};
}

std::uint64_t shm_ring_lost_wakeups(const Transport& t) {
  const auto* ring = dynamic_cast<const ShmRingTransport*>(&t);
  return ring != nullptr ? ring->lost_wakeups() : 0;
}

}  // namespace ptbench::ipc
