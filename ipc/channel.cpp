#include "ipc/channel.hpp"

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

std::string_view to_string(Mechanism m) {
  switch (m) {
    case Mechanism::kPipe:
      return "pipe";
    case Mechanism::kFifo:
      return "fifo";
    case Mechanism::kUnixStream:
      return "unix_stream";
    case Mechanism::kUnixDgram:
      return "unix_dgram";
    case Mechanism::kUnixSeqpacket:
      return "unix_seqpacket";
    case Mechanism::kTcp:
      return "tcp";
    case Mechanism::kPosixMq:
      return "posix_mq";
    case Mechanism::kSysvMq:
      return "sysv_mq";
    case Mechanism::kBoostMq:
      return "boost_mq";
    case Mechanism::kShmRing:
      return "shm_ring";
    case Mechanism::kShmRingZc:
      return "shm_ring_zc";
    case Mechanism::kShmMutex:
      return "shm_mutex";
    case Mechanism::kShmMpsc:
      return "shm_mpsc";
  }
  return "unknown";
}

const std::vector<Mechanism>& all_mechanisms() {
  static const std::vector<Mechanism> all = {
      Mechanism::kPipe,          Mechanism::kFifo,    Mechanism::kUnixStream, Mechanism::kUnixDgram,
      Mechanism::kUnixSeqpacket, Mechanism::kTcp,     Mechanism::kPosixMq,    Mechanism::kSysvMq,
      Mechanism::kBoostMq,       Mechanism::kShmRing, Mechanism::kShmRingZc,  Mechanism::kShmMutex};
  return all;
}

std::optional<Mechanism> parse_mechanism(std::string_view s) {
  for (Mechanism m : all_mechanisms()) {
    if (to_string(m) == s) return m;
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
  switch (m) {
    case Mechanism::kPipe:
    case Mechanism::kFifo:
    case Mechanism::kUnixStream:
    case Mechanism::kUnixDgram:
    case Mechanism::kUnixSeqpacket:
    case Mechanism::kTcp:
      return make_fd_transport(m, options, out);
    case Mechanism::kPosixMq:
    case Mechanism::kSysvMq:
    case Mechanism::kBoostMq:
      return make_queue_transport(m, options, out);
    case Mechanism::kShmRing:
    case Mechanism::kShmRingZc:
      return make_shm_ring_transport(options, out);
    case Mechanism::kShmMutex:
      return make_shm_mutex_transport(options, out);
    case Mechanism::kShmMpsc:
      return make_shm_mpsc_transport(options, out);
  }
  return {Errc::kRefused, "unknown mechanism"};
}

}  // namespace ptbench::ipc
