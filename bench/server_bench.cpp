// Question: how do whole server models compare on this host, for the same request stream?
// C clients (threads of this process, closed loop: send a request of S bytes, wait for its
// response) talk to a server process over one Unix stream connection each (a fresh process: this
// program exec'd again, see start_server). The server reads a
// request, does a fixed amount of CPU work over it (a checksum of every byte and kWorkRounds of
// xorshift: 0.42 us on the development VM, timed alone) and sends it back; the client checks the
// number and every byte of the answer. Models (BM_Server/<model>/...):
// - epoll: one thread, one epoll set over all connections;
// - thread_pool: kWorkers threads sharing one epoll set (EPOLLONESHOT: the kernel's ready list
//   is their shared queue);
// - prefork: kWorkers processes forked up front, sharing one epoll set the same way (requests
//   through the sockets);
// - prefork_shm: kWorkers processes fed through shared memory: one thread of the server reads
//   each request and passes it, with its connection's number, through a shm_mpsc queue read by
//   the workers (each request to exactly one); the worker works and answers on the connection
//   itself (it inherited the descriptors);
// - thread_per_conn / fork_per_conn: one thread / one process per connection, blocking reads;
// - thread_per_request / fork_per_request: one epoll thread reads each request and hands it to
//   a new thread / a new child process, which works, answers and ends;
// - coroutines: one thread per CPU, each running an epoll loop over its share of the
//   connections, one C++20 coroutine per connection (non-blocking sockets: a read or write that
//   would block suspends the coroutine until epoll says the socket is ready).
// Timed: kSeconds of the clients' loop (real time), from the clients' start, once the server
// has said it is ready. Reported: requests per second (items), p50/p99 of the clients' response
// time (p99 only from 1,000 samples up), the CPUs the clients used per second (they must not be
// the bottleneck: close to the CPUs there are means they were), and the server's memory (PSS of
// its processes) per worker.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <coroutine>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/support/grid.hpp"
#include "bench/support/ipc_support.hpp"
#include "bench/support/latency.hpp"
#include "ipc/channel.hpp"
#include "ipc/fd.hpp"
#include "ipc/message.hpp"
#include "ipc/placement.hpp"

namespace ptbench::bench {
namespace {

constexpr int kWorkers = 4;
constexpr int kWorkRounds = 300;

// The server models; each is one row of kModels (below), which says its name, whether its
// workers are processes, how it serves and how many workers it has.
enum class Model {
  kEpoll,
  kThreadPool,
  kPrefork,
  kThreadPerConn,
  kForkPerConn,
  kThreadPerRequest,
  kForkPerRequest,
  kPreforkShm,
  kCoroutines,
  kLast = kCoroutines,
};

// Reads (or writes) exactly `n` bytes; false at end of file or on an error.
bool transfer_all(int fd, unsigned char* p, std::size_t n, bool writing) {
  while (n > 0) {
    const ssize_t r = writing ? write(fd, p, n) : read(fd, p, n);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return false;
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool read_all(int fd, unsigned char* p, std::size_t n) {
  return transfer_all(fd, p, n, false);
}

bool write_all(int fd, unsigned char* p, std::size_t n) {
  return transfer_all(fd, p, n, true);
}

// The server's work on one request of `n` bytes: a checksum over every byte and kWorkRounds of
// xorshift. The request then goes back as the answer (the client checks it).
void work(const unsigned char* p, std::size_t n) {
  std::uint64_t x = ipc::checksum(p, n) | 1;
  for (int i = 0; i < kWorkRounds; ++i) x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  benchmark::DoNotOptimize(x);
}

// Works on a request that has been read into `buf` and answers; false when the answer could not
// be written.
bool work_and_answer(int fd, std::vector<unsigned char>& buf) {
  work(buf.data(), buf.size());
  return write_all(fd, buf.data(), buf.size());
}

// One connection served until the client closes it (blocking).
void serve_connection(int fd, std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  while (read_all(fd, buf.data(), bytes) && work_and_answer(fd, buf)) {
  }
}

struct Server {
  std::vector<int> fds;  // the server's ends, one per connection
  std::size_t bytes;
};

void add_to_epoll(int ep, int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

// Serves connections as they become readable until all have closed (the shared set: several
// threads or processes may run this on one epoll fd with EPOLLONESHOT).
void serve_epoll(int ep, std::size_t bytes, bool oneshot, std::atomic<int>* open) {
  std::vector<unsigned char> buf(bytes);
  epoll_event ev[16];
  while (open->load() > 0) {
    const int n = epoll_wait(ep, ev, 16, 100);
    for (int i = 0; i < n; ++i) {
      const int fd = ev[i].data.fd;
      if (!read_all(fd, buf.data(), bytes) || !work_and_answer(fd, buf)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        open->fetch_sub(1);
        continue;
      }
      if (oneshot) {
        epoll_event again{};
        again.events = EPOLLIN | EPOLLONESHOT;
        again.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &again);
      }
    }
  }
}

// Reads each request in one thread and hands it to a new thread or child process, which works,
// answers and ends. A connection has one request in flight (its client waits for the answer),
// so it is not read again before its handler has answered.
void serve_per_request(const Server& s, bool processes) {
  const int ep = epoll_create1(0);
  for (int fd : s.fds) add_to_epoll(ep, fd, EPOLLIN);
  std::size_t open = s.fds.size();
  std::atomic<int> live{0};
  std::vector<unsigned char> buf(s.bytes);
  epoll_event ev[16];
  while (open > 0) {
    const int n = epoll_wait(ep, ev, 16, 100);
    for (int i = 0; i < n; ++i) {
      const int fd = ev[i].data.fd;
      if (!read_all(fd, buf.data(), s.bytes)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        --open;
        continue;
      }
      if (processes) {
        if (fork() == 0) _exit(work_and_answer(fd, buf) ? 0 : 1);
      } else {
        live.fetch_add(1);
        std::thread([fd, copy = buf, &live]() mutable {
          work_and_answer(fd, copy);
          live.fetch_sub(1);
        }).detach();
      }
    }
    while (processes && waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
  while (processes && waitpid(-1, nullptr, 0) > 0) {
  }
  while (live.load() > 0) std::this_thread::yield();
  close(ep);
}

// Forks `n` workers, each running body() and exiting 0 (they die with the server); their pids.
template <typename Body>
std::vector<pid_t> fork_workers(std::size_t n, Body body) {
  std::vector<pid_t> kids;
  for (std::size_t i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      body(i);
      _exit(0);
    }
    if (pid > 0) kids.push_back(pid);
  }
  return kids;
}

// Reaps every worker (killing one still running after the deadline); the first failure.
ipc::Status reap(const std::vector<pid_t>& kids, ipc::Status status = {}) {
  for (pid_t k : kids) {
    if (!status) kill(k, SIGKILL);
    if (ipc::Status r = ipc::reap_child(k, "a server worker"); status && !r) status = r;
  }
  return status;
}

// prefork_shm: the request as it travels through the queue, after its connection's number.
struct Envelope {
  std::int32_t fd;
};

// A worker of prefork_shm: takes requests from the queue until a message without a request
// (the stop), works on each and answers on its connection. A timeout only means no request came.
void serve_from_queue(ipc::Transport& queue, std::size_t bytes) {
  std::unique_ptr<ipc::Channel> in;
  if (!queue.open_reader(&in)) _exit(1);
  std::vector<unsigned char> buf(sizeof(Envelope) + bytes);
  for (;;) {
    std::size_t n = 0;
    const ipc::Status s = in->recv(buf.data(), buf.size(), &n);
    if (!s && s.code() == ipc::Errc::kTimeout) continue;
    if (!s) _exit(1);
    if (n != buf.size()) _exit(0);
    Envelope e;
    std::memcpy(&e, buf.data(), sizeof e);
    work(buf.data() + sizeof e, bytes);
    if (!write_all(e.fd, buf.data() + sizeof e, bytes)) _exit(1);
  }
}

// prefork_shm's reading thread: every request read whole from its connection and queued with
// the connection's number, until all connections have closed; then one stop per worker.
ipc::Status dispatch(const Server& s, ipc::Channel& out, int workers) {
  const int ep = epoll_create1(0);
  for (int fd : s.fds) add_to_epoll(ep, fd, EPOLLIN);
  std::vector<unsigned char> buf(sizeof(Envelope) + s.bytes);
  std::size_t open = s.fds.size();
  ipc::Status status;
  epoll_event ev[16];
  while (open > 0 && status) {
    const int n = epoll_wait(ep, ev, 16, 100);
    for (int i = 0; i < n && status; ++i) {
      const Envelope e{ev[i].data.fd};
      if (!read_all(e.fd, buf.data() + sizeof e, s.bytes)) {
        epoll_ctl(ep, EPOLL_CTL_DEL, e.fd, nullptr);
        --open;
        continue;
      }
      std::memcpy(buf.data(), &e, sizeof e);
      status = out.send(buf.data(), buf.size());
    }
  }
  close(ep);
  for (int w = 0; w < workers && status; ++w) status = out.send(buf.data(), 1);
  return status;
}

ipc::Status run_prefork_shm(const Server& s) {
  ipc::ChannelOptions o;
  o.max_message = sizeof(Envelope) + s.bytes;
  // Sleep at once: four workers spinning first took the CPUs the clients and the reading thread
  // need (44-56 k requests/s from 4 to 256 clients against 61-86 k, one A/B on this host).
  o.policy = ipc::WaitPolicy::kFutex;
  std::unique_ptr<ipc::Transport> queue;
  if (auto st = ipc::make_transport(ipc::Mechanism::kShmMpsc, o, &queue); !st) return st;
  const std::vector<pid_t> kids =
      fork_workers(kWorkers, [&](std::size_t) { serve_from_queue(*queue, s.bytes); });
  std::unique_ptr<ipc::Channel> out;
  ipc::Status status = queue->open(ipc::Side::kA, &out);
  if (status) status = dispatch(s, *out, static_cast<int>(kids.size()));
  return reap(kids, status);
}

// coroutines: a coroutine that starts at once and frees itself when it ends; the epoll loop
// that resumes it owns nothing.
struct Detached {
  struct promise_type {
    Detached get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

// One thread's event loop: its epoll set and the coroutines that yielded to the others.
struct Loop {
  int ep = epoll_create1(0);
  int open = 0;
  std::vector<std::coroutine_handle<>> yielded;
};

// Suspends the coroutine until `fd` is ready for `events` (armed once, the handle as its data).
struct Ready {
  Loop& loop;
  int fd;
  std::uint32_t events;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const {
    epoll_event ev{};
    ev.events = events | EPOLLONESHOT;
    ev.data.ptr = h.address();
    epoll_ctl(loop.ep, EPOLL_CTL_MOD, fd, &ev);
  }
  void await_resume() const noexcept {}
};

// Lets the loop's other coroutines run first (resumed after the loop's next look at epoll).
struct Yield {
  Loop& loop;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const { loop.yielded.push_back(h); }
  void await_resume() const noexcept {}
};

// One connection: read a request (suspending while the socket has none), work, write the
// answer (suspending while the socket is full), until the client closes it. After each answer
// it yields, so a client that sends again at once cannot keep the thread to itself.
Detached serve_coroutine(Loop& loop, int fd, std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  for (bool ok = true; ok; co_await Yield{loop}) {
    for (bool writing : {false, true}) {
      if (writing) work(buf.data(), bytes);
      for (std::size_t done = 0; ok && done < bytes;) {
        const ssize_t r = writing ? write(fd, buf.data() + done, bytes - done)
                                  : read(fd, buf.data() + done, bytes - done);
        if (r > 0) {
          done += static_cast<std::size_t>(r);
        } else if (r < 0 && errno == EAGAIN) {
          co_await Ready{loop, fd, writing ? EPOLLOUT : EPOLLIN};
        } else {
          ok = r < 0 && errno == EINTR;
        }
      }
    }
  }
  epoll_ctl(loop.ep, EPOLL_CTL_DEL, fd, nullptr);
  --loop.open;
}

// One thread of the coroutines model: an epoll loop over `fds`, each served by a coroutine.
void run_coroutine_loop(std::vector<int> fds, std::size_t bytes) {
  Loop loop;
  loop.open = static_cast<int>(fds.size());
  for (int fd : fds) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    add_to_epoll(loop.ep, fd, 0);
    serve_coroutine(loop, fd, bytes);
  }
  epoll_event ev[64];
  std::vector<std::coroutine_handle<>> now;
  while (loop.open > 0) {
    const int n = epoll_wait(loop.ep, ev, 64, loop.yielded.empty() ? 100 : 0);
    for (int i = 0; i < n; ++i) std::coroutine_handle<>::from_address(ev[i].data.ptr).resume();
    now.swap(loop.yielded);
    for (auto h : now) h.resume();
    now.clear();
  }
  close(loop.ep);
}

int coroutine_threads() {
  return static_cast<int>(ipc::allowed_cpus().size());
}

// The connections dealt round-robin to one coroutine loop per CPU.
void run_coroutines(const Server& s) {
  const int n = coroutine_threads();
  std::vector<std::vector<int>> share(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < s.fds.size(); ++i) share[i % share.size()].push_back(s.fds[i]);
  std::vector<std::thread> loops;
  for (auto& fds : share) loops.emplace_back(run_coroutine_loop, std::move(fds), s.bytes);
  for (auto& t : loops) t.join();
}

// epoll, thread_pool, prefork: one epoll set over every connection, served by one thread, or
// shared (one-shot) by kWorkers threads or processes.
ipc::Status run_shared_epoll(Model m, const Server& s, std::atomic<int>& open) {
  const int ep = epoll_create1(0);
  const bool oneshot = m != Model::kEpoll;
  for (int fd : s.fds) add_to_epoll(ep, fd, EPOLLIN | (oneshot ? EPOLLONESHOT : 0u));
  ipc::Status status;
  if (m == Model::kEpoll) {
    serve_epoll(ep, s.bytes, false, &open);
  } else if (m == Model::kThreadPool) {
    std::vector<std::thread> pool;
    for (int w = 0; w < kWorkers; ++w) {
      pool.emplace_back([&] { serve_epoll(ep, s.bytes, true, &open); });
    }
    for (auto& t : pool) t.join();
  } else {
    status =
        reap(fork_workers(kWorkers, [&](std::size_t) { serve_epoll(ep, s.bytes, true, &open); }));
  }
  close(ep);
  return status;
}

ipc::Status run_thread_per_conn(const Server& s) {
  std::vector<std::thread> ts;
  for (int fd : s.fds) ts.emplace_back([fd, &s] { serve_connection(fd, s.bytes); });
  for (auto& t : ts) t.join();
  return {};
}

ipc::Status run_fork_per_conn(const Server& s) {
  return reap(
      fork_workers(s.fds.size(), [&](std::size_t i) { serve_connection(s.fds[i], s.bytes); }));
}

// One row per model: the one place a model is named and described.
struct ModelInfo {
  Model model;
  const char* name;
  bool processes;  // its workers are processes (the grid's endpoint)
  ipc::Status (*run)(const Server& s, std::atomic<int>& open);
  int (*workers)(int clients);  // threads or processes serving requests, for memory per worker
};

template <Model M>
ipc::Status shared_epoll(const Server& s, std::atomic<int>& open) {
  return run_shared_epoll(M, s, open);
}

constexpr ModelInfo kModels[] = {
    {Model::kEpoll, "epoll", false, shared_epoll<Model::kEpoll>, [](int) { return 1; }},
    {Model::kThreadPool, "thread_pool", false, shared_epoll<Model::kThreadPool>,
     [](int) { return kWorkers; }},
    {Model::kPrefork, "prefork", true, shared_epoll<Model::kPrefork>, [](int) { return kWorkers; }},
    {Model::kThreadPerConn, "thread_per_conn", false,
     [](const Server& s, std::atomic<int>&) { return run_thread_per_conn(s); },
     [](int clients) { return clients; }},
    {Model::kForkPerConn, "fork_per_conn", true,
     [](const Server& s, std::atomic<int>&) { return run_fork_per_conn(s); },
     [](int clients) { return clients; }},
    {Model::kThreadPerRequest, "thread_per_request", false,
     [](const Server& s, std::atomic<int>&) {
       serve_per_request(s, false);
       return ipc::Status{};
     },
     [](int clients) { return clients; }},
    {Model::kForkPerRequest, "fork_per_request", true,
     [](const Server& s, std::atomic<int>&) {
       serve_per_request(s, true);
       return ipc::Status{};
     },
     [](int clients) { return clients; }},
    {Model::kPreforkShm, "prefork_shm", true,
     [](const Server& s, std::atomic<int>&) { return run_prefork_shm(s); },
     [](int) { return kWorkers; }},
    {Model::kCoroutines, "coroutines", false,
     [](const Server& s, std::atomic<int>&) {
       run_coroutines(s);
       return ipc::Status{};
     },
     [](int) { return coroutine_threads(); }},
};

constexpr bool models_match_enum() {
  if (std::size(kModels) != static_cast<std::size_t>(Model::kLast) + 1) return false;
  for (std::size_t i = 0; i < std::size(kModels); ++i) {
    if (static_cast<std::size_t>(kModels[i].model) != i) return false;
  }
  return true;
}
static_assert(models_match_enum(), "kModels needs one row per Model, in the enum's order");

const ModelInfo& info(Model m) {
  return kModels[static_cast<std::size_t>(m)];
}

// The server process: runs the model over its connection ends until every client has closed.
ipc::Status run_server(Model m, const Server& s) {
  // Open connections, counted down by whichever worker sees one close: in shared memory, for
  // the prefork workers too.
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return ipc::Status::from_errno("mmap", errno);
  auto& open = *new (page) std::atomic<int>(static_cast<int>(s.fds.size()));
  ipc::Status result = info(m).run(s, open);
  munmap(page, 4096);
  return result;
}

// The server's memory: PSS of its process and of its children (the workers of the fork models).
double server_pss_kib(pid_t server) {
  double total = smaps_rollup(std::to_string(server)).pss_kib;
  const std::string task = "/proc/" + std::to_string(server) + "/task/";
  std::ifstream children(task + std::to_string(server) + "/children");
  for (pid_t child = 0; children >> child;) total += smaps_rollup(std::to_string(child)).pss_kib;
  return total;
}

// The server runs in a fresh process: this program exec'd again with kServeEnv naming the
// model and the descriptors, so it starts from what a new server has (one malloc arena, a small
// heap) whatever benchmarks ran before in this process. A server forked from this process
// inherited them, and every fork of fork_per_request paid for them: 4.1-4.2 k requests/s at 16
// clients after the epoll rows had run, 7.8-8.0 k/s alone (measured here, alternating).
constexpr const char* kServeEnv = "PTBENCH_SERVE";  // "<model> <bytes> <ready fd> <fd>..."

// In the exec'd server: says it is ready on the ready descriptor, serves, exits 0 (1 on an error).
[[noreturn]] void serve_from_environment(const char* spec) {
  std::istringstream in(spec);
  int model = -1, ready = -1;
  Server s{{}, 0};
  in >> model >> s.bytes >> ready;
  for (int fd = 0; in >> fd;) s.fds.push_back(fd);
  if (model < 0 || model > static_cast<int>(Model::kLast) || ready < 0 || s.fds.empty()) _exit(2);
  const char byte = 1;
  if (write(ready, &byte, 1) != 1) _exit(1);
  close(ready);
  _exit(run_server(static_cast<Model>(model), s) ? 0 : 1);
}

// Starts the server process over `s.fds` (they stay open here: the caller closes them) and waits
// until it is ready.
ipc::Status start_server(Model m, const Server& s, pid_t* pid) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return ipc::Status::from_errno("pipe", errno);
  std::string spec = fmt::format("{}={} {} {}", kServeEnv, static_cast<int>(m), s.bytes, ready[1]);
  for (int fd : s.fds) fmt::format_to(std::back_inserter(spec), " {}", fd);
  // Built before fork: the child of a threaded process only calls what is async-signal-safe.
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  envp.push_back(spec.data());
  envp.push_back(nullptr);
  char exe[] = "/proc/self/exe";
  char* argv[] = {exe, nullptr};
  *pid = fork();
  if (*pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    fcntl(ready[1], F_SETFD, 0);
    for (int fd : s.fds) fcntl(fd, F_SETFD, 0);  // the clients' ends stay close-on-exec
    execve(exe, argv, envp.data());
    _exit(127);
  }
  ipc::Status st = *pid < 0 ? ipc::Status::from_errno("fork", errno) : ipc::Status{};
  close(ready[1]);
  pollfd p{ready[0], POLLIN, 0};
  char byte = 0;
  const int timeout_ms = static_cast<int>(ipc::kDefaultTimeout.count());
  if (st && (poll(&p, 1, timeout_ms) != 1 || read(ready[0], &byte, 1) != 1)) {
    st = {ipc::Errc::kPeerClosed, "the server process did not start"};
  }
  close(ready[0]);
  return st;
}

// Waits for the server to end (it does once every client has closed its connection), killing it
// after the deadline; an error unless it exited 0.
ipc::Status finish_server(pid_t pid) {
  return ipc::reap_child(pid, "the server process");
}

struct ServerCase {
  Model model;
  int clients;
  std::size_t bytes;
  double seconds;
};

struct ClientResult {
  std::vector<std::int64_t> response_ns;
  std::int64_t cpu_ns = 0;
  ipc::Status status;
};

// One client: requests numbered from 1, each answered and checked before the next.
void client_loop(int fd, std::size_t bytes, const std::atomic<bool>& stop, ClientResult* r) {
  std::vector<unsigned char> out(bytes), in(bytes);
  ipc::fill_pattern(out.data(), bytes);
  const auto sum = ipc::payload_checksum(out.data(), bytes);
  const std::int64_t cpu0 = thread_cpu_ns();
  for (std::uint64_t seq = 1; !stop.load(std::memory_order_relaxed); ++seq) {
    ipc::stamp(out.data(), bytes, seq, sum);
    const std::int64_t t0 = now_ns();
    if (!write_all(fd, out.data(), bytes) || !read_all(fd, in.data(), bytes)) {
      r->status = {ipc::Errc::kPeerClosed, "the server closed a connection"};
      break;
    }
    r->response_ns.push_back(now_ns() - t0);
    if (r->status = ipc::verify(in.data(), bytes, bytes, seq); !r->status) break;
  }
  r->cpu_ns = thread_cpu_ns() - cpu0;
}

// Makes the connections: the clients' ends here, the server's in `server`.
ipc::Status connect(int n, std::vector<ipc::Fd>* mine, Server* server) {
  for (int i = 0; i < n; ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return ipc::Status::from_errno("socketpair", errno);
    }
    mine->emplace_back(sv[0]);
    server->fds.push_back(sv[1]);
  }
  return {};
}

void report(benchmark::State& state, const ServerCase& c, std::vector<ClientResult>& results,
            double seconds, double pss_kib) {
  std::size_t total = 0;
  std::int64_t cpu = 0;
  for (const auto& r : results) total += r.response_ns.size(), cpu += r.cpu_ns;
  LatencyRecorder rec(state, total);
  for (const auto& r : results) {
    for (auto v : r.response_ns) rec.add(v, false);
  }
  rec.report();
  state.SetIterationTime(seconds);
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
  state.SetBytesProcessed(static_cast<std::int64_t>(total * c.bytes));
  state.counters["client_cpus"] = static_cast<double>(cpu) * 1e-9 / seconds;
  state.counters["server_pss_kib_per_worker"] = pss_kib / info(c.model).workers(c.clients);
}

void BM_server(benchmark::State& state, ServerCase c) {
  std::vector<ipc::Fd> mine;
  Server server{{}, c.bytes};
  ipc::Status status = connect(c.clients, &mine, &server);
  pid_t server_pid = -1;
  if (status) status = start_server(c.model, server, &server_pid);
  for (int fd : server.fds) close(fd);
  std::vector<ClientResult> results(mine.size());
  std::atomic<bool> stop{false};
  double seconds = 0, pss = 0;
  for (auto _ : state) {
    if (!status) break;
    std::vector<std::thread> clients;
    const std::int64_t t0 = now_ns();
    for (std::size_t i = 0; i < mine.size(); ++i) {
      clients.emplace_back(client_loop, mine[i].get(), c.bytes, std::cref(stop), &results[i]);
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(c.seconds / 2));
    pss = server_pss_kib(server_pid);
    std::this_thread::sleep_for(std::chrono::duration<double>(c.seconds / 2));
    stop = true;
    for (auto& t : clients) t.join();
    seconds = static_cast<double>(now_ns() - t0) * 1e-9;
  }
  mine.clear();  // the server sees every connection close and ends
  if (server_pid > 0) {
    if (auto s = finish_server(server_pid); status) status = s;
  }
  for (const auto& r : results) {
    if (status && !r.status) status = r.status;
  }
  if (!status) return state.SkipWithError(status.message().c_str());
  report(state, c, results, seconds, pss);
}

// What each profile measures: clients, request sizes, and the window each row is timed over.
struct Budget {
  std::vector<int> clients;
  std::vector<std::size_t> sizes;
  double seconds;
};

const Budget& budget(Profile profile) {
  static const PerProfile<Budget> table = {
      .smoke = {{2}, {64}, 0.05},
      .quick = {{16}, {64}, 0.05},
      .full = {{1, 4, 16, 64, 256}, {64, 16384}, 0.5},
  };
  return table[profile];
}

}  // namespace

void register_benchmarks(Profile profile) {
  declare_primary("Server", "items_per_second", true);
  if (const char* spec = getenv(kServeEnv)) serve_from_environment(spec);
  const Budget& b = budget(profile);
  for (const ModelInfo& m : kModels) {
    for (std::size_t bytes : b.sizes) {
      for (int clients : b.clients) {
        const std::string name =
            grid_name("Server", m.name, m.processes ? "process" : "thread",
                      ipc::Placement::kUnpinned, bytes, {{"clients", std::to_string(clients)}});
        add_benchmark(name, [c = ServerCase{m.model, clients, bytes, b.seconds}](
                                benchmark::State& s) { BM_server(s, c); })
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  benchmark::AddCustomContext(grid::kContextBaseline, "epoll");
}

}  // namespace ptbench::bench
