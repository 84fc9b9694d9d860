#include "ipc/message.hpp"

#include <fmt/format.h>

#include <cstring>

namespace ptbench::ipc {

namespace {
constexpr std::size_t kHeader = 16;
constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;

unsigned char pattern_byte(std::size_t i) {
  return static_cast<unsigned char>((i * 131 + 7) >> 3);
}

std::uint64_t mix(std::uint64_t seq, std::uint64_t sum) {
  return (sum ^ (seq * kGolden)) + 0x5bd1e995u;
}
}  // namespace

void fill_pattern(void* buf, std::size_t size) {
  auto* p = static_cast<unsigned char*>(buf);
  for (std::size_t i = 0; i < size; ++i) p[i] = pattern_byte(i);
}

std::uint64_t checksum(const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  const std::size_t words = size / 8;
  // Word i is mixed with i * kGolden. Four independent sums, their keys carried by addition
  // rather than multiplied afresh: the same value, without a serial dependency from word to
  // word (the receiver checks every byte of every message, so this is on the measured path).
  std::uint64_t part[4] = {0, 0, 0, 0};
  std::uint64_t key[4] = {0, kGolden, 2 * kGolden, 3 * kGolden};
  std::size_t i = 0;
  for (; i + 4 <= words; i += 4) {
    for (int k = 0; k < 4; ++k) {
      std::uint64_t w;
      std::memcpy(&w, p + (i + k) * 8, 8);
      part[k] += w ^ key[k];
      key[k] += 4 * kGolden;
    }
  }
  std::uint64_t sum = size + part[0] + part[1] + part[2] + part[3];
  for (; i < words; ++i) {
    std::uint64_t w;
    std::memcpy(&w, p + i * 8, 8);
    sum += w ^ (i * kGolden);
  }
  for (i = words * 8; i < size; ++i) sum += std::uint64_t{p[i]} << ((i % 8) * 8);
  return sum;
}

std::uint64_t payload_checksum(const void* buf, std::size_t size) {
  if (size < kHeader) return 0;
  return checksum(static_cast<const unsigned char*>(buf) + kHeader, size - kHeader);
}

void stamp(void* buf, std::size_t size, std::uint64_t seq, std::uint64_t payload_sum) {
  auto* p = static_cast<unsigned char*>(buf);
  std::memcpy(p, &seq, size < 8 ? size : 8);
  if (size >= kHeader) {
    const std::uint64_t c = mix(seq, payload_sum);
    std::memcpy(p + 8, &c, 8);
    return;
  }
  // A short message carries the pattern where a longer one carries the checksum: restore it,
  // the buffer may have held a longer message before.
  for (std::size_t i = 8; i < size; ++i) p[i] = pattern_byte(i);
}

Status verify(const void* buf, std::size_t size, std::size_t expected_size,
              std::uint64_t expected_seq) {
  if (size != expected_size) {
    return {Errc::kCorrupt, fmt::format("message {}: {} bytes arrived, {} were sent", expected_seq,
                                        size, expected_size)};
  }
  const auto* p = static_cast<const unsigned char*>(buf);
  std::uint64_t seq = 0, want = expected_seq;
  std::memcpy(&seq, p, size < 8 ? size : 8);
  if (size < 8) want &= (std::uint64_t{1} << (8 * size)) - 1;
  if (seq != want) {
    return {Errc::kCorrupt,
            fmt::format("expected message {}, got {}: lost or reordered", want, seq)};
  }
  if (size > 8 && size < kHeader) {  // too short for a checksum: compare with the pattern
    for (std::size_t i = 8; i < size; ++i) {
      if (p[i] != pattern_byte(i)) {
        return {Errc::kCorrupt, fmt::format("message {}: byte {} corrupted", seq, i)};
      }
    }
  }
  if (size >= kHeader) {
    std::uint64_t c;
    std::memcpy(&c, p + 8, 8);
    if (c != mix(seq, payload_checksum(buf, size))) {
      return {Errc::kCorrupt, fmt::format("message {} ({} bytes): checksum mismatch", seq, size)};
    }
  }
  return {};
}

Status verify_fan_in(const void* buf, std::size_t size, std::size_t expected_size,
                     std::vector<std::uint64_t>& next) {
  if (size < 8) return {Errc::kCorrupt, fmt::format("a {}-byte message carries no writer", size)};
  std::uint64_t seq = 0;
  std::memcpy(&seq, buf, 8);
  const std::uint64_t w = seq >> kWriterShift;
  if (w >= next.size()) {
    return {Errc::kCorrupt, fmt::format("a message from writer {} of {}", w, next.size())};
  }
  if (auto s = verify(buf, size, expected_size, writer_seq(static_cast<unsigned>(w), next[w]));
      !s) {
    return s;
  }
  ++next[w];
  return {};
}

}  // namespace ptbench::ipc
