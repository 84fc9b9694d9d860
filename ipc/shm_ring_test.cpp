// The shared-memory ring under every wait policy, with threads (so ThreadSanitizer sees both
// ends) and with processes: content and order over wrap-arounds, and no lost wake-ups.
#include "ipc/shm_ring.hpp"

#include <gtest/gtest.h>

#include <time.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "ipc/message.hpp"
#include "ipc/peer.hpp"
#include "ipc/status_testing.hpp"

namespace ptbench::ipc {
namespace {

using namespace std::chrono_literals;

// The receiver's "ok" (it checked everything), then its end.
void expect_ok_and_join(Channel& ch, Peer& peer) {
  char ok[2];
  std::size_t n = 0;
  Status s = ch.recv(ok, sizeof ok, &n);
  ASSERT_TRUE(s) << s.message();
  s = peer.join();
  EXPECT_TRUE(s) << s.message();
}

struct Param {
  WaitPolicy policy;
  Endpoint endpoint;
};

class ShmRingTest : public testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
#ifdef __SANITIZE_THREAD__
    if (GetParam().endpoint == Endpoint::kProcess) GTEST_SKIP() << "no fork under TSan";
#endif
  }
  std::unique_ptr<Transport> make(std::size_t max, std::chrono::milliseconds timeout = 5s) {
    ChannelOptions o;
    o.max_message = max;
    o.policy = GetParam().policy;
    o.placement = Placement::kSameCache;
    o.timeout = timeout;
    std::unique_ptr<Transport> t;
    Status s = make_shm_ring_transport(o, &t);
    EXPECT_TRUE(s) << s.message();
    return t;
  }
};

// Sizes from a fixed random sequence up to 70 000 bytes make the 256 KiB ring wrap at every
// alignment; each message is verified by sequence number and checksum.
TEST_P(ShmRingTest, VariableSizesSurviveManyWrapArounds) {
  constexpr std::size_t kMax = 70'000;
  constexpr int kCount = 3000;
  auto t = make(kMax);
  ASSERT_TRUE(t);
  std::vector<std::size_t> sizes(kCount);
  std::mt19937 rng(42);
  for (auto& s : sizes) s = 1 + rng() % (rng() % 4 == 0 ? kMax : 200);
  auto receiver = [&](Channel& c) -> Status {
    std::vector<unsigned char> buf(kMax);
    for (int i = 0; i < kCount; ++i) {
      std::size_t n = 0;
      if (auto s = c.recv(buf.data(), buf.size(), &n); !s) return s;
      if (auto s = verify(buf.data(), n, sizes[i], i + 1); !s) return s;
    }
    return c.send("ok", 2);
  };
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, receiver, &peer, &ch)));
  std::vector<unsigned char> msg(kMax);
  fill_pattern(msg.data(), msg.size());
  for (int i = 0; i < kCount; ++i) {
    stamp(msg.data(), sizes[i], i + 1, payload_checksum(msg.data(), sizes[i]));
    Status s = ch->send(msg.data(), sizes[i]);
    ASSERT_TRUE(s) << i << ": " << s.message();
  }
  expect_ok_and_join(*ch, *peer);
}

// Ping-pong makes every message a sleep and a wake-up under the futex policies: 20 000 round
// trips with a short deadline, and the rings' own count of lost wake-ups must stay at zero.
TEST_P(ShmRingTest, PingPongLosesNoWakeUps) {
  constexpr int kRounds = 20'000;
  auto t = make(64, 2s);
  ASSERT_TRUE(t);
  auto echo = [](Channel& c) -> Status {
    unsigned char buf[64];
    for (int i = 0; i < kRounds; ++i) {
      std::size_t n = 0;
      if (auto s = c.recv(buf, sizeof buf, &n); !s) return s;
      if (auto s = c.send(buf, n); !s) return s;
    }
    return {};
  };
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, echo, &peer, &ch)));
  unsigned char msg[24];
  fill_pattern(msg, sizeof msg);
  const auto sum = payload_checksum(msg, sizeof msg);
  unsigned char in[64];
  for (int i = 1; i <= kRounds; ++i) {
    stamp(msg, sizeof msg, i, sum);
    ASSERT_TRUE(IsOk(ch->send(msg, sizeof msg)));
    std::size_t n = 0;
    Status s = ch->recv(in, sizeof in, &n);
    ASSERT_TRUE(s) << "round " << i << ": " << s.message();
    ASSERT_TRUE(verify(in, n, sizeof msg, i));
  }
  EXPECT_TRUE(IsOk(peer->join()));
  EXPECT_EQ(shm_ring_lost_wakeups(*t), 0u);
}

// The zero-copy calls: the producer writes each message into its loaned slot, the consumer checks
// it where it lies and releases it; sizes vary and the ring wraps many times.
TEST_P(ShmRingTest, LoanedMessagesArriveInPlace) {
  constexpr std::size_t kMax = 5000;
  constexpr int kCount = 5000;
  auto t = make(kMax);
  ASSERT_TRUE(t);
  std::vector<std::size_t> sizes(kCount);
  std::mt19937 rng(7);
  for (auto& s : sizes) s = 1 + rng() % kMax;
  auto receiver = [&](Channel& c) -> Status {
    ZeroCopy* zc = c.zero_copy();
    if (zc == nullptr) return {Errc::kSystem, "no zero-copy calls"};
    for (int i = 0; i < kCount; ++i) {
      const std::byte* at = nullptr;
      std::size_t n = 0;
      if (auto s = zc->peek(&at, &n); !s) return s;
      if (reinterpret_cast<std::uintptr_t>(at) % 16 != 0) return {Errc::kCorrupt, "misaligned"};
      Status checked = verify(at, n, sizes[i], i + 1);
      zc->release();
      if (!checked) return checked;
    }
    return c.send("ok", 2);
  };
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, receiver, &peer, &ch)));
  ZeroCopy* zc = ch->zero_copy();
  ASSERT_NE(zc, nullptr);
  std::vector<unsigned char> pattern(kMax);
  fill_pattern(pattern.data(), pattern.size());
  for (int i = 0; i < kCount; ++i) {
    std::byte* at = nullptr;
    ASSERT_TRUE(IsOk(zc->loan(sizes[i], &at))) << i;
    std::memcpy(at, pattern.data(), sizes[i]);
    stamp(at, sizes[i], i + 1, payload_checksum(pattern.data(), sizes[i]));
    zc->publish();
  }
  expect_ok_and_join(*ch, *peer);
}

// A slot the consumer has not released is never lent again: with every slot published and none
// released, the next loan waits and times out; one release lets it through.
TEST(ShmRing, AnUnreleasedSlotIsNotLentAgain) {
  ChannelOptions o;
  o.max_message = 64;
  o.policy = WaitPolicy::kSpin;
  o.placement = Placement::kSameCache;
  o.timeout = 200ms;
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_shm_ring_transport(o, &t)));
  std::unique_ptr<Channel> a, b;
  ASSERT_TRUE(IsOk(t->open(Side::kA, &a)));
  ASSERT_TRUE(IsOk(t->open(Side::kB, &b)));
  const std::size_t slots = ring_geometry(o.max_message).slots;
  std::byte* at = nullptr;
  for (std::size_t i = 0; i < slots; ++i) {
    ASSERT_TRUE(IsOk(a->zero_copy()->loan(8, &at))) << i;
    at[0] = static_cast<std::byte>(i);
    a->zero_copy()->publish();
  }
  EXPECT_EQ(a->zero_copy()->loan(8, &at).code(), Errc::kTimeout);
  const std::byte* first = nullptr;
  std::size_t n = 0;
  ASSERT_TRUE(IsOk(b->zero_copy()->peek(&first, &n)));
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(first[0], std::byte{0});
  b->zero_copy()->release();
  EXPECT_TRUE(IsOk(a->zero_copy()->loan(8, &at)));
}

TEST(ShmRing, ALoanLargerThanTheSlotsIsRefused) {
  ChannelOptions o;
  o.max_message = 64;
  o.placement = Placement::kSameCache;
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_shm_ring_transport(o, &t)));
  std::unique_ptr<Channel> a;
  ASSERT_TRUE(IsOk(t->open(Side::kA, &a)));
  std::byte* at = nullptr;
  const std::size_t limit = ring_geometry(64).slot_bytes - RingEnd::kSlotOverhead;
  EXPECT_TRUE(IsOk(a->zero_copy()->loan(limit, &at)));
  EXPECT_EQ(a->zero_copy()->loan(limit + 1, &at).code(), Errc::kTooLarge);
}

// A full ring makes the producer wait for space: a slow consumer exercises that path.
TEST_P(ShmRingTest, AProducerWaitsForSpaceAndResumes) {
  constexpr std::size_t kSize = 60'000;  // four of these fill the 256 KiB ring
  constexpr int kCount = 200;
  auto t = make(kSize);
  ASSERT_TRUE(t);
  auto slow = [&](Channel& c) -> Status {
    std::vector<unsigned char> buf(kSize);
    for (int i = 1; i <= kCount; ++i) {
      if (i % 20 == 0) std::this_thread::sleep_for(2ms);
      std::size_t n = 0;
      if (auto s = c.recv(buf.data(), buf.size(), &n); !s) return s;
      if (auto s = verify(buf.data(), n, kSize, i); !s) return s;
    }
    return {};
  };
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, slow, &peer, &ch)));
  std::vector<unsigned char> msg(kSize);
  fill_pattern(msg.data(), msg.size());
  const auto sum = payload_checksum(msg.data(), kSize);
  for (int i = 1; i <= kCount; ++i) {
    stamp(msg.data(), kSize, i, sum);
    Status s = ch->send(msg.data(), kSize);
    ASSERT_TRUE(s) << s.message();
  }
  Status s = peer->join();
  EXPECT_TRUE(s) << s.message();
  EXPECT_EQ(shm_ring_lost_wakeups(*t), 0u);
}

// The sleeping policies sleep: a receiver left waiting 300 ms burns a small part of that in
// CPU time (spin_futex spins only its short budget first); spin, for contrast, burns it all.
TEST(ShmRing, ASleepingPolicyWaitsWithoutBurningTheCpu) {
  for (WaitPolicy policy : {WaitPolicy::kFutex, WaitPolicy::kSpinFutex, WaitPolicy::kSpin}) {
    ChannelOptions o;
    o.max_message = 64;
    o.policy = policy;
    o.placement = Placement::kSameCache;
    std::unique_ptr<Transport> t;
    ASSERT_TRUE(IsOk(make_shm_ring_transport(o, &t)));
    auto late = [](Channel& c) -> Status {
      std::this_thread::sleep_for(300ms);
      unsigned char m[8] = {};
      return c.send(m, sizeof m);
    };
    std::unique_ptr<Peer> peer;
    std::unique_ptr<Channel> ch;
    ASSERT_TRUE(IsOk(start_channel_peer(*t, Endpoint::kThread, -1, late, &peer, &ch)));
    timespec c0{}, c1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    unsigned char m[8];
    std::size_t n = 0;
    ASSERT_TRUE(IsOk(ch->recv(m, sizeof m, &n)));
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double cpu_ms = static_cast<double>(c1.tv_sec - c0.tv_sec) * 1e3 +
                          static_cast<double>(c1.tv_nsec - c0.tv_nsec) / 1e6;
    if (policy == WaitPolicy::kSpin) {
      EXPECT_GT(cpu_ms, 60) << "spin should have burnt the wait";  // even on a shared core
    } else {
      EXPECT_LT(cpu_ms, 30) << to_string(policy) << " spun instead of sleeping";
    }
    EXPECT_TRUE(IsOk(peer->join()));
  }
}

// A slot holds the 16-byte header, the message and the 8-byte trailer in whole cache lines; there
// are at least four slots.
TEST(ShmRing, GeometryGivesEachMessageWholeLines) {
  EXPECT_EQ(ring_geometry(40).slot_bytes, 64u);  // header, message and trailer in one line
  EXPECT_EQ(ring_geometry(41).slot_bytes, 128u);
  EXPECT_EQ(ring_geometry(64).slot_bytes, 128u);
  EXPECT_EQ(ring_geometry(64).slots, 2048u);  // 256 KiB of slots
  EXPECT_EQ(ring_geometry(1 << 20).slots, 4u);
  EXPECT_EQ(ring_geometry(1 << 20).slot_bytes % 64, 0u);
  EXPECT_GE(ring_geometry(1 << 20).slot_bytes, (1u << 20) + 24);
}

INSTANTIATE_TEST_SUITE_P(Policies, ShmRingTest,
                         testing::Values(Param{WaitPolicy::kSpin, Endpoint::kThread},
                                         Param{WaitPolicy::kYield, Endpoint::kThread},
                                         Param{WaitPolicy::kFutex, Endpoint::kThread},
                                         Param{WaitPolicy::kSpinFutex, Endpoint::kThread},
                                         Param{WaitPolicy::kSpin, Endpoint::kProcess},
                                         Param{WaitPolicy::kFutex, Endpoint::kProcess},
                                         Param{WaitPolicy::kSpinFutex, Endpoint::kProcess}),
                         [](const testing::TestParamInfo<Param>& p) {
                           return std::string(to_string(p.param.policy)) + "_" +
                                  std::string(to_string(p.param.endpoint));
                         });

}  // namespace
}  // namespace ptbench::ipc
