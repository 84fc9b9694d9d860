// What the numbers came from: kernel, CPU, placement limits, virtualization, mitigations, THP,
// governor, toolchain and libraries. Anything that cannot be read is "unknown", never a guess.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/result.hpp"

namespace ptbench::harness {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Reads the host's files below `root` ("/" on a real host; a fake tree in tests).
KeyValues collect_host(const std::filesystem::path& root = "/");

// hwloc's XML of this machine (saved as topology.xml beside host.csv in every run).
Result<std::string> topology_xml();

// The first line of /proc/loadavg below `root`, as "1m 5m 15m", or "unknown".
std::string read_load(const std::filesystem::path& root = "/");

// The selected value of a sysfs multiple-choice file: "always [madvise] never" gives "madvise".
std::string bracketed_choice(const std::string& text);

// host.csv: a key,value header and one row per key.
void write_host_csv(std::ostream& out, const KeyValues& kv);
Result<KeyValues> parse_host_csv(std::string_view text);

// The level a run's rows across CPUs are read at (results.hpp: reference_level), from its
// host.csv's cross_cpu_level; "cross-cpu" when there is none.
std::string run_reference_level(const KeyValues& host);
// The same from the run directory's host.csv ("cross-cpu" when it has none).
std::string run_reference_level(const std::filesystem::path& dir);

// This host's reference level: what the first and the last allowed CPU share ("cross-cpu" when
// that is unknown: one CPU, or hwloc could not read the machine).
std::string host_reference_level();
// `names` with kCrossRef (results.hpp) at this host's reference level.
std::vector<std::string> at_host_level(std::vector<std::string> names);

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_text_file(const std::filesystem::path& path);

// The git revision the build was configured from ("<sha>", "<sha>-dirty" when tracked files had
// changes then), or "unknown" when the source was not a git checkout.
std::string source_git_sha();
// Its first-parent ordinal (`git rev-list --count --first-parent`), or "unknown".
std::string source_git_ordinal();

// FNV-1a, 64 bits, as 16 hex digits: stable across runs, builds and hosts.
std::string fnv1a_hex(std::string_view bytes);
// One FNV-1a over the files' names and contents, in the order given ("missing" for a file that
// cannot be read): two runs with the same fingerprint ran the same benchmark programs.
std::string files_fingerprint(const std::vector<std::filesystem::path>& files);

}  // namespace ptbench::harness
