// Named IPC objects carry a "ptbench" prefix and a per-run unique part (the creating pid and a
// counter), are registered while they exist, and are removed on success, error, exception,
// SIGINT, SIGTERM and SIGHUP. `clean_leftovers` removes what a killed run left behind: only
// objects with our prefix whose creating process is gone.
#pragma once

#include <sys/types.h>
#include <string>
#include <vector>

namespace ptbench::ipc {

enum class ResourceKind { kShm, kPosixMq, kFifoDir, kSysvMsg };

// "ptbench.<pid>.<n>.<what>": unique within this host while the process lives.
std::string unique_name(const std::string& what);

// Registers a named object for removal if the process is interrupted. For kShm and kPosixMq the
// name is the one given to shm_open/mq_open (with its leading '/'), for kFifoDir a directory
// path, for kSysvMsg the queue id in decimal. Returns a handle for unregister_resource.
int register_resource(ResourceKind kind, const std::string& name);
// Forgets a registration (after the object was removed the ordinary way).
void unregister_resource(int handle);

// Removes one object now; returns 0 or an errno value.
int remove_resource(ResourceKind kind, const std::string& name);

// SysV keys start with these 16 bits ("pt"), so `clean` can tell ours from others'.
inline constexpr key_t kSysvKeyPrefix = 0x70740000;

struct CleanReport {
  std::vector<std::string> removed;
  std::vector<std::string> kept;    // ours, but their process still runs
  std::vector<std::string> failed;  // "name: reason"
};

// Scans /dev/shm, /dev/mqueue (when mounted), the temporary directory and the SysV message
// queues for leftovers of dead ptbench processes and removes them (or only lists them when
// dry_run). `tmp_dir` is where FIFO directories are made.
CleanReport clean_leftovers(bool dry_run, const std::string& tmp_dir = "/tmp");

// The directory FIFOs are made in: $TMPDIR or /tmp.
std::string temp_dir();

}  // namespace ptbench::ipc
