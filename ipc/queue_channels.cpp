// Message queues: POSIX (mq_*), SysV (msgget/msgsnd/msgrcv) and Boost.Interprocess
// message_queue. One queue per direction. Their per-message limits are the kernel's (or the
// queue's) and an oversized message is refused with the limit's name and how to raise it.
#include <fcntl.h>
#include <fmt/format.h>
#include <mqueue.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "ipc/boost_deadline.hpp"
#include "ipc/channel.hpp"
#include "ipc/names.hpp"

namespace ptbench::ipc {

namespace {

long read_proc_long(const char* path, long fallback) {
  std::ifstream in(path);
  long v = 0;
  return in >> v ? v : fallback;
}

Status too_large_for_channel(std::size_t size, std::size_t max) {
  return {
      Errc::kTooLarge,
      fmt::format("a {}-byte message exceeds this channel's max_message of {} bytes", size, max)};
}

// ---- POSIX message queues -------------------------------------------------------------------

// On Linux a message queue descriptor is a file descriptor (open() below dup()s them): close()
// it, which ThreadSanitizer sees. It does not see mq_close, and took a descriptor number that
// one thread closed and another got from dup() for a data race (2026-12-03).
void close_queue(mqd_t q) {
  close(q);
}

class PosixMqChannel final : public Channel {
 public:
  PosixMqChannel(mqd_t tx, mqd_t rx, std::size_t max, std::chrono::milliseconds timeout)
      : tx_(tx), rx_(rx), max_(max), timeout_(timeout) {}
  ~PosixMqChannel() override {
    close_queue(tx_);
    close_queue(rx_);
  }
  Status send(const void* data, std::size_t size) override {
    if (size > max_) return too_large_for_channel(size, max_);
    DeadlineGuard guard(timeout_);
    while (mq_send(tx_, static_cast<const char*>(data), size, 0) != 0) {
      if (errno != EINTR) return Status::from_errno("mq_send", errno);
      if (guard.expired()) return timed_out("mq_send", timeout_);
    }
    return {};
  }
  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    // mq_receive insists on a buffer of at least mq_msgsize.
    char* target = static_cast<char*>(buf);
    if (capacity < max_) {
      scratch_.resize(max_);
      target = scratch_.data();
    }
    DeadlineGuard guard(timeout_);
    ssize_t n;
    while ((n = mq_receive(rx_, target, std::max(capacity, max_), nullptr)) < 0) {
      if (errno != EINTR) return Status::from_errno("mq_receive", errno);
      if (guard.expired()) return timed_out("mq_receive", timeout_);
    }
    if (static_cast<std::size_t>(n) > capacity) {
      return {Errc::kTooLarge,
              fmt::format("a {}-byte message does not fit the {}-byte buffer", n, capacity)};
    }
    if (target != buf) std::memcpy(buf, target, static_cast<std::size_t>(n));
    *size = static_cast<std::size_t>(n);
    return {};
  }

 private:
  mqd_t tx_, rx_;
  std::size_t max_;
  std::chrono::milliseconds timeout_;
  std::vector<char> scratch_;
};

class PosixMqTransport final : public Transport {
 public:
  PosixMqTransport(mqd_t ab, mqd_t ba, const ChannelOptions& o) : ab_(ab), ba_(ba), opt_(o) {}
  ~PosixMqTransport() override {
    if (ab_ != -1) close_queue(ab_);
    if (ba_ != -1) close_queue(ba_);
  }
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    // Each side gets its own descriptors (dup), so both ends may live in one process.
    mqd_t tx = dup(side == Side::kA ? ab_ : ba_);
    mqd_t rx = dup(side == Side::kA ? ba_ : ab_);
    if (tx < 0 || rx < 0) return Status::from_errno("dup of a message queue descriptor", errno);
    *out = std::make_unique<PosixMqChannel>(tx, rx, opt_.max_message, opt_.timeout);
    return {};
  }

  // Each open has its own descriptors or handle and the kernel (or the queue's lock) keeps
  // messages whole: a writer is side A again.
  Status open_writer(std::unique_ptr<Channel>* out) override { return open(Side::kA, out); }
  // ... and each receive takes one whole message: a reader is side B again.
  Status open_reader(std::unique_ptr<Channel>* out) override { return open(Side::kB, out); }

 private:
  mqd_t ab_, ba_;
  ChannelOptions opt_;
};

Status make_posix_mq(const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  const long msgsize_max = read_proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
  const long msg_max = read_proc_long("/proc/sys/fs/mqueue/msg_max", 10);
  if (static_cast<long>(o.max_message) > msgsize_max) {
    return {Errc::kTooLarge,
            fmt::format("POSIX message queues carry at most fs.mqueue.msgsize_max = {} bytes per "
                        "message (/proc/sys/fs/mqueue/msgsize_max), {} asked; raise it with "
                        "`sysctl -w fs.mqueue.msgsize_max={}`",
                        msgsize_max, o.max_message, o.max_message)};
  }
  mq_attr attr{};
  attr.mq_maxmsg = std::min<long>(msg_max, 10);
  attr.mq_msgsize = static_cast<long>(std::max<std::size_t>(o.max_message, 1));
  mqd_t q[2];
  for (int i = 0; i < 2; ++i) {
    std::string name = "/";
    name += unique_name(i == 0 ? "mq-a2b" : "mq-b2a");
    const int handle = register_resource(ResourceKind::kPosixMq, name);
    q[i] = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
    const int err = errno;
    // The descriptors are all we need (a fork inherits them): the name goes at once, so nothing
    // can be left behind.
    mq_unlink(name.c_str());
    unregister_resource(handle);
    if (q[i] == -1) {
      if (i == 1) close_queue(q[0]);
      if (err == EMFILE) {
        rlimit rl{};
        getrlimit(RLIMIT_MSGQUEUE, &rl);
        return {Errc::kTooLarge,
                fmt::format("mq_open: the queues exceed RLIMIT_MSGQUEUE = {} bytes; raise it with "
                            "`ulimit -q`",
                            rl.rlim_cur)};
      }
      return Status::from_errno("mq_open " + name, err);
    }
  }
  *out = std::make_unique<PosixMqTransport>(q[0], q[1], o);
  return {};
}

// ---- SysV message queues --------------------------------------------------------------------

class SysvChannel final : public Channel {
 public:
  SysvChannel(int tx, int rx, std::size_t max, std::chrono::milliseconds timeout)
      : tx_(tx), rx_(rx), max_(max), timeout_(timeout), buf_(sizeof(long) + max) {}
  Status send(const void* data, std::size_t size) override {
    if (size > max_) return too_large_for_channel(size, max_);
    const long type = 1;
    std::memcpy(buf_.data(), &type, sizeof type);
    std::memcpy(buf_.data() + sizeof type, data, size);
    DeadlineGuard guard(timeout_);
    while (msgsnd(tx_, buf_.data(), size, 0) != 0) {
      if (errno == EIDRM || errno == EINVAL) {
        return {Errc::kPeerClosed, "msgsnd: the queue was removed"};
      }
      if (errno != EINTR) return Status::from_errno("msgsnd", errno);
      if (guard.expired()) return timed_out("msgsnd", timeout_);
    }
    return {};
  }
  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    DeadlineGuard guard(timeout_);
    ssize_t n;
    while ((n = msgrcv(rx_, buf_.data(), max_, 0, 0)) < 0) {
      if (errno == EIDRM || errno == EINVAL) {
        return {Errc::kPeerClosed, "msgrcv: the queue was removed"};
      }
      if (errno == E2BIG) return {Errc::kTooLarge, "msgrcv: message larger than max_message"};
      if (errno != EINTR) return Status::from_errno("msgrcv", errno);
      if (guard.expired()) return timed_out("msgrcv", timeout_);
    }
    if (static_cast<std::size_t>(n) > capacity) {
      return {Errc::kTooLarge,
              fmt::format("a {}-byte message does not fit the {}-byte buffer", n, capacity)};
    }
    std::memcpy(buf, buf_.data() + sizeof(long), static_cast<std::size_t>(n));
    *size = static_cast<std::size_t>(n);
    return {};
  }

 private:
  int tx_, rx_;
  std::size_t max_;
  std::chrono::milliseconds timeout_;
  std::vector<char> buf_;  // long mtype + data, the layout msgsnd wants
};

class SysvTransport final : public Transport {
 public:
  SysvTransport(int ab, int ba, const ChannelOptions& o) : ids_{ab, ba}, opt_(o), owner_(getpid()) {
    for (int i = 0; i < 2; ++i) {
      handles_[i] = register_resource(ResourceKind::kSysvMsg, std::to_string(ids_[i]));
    }
  }
  ~SysvTransport() override {
    if (getpid() != owner_) return;
    for (int i = 0; i < 2; ++i) {
      msgctl(ids_[i], IPC_RMID, nullptr);
      unregister_resource(handles_[i]);
    }
  }
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    const bool a = side == Side::kA;
    *out = std::make_unique<SysvChannel>(a ? ids_[0] : ids_[1], a ? ids_[1] : ids_[0],
                                         opt_.max_message, opt_.timeout);
    return {};
  }

  // Each open has its own descriptors or handle and the kernel (or the queue's lock) keeps
  // messages whole: a writer is side A again.
  Status open_writer(std::unique_ptr<Channel>* out) override { return open(Side::kA, out); }
  // ... and each receive takes one whole message: a reader is side B again.
  Status open_reader(std::unique_ptr<Channel>* out) override { return open(Side::kB, out); }

 private:
  int ids_[2];
  int handles_[2] = {-1, -1};
  ChannelOptions opt_;
  pid_t owner_;
};

Status make_sysv(const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  const long msgmax = read_proc_long("/proc/sys/kernel/msgmax", 8192);
  const long msgmnb = read_proc_long("/proc/sys/kernel/msgmnb", 16384);
  if (static_cast<long>(o.max_message) > msgmax) {
    return {Errc::kTooLarge,
            fmt::format("SysV message queues carry at most kernel.msgmax = {} bytes per message "
                        "(/proc/sys/kernel/msgmax), {} asked; raise it with "
                        "`sysctl -w kernel.msgmax={}` (and kernel.msgmnb, now {}, to hold it)",
                        msgmax, o.max_message, o.max_message, msgmnb)};
  }
  int ids[2];
  for (int i = 0; i < 2; ++i) {
    // Keys carry the "pt" prefix so `ptbench clean` can find ours; EEXIST means taken: next one.
    ids[i] = -1;
    for (unsigned n = 0; n < 4096 && ids[i] < 0; ++n) {
      const key_t key =
          kSysvKeyPrefix | static_cast<key_t>((getpid() * 7919u + n * 2u + i) & 0xffff);
      ids[i] = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
      if (ids[i] < 0 && errno != EEXIST) break;
    }
    if (ids[i] < 0) {
      const int err = errno;
      if (i == 1) msgctl(ids[0], IPC_RMID, nullptr);
      return Status::from_errno("msgget", err);
    }
  }
  *out = std::make_unique<SysvTransport>(ids[0], ids[1], o);
  return {};
}

// ---- Boost.Interprocess message_queue -------------------------------------------------------

namespace bip = boost::interprocess;

class BoostMqChannel final : public Channel {
 public:
  BoostMqChannel(std::shared_ptr<bip::message_queue> tx, std::shared_ptr<bip::message_queue> rx,
                 std::size_t max, std::chrono::milliseconds timeout)
      : tx_(std::move(tx)), rx_(std::move(rx)), max_(max), timeout_(timeout) {}
  Status send(const void* data, std::size_t size) override {
    if (size > max_) return too_large_for_channel(size, max_);
    try {
      if (!tx_->timed_send(data, size, 0, deadline_after(timeout_))) {
        return timed_out("message_queue::timed_send", timeout_);
      }
    } catch (const bip::interprocess_exception& e) {
      return {Errc::kSystem, fmt::format("message_queue::timed_send: {}", e.what())};
    }
    return {};
  }
  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    // Boost requires a buffer of at least max_msg_size.
    void* target = buf;
    if (capacity < max_) {
      scratch_.resize(max_);
      target = scratch_.data();
    }
    bip::message_queue::size_type received = 0;
    unsigned priority = 0;
    try {
      if (!rx_->timed_receive(target, std::max(capacity, max_), received, priority,
                              deadline_after(timeout_))) {
        return timed_out("message_queue::timed_receive", timeout_);
      }
    } catch (const bip::interprocess_exception& e) {
      return {Errc::kSystem, fmt::format("message_queue::timed_receive: {}", e.what())};
    }
    if (received > capacity) {
      return {Errc::kTooLarge,
              fmt::format("a {}-byte message does not fit the {}-byte buffer", received, capacity)};
    }
    if (target != buf) std::memcpy(buf, target, received);
    *size = received;
    return {};
  }

 private:
  std::shared_ptr<bip::message_queue> tx_, rx_;
  std::size_t max_;
  std::chrono::milliseconds timeout_;
  std::vector<char> scratch_;
};

class BoostMqTransport final : public Transport {
 public:
  BoostMqTransport(std::shared_ptr<bip::message_queue> ab, std::shared_ptr<bip::message_queue> ba,
                   const ChannelOptions& o)
      : ab_(std::move(ab)), ba_(std::move(ba)), opt_(o) {}
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    const bool a = side == Side::kA;
    *out = std::make_unique<BoostMqChannel>(a ? ab_ : ba_, a ? ba_ : ab_, opt_.max_message,
                                            opt_.timeout);
    return {};
  }

  // Each open has its own descriptors or handle and the kernel (or the queue's lock) keeps
  // messages whole: a writer is side A again.
  Status open_writer(std::unique_ptr<Channel>* out) override { return open(Side::kA, out); }
  // ... and each receive takes one whole message: a reader is side B again.
  Status open_reader(std::unique_ptr<Channel>* out) override { return open(Side::kB, out); }

 private:
  std::shared_ptr<bip::message_queue> ab_, ba_;
  ChannelOptions opt_;
};

Status make_boost_mq(const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  std::shared_ptr<bip::message_queue> q[2];
  for (int i = 0; i < 2; ++i) {
    const std::string name = unique_name(i == 0 ? "bmq-a2b" : "bmq-b2a");
    const int handle = register_resource(ResourceKind::kShm, "/" + name);
    try {
      // Eight messages deep, as a pipe of 64 KiB holds eight 8 KiB messages.
      q[i] = std::make_shared<bip::message_queue>(bip::create_only, name.c_str(), 8,
                                                  std::max<std::size_t>(o.max_message, 1));
    } catch (const bip::interprocess_exception& e) {
      bip::message_queue::remove(name.c_str());
      unregister_resource(handle);
      return {Errc::kSystem, fmt::format("message_queue {}: {}", name, e.what())};
    }
    // The mapping is all the two ends need (a fork inherits it): remove the name at once.
    bip::message_queue::remove(name.c_str());
    unregister_resource(handle);
  }
  *out = std::make_unique<BoostMqTransport>(q[0], q[1], o);
  return {};
}

}  // namespace

Status make_queue_transport(Mechanism m, const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  switch (m) {
    case Mechanism::kPosixMq:
      return make_posix_mq(o, out);
    case Mechanism::kSysvMq:
      return make_sysv(o, out);
    case Mechanism::kBoostMq:
      return make_boost_mq(o, out);
    default:
      return {Errc::kRefused, "not a queue transport"};
  }
}

}  // namespace ptbench::ipc
