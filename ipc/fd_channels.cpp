// Message passing through the kernel over file descriptors: pipe, FIFO, Unix stream, datagram
// and seqpacket sockets, TCP over loopback. Blocking calls, one system call per message where
// the kernel allows it; the deadline comes from the watchdog (EINTR), not from poll().
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "ipc/channel.hpp"
#include "ipc/fd.hpp"
#include "ipc/names.hpp"

namespace ptbench::ipc {

namespace {

std::string read_proc_value(const char* path) {
  std::ifstream in(path);
  std::string v;
  return in >> v ? v : std::string("unknown");
}

Status peer_closed(const char* what) {
  return {Errc::kPeerClosed, fmt::format("{}: the peer closed its end", what)};
}

// Length-prefixed messages over a byte stream (pipe, FIFO, Unix stream socket, TCP).
class StreamChannel final : public Channel {
 public:
  StreamChannel(Fd rfd, Fd wfd, bool socket, std::chrono::milliseconds timeout)
      : rfd_(std::move(rfd)),
        wfd_(std::move(wfd)),
        socket_(socket),
        timeout_(timeout),
        rx_(64 * 1024) {}

  Status send(const void* data, std::size_t size) override {
    if (size > UINT32_MAX) return {Errc::kTooLarge, "stream messages are limited to 4 GiB"};
    std::uint32_t header = static_cast<std::uint32_t>(size);
    // A small message goes out as one contiguous frame (one plain write is cheaper than a
    // two-part writev); a large one as header + payload, without copying the payload.
    unsigned char frame[kSmallFrame];
    iovec iov[2] = {{&header, sizeof header}, {const_cast<void*>(data), size}};
    int parts = 2;
    if (size <= kSmallFrame - sizeof header) {
      std::memcpy(frame, &header, sizeof header);
      std::memcpy(frame + sizeof header, data, size);
      iov[0] = {frame, sizeof header + size};
      parts = 1;
    }
    DeadlineGuard guard(timeout_);
    return write_frames(iov, parts, guard);
  }

  // Each message as a header and its payload, up to kBatchIov messages per writev. On a pipe or
  // FIFO, which several writers may share (fan-in), each writev also stays within PIPE_BUF
  // unless one message alone exceeds it, so the kernel writes it whole, as it does a send():
  // another writer's message can come between two writevs but never inside one.
  Status send_batch(const Message* msgs, std::size_t count) override {
    DeadlineGuard guard(timeout_);
    std::vector<std::uint32_t>& headers = tx_headers_;
    std::vector<iovec>& iov = tx_iov_;
    headers.resize(std::max(headers.size(), std::min(count, kBatchIov)));
    iov.resize(2 * headers.size());
    for (std::size_t done = 0; done < count;) {
      std::size_t n = 0, bytes = 0;
      for (; done + n < count && n < kBatchIov; ++n) {
        const Message& m = msgs[done + n];
        if (m.size > UINT32_MAX) return {Errc::kTooLarge, "stream messages are limited to 4 GiB"};
        const std::size_t frame = sizeof(std::uint32_t) + m.size;
        if (!socket_ && n > 0 && bytes + frame > PIPE_BUF) break;
        bytes += frame;
        headers[n] = static_cast<std::uint32_t>(m.size);
        iov[2 * n] = {&headers[n], sizeof headers[n]};
        iov[2 * n + 1] = {const_cast<void*>(m.data), m.size};
      }
      if (auto s = write_frames(iov.data(), static_cast<int>(2 * n), guard); !s) return s;
      done += n;
    }
    return {};
  }

  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    DeadlineGuard guard(timeout_);
    while (end_ - begin_ < sizeof(std::uint32_t)) {
      if (auto s = fill(guard); !s) return s;
    }
    std::uint32_t len;
    std::memcpy(&len, rx_.data() + begin_, sizeof len);
    if (len > capacity) {
      return {Errc::kTooLarge,
              fmt::format("a {}-byte message does not fit the {}-byte buffer", len, capacity)};
    }
    begin_ += sizeof len;
    // What the last read brought along, then straight into the caller's buffer.
    std::size_t got = std::min<std::size_t>(len, end_ - begin_);
    std::memcpy(buf, rx_.data() + begin_, got);
    begin_ += got;
    while (got < len) {
      ssize_t n = read(rfd_.get(), static_cast<char*>(buf) + got, len - got);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
      } else if (n == 0 || errno == ECONNRESET) {
        return peer_closed("recv");
      } else if (errno == EINTR) {
        if (guard.expired()) return timed_out("recv", timeout_);
      } else {
        return Status::from_errno("recv", errno);
      }
    }
    *size = len;
    return {};
  }

  // A frame is written in one piece (small ones in one write), so once any of it can be read,
  // the rest follows at once: recv() then does not wait.
  Status try_recv(void* buf, std::size_t capacity, std::size_t* size, bool* got) override {
    *got = end_ - begin_ >= sizeof(std::uint32_t);
    if (!*got) {
      pollfd p{rfd_.get(), POLLIN, 0};
      const int n = poll(&p, 1, 0);
      if (n < 0 && errno != EINTR) return Status::from_errno("poll", errno);
      *got = n > 0;
    }
    return *got ? recv(buf, capacity, size) : Status{};
  }

 private:
  // One part goes out with a plain write or send: the kernel's writev and sendmsg first copy the
  // iovec array in, which costs a pipe round trip on one CPU a few percent.
  ssize_t write_some(const iovec* iov, int parts) {
    if (parts == 1) {
      return socket_ ? ::send(wfd_.get(), iov->iov_base, iov->iov_len, MSG_NOSIGNAL)
                     : write(wfd_.get(), iov->iov_base, iov->iov_len);
    }
    if (!socket_) return writev(wfd_.get(), iov, parts);
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<std::size_t>(parts);
    return sendmsg(wfd_.get(), &msg, MSG_NOSIGNAL);
  }

  // Writes all of iov[0..parts) (advancing it past partial writes).
  Status write_frames(iovec* iov, int parts, const DeadlineGuard& guard) {
    std::size_t left = 0;
    for (int i = 0; i < parts; ++i) left += iov[i].iov_len;
    int first = 0;
    while (left > 0) {
      const ssize_t n = write_some(iov + first, parts - first);
      if (n < 0) {
        if (errno == EINTR) {
          if (guard.expired()) return timed_out("send", timeout_);
          continue;
        }
        if (errno == EPIPE || errno == ECONNRESET) return peer_closed("send");
        return Status::from_errno("send", errno);
      }
      left -= static_cast<std::size_t>(n);
      // Partial write: advance the iovecs.
      auto done = static_cast<std::size_t>(n);
      while (first < parts && done >= iov[first].iov_len) done -= iov[first++].iov_len;
      if (first < parts) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + done;
        iov[first].iov_len -= done;
      }
    }
    return {};
  }

  Status fill(const DeadlineGuard& guard) {
    if (begin_ > 0) {
      std::memmove(rx_.data(), rx_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    for (;;) {
      // At most kReadAhead at a time: enough to batch small messages, while the bulk of a large
      // one is read straight into the caller's buffer (one copy, not two).
      const std::size_t room = std::min(rx_.size() - end_, kReadAhead);
      ssize_t n = read(rfd_.get(), rx_.data() + end_, room);
      if (n > 0) {
        end_ += static_cast<std::size_t>(n);
        return {};
      }
      if (n == 0 || errno == ECONNRESET) return peer_closed("recv");
      if (errno != EINTR) return Status::from_errno("recv", errno);
      if (guard.expired()) return timed_out("recv", timeout_);
    }
  }

  static constexpr std::size_t kReadAhead = 4096;
  static constexpr std::size_t kSmallFrame = 4096;
  Fd rfd_, wfd_;
  bool socket_;
  std::chrono::milliseconds timeout_;
  std::vector<unsigned char> rx_;
  std::size_t begin_ = 0, end_ = 0;
  std::vector<std::uint32_t> tx_headers_;  // send_batch's frames, kept between calls
  std::vector<iovec> tx_iov_;
};

// One message per datagram (Unix datagram and seqpacket sockets).
class PacketChannel final : public Channel {
 public:
  PacketChannel(Fd fd, bool seqpacket, std::chrono::milliseconds timeout)
      : fd_(std::move(fd)), seqpacket_(seqpacket), timeout_(timeout) {}

  Status send(const void* data, std::size_t size) override {
    DeadlineGuard guard(timeout_);
    for (;;) {
      if (::send(fd_.get(), data, size, MSG_NOSIGNAL) >= 0) return {};
      if (auto s = send_failed(size, guard); !s) return s;
    }
  }

  // One datagram per message, up to kBatchIov per sendmmsg.
  Status send_batch(const Message* msgs, std::size_t count) override {
    DeadlineGuard guard(timeout_);
    tx_iov_.resize(std::max(tx_iov_.size(), std::min(count, kBatchIov)));
    tx_hdr_.resize(tx_iov_.size());
    for (std::size_t done = 0; done < count;) {
      const std::size_t n = std::min(count - done, kBatchIov);
      for (std::size_t i = 0; i < n; ++i) {
        tx_iov_[i] = {const_cast<void*>(msgs[done + i].data), msgs[done + i].size};
        tx_hdr_[i] = {};
        tx_hdr_[i].msg_hdr.msg_iov = &tx_iov_[i];
        tx_hdr_[i].msg_hdr.msg_iovlen = 1;
      }
      const int sent = sendmmsg(fd_.get(), tx_hdr_.data(), static_cast<unsigned>(n), MSG_NOSIGNAL);
      if (sent > 0) {
        done += static_cast<std::size_t>(sent);
      } else if (auto s = send_failed(msgs[done].size, guard); !s) {
        return s;
      }
    }
    return {};
  }

  Status recv(void* buf, std::size_t capacity, std::size_t* size) override {
    DeadlineGuard guard(timeout_);
    for (;;) {
      if (auto s = receive(buf, capacity, 0, size); !s || *size != kNone) return s;
      if (errno == ECONNRESET) return peer_closed("recv");
      if (errno != EINTR) return Status::from_errno("recv", errno);
      if (guard.expired()) return timed_out("recv", timeout_);
    }
  }

  Status try_recv(void* buf, std::size_t capacity, std::size_t* size, bool* got) override {
    for (;;) {
      *got = false;
      if (auto s = receive(buf, capacity, MSG_DONTWAIT, size); !s) return s;
      if (*size != kNone) return *got = true, Status{};
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      if (errno == ECONNRESET) return peer_closed("recv");
      if (errno != EINTR) return Status::from_errno("recv", errno);
    }
  }

 private:
  static constexpr std::size_t kNone = SIZE_MAX;  // receive(): nothing taken, errno says why

  // One recv(); *size = kNone when it failed with errno set (the caller decides), an error for
  // what the message itself says (end of file on seqpacket, a message over `capacity`).
  Status receive(void* buf, std::size_t capacity, int flags, std::size_t* size) {
    *size = kNone;
    const ssize_t n = ::recv(fd_.get(), buf, capacity, MSG_TRUNC | flags);
    if (n < 0) return {};
    if (n == 0 && seqpacket_) return peer_closed("recv");  // seqpacket: 0 is end of file
    if (static_cast<std::size_t>(n) > capacity) {
      return {Errc::kTooLarge,
              fmt::format("a {}-byte datagram did not fit the {}-byte buffer", n, capacity)};
    }
    *size = static_cast<std::size_t>(n);
    return {};
  }

  // A send that failed with errno: Ok to try again (EINTR before the deadline), else the error.
  Status send_failed(std::size_t size, const DeadlineGuard& guard) const {
    if (errno == EINTR) return guard.expired() ? timed_out("send", timeout_) : Status{};
    if (errno == EPIPE || errno == ECONNREFUSED || errno == ECONNRESET) return peer_closed("send");
    if (errno == EMSGSIZE) {
      return {Errc::kTooLarge, fmt::format("a {}-byte datagram exceeds the socket buffer", size)};
    }
    return Status::from_errno("send", errno);
  }

  Fd fd_;
  bool seqpacket_;
  std::chrono::milliseconds timeout_;
  std::vector<iovec> tx_iov_;  // send_batch's, kept between calls
  std::vector<mmsghdr> tx_hdr_;
};

void ignore_sigpipe() {
  // A write to a pipe whose reader died must be an error value (EPIPE), not a dead process.
  signal(SIGPIPE, SIG_IGN);
}

class PipeTransport final : public Transport {
 public:
  PipeTransport(Fd a_read, Fd a_write, Fd b_read, Fd b_write, const ChannelOptions& o) : opt_(o) {
    fds_[0] = {std::move(a_read), std::move(a_write)};
    fds_[1] = {std::move(b_read), std::move(b_write)};
  }
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    auto& [r, w] = fds_[side == Side::kA ? 0 : 1];
    if (r.get() < 0) return {Errc::kSystem, "pipe side opened twice or dropped"};
    *out = std::make_unique<StreamChannel>(std::move(r), std::move(w), false, opt_.timeout);
    return {};
  }
  void drop(Side side) override {
    auto& [r, w] = fds_[side == Side::kA ? 0 : 1];
    r.reset();
    w.reset();
  }
  // Writes of up to PIPE_BUF bytes are atomic, so writers' messages (a length header and the
  // payload in one write) stay whole; longer ones could interleave, and verification says so.
  Status open_writer(std::unique_ptr<Channel>* out) override {
    const Fd& w = fds_[0].second;
    if (w.get() < 0) return {Errc::kSystem, "pipe: side A's write end was dropped"};
    Fd mine(dup(w.get()));
    if (mine.get() < 0) return Status::from_errno("dup", errno);
    *out = std::make_unique<StreamChannel>(Fd(), std::move(mine), false, opt_.timeout);
    return {};
  }

 private:
  ChannelOptions opt_;
  std::pair<Fd, Fd> fds_[2];
};

class SocketPairTransport final : public Transport {
 public:
  SocketPairTransport(Mechanism m, Fd a, Fd b, const ChannelOptions& o) : m_(m), opt_(o) {
    fds_[0] = std::move(a);
    fds_[1] = std::move(b);
  }
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    Fd& fd = fds_[side == Side::kA ? 0 : 1];
    if (fd.get() < 0) return {Errc::kSystem, "socket side opened twice or dropped"};
    if (m_ == Mechanism::kUnixStream) {
      Fd w(dup(fd.get()));
      if (w.get() < 0) return Status::from_errno("dup", errno);
      *out = std::make_unique<StreamChannel>(std::move(fd), std::move(w), true, opt_.timeout);
    } else {
      *out = std::make_unique<PacketChannel>(std::move(fd), m_ == Mechanism::kUnixSeqpacket,
                                             opt_.timeout);
    }
    return {};
  }
  void drop(Side side) override { fds_[side == Side::kA ? 0 : 1].reset(); }
  // Datagrams and sequenced packets keep each writer's messages whole; a byte stream does not.
  Status open_writer(std::unique_ptr<Channel>* out) override {
    return share(Side::kA, "a unix byte stream does not keep several writers' messages apart", out);
  }
  // One datagram or packet per receive: several readers each take whole messages.
  Status open_reader(std::unique_ptr<Channel>* out) override {
    return share(Side::kB, "several readers of a unix byte stream would split its messages", out);
  }

 private:
  // Another channel on a side's socket (a dup), for an extra writer (side A) or reader (side B);
  // a byte stream refuses with `why`.
  Status share(Side side, const char* why, std::unique_ptr<Channel>* out) {
    if (m_ == Mechanism::kUnixStream) return {Errc::kRefused, why};
    const Fd& fd = fds_[side == Side::kA ? 0 : 1];
    if (fd.get() < 0) {
      return {Errc::kSystem,
              fmt::format("socket: side {} was opened or dropped", side == Side::kA ? 'A' : 'B')};
    }
    Fd mine(dup(fd.get()));
    if (mine.get() < 0) return Status::from_errno("dup", errno);
    *out = std::make_unique<PacketChannel>(std::move(mine), m_ == Mechanism::kUnixSeqpacket,
                                           opt_.timeout);
    return {};
  }

  Mechanism m_;
  ChannelOptions opt_;
  Fd fds_[2];
};

class FifoTransport final : public Transport {
 public:
  FifoTransport(std::string dir, const ChannelOptions& o)
      : dir_(std::move(dir)), opt_(o), owner_(getpid()) {
    handle_ = register_resource(ResourceKind::kFifoDir, dir_);
  }
  ~FifoTransport() override {
    if (getpid() != owner_) return;  // a forked peer's copy: the creator removes
    remove_resource(ResourceKind::kFifoDir, dir_);
    unregister_resource(handle_);
  }

  // Opens by path, as two programs would, both sides in the same order: a2b, then b2a. Each open
  // of a FIFO blocks until the other side opens the same FIFO the other way, so the two opens
  // meet in pairs and neither side returns before the peer holds its ends. That matters: a FIFO
  // drops its contents when its last end closes, so a peer that wrote and exited before our read
  // end existed would lose its message and leave our open waiting for a writer that never comes
  // (it did, about once in 20 runs). Every end is pure (no O_RDWR), so the peer's death shows as
  // end of file on the read end and EPIPE on the write end.
  Status open(Side side, std::unique_ptr<Channel>* out) override {
    const std::string a2b = dir_ + "/a2b";
    const std::string b2a = dir_ + "/b2a";
    Fd r;
    Fd w;
    DeadlineGuard guard(opt_.timeout);
    auto open_end = [&](const std::string& path, int flags, Fd* fd) -> Status {
      while ((*fd = Fd(::open(path.c_str(), flags | O_CLOEXEC))).get() < 0) {
        if (errno != EINTR) return Status::from_errno("open " + path, errno);
        if (guard.expired())
          return timed_out("open FIFO (the peer never opened its end)", opt_.timeout);
      }
      return {};
    };
    const bool a = side == Side::kA;
    if (auto s = open_end(a2b, a ? O_WRONLY : O_RDONLY, a ? &w : &r); !s) return s;
    if (auto s = open_end(b2a, a ? O_RDONLY : O_WRONLY, a ? &r : &w); !s) return s;
    *out = std::make_unique<StreamChannel>(std::move(r), std::move(w), false, opt_.timeout);
    return {};
  }

 private:
  std::string dir_;
  ChannelOptions opt_;
  pid_t owner_;
  int handle_ = -1;
};

class TcpTransport final : public Transport {
 public:
  TcpTransport(Fd listener, std::uint16_t port, const ChannelOptions& o)
      : listener_(std::move(listener)), port_(port), opt_(o) {}

  Status open(Side side, std::unique_ptr<Channel>* out) override {
    Fd conn;
    if (side == Side::kA) {
      DeadlineGuard guard(opt_.timeout);
      for (;;) {
        conn = Fd(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (conn.get() >= 0) break;
        if (errno != EINTR) return Status::from_errno("accept", errno);
        if (guard.expired()) return timed_out("accept (the peer never connected)", opt_.timeout);
      }
      listener_.reset();
    } else {
      conn = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (conn.get() < 0) return Status::from_errno("socket", errno);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port_);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(conn.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return Status::from_errno(fmt::format("connect to 127.0.0.1:{}", port_), errno);
      }
    }
    int one = 1;
    setsockopt(conn.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Fd w(dup(conn.get()));
    if (w.get() < 0) return Status::from_errno("dup", errno);
    *out = std::make_unique<StreamChannel>(std::move(conn), std::move(w), true, opt_.timeout);
    return {};
  }
  // Only side A accepts; B's process does not need the listener.
  void drop(Side side) override {
    if (side == Side::kA) listener_.reset();
  }

 private:
  Fd listener_;
  std::uint16_t port_;
  ChannelOptions opt_;
};

// Datagrams must fit the socket buffer: raise it (forcibly where allowed), then prove with a
// probe message in each direction that max_message passes.
Status size_packet_sockets(int a, int b, std::size_t max, const char* what) {
  const int want = static_cast<int>(std::min<std::size_t>(2 * max + 65536, INT32_MAX / 2));
  for (int fd : {a, b}) {
    for (int opt : {SO_SNDBUF, SO_RCVBUF}) {
      const int force = opt == SO_SNDBUF ? SO_SNDBUFFORCE : SO_RCVBUFFORCE;
      if (setsockopt(fd, SOL_SOCKET, force, &want, sizeof want) != 0) {
        setsockopt(fd, SOL_SOCKET, opt, &want, sizeof want);
      }
    }
  }
  std::vector<unsigned char> probe(max);
  for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    if (::send(from, probe.data(), max, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      if (errno == EMSGSIZE || errno == ENOBUFS || errno == EAGAIN) {
        return {Errc::kTooLarge,
                fmt::format("a {} message of {} bytes exceeds the socket send buffer: "
                            "net.core.wmem_max = {} (/proc/sys/net/core/wmem_max); raise it with "
                            "`sysctl -w net.core.wmem_max={}`",
                            what, max, read_proc_value("/proc/sys/net/core/wmem_max"), want)};
      }
      return Status::from_errno("probe send", errno);
    }
    if (::recv(to, probe.data(), max, MSG_DONTWAIT) < 0)
      return Status::from_errno("probe recv", errno);
  }
  return {};
}

}  // namespace

Status make_fd_transport(Mechanism m, const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  switch (m) {
    case Mechanism::kPipe: {
      ignore_sigpipe();
      int ab[2], ba[2];
      if (pipe2(ab, O_CLOEXEC) != 0) return Status::from_errno("pipe", errno);
      if (pipe2(ba, O_CLOEXEC) != 0) {
        const int err = errno;
        close(ab[0]);
        close(ab[1]);
        return Status::from_errno("pipe", err);
      }
      *out = std::make_unique<PipeTransport>(Fd(ba[0]), Fd(ab[1]), Fd(ab[0]), Fd(ba[1]), o);
      return {};
    }
    case Mechanism::kUnixStream:
    case Mechanism::kUnixDgram:
    case Mechanism::kUnixSeqpacket: {
      const int type = m == Mechanism::kUnixStream  ? SOCK_STREAM
                       : m == Mechanism::kUnixDgram ? SOCK_DGRAM
                                                    : SOCK_SEQPACKET;
      int sv[2];
      if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
        return Status::from_errno("socketpair", errno);
      }
      Fd a(sv[0]), b(sv[1]);
      if (m != Mechanism::kUnixStream) {
        if (auto s = size_packet_sockets(a.get(), b.get(), o.max_message,
                                         std::string(to_string(m)).c_str());
            !s) {
          return s;
        }
      }
      *out = std::make_unique<SocketPairTransport>(m, std::move(a), std::move(b), o);
      return {};
    }
    case Mechanism::kFifo: {
      ignore_sigpipe();
      std::string tmpl = temp_dir() + "/" + unique_name("fifo") + ".XXXXXX";
      if (mkdtemp(tmpl.data()) == nullptr) return Status::from_errno("mkdtemp " + tmpl, errno);
      for (const char* leaf : {"/a2b", "/b2a"}) {
        if (mkfifo((tmpl + leaf).c_str(), 0600) != 0) {
          const int err = errno;
          remove_resource(ResourceKind::kFifoDir, tmpl);
          return Status::from_errno("mkfifo", err);
        }
      }
      *out = std::make_unique<FifoTransport>(tmpl, o);
      return {};
    }
    case Mechanism::kTcp: {
      Fd l(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (l.get() < 0) return Status::from_errno("socket", errno);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof addr;
      if (bind(l.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          listen(l.get(), 4) != 0 ||
          getsockname(l.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return Status::from_errno("listen on 127.0.0.1", errno);
      }
      *out = std::make_unique<TcpTransport>(std::move(l), ntohs(addr.sin_port), o);
      return {};
    }
    default:
      return {Errc::kRefused, "not a file-descriptor transport"};
  }
}

}  // namespace ptbench::ipc
