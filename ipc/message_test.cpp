#include "ipc/message.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ptbench::ipc {
namespace {

std::vector<unsigned char> stamped(std::size_t size, std::uint64_t seq) {
  std::vector<unsigned char> m(size);
  fill_pattern(m.data(), size);
  stamp(m.data(), size, seq, payload_checksum(m.data(), size));
  return m;
}

TEST(Message, StampedMessagesVerifyAtEverySize) {
  for (std::size_t size : {1, 7, 8, 9, 15, 16, 17, 64, 4096, 65537}) {
    auto m = stamped(size, 1234);
    Status s = verify(m.data(), size, size, 1234);
    EXPECT_TRUE(s) << size << ": " << s.message();
  }
}

TEST(Message, EveryCorruptedByteIsCaught) {
  for (std::size_t size : {9, 15, 16, 40, 1000}) {
    for (std::size_t i = 0; i < size; ++i) {
      auto m = stamped(size, 77);
      m[i] ^= 0x10;
      EXPECT_FALSE(verify(m.data(), size, size, 77)) << "size " << size << " byte " << i;
    }
  }
}

TEST(Message, SwappedWordsAreCaught) {
  auto m = stamped(256, 5);
  m[100] = 1;  // make two words differ, then swap them
  for (int i = 0; i < 8; ++i) std::swap(m[96 + i], m[200 + i]);
  EXPECT_FALSE(verify(m.data(), 256, 256, 5));
}

TEST(Message, WrongSequenceAndSizeAreNamed) {
  auto m = stamped(64, 9);
  Status lost = verify(m.data(), 64, 64, 8);
  EXPECT_EQ(lost.code(), Errc::kCorrupt);
  EXPECT_NE(lost.message().find("expected message 8, got 9"), std::string::npos) << lost.message();
  Status cut = verify(m.data(), 60, 64, 9);
  EXPECT_NE(cut.message().find("60 bytes arrived, 64 were sent"), std::string::npos);
}

TEST(Message, ABufferReusedForShorterMessagesStillVerifies) {
  std::vector<unsigned char> m(64);
  fill_pattern(m.data(), m.size());
  stamp(m.data(), 64, 1, payload_checksum(m.data(), 64));
  stamp(m.data(), 12, 2, payload_checksum(m.data(), 12));  // bytes 8..11 held the checksum
  EXPECT_TRUE(verify(m.data(), 12, 12, 2));
}

// Fan-in: each writer's messages must come in its own order; a skipped, repeated or foreign
// number is an error.
TEST(Message, FanInChecksEachWritersOrder) {
  std::vector<unsigned char> m(64);
  fill_pattern(m.data(), m.size());
  const auto sum = payload_checksum(m.data(), m.size());
  std::vector<std::uint64_t> next(3, 1);
  for (auto [w, n] : {std::pair{0u, 1u}, {2u, 1u}, {0u, 2u}, {1u, 1u}}) {
    stamp(m.data(), m.size(), writer_seq(w, n), sum);
    EXPECT_TRUE(verify_fan_in(m.data(), m.size(), m.size(), next)) << w << " " << n;
  }
  EXPECT_EQ(next, (std::vector<std::uint64_t>{3, 2, 2}));
  stamp(m.data(), m.size(), writer_seq(2, 1), sum);  // writer 2 again: a repeat
  EXPECT_EQ(verify_fan_in(m.data(), m.size(), m.size(), next).code(), Errc::kCorrupt);
  stamp(m.data(), m.size(), writer_seq(3, 1), sum);  // no writer 3
  EXPECT_EQ(verify_fan_in(m.data(), m.size(), m.size(), next).code(), Errc::kCorrupt);
  EXPECT_EQ(next, (std::vector<std::uint64_t>{3, 2, 2}));
}

}  // namespace
}  // namespace ptbench::ipc
