// The request/response pair the open-loop and in-flight programs share: a server that echoes
// 64-byte requests (one by one, or in batches), and a client that numbers, sends and verifies
// them (sequence number and checksum of every byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/support/bench_support.hpp"
#include "ipc/channel.hpp"
#include "ipc/message.hpp"

namespace ptbench::bench {

inline constexpr std::size_t kRequestBytes = 64;
inline constexpr unsigned char kMark = 0xfc;  // the server starts counting its CPU time here

// The server: echoes until the stop message, then answers it with its CPU time since the mark.
ipc::Status serve(ipc::Channel& ch);

// The batching server: takes the request that is there (waiting for it) and the others already
// in (a non-blocking receive), `most` in all, and answers them in one send_batch; the stop
// message as serve() does (it comes alone: the client sends it only when every answer is in).
ipc::Status serve_batched(ipc::Channel& ch, std::size_t most);

class Client {
 public:
  explicit Client(ipc::Channel& ch) : ch_(ch), out_(kRequestBytes), in_(kRequestBytes) {
    ipc::fill_pattern(out_.data(), kRequestBytes);
    sum_ = ipc::payload_checksum(out_.data(), kRequestBytes);
  }
  ipc::Status send_request(std::uint64_t i) {
    ipc::stamp(out_.data(), kRequestBytes, i, sum_);
    return ch_.send(out_.data(), kRequestBytes);
  }
  // Requests first .. first + count - 1 in one send_batch.
  ipc::Status send_requests(std::uint64_t first, std::size_t count) {
    while (batch_out_.size() < count) batch_out_.push_back(out_);
    batch_.clear();
    for (std::size_t k = 0; k < count; ++k) {
      ipc::stamp(batch_out_[k].data(), kRequestBytes, first + k, sum_);
      batch_.push_back({batch_out_[k].data(), kRequestBytes});
    }
    return ch_.send_batch(batch_.data(), count);
  }
  // Receives and verifies response `i`, waiting for it.
  ipc::Status receive(std::uint64_t i) {
    std::size_t n = 0;
    if (auto s = ch_.recv(in_.data(), in_.size(), &n); !s) return s;
    return ipc::verify(in_.data(), n, kRequestBytes, i);
  }
  // Receives and verifies response `first` (waiting for it) and those after it that are already
  // in, at most `max` in all; *count says how many.
  ipc::Status receive_some(std::uint64_t first, std::uint64_t max, std::uint64_t* count) {
    *count = 0;
    if (auto s = receive(first); !s) return s;
    bool got = true;
    for (*count = 1; *count < max; ++*count) {
      if (auto s = try_receive(first + *count, &got); !s || !got) return s;
    }
    return {};
  }
  // Receives and verifies response `i` if it is there; *got says whether it was.
  ipc::Status try_receive(std::uint64_t i, bool* got) {
    std::size_t n = 0;
    if (auto s = ch_.try_recv(in_.data(), in_.size(), &n, got); !s || !*got) return s;
    return ipc::verify(in_.data(), n, kRequestBytes, i);
  }
  ipc::Status control(unsigned char byte, void* answer, std::size_t size) {
    if (auto s = ch_.send(&byte, 1); !s) return s;
    std::size_t n = 0;
    if (auto s = ch_.recv(answer, size, &n); !s) return s;
    return n == size ? ipc::Status{} : ipc::Status{ipc::Errc::kCorrupt, "a short control answer"};
  }

 private:
  ipc::Channel& ch_;
  std::vector<unsigned char> out_, in_;
  std::uint64_t sum_ = 0;
  std::vector<std::vector<unsigned char>> batch_out_;
  std::vector<ipc::Message> batch_;
};

}  // namespace ptbench::bench
