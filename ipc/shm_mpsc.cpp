#include "ipc/shm_mpsc.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "ipc/shm_segment.hpp"

namespace ptbench::ipc {

namespace {

constexpr std::uint64_t kMpscLine = 64;
constexpr std::uint64_t kMpscQueueBytes = 256 << 10;
constexpr std::uint64_t kMpscMinSlots = 16, kMpscMaxSlots = 4096;
constexpr std::size_t kMpscMaxMessage = 64 << 20;

}  // namespace

struct MpscEnd::Slot {
  std::atomic<std::uint64_t> seq;  // position: free for it; position + 1: holds its message
  std::uint32_t size;
  std::uint32_t unused;
};

MpscGeometry mpsc_geometry(std::size_t max_message) {
  const std::uint64_t slot = (MpscEnd::kSlotHeader + max_message + kMpscLine - 1) / kMpscLine * kMpscLine;
  std::uint64_t n = kMpscMinSlots;
  while (n < kMpscMaxSlots && (n * 2) * slot <= kMpscQueueBytes) n *= 2;
  return {slot, n};
}

void mpsc_init(MpscControl* control, std::byte* slots, MpscGeometry g) {
  new (control) MpscControl();
  control->slot_bytes = g.slot_bytes;
  control->slots = g.slots;
  for (std::uint64_t i = 0; i < g.slots; ++i) {
    auto* seq = new (slots + i * g.slot_bytes) std::atomic<std::uint64_t>(i);
    (void)seq;
  }
}

MpscEnd::MpscEnd(MpscControl* control, std::byte* slots, WaitPolicy policy, Placement placement,
                 std::chrono::milliseconds timeout)
    : ctl_(control),
      slots_(slots),
      slot_bytes_(control->slot_bytes),
      mask_(control->slots - 1),
      policy_(policy),
      spin_budget_(spin_budget_for(placement)),
      timeout_(timeout) {}

MpscEnd::Slot* MpscEnd::slot(std::uint64_t position) const {
  static_assert(sizeof(Slot) == kSlotHeader);
  return std::launder(reinterpret_cast<Slot*>(slots_ + (position & mask_) * slot_bytes_));
}

// Claims the next position of `counter` whose slot holds seq == position + offset (0: free for
// a producer; 1: a message for a reader), waiting on `ec` while there is none; one
// compare-and-swap per claim, whoever else claims beside us.
Status MpscEnd::claim(std::atomic<std::uint64_t>& counter, std::uint64_t offset, EventCount& ec,
                      const char* what, std::uint64_t* position, Slot** claimed) {
  std::uint64_t pos = counter.load(std::memory_order_relaxed);
  for (;;) {
    Slot* s = slot(pos);
    auto ahead = [&] {
      return static_cast<std::int64_t>(s->seq.load(std::memory_order_acquire) - (pos + offset));
    };
    if (const auto diff = ahead(); diff == 0) {
      if (counter.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        *position = pos;
        *claimed = s;
        return {};
      }
      continue;
    } else if (diff < 0) {
      // Not there yet (a full queue for a producer, an empty one for a reader): wait for it, or
      // for another task to claim this position first.
      auto moved = [&] { return ahead() >= 0 || counter.load(std::memory_order_relaxed) != pos; };
      if (auto st = wait(moved, ec, ctl_->lost_wakeups, policy_, spin_budget_, timeout_, what);
          !st) {
        return st;
      }
    }
    pos = counter.load(std::memory_order_relaxed);
  }
}

// Copies out the message in the slot of `position` and frees the slot for the producer of the
// next lap (one freed slot serves one producer: only one is woken). A message that does not fit
// is an error, and its slot is freed all the same.
Status MpscEnd::take(Slot* s, std::uint64_t position, void* buf, std::size_t capacity,
                     std::size_t* size) {
  const std::size_t n = s->size;
  Status result;
  if (n > max_message()) {
    result = {Errc::kCorrupt, fmt::format("queue: message {} claims {} bytes", position, n)};
  } else if (n > capacity) {
    result = {Errc::kTooLarge,
              fmt::format("a {}-byte message does not fit the {}-byte buffer", n, capacity)};
  } else {
    std::memcpy(buf, reinterpret_cast<std::byte*>(s) + kSlotHeader, n);
    *size = n;
  }
  s->seq.store(position + mask_ + 1, std::memory_order_release);
  notify(ctl_->space, policy_, 1);
  return result;
}

Status MpscProducer::push(const void* msg, std::size_t size) {
  if (size > max_message()) {
    return {Errc::kTooLarge, fmt::format("a {}-byte message exceeds the queue's slots of {} bytes",
                                         size, max_message())};
  }
  std::uint64_t pos = 0;
  Slot* s = nullptr;
  if (auto st = claim(ctl_->enqueue, 0, ctl_->space, "send", &pos, &s); !st) return st;
  std::memcpy(reinterpret_cast<std::byte*>(s) + kSlotHeader, msg, size);
  s->size = static_cast<std::uint32_t>(size);
  s->seq.store(pos + 1, std::memory_order_release);
  notify(ctl_->data, policy_);
  return {};
}

Status MpscConsumer::pop(void* buf, std::size_t capacity, std::size_t* size) {
  Slot* s = slot(position_);
  auto ready = [&] { return s->seq.load(std::memory_order_acquire) == position_ + 1; };
  if (auto st =
          wait(ready, ctl_->data, ctl_->lost_wakeups, policy_, spin_budget_, timeout_, "recv");
      !st) {
    return st;
  }
  return take(s, position_++, buf, capacity, size);
}

Status MpscReader::pop(void* buf, std::size_t capacity, std::size_t* size) {
  std::uint64_t pos = 0;
  Slot* s = nullptr;
  if (auto st = claim(ctl_->dequeue, 1, ctl_->data, "recv", &pos, &s); !st) return st;
  return take(s, pos, buf, capacity, size);
}

namespace {

class MpscReaderChannel final : public Channel {
 public:
  explicit MpscReaderChannel(MpscReader rx) : rx_(rx) {}
  Status send(const void*, std::size_t) override {
    return {Errc::kRefused, "a fan-out reader of shm_mpsc only receives"};
  }
  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    return rx_.pop(buf, capacity, size);
  }

 private:
  MpscReader rx_;
};

class MpscChannel final : public Channel {
 public:
  MpscChannel(MpscProducer tx, std::optional<MpscConsumer> rx) : tx_(tx), rx_(rx) {}
  Status send(const void* data, std::size_t size) override { return tx_.push(data, size); }
  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    if (!rx_) return {Errc::kRefused, "a fan-in writer of shm_mpsc only sends"};
    return rx_->pop(buf, capacity, size);
  }

 private:
  MpscProducer tx_;
  std::optional<MpscConsumer> rx_;
};

// Two queues, A to B and B to A: a channel like the others, and any number of extra writers into
// A to B (open_writer) for fan-in.
class ShmMpscTransport final : public Transport {
 public:
  ShmMpscTransport(std::unique_ptr<ShmSegment> seg, MpscGeometry g, const ChannelOptions& o)
      : seg_(std::move(seg)), opt_(o) {
    auto* base = static_cast<std::byte*>(seg_->data());
    for (int i = 0; i < 2; ++i) {
      ctl_[i] = reinterpret_cast<MpscControl*>(base + i * sizeof(MpscControl));
      slots_[i] = base + kControlBytes + i * g.bytes();
      mpsc_init(ctl_[i], slots_[i], g);
    }
  }
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    const int tx = side == Side::kA ? 0 : 1, rx = 1 - tx;
    *out = std::make_unique<MpscChannel>(producer(tx), consumer(rx));
    return {};
  }
  Status open_writer(std::unique_ptr<Channel>* out) override {
    *out = std::make_unique<MpscChannel>(producer(0), std::nullopt);
    return {};
  }
  Status open_reader(std::unique_ptr<Channel>* out) override {
    *out = std::make_unique<MpscReaderChannel>(
        MpscReader(ctl_[0], slots_[0], opt_.policy, opt_.placement, opt_.timeout));
    return {};
  }
  std::uint64_t lost_wakeups() const {
    return ctl_[0]->lost_wakeups.load() + ctl_[1]->lost_wakeups.load();
  }
  static constexpr std::size_t kControlBytes = 4096;
  static_assert(2 * sizeof(MpscControl) <= kControlBytes);

 private:
  MpscProducer producer(int i) const {
    return {ctl_[i], slots_[i], opt_.policy, opt_.placement, opt_.timeout};
  }
  MpscConsumer consumer(int i) const {
    return {ctl_[i], slots_[i], opt_.policy, opt_.placement, opt_.timeout};
  }

  std::unique_ptr<ShmSegment> seg_;
  ChannelOptions opt_;
  MpscControl* ctl_[2];
  std::byte* slots_[2];
};

}  // namespace

Status make_shm_mpsc_transport(const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  if (auto s = spin_allowed(o); !s) return s;
  if (o.max_message > kMpscMaxMessage) {
    return {Errc::kTooLarge, "shm_mpsc messages are limited to 64 MiB (16 slots per direction)"};
  }
  const MpscGeometry g = mpsc_geometry(o.max_message);
  std::unique_ptr<ShmSegment> seg;
  if (auto s = ShmSegment::create("mpsc", ShmMpscTransport::kControlBytes + 2 * g.bytes(), &seg);
      !s) {
    return s;
  }
  *out = std::make_unique<ShmMpscTransport>(std::move(seg), g, o);
  return {};
}

std::uint64_t shm_mpsc_lost_wakeups(const Transport& t) {
  const auto* q = dynamic_cast<const ShmMpscTransport*>(&t);
  return q != nullptr ? q->lost_wakeups() : 0;
}

}  // namespace ptbench::ipc
