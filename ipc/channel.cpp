#include "ipc/channel.hpp"

#include <iterator>

namespace ptbench::ipc {

namespace {
template <typename E, std::size_t N>
std::optional<E> parse_enum(std::string_view s, const E (&values)[N]) {
  for (E v : values) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}
}  // namespace

namespace {

// Factories of the transports whose maker serves one mechanism.
Status make_ring(Mechanism, const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  return make_shm_ring_transport(o, out);
}
Status make_mutex(Mechanism, const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  return make_shm_mutex_transport(o, out);
}
Status make_mpsc(Mechanism, const ChannelOptions& o, std::unique_ptr<Transport>* out) {
  return make_shm_mpsc_transport(o, out);
}

// The transport table. A new transport is one file (its factory) plus one row here.
constexpr TransportInfo kTable[] = {
    {Mechanism::kPipe, "pipe", make_fd_transport, kManyWriters | kTryRecv | kByteStream},
    {Mechanism::kFifo, "fifo", make_fd_transport, kTryRecv | kByteStream},
    {Mechanism::kUnixStream, "unix_stream", make_fd_transport, kTryRecv | kByteStream},
    {Mechanism::kUnixDgram, "unix_dgram", make_fd_transport,
     kManyWriters | kManyReaders | kTryRecv | kKernelLimit},
    {Mechanism::kUnixSeqpacket, "unix_seqpacket", make_fd_transport,
     kManyWriters | kManyReaders | kTryRecv | kKernelLimit},
    {Mechanism::kTcp, "tcp", make_fd_transport, kTryRecv | kByteStream},
    {Mechanism::kPosixMq, "posix_mq", make_queue_transport,
     kManyWriters | kManyReaders | kKernelLimit},
    {Mechanism::kSysvMq, "sysv_mq", make_queue_transport,
     kManyWriters | kManyReaders | kKernelLimit},
    {Mechanism::kBoostMq, "boost_mq", make_queue_transport,
     kManyWriters | kManyReaders | kSharedMemory},
    {Mechanism::kShmRing, "shm_ring", make_ring,
     kTryRecv | kZeroCopy | kWaitPolicies | kSharedMemory},
    {Mechanism::kShmRingZc, "shm_ring_zc", make_ring,
     kTryRecv | kZeroCopy | kInPlace | kWaitPolicies | kSharedMemory},
    {Mechanism::kShmMutex, "shm_mutex", make_mutex, kSharedMemory},
    {Mechanism::kShmMpsc, "shm_mpsc", make_mpsc,
     kManyWriters | kManyReaders | kWaitPolicies | kSharedMemory},
};

constexpr bool table_matches_enum() {
  if (std::size(kTable) != static_cast<std::size_t>(Mechanism::kLast) + 1) return false;
  for (std::size_t i = 0; i < std::size(kTable); ++i) {
    if (static_cast<std::size_t>(kTable[i].mechanism) != i) return false;
  }
  return true;
}
static_assert(table_matches_enum(), "kTable needs one row per Mechanism, in the enum's order");

}  // namespace

const std::vector<TransportInfo>& transports() {
  static const std::vector<TransportInfo> all(std::begin(kTable), std::end(kTable));
  return all;
}

const TransportInfo& info(Mechanism m) {
  return kTable[static_cast<std::size_t>(m)];
}

std::string_view to_string(Mechanism m) {
  return info(m).name;
}

const std::vector<Mechanism>& all_mechanisms() {
  static const std::vector<Mechanism> all = mechanisms_with(0);
  return all;
}

std::vector<Mechanism> mechanisms_with(unsigned all_of, unsigned none_of) {
  std::vector<Mechanism> out;
  for (const auto& t : kTable) {
    if (t.has(all_of) && (t.caps & none_of) == 0) out.push_back(t.mechanism);
  }
  return out;
}

std::optional<Mechanism> parse_mechanism(std::string_view s) {
  for (const auto& t : kTable) {
    if (t.name == s) return t.mechanism;
  }
  return std::nullopt;
}

std::string_view to_string(WaitPolicy p) {
  switch (p) {
    case WaitPolicy::kSpin:
      return "spin";
    case WaitPolicy::kYield:
      return "yield";
    case WaitPolicy::kFutex:
      return "futex";
    case WaitPolicy::kSpinFutex:
      return "spin_futex";
  }
  return "unknown";
}

std::optional<WaitPolicy> parse_wait_policy(std::string_view s) {
  constexpr WaitPolicy values[] = {WaitPolicy::kSpin, WaitPolicy::kYield, WaitPolicy::kFutex,
                                   WaitPolicy::kSpinFutex};
  return parse_enum(s, values);
}

std::string_view to_string(Endpoint e) {
  return e == Endpoint::kProcess ? "process" : "thread";
}

Status Channel::try_recv(void* buf, std::size_t capacity, std::size_t* size, bool* got) {
  (void)buf;
  (void)capacity;
  (void)size;
  *got = false;
  return {Errc::kRefused, "this transport has no non-blocking receive"};
}

Status Channel::send_batch(const Message* msgs, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (auto s = send(msgs[i].data, msgs[i].size); !s) return s;
  }
  return {};
}

Status Transport::open_writer(std::unique_ptr<Channel>* out) {
  (void)out;
  return {Errc::kRefused, "this transport has room for one writer per direction"};
}

Status Transport::open_reader(std::unique_ptr<Channel>* out) {
  (void)out;
  return {Errc::kRefused, "this transport cannot hand whole messages to several readers"};
}

Status make_transport(Mechanism m, const ChannelOptions& options, std::unique_ptr<Transport>* out) {
  if (static_cast<std::size_t>(m) >= std::size(kTable))
    return {Errc::kRefused, "unknown mechanism"};
  return info(m).make(m, options, out);
}

}  // namespace ptbench::ipc
