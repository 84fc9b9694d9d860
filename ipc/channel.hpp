// One small interface for a bidirectional, message-preserving channel between two ends, and one
// implementation per transport. A Transport is made before the peer starts (it owns the kernel
// objects and names); each side then opens its end, in the process or thread that uses it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "ipc/placement.hpp"
#include "ipc/status.hpp"
#include "ipc/watchdog.hpp"

namespace ptbench::ipc {

// The fixed vocabulary of mechanism names shared by code, CSV and charts.
enum class Mechanism {
  kPipe,
  kFifo,
  kUnixStream,
  kUnixDgram,
  kUnixSeqpacket,
  kTcp,
  kPosixMq,
  kSysvMq,
  kBoostMq,
  kShmRing,          // lock-free SPSC ring per direction in shared memory, copying in and out
  kShmRingZc,        // the same ring used in place: loan/publish, peek/release (no copies)
  kShmMutex,         // Boost.Interprocess mutex + condition around a one-message mailbox
  kShmMpsc,          // lock-free multi-producer queue per direction in shared memory (fan-in)
  kLast = kShmMpsc,  // the last one: transports() has an entry for each, checked at compile time
};

std::string_view to_string(Mechanism m);
std::optional<Mechanism> parse_mechanism(std::string_view s);
// Every mechanism, in the enum's order.
const std::vector<Mechanism>& all_mechanisms();

// How a shared-memory receiver (or a sender facing a full ring) waits.
enum class WaitPolicy {
  kSpin,       // busy-wait: lowest latency, costs a whole CPU, refused on one CPU
  kYield,      // sched_yield between checks
  kFutex,      // sleep in the kernel at once (an eventcount: woken only when someone sleeps)
  kSpinFutex,  // spin briefly, then sleep
};

std::string_view to_string(WaitPolicy p);
std::optional<WaitPolicy> parse_wait_policy(std::string_view s);

enum class Endpoint { kProcess, kThread };
std::string_view to_string(Endpoint e);

enum class Side { kA, kB };

struct ChannelOptions {
  std::size_t max_message = 64 * 1024;                  // the largest message either side will send
  WaitPolicy policy = WaitPolicy::kSpinFutex;           // shm_ring(_zc) only
  Placement placement = Placement::kUnpinned;           // spin + same-cpu is refused
  std::chrono::milliseconds timeout = kDefaultTimeout;  // per blocking call
};

// A channel that lends its own buffers (shm_ring): the sender writes a message in place and
// publishes it; the receiver reads it in place and releases it. One loan (one peek) at a time per
// direction, and nothing else on that direction until its publish (release).
class ZeroCopy {
 public:
  virtual ~ZeroCopy() = default;
  // Waits for room and points *where at `size` writable bytes (16-byte aligned).
  virtual Status loan(std::size_t size, std::byte** where) = 0;
  virtual void publish() = 0;
  // Waits for the next message and points *where at its *size bytes.
  virtual Status peek(const std::byte** where, std::size_t* size) = 0;
  virtual void release() = 0;
};

// One message of a batch (Channel::send_batch).
struct Message {
  const void* data;
  std::size_t size;
};

class Channel {
 public:
  virtual ~Channel() = default;
  // Sends one message of `size` bytes (size <= max_message).
  virtual Status send(const void* data, std::size_t size) = 0;
  // Receives one whole message into buf; *size is its length. A message longer than `capacity`
  // is an error (kTooLarge); on a byte stream it stays, for a recv with room for it.
  virtual Status recv(void* buf, std::size_t capacity, std::size_t* size) = 0;
  // Receives a message if one is there and returns at once if not (*got says which); for a
  // caller that must not block, such as a load generator sending on a schedule. Transports
  // without it refuse (kRefused).
  virtual Status try_recv(void* buf, std::size_t capacity, std::size_t* size, bool* got);
  // Sends `count` messages in order as one batch where the transport offers it: one writev per
  // up to kBatchIov messages on a byte stream (pipe, FIFO, Unix stream, TCP; on a pipe or FIFO
  // also at most PIPE_BUF bytes per writev, so that writers sharing it keep their messages
  // whole), one sendmmsg on datagram and seqpacket sockets, one wake-up of the receiver in the
  // ring (it is woken before the sender waits for room). Elsewhere one send() per message. The
  // receiver takes them with recv() as usual.
  virtual Status send_batch(const Message* msgs, std::size_t count);
  static constexpr std::size_t kBatchIov = 512;
  // The zero-copy calls of this channel, or nullptr when it has none.
  virtual ZeroCopy* zero_copy() { return nullptr; }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Opens one side's end, once per side, in the process or thread that will use it.
  virtual Status open(Side side, std::unique_ptr<Channel>* out) = 0;
  // Closes this process's copies of the other side's resources after a fork, so that the peer's
  // death shows as end-of-file where the transport can tell.
  virtual void drop(Side side) { (void)side; }
  // Another sender into the A-to-B direction, for fan-in: any number of them, each opened in the
  // process or thread that uses it, beside (or instead of) side A; they only send. Transports
  // whose direction has room for one writer only refuse (kRefused, with the reason).
  virtual Status open_writer(std::unique_ptr<Channel>* out);
  // Another receiver from the A-to-B direction, for fan-out: any number of them, each taking
  // whole messages (each message goes to one of them); they only receive. Transports that
  // cannot hand whole messages to several readers refuse (kRefused, with the reason).
  virtual Status open_reader(std::unique_ptr<Channel>* out);
};

// What a transport can do, beyond a two-sided channel. Benchmarks and tests select transports by
// these, never by lists of names; channel_test checks each entry against the transport itself.
enum Capability : unsigned {
  kManyWriters = 1u << 0,   // open_writer: several senders into one direction (fan-in)
  kManyReaders = 1u << 1,   // open_reader: several receivers of one direction (fan-out)
  kTryRecv = 1u << 2,       // Channel::try_recv does not refuse
  kZeroCopy = 1u << 3,      // Channel::zero_copy() lends the transport's buffers
  kInPlace = 1u << 4,       // the benchmarks use it through those zero-copy calls
  kWaitPolicies = 1u << 5,  // ChannelOptions::policy chooses how a receiver waits
  kKernelLimit = 1u << 6,   // a per-message limit the kernel sets (a sysctl or a socket buffer)
  kSharedMemory = 1u << 7,  // the data moves through memory both ends map (/dev/shm)
  kByteStream = 1u << 8,    // messages framed on a byte stream: one longer than max_message is
                            // split and delivered, not refused
};

using TransportFactory = Status (*)(Mechanism, const ChannelOptions&, std::unique_ptr<Transport>*);

// One row of the transport table: the one place a transport is named and described.
struct TransportInfo {
  Mechanism mechanism;
  std::string_view name;  // in code, CSV and charts
  TransportFactory make;
  unsigned caps;  // Capability bits

  bool has(unsigned wanted) const { return (caps & wanted) == wanted; }
};

// The table, in the enum's order (one entry per mechanism, checked at compile time).
const std::vector<TransportInfo>& transports();
const TransportInfo& info(Mechanism m);
// The mechanisms having every capability in `all_of` and none in `none_of`, in table order.
std::vector<Mechanism> mechanisms_with(unsigned all_of, unsigned none_of = 0);

// Makes a transport. Refuses (kRefused) combinations that cannot run here and (kTooLarge)
// a max_message over the transport's limit, with the limit's name and how to raise it.
Status make_transport(Mechanism m, const ChannelOptions& options, std::unique_ptr<Transport>* out);

// The transports, one factory each (in their own files).
Status make_fd_transport(Mechanism m, const ChannelOptions& options,
                         std::unique_ptr<Transport>* out);
Status make_queue_transport(Mechanism m, const ChannelOptions& options,
                            std::unique_ptr<Transport>* out);
Status make_shm_ring_transport(const ChannelOptions& options, std::unique_ptr<Transport>* out);
Status make_shm_mutex_transport(const ChannelOptions& options, std::unique_ptr<Transport>* out);
Status make_shm_mpsc_transport(const ChannelOptions& options, std::unique_ptr<Transport>* out);

}  // namespace ptbench::ipc
