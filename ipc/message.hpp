// Every message is checked: the sender stamps a sequence number and a checksum of the payload,
// the receiver recomputes both, so a lost, reordered or corrupted message is an error instead of
// a fast number.
//
// Layout: bytes [0, 8) the sequence number (shorter messages carry its low bytes); from 16 bytes
// on, bytes [8, 16) hold checksum(payload [16, size)) mixed with the sequence number, and the
// payload is a fixed pattern written once, so stamping costs two stores while verification reads
// every byte, as a real receiver would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "ipc/status.hpp"

namespace ptbench::ipc {

// Fills buf[0, size) with the payload pattern; once per buffer.
void fill_pattern(void* buf, std::size_t size);

// A fast checksum that sees every byte and its position (vectorizes to memory speed).
std::uint64_t checksum(const void* data, std::size_t size);

// Writes seq and the checksum into a buffer holding the pattern. `payload_sum` is
// checksum(buf + 16, size - 16), computed once per buffer by payload_checksum().
std::uint64_t payload_checksum(const void* buf, std::size_t size);
void stamp(void* buf, std::size_t size, std::uint64_t seq, std::uint64_t payload_sum);

// Checks size, sequence number and checksum of a received message.
Status verify(const void* buf, std::size_t size, std::size_t expected_size,
              std::uint64_t expected_seq);

// Several writers into one receiver (fan-in): a message's number carries its writer in the bits
// from kWriterShift up and the writer's own count (from 1) below.
inline constexpr unsigned kWriterShift = 40;
inline std::uint64_t writer_seq(unsigned writer, std::uint64_t n) {
  return (std::uint64_t{writer} << kWriterShift) | n;
}

// Checks a message from one of next.size() writers: size, checksum, and that it is its writer's
// next number (next[w] is what writer w sends next); advances that writer's count.
Status verify_fan_in(const void* buf, std::size_t size, std::size_t expected_size,
                     std::vector<std::uint64_t>& next);

}  // namespace ptbench::ipc
