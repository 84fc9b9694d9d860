// Shared memory guarded by Boost.Interprocess interprocess_mutex + interprocess_condition: a
// one-message mailbox per direction, the straightforward lock-based way most people write first.
#include <fmt/format.h>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/sync/interprocess_condition.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <cstring>
#include <new>

#include "ipc/boost_deadline.hpp"
#include "ipc/channel.hpp"
#include "ipc/shm_segment.hpp"

namespace ptbench::ipc {

namespace {

namespace bip = boost::interprocess;

struct Mailbox {
  bip::interprocess_mutex mutex;
  bip::interprocess_condition not_empty;
  bip::interprocess_condition not_full;
  bool full = false;
  std::size_t size = 0;
  // the message bytes follow, at offset kData
};
constexpr std::size_t kData = (sizeof(Mailbox) + 63) & ~std::size_t{63};

class ShmMutexChannel final : public Channel {
 public:
  ShmMutexChannel(Mailbox* tx, Mailbox* rx, std::size_t max, std::chrono::milliseconds timeout)
      : tx_(tx), rx_(rx), max_(max), timeout_(timeout) {}

  Status send(const void* data, std::size_t size) override {
    if (size > max_) {
      return {Errc::kTooLarge,
              fmt::format("a {}-byte message exceeds the {}-byte mailbox", size, max_)};
    }
    const auto deadline = deadline_after(timeout_);
    bip::scoped_lock<bip::interprocess_mutex> lock(tx_->mutex, deadline);
    if (!lock.owns()) return timed_out("send: lock", timeout_);
    while (tx_->full) {
      if (!tx_->not_full.timed_wait(lock, deadline)) return timed_out("send", timeout_);
    }
    std::memcpy(reinterpret_cast<char*>(tx_) + kData, data, size);
    tx_->size = size;
    tx_->full = true;
    tx_->not_empty.notify_one();
    return {};
  }

  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    const auto deadline = deadline_after(timeout_);
    bip::scoped_lock<bip::interprocess_mutex> lock(rx_->mutex, deadline);
    if (!lock.owns()) return timed_out("recv: lock", timeout_);
    while (!rx_->full) {
      if (!rx_->not_empty.timed_wait(lock, deadline)) return timed_out("recv", timeout_);
    }
    if (rx_->size > capacity) {
      return {Errc::kTooLarge, fmt::format("a {}-byte message does not fit the {}-byte buffer",
                                           rx_->size, capacity)};
    }
    std::memcpy(buf, reinterpret_cast<char*>(rx_) + kData, rx_->size);
    *size = rx_->size;
    rx_->full = false;
    rx_->not_full.notify_one();
    return {};
  }

 private:
  Mailbox* tx_;
  Mailbox* rx_;
  std::size_t max_;
  std::chrono::milliseconds timeout_;
};

class ShmMutexTransport final : public Transport {
 public:
  ShmMutexTransport(std::unique_ptr<ShmSegment> seg, std::size_t stride, const ChannelOptions& o)
      : seg_(std::move(seg)), opt_(o) {
    auto* base = static_cast<char*>(seg_->data());
    for (int i = 0; i < 2; ++i) box_[i] = new (base + i * stride) Mailbox();
  }
  ~ShmMutexTransport() override {
    // The creator destroys the synchronization objects; a forked copy leaves them alone.
    if (getpid() == owner_) {
      for (auto* b : box_) b->~Mailbox();
    }
  }
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    const int tx = side == Side::kA ? 0 : 1;
    *out =
        std::make_unique<ShmMutexChannel>(box_[tx], box_[1 - tx], opt_.max_message, opt_.timeout);
    return {};
  }

 private:
  std::unique_ptr<ShmSegment> seg_;
  ChannelOptions opt_;
  Mailbox* box_[2];
  pid_t owner_ = getpid();
};

}  // namespace

Status make_shm_mutex_transport(const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  const std::size_t stride = (kData + o.max_message + 4095) & ~std::size_t{4095};
  std::unique_ptr<ShmSegment> seg;
  if (auto s = ShmSegment::create("mutex", 2 * stride, &seg); !s) return s;
  *out = std::make_unique<ShmMutexTransport>(std::move(seg), stride, o);
  return {};
}

}  // namespace ptbench::ipc
