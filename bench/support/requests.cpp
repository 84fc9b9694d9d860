#include "bench/support/requests.hpp"

#include "bench/support/ipc_support.hpp"

namespace ptbench::bench {

ipc::Status serve(ipc::Channel& ch) {
  std::vector<unsigned char> buf(kRequestBytes);
  std::int64_t cpu0 = thread_cpu_ns();
  for (;;) {
    std::size_t n = 0;
    if (auto s = ch.recv(buf.data(), buf.size(), &n); !s) return s;
    if (n == kStopSize && buf[0] == kStop) {
      const std::int64_t used = thread_cpu_ns() - cpu0;
      return ch.send(&used, sizeof used);
    }
    if (n == 1 && buf[0] == kMark) cpu0 = thread_cpu_ns();
    if (auto s = ch.send(buf.data(), n); !s) return s;
  }
}

ipc::Status serve_batched(ipc::Channel& ch, std::size_t most) {
  std::vector<std::vector<unsigned char>> bufs(most, std::vector<unsigned char>(kRequestBytes));
  std::vector<ipc::Message> batch;
  const std::int64_t cpu0 = thread_cpu_ns();
  for (;;) {
    batch.clear();
    std::size_t n = 0;
    if (auto s = ch.recv(bufs[0].data(), kRequestBytes, &n); !s) return s;
    if (n == kStopSize && bufs[0][0] == kStop) {
      const std::int64_t used = thread_cpu_ns() - cpu0;
      return ch.send(&used, sizeof used);
    }
    batch.push_back({bufs[0].data(), n});
    for (bool got = true; got && batch.size() < most;) {
      if (auto s = ch.try_recv(bufs[batch.size()].data(), kRequestBytes, &n, &got); !s) return s;
      if (got) batch.push_back({bufs[batch.size()].data(), n});
    }
    if (auto s = ch.send_batch(batch.data(), batch.size()); !s) return s;
  }
}

}  // namespace ptbench::bench
