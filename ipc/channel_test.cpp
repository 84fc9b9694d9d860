// Every transport x {process, thread}: messages of 1 B to 1 MiB (or the transport's limit) arrive
// intact and in order, 100 000 small messages stream in order, batches (send_batch) arrive whole
// and in order, a peer that dies mid-exchange is an error within the deadline, oversized messages
// get the named error, nothing is left behind.
#include "ipc/channel.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "ipc/message.hpp"
#include "ipc/names.hpp"
#include "ipc/peer.hpp"
#include "ipc/shm_ring.hpp"
#include "ipc/status_testing.hpp"

namespace ptbench::ipc {
namespace {

using namespace std::chrono_literals;

// The largest message each transport carries with this host's default limits.
std::size_t limit_of(Mechanism m) {
  auto read = [](const char* path) {
    std::ifstream in(path);
    std::size_t v = 8192;
    in >> v;
    return v;
  };
  switch (m) {
    case Mechanism::kPosixMq:
      return std::min<std::size_t>(read("/proc/sys/fs/mqueue/msgsize_max"), 1 << 20);
    case Mechanism::kSysvMq:
      return std::min<std::size_t>(read("/proc/sys/kernel/msgmax"), 1 << 20);
    default:
      return 1 << 20;
  }
}

// Names of our objects in the places where they could be left behind.
std::set<std::string> leftovers() {
  std::set<std::string> out;
  const std::string mine = "ptbench." + std::to_string(getpid()) + ".";
  for (const std::string& dir : {std::string("/dev/shm"), std::string("/dev/mqueue"), temp_dir()}) {
    if (DIR* d = opendir(dir.c_str())) {
      while (dirent* e = readdir(d)) {
        if (std::string(e->d_name).rfind(mine, 0) == 0) out.insert(dir + "/" + e->d_name);
      }
      closedir(d);
    }
  }
  std::ifstream msg("/proc/sysvipc/msg");
  std::string line;
  std::getline(msg, line);
  while (std::getline(msg, line)) {
    long long key = 0;
    std::istringstream(line) >> key;
    if ((key & 0xffff0000) == kSysvKeyPrefix) out.insert("sysv:" + line.substr(0, 40));
  }
  return out;
}

struct Param {
  Mechanism mechanism;
  Endpoint endpoint;
};

std::string name_of(const testing::TestParamInfo<Param>& info) {
  return std::string(to_string(info.param.mechanism)) + "_" +
         std::string(to_string(info.param.endpoint));
}

class ChannelTest : public testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
#ifdef __SANITIZE_THREAD__
    if (GetParam().endpoint == Endpoint::kProcess) {
      GTEST_SKIP() << "ThreadSanitizer does not support fork in a multi-threaded process; the "
                      "release and ASan builds run the process variants";
    }
#endif
    // A previous test's forked peer can still be removing its SysV queues (which carry no pid
    // in their names) after that test's process has ended: give them up to a second to go
    // before taking the baseline, or a queue that vanishes meanwhile reads as a difference.
    before_ = leftovers();
    for (int i = 0; i < 100 && has_sysv(before_); ++i) {
      std::this_thread::sleep_for(10ms);
      before_ = leftovers();
    }
  }
  static bool has_sysv(const std::set<std::string>& names) {
    return std::any_of(names.begin(), names.end(),
                       [](const std::string& n) { return n.starts_with("sysv:"); });
  }
  void TearDown() override {
    if (!IsSkipped()) {
      EXPECT_EQ(leftovers(), before_) << "named objects outlived the transport";
    }
  }

  std::unique_ptr<Transport> make(std::size_t max_message, std::chrono::milliseconds timeout = 5s) {
    ChannelOptions o;
    o.max_message = max_message;
    o.timeout = timeout;
    std::unique_ptr<Transport> t;
    Status s = make_transport(GetParam().mechanism, o, &t);
    EXPECT_TRUE(s) << s.message();
    return t;
  }

  std::set<std::string> before_;
};

// The peer sends every message straight back.
Status echo(Channel& ch, std::size_t max, int count) {
  std::vector<unsigned char> buf(max);
  for (int i = 0; i < count; ++i) {
    std::size_t n = 0;
    if (auto s = ch.recv(buf.data(), buf.size(), &n); !s) return s;
    if (auto s = ch.send(buf.data(), n); !s) return s;
  }
  return {};
}

TEST_P(ChannelTest, EverySizeArrivesIntactBothWays) {
  const std::size_t max = limit_of(GetParam().mechanism);
  std::vector<std::size_t> sizes;
  for (std::size_t s :
       {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{15}, std::size_t{16},
        std::size_t{64}, std::size_t{1000}, std::size_t{4096}, std::size_t{8192},
        std::size_t{65536}, std::size_t{65537}, std::size_t{1} << 20}) {
    if (s <= max) sizes.push_back(s);
  }
  auto t = make(max);
  ASSERT_TRUE(t);
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  const int rounds = 3;
  const int count = static_cast<int>(sizes.size()) * rounds;
  ASSERT_TRUE(IsOk(start_channel_peer(
      *t, GetParam().endpoint, -1, [&](Channel& c) { return echo(c, max, count); }, &peer, &ch)));
  std::vector<unsigned char> out(max), in(max);
  fill_pattern(out.data(), out.size());
  std::uint64_t seq = 0;
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t size : sizes) {
      stamp(out.data(), size, ++seq, payload_checksum(out.data(), size));
      Status s = ch->send(out.data(), size);
      ASSERT_TRUE(s) << size << " B: " << s.message();
      std::size_t n = 0;
      s = ch->recv(in.data(), in.size(), &n);
      ASSERT_TRUE(s) << size << " B: " << s.message();
      s = verify(in.data(), n, size, seq);
      ASSERT_TRUE(s) << s.message();
      ASSERT_EQ(0, std::memcmp(in.data(), out.data(), size));
    }
  }
  Status s = peer->join();
  EXPECT_TRUE(s) << s.message();
}

// Large and small messages streamed back to back, so that a receiver reading ahead (a stream's
// read-ahead buffer) finds the next messages behind the one it takes; one too large for the
// buffer offered is refused and, on a byte stream, then taken whole with a larger one.
TEST_P(ChannelTest, MixedSizesStreamedBackToBackArriveWhole) {
  const std::size_t max = limit_of(GetParam().mechanism);
  std::vector<std::size_t> sizes;
  for (std::size_t s : {65536, 65536, 10, 70000, 1, 1, 65536, 200000, 5000, 300, 65536, 9}) {
    if (s <= max) sizes.push_back(s);
  }
  const std::size_t largest = *std::max_element(sizes.begin(), sizes.end());
  auto t = make(largest);
  ASSERT_TRUE(t);
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  auto sender = [&](Channel& c) -> Status {
    std::vector<unsigned char> out(largest);
    fill_pattern(out.data(), out.size());
    std::uint64_t seq = 0;
    for (std::size_t size : sizes) {
      stamp(out.data(), size, ++seq, payload_checksum(out.data(), size));
      if (auto s = c.send(out.data(), size); !s) return s;
    }
    return {};
  };
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, sender, &peer, &ch)));
  std::vector<unsigned char> in(largest);
  std::uint64_t seq = 0;
  for (std::size_t size : sizes) {
    std::size_t n = 0;
    Status s;
    if (size == largest && size > 70000 && info(GetParam().mechanism).has(kByteStream)) {
      s = ch->recv(in.data(), 70000, &n);
      ASSERT_EQ(s.code(), Errc::kTooLarge) << size << " B: " << s.message();
    }
    s = ch->recv(in.data(), in.size(), &n);
    ASSERT_TRUE(s) << size << " B: " << s.message();
    s = verify(in.data(), n, size, ++seq);
    ASSERT_TRUE(s) << size << " B: " << s.message();
  }
  Status s = peer->join();
  EXPECT_TRUE(s) << s.message();
}

// The receiving peer's last word: "done" once it has checked every message, then a clean end.
void expect_done(Channel& ch, Peer& peer) {
  char reply[16];
  std::size_t n = 0;
  Status s = ch.recv(reply, sizeof reply, &n);
  ASSERT_TRUE(s) << s.message();
  EXPECT_STREQ(reply, "done");
  s = peer.join();
  EXPECT_TRUE(s) << s.message();
}

TEST_P(ChannelTest, HundredThousandSmallMessagesStreamInOrder) {
  constexpr int kCount = 100'000;
  constexpr std::size_t kSize = 32;
  auto t = make(kSize);
  ASSERT_TRUE(t);
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  auto receiver = [&](Channel& c) -> Status {
    unsigned char buf[kSize];
    for (std::uint64_t i = 1; i <= kCount; ++i) {
      std::size_t n = 0;
      if (auto s = c.recv(buf, sizeof buf, &n); !s) return s;
      if (auto s = verify(buf, n, kSize, i); !s) return s;
    }
    const char done[] = "done";
    return c.send(done, sizeof done);
  };
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, receiver, &peer, &ch)));
  unsigned char msg[kSize];
  fill_pattern(msg, kSize);
  const auto sum = payload_checksum(msg, kSize);
  for (std::uint64_t i = 1; i <= kCount; ++i) {
    stamp(msg, kSize, i, sum);
    Status s = ch->send(msg, kSize);
    ASSERT_TRUE(s) << "message " << i << ": " << s.message() << "; " << peer->join().message();
  }
  expect_done(*ch, *peer);
}

// Batches of more messages than one system call takes (kBatchIov) and than a pipe or a ring
// holds, of sizes 1 to 200 bytes: every message whole and in order.
TEST_P(ChannelTest, BatchesArriveWholeAndInOrder) {
  constexpr std::size_t kMax = 200, kPerBatch = Channel::kBatchIov * 2 + 300;
  constexpr int kBatches = 3;
  auto t = make(kMax);
  ASSERT_TRUE(t);
  auto size_of = [](std::uint64_t i) { return std::max<std::size_t>(16, i * 37 % (kMax + 1)); };
  auto receiver = [&](Channel& c) -> Status {
    unsigned char buf[kMax];
    for (std::uint64_t i = 1; i <= kPerBatch * kBatches; ++i) {
      std::size_t n = 0;
      if (auto s = c.recv(buf, sizeof buf, &n); !s) return s;
      if (auto s = verify(buf, n, size_of(i), i); !s) return s;
    }
    const char done[] = "done";
    return c.send(done, sizeof done);
  };
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, receiver, &peer, &ch)));
  std::vector<std::vector<unsigned char>> store(kPerBatch, std::vector<unsigned char>(kMax));
  std::vector<Message> batch(kPerBatch);
  for (std::uint64_t b = 0, i = 1; b < kBatches; ++b) {
    for (std::size_t k = 0; k < kPerBatch; ++k, ++i) {
      fill_pattern(store[k].data(), size_of(i));
      stamp(store[k].data(), size_of(i), i, payload_checksum(store[k].data(), size_of(i)));
      batch[k] = {store[k].data(), size_of(i)};
    }
    Status s = ch->send_batch(batch.data(), batch.size());
    ASSERT_TRUE(s) << "batch " << b << ": " << s.message() << "; " << peer->join().message();
  }
  expect_done(*ch, *peer);
}

TEST_P(ChannelTest, APeerThatDiesMidExchangeIsAnErrorWithinTheDeadline) {
  constexpr auto kTimeout = 1000ms;
  auto t = make(64, kTimeout);
  ASSERT_TRUE(t);
  const bool process = GetParam().endpoint == Endpoint::kProcess;
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  // Three round trips, then the peer vanishes: a process is killed outright; a thread returns
  // and its end is destroyed.
  auto body = [&](Channel& c) -> Status {
    if (auto s = echo(c, 64, 3); !s) return s;
    if (process) raise(SIGKILL);
    return {};
  };
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, body, &peer, &ch)));
  unsigned char msg[64] = {1, 2, 3};
  std::size_t n = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(IsOk(ch->send(msg, sizeof msg)));
    ASSERT_TRUE(IsOk(ch->recv(msg, sizeof msg, &n)));
  }
  const auto t0 = std::chrono::steady_clock::now();
  // The send may still succeed (buffered); the reply can never come.
  Status s = ch->send(msg, sizeof msg);
  if (s) s = ch->recv(msg, sizeof msg, &n);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(s);
  EXPECT_TRUE(s.code() == Errc::kPeerClosed || s.code() == Errc::kTimeout) << s.message();
  EXPECT_LT(took, kTimeout + 1500ms) << s.message();
  Status joined = peer->join(2s);
  if (process) {
    EXPECT_EQ(joined.code(), Errc::kPeerClosed) << joined.message();
    EXPECT_NE(joined.message().find("signal 9"), std::string::npos) << joined.message();
  }
}

TEST_P(ChannelTest, AMessageTooLargeForTheReceiveBufferIsAnError) {
  auto t = make(4096);
  ASSERT_TRUE(t);
  std::unique_ptr<Peer> peer;
  std::unique_ptr<Channel> ch;
  auto sender = [](Channel& c) -> Status {
    std::vector<unsigned char> big(4096, 7);
    return c.send(big.data(), big.size());
  };
  ASSERT_TRUE(IsOk(start_channel_peer(*t, GetParam().endpoint, -1, sender, &peer, &ch)));
  unsigned char small[100];
  std::size_t n = 0;
  Status s = ch->recv(small, sizeof small, &n);
  EXPECT_EQ(s.code(), Errc::kTooLarge) << s.message();
  EXPECT_TRUE(IsOk(peer->join()));
}

INSTANTIATE_TEST_SUITE_P(All, ChannelTest, testing::ValuesIn([] {
                           std::vector<Param> all;
                           for (Mechanism m : all_mechanisms()) {
                             all.push_back({m, Endpoint::kProcess});
                             all.push_back({m, Endpoint::kThread});
                           }
                           return all;
                         }()),
                         name_of);

// Limits: refused with the limit's name and how to raise it, or (streams) split and delivered.
TEST(ChannelLimits, PosixMqNamesMsgsizeMax) {
  ChannelOptions o;
  o.max_message = 1 << 20;
  std::unique_ptr<Transport> t;
  Status s = make_transport(Mechanism::kPosixMq, o, &t);
  if (limit_of(Mechanism::kPosixMq) >= o.max_message) GTEST_SKIP() << "msgsize_max was raised";
  EXPECT_EQ(s.code(), Errc::kTooLarge);
  EXPECT_NE(s.message().find("fs.mqueue.msgsize_max"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("sysctl -w"), std::string::npos) << s.message();
}

TEST(ChannelLimits, SysvNamesMsgmax) {
  ChannelOptions o;
  o.max_message = 1 << 20;
  std::unique_ptr<Transport> t;
  Status s = make_transport(Mechanism::kSysvMq, o, &t);
  if (limit_of(Mechanism::kSysvMq) >= o.max_message) GTEST_SKIP() << "msgmax was raised";
  EXPECT_EQ(s.code(), Errc::kTooLarge);
  EXPECT_NE(s.message().find("kernel.msgmax"), std::string::npos) << s.message();
}

TEST(ChannelLimits, SendingMoreThanTheConfiguredMaximumIsRefused) {
  std::vector<unsigned char> big(8 << 20);
  for (Mechanism m : mechanisms_with(0, kByteStream)) {
    ChannelOptions o;
    o.max_message = 4096;
    std::unique_ptr<Transport> t;
    ASSERT_TRUE(IsOk(make_transport(m, o, &t))) << to_string(m);
    std::unique_ptr<Channel> a;
    ASSERT_TRUE(IsOk(t->open(Side::kA, &a)));
    Status s = a->send(big.data(), big.size());
    EXPECT_EQ(s.code(), Errc::kTooLarge) << to_string(m) << ": " << s.message();
  }
}

TEST(ChannelLimits, SpinOnOneCpuIsRefusedWithAReason) {
  ChannelOptions o;
  o.policy = WaitPolicy::kSpin;
  o.placement = Placement::kSameCpu;
  std::unique_ptr<Transport> t;
  Status s = make_transport(Mechanism::kShmRing, o, &t);
  EXPECT_EQ(s.code(), Errc::kRefused);
  EXPECT_NE(s.message().find("one CPU"), std::string::npos) << s.message();
}

// Opens both sides in this process (side A in a thread: FIFO and TCP wait for side B).
void open_both(Transport& t, std::unique_ptr<Channel>* a, std::unique_ptr<Channel>* b) {
  Status opened_a;
  std::thread side_a([&] { opened_a = t.open(Side::kA, a); });
  const Status opened_b = t.open(Side::kB, b);
  side_a.join();
  ASSERT_TRUE(IsOk(opened_a));
  ASSERT_TRUE(IsOk(opened_b));
}

// A non-blocking receive returns at once with nothing, then with the message once it is there;
// transports without one say so.
TEST(ChannelTryRecv, ReturnsAtOnceAndThenTheMessage) {
  for (Mechanism m : all_mechanisms()) {
    ChannelOptions o;
    o.max_message = 64;
    std::unique_ptr<Transport> t;
    ASSERT_TRUE(IsOk(make_transport(m, o, &t))) << to_string(m);
    std::unique_ptr<Channel> a, b;
    ASSERT_NO_FATAL_FAILURE(open_both(*t, &a, &b)) << to_string(m);
    unsigned char buf[64];
    std::size_t n = 0;
    bool got = true;
    Status s = b->try_recv(buf, sizeof buf, &n, &got);
    EXPECT_FALSE(got) << to_string(m);
    if (!info(m).has(kTryRecv)) {
      EXPECT_EQ(s.code(), Errc::kRefused) << to_string(m);
      continue;
    }
    EXPECT_TRUE(IsOk(s)) << to_string(m);
    const unsigned char msg[5] = {1, 2, 3, 4, 5};
    ASSERT_TRUE(IsOk(a->send(msg, sizeof msg)));
    EXPECT_TRUE(IsOk(b->try_recv(buf, sizeof buf, &n, &got))) << to_string(m);
    EXPECT_TRUE(got) << to_string(m);
    EXPECT_EQ(n, sizeof msg);
    EXPECT_EQ(std::memcmp(buf, msg, sizeof msg), 0);
  }
}

// The ring wakes a consumer asleep (futex) once per batch, and before the sender waits for room:
// a batch of three rings' worth reaches a consumer that was asleep when it began, without a
// stall (a consumer nobody wakes sleeps until its 2 s deadline before it looks again; that is a
// liveness failure, not a slow run).
TEST(ChannelBatch, TheRingWakesItsSleepingConsumerBeforeWaitingForRoom) {
  ChannelOptions o;
  o.max_message = 64;
  o.policy = WaitPolicy::kFutex;
  o.timeout = 2s;
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_transport(Mechanism::kShmRing, o, &t)));
  std::unique_ptr<Channel> a, b;
  ASSERT_TRUE(IsOk(t->open(Side::kA, &a)));
  ASSERT_TRUE(IsOk(t->open(Side::kB, &b)));
  const std::size_t count = 3 * (256 << 10) / 128;  // 64-byte messages take 128-byte slots
  Status received;
  std::thread consumer([&] {
    unsigned char buf[64];
    for (std::uint64_t i = 1; i <= count && received; ++i) {
      std::size_t n = 0;
      received = b->recv(buf, sizeof buf, &n);
      if (received) received = verify(buf, n, 64, i);
    }
  });
  std::this_thread::sleep_for(50ms);  // the consumer is asleep in the kernel by now
  std::vector<std::vector<unsigned char>> store(count, std::vector<unsigned char>(64));
  std::vector<Message> batch;
  for (std::uint64_t i = 1; i <= count; ++i) {
    fill_pattern(store[i - 1].data(), 64);
    stamp(store[i - 1].data(), 64, i, payload_checksum(store[i - 1].data(), 64));
    batch.push_back({store[i - 1].data(), 64});
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Status sent = a->send_batch(batch.data(), batch.size());
  consumer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "the consumer slept to its deadline";
  EXPECT_TRUE(IsOk(sent));
  EXPECT_TRUE(IsOk(received));
  EXPECT_EQ(shm_ring_lost_wakeups(*t), 0u);
}

// The transport table says what each transport can do; each entry is held against the transport
// itself, so a capability claimed or forgotten fails here (and benchmarks select by them).
class TransportTable : public testing::TestWithParam<Mechanism> {};

// Lines of /proc/self/maps that map a /dev/shm object (an unlinked one too).
std::size_t shm_mappings() {
  std::ifstream maps("/proc/self/maps");
  std::size_t n = 0;
  for (std::string line; std::getline(maps, line);)
    n += line.find("/dev/shm/") != std::string::npos;
  return n;
}

TEST_P(TransportTable, CapabilitiesAreWhatTheTransportDoes) {
  const TransportInfo& row = info(GetParam());
  ASSERT_EQ(row.mechanism, GetParam());
  ChannelOptions o;
  o.max_message = 64;
  o.policy = WaitPolicy::kFutex;
  const std::size_t mapped_before = shm_mappings();
  std::unique_ptr<Transport> t;
  ASSERT_TRUE(IsOk(make_transport(row.mechanism, o, &t))) << row.name;
  // Extra writers and readers share a side's objects: ask before the sides take them.
  std::unique_ptr<Channel> extra;
  EXPECT_EQ(IsOk(t->open_writer(&extra)), row.has(kManyWriters)) << row.name;
  extra.reset();
  EXPECT_EQ(IsOk(t->open_reader(&extra)), row.has(kManyReaders)) << row.name;
  extra.reset();
  std::unique_ptr<Channel> a, b;
  ASSERT_NO_FATAL_FAILURE(open_both(*t, &a, &b)) << row.name;
  EXPECT_EQ(shm_mappings() > mapped_before, row.has(kSharedMemory)) << row.name << ": /dev/shm";
  EXPECT_EQ(a->zero_copy() != nullptr, row.has(kZeroCopy)) << row.name;
  EXPECT_TRUE(!row.has(kInPlace) || row.has(kZeroCopy)) << row.name;
  // Spinning on one CPU is refused exactly where the options choose a waiting policy.
  o.policy = WaitPolicy::kSpin;
  o.placement = Placement::kSameCpu;
  std::unique_ptr<Transport> spin;
  EXPECT_EQ(make_transport(row.mechanism, o, &spin).code() == Errc::kRefused,
            row.has(kWaitPolicies))
      << row.name;
}

INSTANTIATE_TEST_SUITE_P(All, TransportTable, testing::ValuesIn(all_mechanisms()),
                         [](const testing::TestParamInfo<Mechanism>& p) {
                           return std::string(to_string(p.param));
                         });

TEST(TransportTable, SelectsByCapability) {
  const auto fan_in = mechanisms_with(kManyWriters);
  EXPECT_NE(std::find(fan_in.begin(), fan_in.end(), Mechanism::kShmMpsc), fan_in.end());
  EXPECT_EQ(std::find(fan_in.begin(), fan_in.end(), Mechanism::kTcp), fan_in.end());
  for (Mechanism m : mechanisms_with(0, kByteStream)) EXPECT_FALSE(info(m).has(kByteStream));
  EXPECT_EQ(all_mechanisms().size(), transports().size());
}

TEST(ChannelNames, VocabularyRoundTrips) {
  for (Mechanism m : all_mechanisms()) EXPECT_EQ(parse_mechanism(to_string(m)), m);
  EXPECT_FALSE(parse_mechanism("carrier_pigeon").has_value());
  EXPECT_EQ(parse_wait_policy("spin_futex"), WaitPolicy::kSpinFutex);
  EXPECT_FALSE(parse_wait_policy("nap").has_value());
}

}  // namespace
}  // namespace ptbench::ipc
