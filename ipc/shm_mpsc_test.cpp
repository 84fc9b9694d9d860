// Fan-in: several writers into one receiver, over the shared-memory multi-producer queue under
// every wait policy and over every transport that keeps writers' messages apart, with threads
// (so ThreadSanitizer sees the queue) and with processes. Every message is verified: each writer
// numbers its own messages, and the receiver checks each writer's sequence and every byte.
#include "ipc/shm_mpsc.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
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

// One writer's `count` messages of `bytes`, numbered from 1: one send() each, or send_batch()
// of `batch` at a time.
Status send_numbered(Channel& ch, unsigned w, int count, std::size_t bytes, int batch) {
  std::vector<std::vector<unsigned char>> msgs(std::max(batch, 1),
                                               std::vector<unsigned char>(bytes));
  for (auto& m : msgs) fill_pattern(m.data(), bytes);
  const auto sum = payload_checksum(msgs[0].data(), bytes);
  std::vector<Message> out;
  for (int i = 1; i <= count;) {
    out.clear();
    for (auto& m : msgs) {
      if (i > count) break;
      stamp(m.data(), bytes, writer_seq(w, static_cast<std::uint64_t>(i++)), sum);
      out.push_back({m.data(), bytes});
    }
    if (auto s = batch > 0 ? ch.send_batch(out.data(), out.size()) : ch.send(out[0].data, bytes);
        !s) {
      return s;
    }
  }
  return {};
}

// Starts `writers` peers, each opening its own writer and sending `count` messages of `bytes`
// (in batches of `batch`, or one by one when it is 0).
Status start_writers(Transport& t, Endpoint e, int writers, int count, std::size_t bytes,
                     std::vector<std::unique_ptr<Peer>>* peers, int batch = 0) {
  for (int w = 0; w < writers; ++w) {
    auto body = [&t, w, count, bytes, batch](const std::function<void()>& ready) -> Status {
      std::unique_ptr<Channel> ch;
      if (auto s = t.open_writer(&ch); !s) return s;
      ready();
      return send_numbered(*ch, static_cast<unsigned>(w), count, bytes, batch);
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
  int batch = 0;  // messages per send_batch; 0: one send() each
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
  ASSERT_TRUE(IsOk(
      start_writers(*t, GetParam().endpoint, kWriters, kCount, kBytes, &peers, GetParam().batch)));
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
                    FanInParam{Mechanism::kBoostMq, WaitPolicy::kFutex, Endpoint::kThread},
                    // Batches of 100 (6,800 bytes on a pipe: more than PIPE_BUF) from several
                    // writers stay whole.
                    FanInParam{Mechanism::kPipe, WaitPolicy::kFutex, Endpoint::kThread, 100},
                    FanInParam{Mechanism::kPipe, WaitPolicy::kFutex, Endpoint::kProcess, 100},
                    FanInParam{Mechanism::kUnixDgram, WaitPolicy::kFutex, Endpoint::kProcess, 100},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kSpinFutex, Endpoint::kThread,
                               100}),
    [](const testing::TestParamInfo<FanInParam>& p) {
      return std::string(to_string(p.param.mechanism)) + "_" +
             std::string(to_string(p.param.policy)) + "_" +
             std::string(to_string(p.param.endpoint)) +
             (p.param.batch > 0 ? "_batch" + std::to_string(p.param.batch) : "");
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

// Fan-out: one writer, several readers; every message reaches exactly one of them, whole, and
// each reader sees its messages in the writer's order.
class FanOutTest : public testing::TestWithParam<FanInParam> {};

TEST_P(FanOutTest, EveryMessageReachesExactlyOneReaderWhole) {
#ifdef __SANITIZE_THREAD__
  if (GetParam().endpoint == Endpoint::kProcess) {
    GTEST_SKIP() << "no fork under TSan";
  }
#endif
  constexpr int kReaders = 3, kCount = 3000;
  constexpr std::size_t kBytes = 64;
  ChannelOptions o;
  o.max_message = kBytes;
  o.policy = GetParam().policy;
  o.timeout = 5s;
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_transport(GetParam().mechanism, o, &t)));
  // Each reader reports how many messages it took and the sum of their numbers.
  struct Tally {
    std::atomic<std::uint64_t> count{0}, sum{0};
  };
  auto* tally = static_cast<Tally*>(mmap(nullptr, sizeof(Tally) * kReaders, PROT_READ | PROT_WRITE,
                                         MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(tally, MAP_FAILED);
  for (int r = 0; r < kReaders; ++r) new (&tally[r]) Tally();
  std::vector<std::unique_ptr<Peer>> peers;
  for (int r = 0; r < kReaders; ++r) {
    auto body = [&t, tally, r](const std::function<void()>& ready) -> Status {
      std::unique_ptr<Channel> ch;
      if (auto s = t->open_reader(&ch); !s) return s;
      ready();
      std::vector<unsigned char> buf(kBytes);
      for (std::uint64_t last = 0;;) {
        std::size_t n = 0;
        if (auto s = ch->recv(buf.data(), buf.size(), &n); !s) return s;
        if (n == 1) return {};  // the writer's stop, one per reader
        std::uint64_t seq = 0;
        std::memcpy(&seq, buf.data(), 8);
        if (seq <= last) return {Errc::kCorrupt, "a reader's messages out of order"};
        if (auto s = verify(buf.data(), n, kBytes, seq); !s) return s;
        last = seq;
        tally[r].count.fetch_add(1);
        tally[r].sum.fetch_add(seq);
      }
    };
    peers.emplace_back();
    ASSERT_TRUE(IsOk(Peer::start(GetParam().endpoint, -1, body, &peers.back())));
    ASSERT_TRUE(IsOk(peers.back()->wait_ready()));
  }
  std::unique_ptr<Channel> tx;
  ASSERT_TRUE(IsOk(t->open_writer(&tx)));
  std::vector<unsigned char> msg(kBytes);
  fill_pattern(msg.data(), kBytes);
  const auto sum = payload_checksum(msg.data(), kBytes);
  for (int i = 1; i <= kCount; ++i) {
    stamp(msg.data(), kBytes, i, sum);
    ASSERT_TRUE(IsOk(tx->send(msg.data(), kBytes)));
  }
  const unsigned char stop = 0;
  for (int r = 0; r < kReaders; ++r) ASSERT_TRUE(IsOk(tx->send(&stop, 1)));
  std::uint64_t count = 0, total = 0;
  for (int r = 0; r < kReaders; ++r) {
    Status s = peers[r]->join();
    EXPECT_TRUE(s) << s.message();
    count += tally[r].count;
    total += tally[r].sum;
  }
  EXPECT_EQ(count, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(total, std::uint64_t{kCount} * (kCount + 1) / 2);
  munmap(tally, sizeof(Tally) * kReaders);
}

INSTANTIATE_TEST_SUITE_P(
    Readers, FanOutTest,
    testing::Values(FanInParam{Mechanism::kShmMpsc, WaitPolicy::kSpinFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kShmMpsc, WaitPolicy::kSpinFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kUnixDgram, WaitPolicy::kFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kUnixSeqpacket, WaitPolicy::kFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kPosixMq, WaitPolicy::kFutex, Endpoint::kProcess},
                    FanInParam{Mechanism::kSysvMq, WaitPolicy::kFutex, Endpoint::kThread},
                    FanInParam{Mechanism::kBoostMq, WaitPolicy::kFutex, Endpoint::kProcess}),
    [](const testing::TestParamInfo<FanInParam>& p) {
      return std::string(to_string(p.param.mechanism)) + "_" +
             std::string(to_string(p.param.policy)) + "_" +
             std::string(to_string(p.param.endpoint)) +
             (p.param.batch > 0 ? "_batch" + std::to_string(p.param.batch) : "");
    });

TEST(FanIn, AByteStreamAndTheSpscRingRefuseSeveralWriters) {
  for (Mechanism m : {Mechanism::kUnixStream, Mechanism::kShmRing}) {
    ChannelOptions o;
    o.max_message = 64;
    std::unique_ptr<Transport> t;
    ASSERT_TRUE(IsOk(make_transport(m, o, &t)));
    std::unique_ptr<Channel> w;
    EXPECT_EQ(t->open_writer(&w).code(), Errc::kRefused) << to_string(m);
    EXPECT_EQ(t->open_reader(&w).code(), Errc::kRefused) << to_string(m);
  }
}

}  // namespace
}  // namespace ptbench::ipc
