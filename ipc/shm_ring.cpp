#include "ipc/shm_ring.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "ipc/eventcount.hpp"
#include "ipc/shm_segment.hpp"

namespace ptbench::ipc {

namespace {

constexpr std::uint64_t kLine = 64;
constexpr std::uint64_t kHeader = 16;  // sequence number, size
constexpr std::uint64_t kTrailer = 8;  // the sequence number again, at the end of the slot
constexpr std::uint64_t kRingBytes = 256 << 10;  // per direction, unless four slots need more
constexpr std::uint64_t kMinSlots = 4;
constexpr std::uint64_t kMaxMessage = 256 << 20;

}  // namespace

struct RingEnd::Header {
  std::atomic<std::uint64_t> seq;  // the message's number (from 1) once published
  std::uint32_t size;
  std::uint32_t unused;
};

RingEnd::Header* RingEnd::header(std::uint64_t slot) const {
  static_assert(sizeof(Header) == kHeader);
  return std::launder(reinterpret_cast<Header*>(data_ + slot * slot_bytes_));
}
static_assert(kHeader + kTrailer == RingEnd::kSlotOverhead);

RingGeometry ring_geometry(std::size_t max_message) {
  const std::uint64_t slot = (kHeader + max_message + kTrailer + kLine - 1) / kLine * kLine;
  return {slot, std::max(kMinSlots, kRingBytes / slot)};
}

RingEnd::RingEnd(RingControl* control, std::byte* data, WaitPolicy policy, Placement placement,
                 std::chrono::milliseconds timeout)
    : ctl_(control),
      data_(data),
      slot_bytes_(control->slot_bytes),
      slots_(control->slots),
      policy_(policy),
      spin_budget_(spin_budget_for(placement)),
      timeout_(timeout) {}

std::atomic<std::uint64_t>* RingEnd::trailer(std::uint64_t slot) const {
  return std::launder(
      reinterpret_cast<std::atomic<std::uint64_t>*>(data_ + (slot + 1) * slot_bytes_ - kTrailer));
}

std::byte* RingEnd::message(std::uint64_t slot) const {
  return data_ + slot * slot_bytes_ + kHeader;
}

std::uint64_t RingEnd::next(std::uint64_t slot) const {
  return slot + 1 == slots_ ? 0 : slot + 1;
}

Status RingProducer::loan(std::size_t size, std::byte** where) {
  if (size > max_message()) {
    return {Errc::kTooLarge, fmt::format("a {}-byte message exceeds the ring's slots of {} bytes",
                                         size, max_message())};
  }
  if (head_ - cached_released_ >= slots_) {
    flush();
    auto has_space = [&] {
      cached_released_ = ctl_->released.load(std::memory_order_acquire);
      return head_ - cached_released_ < slots_;
    };
    if (auto s = wait(has_space, ctl_->space, ctl_->lost_wakeups, policy_, spin_budget_, timeout_,
                      "send");
        !s) {
      return s;
    }
  }
  loaned_ = size;
  *where = message(slot_);
  return {};
}

void RingProducer::publish(bool wake) {
  Header* h = header(slot_);
  h->size = static_cast<std::uint32_t>(loaned_);
  ++head_;
  h->seq.store(head_, std::memory_order_release);
  trailer(slot_)->store(head_, std::memory_order_release);
  slot_ = next(slot_);
  unwoken_ = !wake;
  if (wake) notify(ctl_->data, policy_);
}

void RingProducer::flush() {
  if (!unwoken_) return;
  unwoken_ = false;
  notify(ctl_->data, policy_);
}

Status RingProducer::push(const void* msg, std::size_t size, bool wake) {
  std::byte* at = nullptr;
  if (auto s = loan(size, &at); !s) return s;
  std::memcpy(at, msg, size);
  publish(wake);
  return {};
}

Status RingConsumer::peek(const std::byte** where, std::size_t* size) {
  if (auto s = wait([this] { return ready(); }, ctl_->data, ctl_->lost_wakeups, policy_,
                    spin_budget_, timeout_, "recv");
      !s) {
    return s;
  }
  const std::size_t n = header(slot_)->size;
  if (n > max_message()) {
    return {Errc::kCorrupt, fmt::format("ring: message {} claims {} bytes in a slot of {}",
                                        tail_ + 1, n, max_message())};
  }
  *where = message(slot_);
  *size = n;
  return {};
}

// Both ends of the slot are read on every look, so each of its lines moves as soon as it is
// written (the trailer's line does not wait until the header's has arrived).
bool RingConsumer::ready() const {
  const std::uint64_t first = header(slot_)->seq.load(std::memory_order_acquire);
  const std::uint64_t last = trailer(slot_)->load(std::memory_order_acquire);
  return first == tail_ + 1 && last == tail_ + 1;
}

void RingConsumer::release() {
  ++tail_;
  slot_ = next(slot_);
  ctl_->released.store(tail_, std::memory_order_release);
  notify(ctl_->space, policy_);
}

Status RingConsumer::pop(void* buf, std::size_t capacity, std::size_t* size) {
  const std::byte* at = nullptr;
  std::size_t n = 0;
  if (auto s = peek(&at, &n); !s) return s;
  if (n > capacity) {
    return {Errc::kTooLarge,
            fmt::format("a {}-byte message does not fit the {}-byte buffer", n, capacity)};
  }
  std::memcpy(buf, at, n);
  *size = n;
  release();
  return {};
}

namespace {

class ShmRingChannel final : public Channel, public ZeroCopy {
 public:
  ShmRingChannel(RingProducer tx, RingConsumer rx) : tx_(tx), rx_(rx) {}
  Status send(const void* data, std::size_t size) override { return tx_.push(data, size); }
  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    return rx_.pop(buf, capacity, size);
  }
  Status try_recv(void* buf, std::size_t capacity, std::size_t* size, bool* got) override {
    *got = rx_.ready();
    return *got ? rx_.pop(buf, capacity, size) : Status{};
  }
  // Every message published, the consumer woken once at the end (or before a wait for room).
  Status send_batch(const Message* msgs, std::size_t count) override {
    for (std::size_t i = 0; i < count; ++i) {
      if (auto s = tx_.push(msgs[i].data, msgs[i].size, false); !s) return tx_.flush(), s;
    }
    tx_.flush();
    return {};
  }
  ZeroCopy* zero_copy() override { return this; }
  Status loan(std::size_t size, std::byte** where) override { return tx_.loan(size, where); }
  void publish() override { tx_.publish(); }
  Status peek(const std::byte** where, std::size_t* size) override { return rx_.peek(where, size); }
  void release() override { rx_.release(); }

 private:
  RingProducer tx_;
  RingConsumer rx_;
};

class ShmRingTransport final : public Transport {
 public:
  ShmRingTransport(std::unique_ptr<ShmSegment> seg, RingGeometry g, const ChannelOptions& o)
      : seg_(std::move(seg)), opt_(o) {
    auto* base = static_cast<std::byte*>(seg_->data());
    for (int i = 0; i < 2; ++i) {
      ctl_[i] = new (base + i * sizeof(RingControl)) RingControl();
      ctl_[i]->slot_bytes = g.slot_bytes;
      ctl_[i]->slots = g.slots;
      data_[i] = base + kControlBytes + i * g.bytes();
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
  static constexpr std::size_t kControlBytes = 4096;  // both control blocks; the data follows
  static_assert(2 * sizeof(RingControl) <= kControlBytes);

 private:
  std::unique_ptr<ShmSegment> seg_;
  ChannelOptions opt_;
  RingControl* ctl_[2];
  std::byte* data_[2];
};

}  // namespace

Status make_shm_ring_transport(const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  if (auto s = spin_allowed(o); !s) return s;
  if (o.max_message > kMaxMessage) {
    return {Errc::kTooLarge,
            "shm_ring messages are limited to 256 MiB (the ring keeps four slots "
            "of the largest message per direction)"};
  }
  const RingGeometry g = ring_geometry(o.max_message);
  std::unique_ptr<ShmSegment> seg;
  if (auto s = ShmSegment::create("ring", ShmRingTransport::kControlBytes + 2 * g.bytes(), &seg);
      !s) {
    return s;
  }
  *out = std::make_unique<ShmRingTransport>(std::move(seg), g, o);
  return {};
}

std::uint64_t shm_ring_lost_wakeups(const Transport& t) {
  const auto* ring = dynamic_cast<const ShmRingTransport*>(&t);
  return ring != nullptr ? ring->lost_wakeups() : 0;
}

}  // namespace ptbench::ipc
