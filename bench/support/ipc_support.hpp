// Shared by the IPC benchmarks: the grid of cases (transport x endpoint x placement x size), the
// cases that cannot run here with their reasons, and a session that pins this thread, makes the
// transport and starts the peer.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/support/bench_support.hpp"
#include "ipc/channel.hpp"
#include "ipc/peer.hpp"

namespace ptbench::bench {

struct IpcCase {
  ipc::Mechanism mechanism;
  std::optional<ipc::WaitPolicy> policy;  // shm_ring only
  ipc::Endpoint endpoint;
  ipc::Placement placement;
  std::size_t bytes;
};

// What each profile measures of the two-party IPC questions (round trips, streams, and the
// floors held against them): one table in ipc_support.cpp.
struct IpcBudget {
  std::vector<std::size_t> sizes;          // the floors' sizes: 8 B to 1 MiB in the full profile
  std::vector<std::size_t> latency_sizes;  // round trips
  std::vector<std::size_t> stream_sizes;   // streams
  std::vector<ipc::Placement> placements;  // round trips
  std::vector<ipc::Placement> stream_placements;
  // The zero-copy ring asks how far in-place use gets below the copying ring, and the
  // multi-producer queue (made for fan-in) what it costs between two: spin shows it best,
  // spin_futex beside it in the full profile; quick leaves the queue to the pattern suite.
  std::vector<ipc::WaitPolicy> ring_policies;   // shm_ring
  std::vector<ipc::WaitPolicy> other_policies;  // the other transports with wait policies
  std::vector<ipc::WaitPolicy> mpsc_policies;   // shm_mpsc
  bool every_endpoint;    // false: threads only for the pipe and the rings (ipc_endpoints)
  bool every_on_one_cpu;  // false: same-cpu only for the pipe, the ring and shm_mutex
};
const IpcBudget& ipc_budget(Profile p);

// Whether the profile measures `m` at placement `p`: the quick profile keeps one CPU for the
// pipe, the ring and the mutex mailbox (the context-switch suite asks the one-CPU question).
bool measured_on_one_cpu(Profile profile, ipc::Placement p, ipc::Mechanism m);

// Process and thread; under ThreadSanitizer threads only, because TSan cannot follow a fork of a
// multi-threaded process (the release and ASan builds run both).
std::vector<ipc::Endpoint> bench_endpoints();

// The endpoints a profile measures `m` from: both, except that the quick profile compares
// process with thread only for the pipe and the ring (it has to stay within 90 s; the full
// profile has every transport both ways).
std::vector<ipc::Endpoint> ipc_endpoints(Profile p, ipc::Mechanism m);

// A transport, with its wait policy when it has them.
using Variant = std::pair<ipc::Mechanism, std::optional<ipc::WaitPolicy>>;

// The pipe and the ring sleeping after a spin (spin_futex): the two transports every pattern
// measures, in every profile; then `more`.
std::vector<Variant> pipe_and_ring(const std::vector<Variant>& more = {});

// Every transport, the shm ring once per wait policy of the profile.
std::vector<std::pair<ipc::Mechanism, std::optional<ipc::WaitPolicy>>> ipc_variants(Profile p);

std::string ipc_name(std::string_view question, const IpcCase& c);

// Why the case cannot run on this host ("" if it can): too few CPUs, spin on one CPU, a size
// over the transport's limit (the message names the limit and how to raise it).
std::string skip_reason(const IpcCase& c);

// Cases that were not registered, with their reasons; printed by --ptbench_list_skipped so the
// report shows them instead of silently dropping them.
void note_skipped(const std::string& name, const std::string& reason);

// Registers `fn` as the benchmark `name`, or, when `why` says it cannot run here, lists it as
// skipped with that reason and returns nullptr (configure the result only when it is not).
template <typename Fn>
benchmark::internal::Benchmark* register_or_skip(const std::string& name, const std::string& why,
                                                 Fn&& fn) {
  if (!why.empty()) {
    note_skipped(name, why);
    return nullptr;
  }
  return add_benchmark(name, std::forward<Fn>(fn));
}
const std::vector<std::pair<std::string, std::string>>& skipped_benchmarks();

struct IpcSession {
  std::optional<ipc::ScopedPin> pin;
  std::unique_ptr<ipc::Transport> transport;
  std::unique_ptr<ipc::Peer> peer;
  std::unique_ptr<ipc::Channel> channel;
};

// Pins this thread and the peer per placement, makes the transport for messages of up to
// `max_message` bytes and starts the peer running `peer_work` on its end.
ipc::Status open_session(const IpcCase& c, std::size_t max_message,
                         std::function<ipc::Status(ipc::Channel&)> peer_work, IpcSession* s);

// The zero-copy ring's way to send a message: the producer writes every byte of it into the
// loaned slot (the payload from `pattern`, as if building it there, then the stamp) and
// publishes it.
ipc::Status send_in_place(ipc::ZeroCopy& zc, const unsigned char* pattern, std::size_t bytes,
                          std::uint64_t seq, std::uint64_t payload_sum);

// Receives the next message in place, verifies it there (every byte) and releases its slot.
ipc::Status receive_in_place(ipc::ZeroCopy& zc, std::size_t bytes, std::uint64_t seq);

// The channel's zero-copy calls when the case is the zero-copy ring, else nullptr.
ipc::ZeroCopy* zero_copy_for(const IpcCase& c, ipc::Channel& ch);

// The peer of a benchmark stops when it receives this one-byte message.
inline constexpr unsigned char kStop = 0xff;
inline constexpr std::size_t kStopSize = 1;

}  // namespace ptbench::bench
