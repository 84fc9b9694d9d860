// Fan-in: several writers into one receiver, over the shared-memory multi-producer queue under
// every wait policy and over every transport that keeps writers' messages apart, with threads
// (so ThreadSanitizer sees the queue) and with processes. Every message is verified: each writer
// numbers its own messages, and the receiver checks each writer's sequence and every byte.
#include "ipc/shm_mpsc.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ipc/message.hpp"
#include "ipc/peer.hpp"
#include "ipc/status_testing.hpp"

namespace ptbench::ipc {
namespace {

using namespace std::chrono_literals;

constexpr int kWriters = 4;

// Starts `writers` peers, each opening its own writer and sending `count` messages of `bytes`.
Status start_writers(Transport& t, Endpoint e, int writers, int count, std::size_t bytes,
                     std::vector<std::unique_ptr<Peer>>* peers) {
  for (int w = 0; w < writers; ++w) {
    auto body = [&t, w, count, bytes](const std::function<void()>& ready) -> Status {
      std::unique_ptr<Channel> ch;
      if (auto s = t.open_writer(&ch); !s) return s;
      ready();
      std::vector<unsigned char> msg(bytes);
      fill_pattern(msg.data(), bytes);
      const auto sum = payload_checksum(msg.data(), bytes);
      for (int i = 1; i <= count; ++i) {
        stamp(msg.data(), bytes, writer_seq(static_cast<unsigned>(w), i), sum);
        if (auto s = ch->send(msg.data(), bytes); !s) return s;
      }
      return {};
    };
    peers->emplace_back();
    if (auto s = Peer::start(e, -1, body, &peers->back()); !s) return s;
    if (auto s = peers->back()->wait_ready(); !s) return s;
  }
  return {};
}

// Receives writers * count messages and checks each writer's numbers arrive in order.
Status receive_all(Channel& ch, int writers, int count, std::size_t bytes) {
  std::vector<std::uint64_t> next(writers, 1);
  std::vector<unsigned char> buf(bytes);
  for (int i = 0; i < writers * count; ++i) {
    std::size_t n = 0;
    if (auto s = ch.recv(buf.data(), buf.size(), &n); !s) return s;
    if (auto s = verify_fan_in(buf.data(), n, bytes, next); !s) return s;
  }
  return {};
}

struct FanInParam {
  Mechanism mechanism;
  WaitPolicy policy;
  Endpoint endpoint;
};

class FanInTest : public testing::TestWithParam<FanInParam> {};

TEST_P(FanInTest, EveryWritersMessagesArriveWholeAndInTheirOrder) {
#ifdef __SANITIZE_THREAD__
  if (GetParam().endpoint == Endpoint::kProcess) {
    GTEST_SKIP() << "no fork under TSan";
  }
#endif
  constexpr int kCount = 3000;
  constexpr std::size_t kBytes = 64;
  ChannelOptions o;
  o.max_message = kBytes;
  o.policy = GetParam().policy;
  o.placement = Placement::kUnpinned;
  o.timeout = 5s;
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_transport(GetParam().mechanism, o, &t)));
  std::unique_ptr<Channel> rx;
  ASSERT_TRUE(IsOk(t->open(Side::kB, &rx)));
  std::vector<std::unique_ptr<Peer>> peers;
  ASSERT_TRUE(IsOk(start_writers(*t, GetParam().endpoint, kWriters, kCount, kBytes, &peers)));
  Status s = receive_all(*rx, kWriters, kCount, kBytes);
  EXPECT_TRUE(s) << s.message();
  for (auto& p : peers) EXPECT_TRUE(IsOk(p->join()));
  if (GetParam().mechanism == Mechanism::kShmMpsc) {
    EXPECT_EQ(shm_mpsc_lost_wakeups(*t), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Writers, FanInTest,
    testing::Values(FanInParam{Mechanism::kShmMpsc, WaitPolicy::kSpin, Endpoint::kThread},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kYield, Endpoint::kThread},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kSpinFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kSpinFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kPipe, WaitPolicy::kFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kPipe, WaitPolicy::kFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kUnixDgram, WaitPolicy::kFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kUnixSeqpacket, WaitPolicy::kFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kPosixMq, WaitPolicy::kFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kSysvMq, WaitPolicy::kFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kBoostMq, WaitPolicy::kFutex, Endpoint::kThread}),
    [](const testing::TestParamInfo<FanInParam>& p) {
      return std::string(to_string(p.param.mechanism)) + "_" +
             std::string(to_string(p.param.policy)) + "_" +
             std::string(to_string(p.param.endpoint));
    });

// A full queue makes writers wait for the consumer, and a slow consumer lets them through.
TEST(ShmMpsc, WritersWaitForAFullQueueAndResume) {
  ChannelOptions o;
  o.max_message = 16 << 10;  // 16 slots of 16 KiB: full after 16 messages
  o.policy = WaitPolicy::kFutex;
  o.timeout = 5s;
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_shm_mpsc_transport(o, &t)));
  ASSERT_EQ(mpsc_geometry(o.max_message).slots, 16u);
  std::unique_ptr<Channel> rx;
  ASSERT_TRUE(IsOk(t->open(Side::kB, &rx)));
  std::vector<std::unique_ptr<Peer>> peers;
  ASSERT_TRUE(IsOk(start_writers(*t, Endpoint::kThread, 2, 100, o.max_message, &peers)));
  std::this_thread::sleep_for(50ms);  // both writers block on the full queue
  Status s = receive_all(*rx, 2, 100, o.max_message);
  EXPECT_TRUE(s) << s.message();
  for (auto& p : peers) EXPECT_TRUE(IsOk(p->join()));
  EXPECT_EQ(shm_mpsc_lost_wakeups(*t), 0u);
}

// A receiver whose writers never write times out within its deadline instead of hanging.
TEST(ShmMpsc, AnEmptyQueueIsATimeoutNotAHang) {
  ChannelOptions o;
  o.max_message = 64;
  o.policy = WaitPolicy::kSpinFutex;
  o.timeout = 200ms;
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_shm_mpsc_transport(o, &t)));
  std::unique_ptr<Channel> rx;
  ASSERT_TRUE(IsOk(t->open(Side::kB, &rx)));
  unsigned char buf[64];
  std::size_t n = 0;
  EXPECT_EQ(rx->recv(buf, sizeof buf, &n).code(), Errc::kTimeout);
}

TEST(ShmMpsc, GeometryIsAPowerOfTwoOfWholeLines) {
  EXPECT_EQ(mpsc_geometry(48).slot_bytes, 64u);
  EXPECT_EQ(mpsc_geometry(64).slot_bytes, 128u);
  EXPECT_EQ(mpsc_geometry(64).slots, 2048u);
  EXPECT_EQ(mpsc_geometry(1 << 20).slots, 16u);
}

TEST(FanIn, AByteStreamAndTheSpscRingRefuseSeveralWriters) {
  for (Mechanism m : {Mechanism::kUnixStream, Mechanism::kShmRing}) {
    ChannelOptions o;
    o.max_message = 64;
    std::unique_ptr<Transport> t;
    ASSERT_TRUE(IsOk(make_transport(m, o, &t)));
    std::unique_ptr<Channel> w;
    EXPECT_EQ(t->open_writer(&w).code(), Errc::kRefused) << to_string(m);
  }
}

}  // namespace
}  // namespace ptbench::ipc
