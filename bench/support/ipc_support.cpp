#include "bench/support/ipc_support.hpp"

#include <fmt/format.h>

#include <cstring>
#include <map>

#include "ipc/message.hpp"

namespace ptbench::bench {

using ipc::Mechanism;
using ipc::WaitPolicy;

const IpcBudget& ipc_budget(Profile p) {
  using P = ipc::Placement;
  using W = WaitPolicy;
  constexpr std::size_t k64K = 64 * 1024;
  static const PerProfile<IpcBudget> table = {
      .smoke = {{64},
                {64},
                {64},
                with_cross({P::kSameCpu}),
                with_cross({}),
                {W::kSpin, W::kSpinFutex},
                {W::kSpin},
                {},
                true,
                false},
      // Round trips of 64 B only (64 KiB is streamed): quick has to stay within 90 s.
      .quick = {{64, k64K},
                {64},
                {64, k64K},
                with_cross({P::kSameCpu}),
                with_cross({}),
                {W::kSpin, W::kSpinFutex},
                {W::kSpin},
                {},
                false,
                false},
      .full = {{8, 64, 4096, k64K, 1 << 20},
               {8, 64, 4096, k64K, 1 << 20},
               {64, 4096, k64K, 1 << 20},
               with_cross({P::kSameCpu}, {P::kUnpinned}),
               with_cross({P::kSameCpu}, {P::kUnpinned}),
               {W::kSpin, W::kYield, W::kFutex, W::kSpinFutex},
               {W::kSpin, W::kSpinFutex},
               {W::kSpin, W::kSpinFutex},
               true,
               true},
  };
  return table[p];
}

std::vector<std::pair<Mechanism, std::optional<WaitPolicy>>> ipc_variants(Profile p) {
  const IpcBudget& b = ipc_budget(p);
  std::vector<std::pair<Mechanism, std::optional<WaitPolicy>>> out;
  for (Mechanism m : ipc::all_mechanisms()) {
    if (!ipc::info(m).has(ipc::kWaitPolicies)) {
      out.emplace_back(m, std::nullopt);
      continue;
    }
    const auto& policies = m == Mechanism::kShmRing   ? b.ring_policies
                           : m == Mechanism::kShmMpsc ? b.mpsc_policies
                                                      : b.other_policies;
    for (WaitPolicy w : policies) out.emplace_back(m, w);
  }
  return out;
}

std::vector<Variant> pipe_and_ring(const std::vector<Variant>& more) {
  std::vector<Variant> out = {{Mechanism::kPipe, std::nullopt},
                              {Mechanism::kShmRing, WaitPolicy::kSpinFutex}};
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

std::vector<ipc::Endpoint> bench_endpoints() {
#ifdef __SANITIZE_THREAD__
  return {ipc::Endpoint::kThread};
#else
  return {ipc::Endpoint::kProcess, ipc::Endpoint::kThread};
#endif
}

std::vector<ipc::Endpoint> ipc_endpoints(Profile p, Mechanism m) {
  const bool both = ipc_budget(p).every_endpoint || m == Mechanism::kPipe ||
                    m == Mechanism::kShmRing || m == Mechanism::kShmRingZc;
  if (both) return bench_endpoints();
  return {ipc::Endpoint::kProcess};
}

bool measured_on_one_cpu(Profile profile, ipc::Placement p, Mechanism m) {
  if (ipc_budget(profile).every_on_one_cpu || p != ipc::Placement::kSameCpu) return true;
  return m == Mechanism::kPipe || m == Mechanism::kShmRing || m == Mechanism::kShmMutex;
}

std::string ipc_name(std::string_view question, const IpcCase& c) {
  std::vector<std::pair<std::string, std::string>> params;
  if (c.policy) params.emplace_back("policy", std::string(ipc::to_string(*c.policy)));
  return grid_name(question, ipc::to_string(c.mechanism), ipc::to_string(c.endpoint), c.placement,
                   c.bytes, params);
}

std::string skip_reason(const IpcCase& c) {
  auto cpus = ipc::cpus_for(c.placement);
  if (!cpus.error.empty()) return cpus.error;
  if (c.policy == WaitPolicy::kSpin && c.placement == ipc::Placement::kSameCpu) {
    return "spin with both ends on one CPU is refused: the waiter burns its time slice while the "
           "peer cannot run";
  }
  // Transports with a per-message limit: ask them, once per mechanism and size.
  if (ipc::info(c.mechanism).has(ipc::kKernelLimit)) {
    static std::map<std::pair<Mechanism, std::size_t>, std::string> limits;
    auto [it, fresh] = limits.try_emplace({c.mechanism, c.bytes});
    if (fresh) {
      ipc::ChannelOptions o;
      o.max_message = c.bytes;
      std::unique_ptr<ipc::Transport> t;
      if (auto s = ipc::make_transport(c.mechanism, o, &t); !s) it->second = s.message();
    }
    return it->second;
  }
  return {};
}

namespace {
std::vector<std::pair<std::string, std::string>>& skipped_list() {
  static std::vector<std::pair<std::string, std::string>> list;
  return list;
}
}  // namespace

void note_skipped(const std::string& name, const std::string& reason) {
  skipped_list().emplace_back(name, reason);
}

const std::vector<std::pair<std::string, std::string>>& skipped_benchmarks() {
  return skipped_list();
}

ipc::Status open_session(const IpcCase& c, std::size_t max_message,
                         std::function<ipc::Status(ipc::Channel&)> peer_work, IpcSession* s) {
  auto cpus = ipc::cpus_for(c.placement);
  if (!cpus.error.empty()) return {ipc::Errc::kRefused, cpus.error};
  s->pin.emplace(cpus.cpus.first);
  if (!s->pin->error().empty()) return {ipc::Errc::kSystem, s->pin->error()};
  ipc::ChannelOptions o;
  o.max_message = std::max(max_message, kStopSize);
  o.placement = c.placement;
  if (c.policy) o.policy = *c.policy;
  if (auto st = ipc::make_transport(c.mechanism, o, &s->transport); !st) return st;
  return ipc::start_channel_peer(*s->transport, c.endpoint, cpus.cpus.second, std::move(peer_work),
                                 &s->peer, &s->channel);
}

ipc::Status send_in_place(ipc::ZeroCopy& zc, const unsigned char* pattern, std::size_t bytes,
                          std::uint64_t seq, std::uint64_t payload_sum) {
  std::byte* at = nullptr;
  if (auto s = zc.loan(bytes, &at); !s) return s;
  std::memcpy(at, pattern, bytes);
  ipc::stamp(at, bytes, seq, payload_sum);
  zc.publish();
  return {};
}

ipc::Status receive_in_place(ipc::ZeroCopy& zc, std::size_t bytes, std::uint64_t seq) {
  const std::byte* at = nullptr;
  std::size_t n = 0;
  if (auto s = zc.peek(&at, &n); !s) return s;
  ipc::Status checked = ipc::verify(at, n, bytes, seq);
  zc.release();
  return checked;
}

ipc::ZeroCopy* zero_copy_for(const IpcCase& c, ipc::Channel& ch) {
  return ipc::info(c.mechanism).has(ipc::kInPlace) ? ch.zero_copy() : nullptr;
}

}  // namespace ptbench::bench
