#include "ipc/names.hpp"

#include <dirent.h>
#include <fmt/format.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ptbench::ipc {

namespace {

constexpr int kMaxResources = 512;
constexpr std::size_t kMaxName = 256;

// Fixed storage, so the signal handler can walk it without allocating or locking.
struct Entry {
  std::atomic<int> state{0};  // 0 free, 1 being written, 2 live
  ResourceKind kind{};
  pid_t owner = 0;
  char name[kMaxName]{};
};
Entry g_entries[kMaxResources];
std::atomic<unsigned> g_counter{0};
std::atomic<bool> g_handlers_installed{false};

// Async-signal-safe removal: only system calls, no allocation.
void remove_now(ResourceKind kind, const char* name) {
  switch (kind) {
    case ResourceKind::kShm:
      shm_unlink(name);
      break;
    case ResourceKind::kPosixMq:
      mq_unlink(name);
      break;
    case ResourceKind::kFifoDir: {
      // The directory holds only the FIFOs "a2b" and "b2a".
      char path[kMaxName + 8];
      for (const char* leaf : {"/a2b", "/b2a"}) {
        std::size_t n = std::strlen(name);
        std::memcpy(path, name, n);
        std::memcpy(path + n, leaf, 5);
        unlink(path);
      }
      rmdir(name);
      break;
    }
    case ResourceKind::kSysvMsg:
      msgctl(std::atoi(name), IPC_RMID, nullptr);
      break;
  }
}

void remove_all_owned() {
  const pid_t me = getpid();
  for (auto& e : g_entries) {
    if (e.state.load() == 2 && e.owner == me) {
      remove_now(e.kind, e.name);
      e.state.store(0);
    }
  }
}

void on_fatal_signal(int sig) {
  remove_all_owned();
  signal(sig, SIG_DFL);
  raise(sig);
}

void install_handlers_once() {
  bool expected = false;
  if (!g_handlers_installed.compare_exchange_strong(expected, true)) return;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    // Someone else (a harness, a test runner) handles it: leave theirs alone, they exit normally
    // and our destructors run. Only replace the default action, which would skip them.
    if (old.sa_handler != SIG_DFL) continue;
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
  std::atexit(remove_all_owned);
}

bool process_alive(pid_t pid) {
  return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

// The pid in "ptbench.<pid>.<n>...", or 0.
pid_t pid_of(const std::string& name) {
  const std::string prefix = "ptbench.";
  if (name.compare(0, prefix.size(), prefix) != 0) return 0;
  return static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
}

}  // namespace

std::string unique_name(const std::string& what) {
  return fmt::format("ptbench.{}.{}.{}", getpid(), g_counter.fetch_add(1), what);
}

std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  return t != nullptr && *t != '\0' ? t : "/tmp";
}

int register_resource(ResourceKind kind, const std::string& name) {
  install_handlers_once();
  if (name.size() >= kMaxName) return -1;
  for (int i = 0; i < kMaxResources; ++i) {
    int expected = 0;
    if (!g_entries[i].state.compare_exchange_strong(expected, 1)) continue;
    g_entries[i].kind = kind;
    g_entries[i].owner = getpid();
    std::memcpy(g_entries[i].name, name.c_str(), name.size() + 1);
    g_entries[i].state.store(2);
    return i;
  }
  return -1;  // full: the object is still removed normally, only not on a signal
}

void unregister_resource(int handle) {
  if (handle >= 0 && handle < kMaxResources) g_entries[handle].state.store(0);
}

int remove_resource(ResourceKind kind, const std::string& name) {
  errno = 0;
  switch (kind) {
    case ResourceKind::kShm:
      return shm_unlink(name.c_str()) == 0 ? 0 : errno;
    case ResourceKind::kPosixMq:
      return mq_unlink(name.c_str()) == 0 ? 0 : errno;
    case ResourceKind::kFifoDir:
      remove_now(kind, name.c_str());
      return access(name.c_str(), F_OK) == 0 ? EBUSY : 0;
    case ResourceKind::kSysvMsg:
      return msgctl(std::atoi(name.c_str()), IPC_RMID, nullptr) == 0 ? 0 : errno;
  }
  return EINVAL;
}

CleanReport clean_leftovers(bool dry_run, const std::string& tmp_dir) {
  CleanReport report;
  auto consider = [&](const std::string& shown, pid_t owner, auto&& remove) {
    if (process_alive(owner)) {
      report.kept.push_back(shown);
      return;
    }
    if (dry_run) {
      report.removed.push_back(shown);
      return;
    }
    const int err = remove();
    if (err == 0) {
      report.removed.push_back(shown);
    } else {
      report.failed.push_back(fmt::format("{}: {}", shown, std::strerror(err)));
    }
  };
  auto scan = [&](const std::string& dir, auto&& on_entry) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (pid_of(n) != 0) on_entry(n);
    }
    closedir(d);
  };
  scan("/dev/shm", [&](const std::string& n) {
    consider("/dev/shm/" + n, pid_of(n),
             [&] { return remove_resource(ResourceKind::kShm, "/" + n); });
  });
  scan("/dev/mqueue", [&](const std::string& n) {
    consider("/dev/mqueue/" + n, pid_of(n),
             [&] { return remove_resource(ResourceKind::kPosixMq, "/" + n); });
  });
  scan(tmp_dir, [&](const std::string& n) {
    const std::string path = tmp_dir + "/" + n;
    consider(path, pid_of(n), [&] { return remove_resource(ResourceKind::kFifoDir, path); });
  });
  // SysV queues: "key msqid perms cbytes qnum lspid lrpid uid ...". Ours carry the key prefix;
  // the creator is not recorded, so a queue counts as left behind when neither its last sender
  // nor its last receiver still runs.
  std::ifstream msg("/proc/sysvipc/msg");
  std::string line;
  std::getline(msg, line);  // header
  while (std::getline(msg, line)) {
    std::istringstream in(line);
    long long key = 0;
    int id = 0;
    std::string perms, cbytes, qnum;
    pid_t lspid = 0, lrpid = 0;
    uid_t uid = 0;
    if (!(in >> key >> id >> perms >> cbytes >> qnum >> lspid >> lrpid >> uid)) continue;
    if ((static_cast<unsigned long long>(key) & 0xffff0000u) != kSysvKeyPrefix) continue;
    if (uid != getuid()) continue;
    const std::string shown = fmt::format("SysV msg queue key 0x{:08x} id {}", key, id);
    const pid_t alive = process_alive(lspid) ? lspid : (process_alive(lrpid) ? lrpid : 0);
    consider(shown, alive,
             [&] { return remove_resource(ResourceKind::kSysvMsg, std::to_string(id)); });
  }
  return report;
}

}  // namespace ptbench::ipc
