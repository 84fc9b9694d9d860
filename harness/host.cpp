#include "harness/host.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/Version.hpp>
#include <boost/version.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/csv.hpp"
#include "harness/results.hpp"
#include "ipc/placement.hpp"
#include "ipc/topology.hpp"

#ifndef PTBENCH_GIT_ORDINAL
#define PTBENCH_GIT_ORDINAL "unknown"
#endif
#ifndef PTBENCH_GIT_SHA
#define PTBENCH_GIT_SHA "unknown"
#endif
#ifndef PTBENCH_BENCHMARK_VERSION
#define PTBENCH_BENCHMARK_VERSION "unknown"
#endif

namespace ptbench::harness {

namespace fs = std::filesystem;

std::optional<std::string> read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string first_line_or_unknown(const fs::path& path) {
  auto text = read_text_file(path);
  if (!text) return "unknown";
  std::string line = trim(text->substr(0, text->find('\n')));
  return line.empty() ? "unknown" : line;
}

// The value of the first "key : value" line of /proc/cpuinfo whose key is `key`.
std::optional<std::string> cpuinfo_field(const std::string& cpuinfo, const std::string& key) {
  std::istringstream in(cpuinfo);
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (trim(line.substr(0, colon)) == key) return trim(line.substr(colon + 1));
  }
  return std::nullopt;
}

std::string virtualization(const fs::path& root, const std::optional<std::string>& cpuinfo) {
  const auto flags = cpuinfo ? cpuinfo_field(*cpuinfo, "flags") : std::nullopt;
  if (!flags) return "unknown";
  if ((" " + *flags + " ").find(" hypervisor ") == std::string::npos) return "none";
  std::string vendor = first_line_or_unknown(root / "sys/class/dmi/id/sys_vendor");
  std::string product = first_line_or_unknown(root / "sys/class/dmi/id/product_name");
  if (vendor == "unknown" && product == "unknown") return "virtual machine (hypervisor unknown)";
  return fmt::format("virtual machine ({} {})", vendor, product);
}

std::string mitigations(const fs::path& root) {
  std::error_code ec;
  const fs::path dir = root / "sys/devices/system/cpu/vulnerabilities";
  std::vector<std::string> parts;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    parts.push_back(fmt::format("{}: {}", entry.path().filename().string(),
                                first_line_or_unknown(entry.path())));
  }
  if (ec || parts.empty()) return "unknown";
  std::sort(parts.begin(), parts.end());
  return fmt::format("{}", fmt::join(parts, "; "));
}

// "yes" when the CPU flags list `flag`, "no" when they do not, "unknown" without flags.
std::string cpu_flag(const std::optional<std::string>& cpuinfo, const char* flag) {
  const auto flags = cpuinfo ? cpuinfo_field(*cpuinfo, "flags") : std::nullopt;
  if (!flags) return "unknown";
  return (" " + *flags + " ").find(" " + std::string(flag) + " ") != std::string::npos ? "yes"
                                                                                       : "no";
}

// Page-table isolation (the Meltdown mitigation), which flushes the TLB on every kernel entry.
std::string pti(const fs::path& root) {
  const std::string m =
      first_line_or_unknown(root / "sys/devices/system/cpu/vulnerabilities/meltdown");
  if (m == "unknown") return m;
  return m.find("PTI") != std::string::npos ? "yes" : "no";
}

// The scheduler's base slice (EEVDF) and where it was read, or "unknown" and why not.
void base_slice(const fs::path& root, KeyValues* kv) {
  const fs::path file = root / "sys/kernel/debug/sched/base_slice_ns";
  const std::string v = first_line_or_unknown(file);
  kv->emplace_back("sched_base_slice_ns", v);
  std::error_code ec;
  kv->emplace_back("sched_base_slice_source",
                   v != "unknown"         ? "/sys/kernel/debug/sched/base_slice_ns"
                   : fs::exists(file, ec) ? "not readable (debugfs denies it: kernel lockdown "
                                            "or a sandbox)"
                                          : "not readable (debugfs not mounted: mount -t "
                                            "debugfs none /sys/kernel/debug)");
}

// CONFIG_HZ (the timer tick) from the kernel's configuration, and where it was read.
void config_hz(const fs::path& root, const std::string& release, KeyValues* kv) {
  std::optional<std::string> text = read_text_file(root / ("boot/config-" + release));
  std::string source = "/boot/config-" + release;
  if (!text && fs::exists(root / "proc/config.gz")) {
    const std::string cmd = "gzip -dc '" + (root / "proc/config.gz").string() + "' 2>/dev/null";
    if (FILE* f = popen(cmd.c_str(), "r")) {
      std::string all;
      char buf[4096];
      for (std::size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) all.append(buf, n);
      if (pclose(f) == 0) text = all;
      source = "/proc/config.gz";
    }
  }
  std::string hz = "unknown";
  if (text) {
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("CONFIG_HZ=", 0) == 0) hz = line.substr(10);
    }
  }
  kv->emplace_back("config_hz", hz);
  kv->emplace_back("config_hz_source", hz != "unknown" ? source
                                                       : "not readable (no /boot/config "
                                                         "or /proc/config.gz)");
}

}  // namespace

std::string bracketed_choice(const std::string& text) {
  auto b = text.find('['), e = text.find(']');
  if (b == std::string::npos || e == std::string::npos || e < b) return "unknown";
  return text.substr(b + 1, e - b - 1);
}

std::string read_load(const fs::path& root) {
  auto text = read_text_file(root / "proc/loadavg");
  if (!text) return "unknown";
  std::istringstream in(*text);
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "unknown";
  return fmt::format("{} {} {}", a, b, c);
}

std::string source_git_sha() {
  return PTBENCH_GIT_SHA;  // recorded when the build was configured
}

std::string source_git_ordinal() {
  return PTBENCH_GIT_ORDINAL;
}

namespace {
constexpr std::uint64_t kFnvOffset = 1469598103934665603ULL, kFnvPrime = 1099511628211ULL;
void fnv1a(std::uint64_t* h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    *h ^= c;
    *h *= kFnvPrime;
  }
}
}  // namespace

std::string fnv1a_hex(std::string_view bytes) {
  std::uint64_t h = kFnvOffset;
  fnv1a(&h, bytes);
  return fmt::format("{:016x}", h);
}

std::string files_fingerprint(const std::vector<std::filesystem::path>& files) {
  std::uint64_t h = kFnvOffset;
  std::vector<char> buf(1 << 16);
  for (const auto& f : files) {
    fnv1a(&h, f.filename().string());
    fnv1a(&h, std::string_view("\0", 1));
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      fnv1a(&h, "missing");
      continue;
    }
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      fnv1a(&h, std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
    }
  }
  return fmt::format("{:016x}", h);
}

void write_host_csv(std::ostream& out, const KeyValues& kv) {
  write_csv_row(out, {"key", "value"});
  for (const auto& [k, v] : kv) write_csv_row(out, {k, v});
}

Result<KeyValues> parse_host_csv(std::string_view text) {
  auto parsed = parse_csv(text, {"key", "value"});
  if (!parsed) return fail(parsed.error());
  const std::size_t key = *parsed->column("key"), value = *parsed->column("value");
  KeyValues kv;
  for (const auto& row : parsed->rows) kv.emplace_back(row[key], row[value]);
  return kv;
}

namespace {

// The process's cgroup directory for `controller` under `root`: cgroup v1 ("N:cpu,cpuacct:/p"
// under sys/fs/cgroup/<the first controller's hierarchy>) or v2 ("0::/p" under sys/fs/cgroup).
std::optional<fs::path> cgroup_dir(const fs::path& root, const std::string& controller) {
  auto text = read_text_file(root / "proc/self/cgroup");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::optional<fs::path> v2;
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string list = line.substr(a + 1, b - a - 1);
    const fs::path path = fs::path(line.substr(b + 1)).relative_path();
    if (list.empty()) v2 = root / "sys/fs/cgroup" / path;
    std::istringstream names(list);
    for (std::string name; std::getline(names, name, ',');) {
      if (name == controller) return root / "sys/fs/cgroup" / list / path;
    }
  }
  return v2;
}

// The CPU quota as CPUs (v2 cpu.max "QUOTA PERIOD" or "max PERIOD"; v1 cpu.cfs_quota_us and
// cpu.cfs_period_us, -1 for none), "none", or "unknown" when neither is readable.
std::string cpu_quota(const fs::path& root) {
  const auto dir = cgroup_dir(root, "cpu");
  if (!dir) return "unknown";
  std::string q;
  double period = 0;
  if (auto max = read_text_file(*dir / "cpu.max")) {
    std::istringstream(*max) >> q >> period;
  } else if (auto quota = read_text_file(*dir / "cpu.cfs_quota_us")) {
    std::istringstream(*quota) >> q;
    auto p = read_text_file(*dir / "cpu.cfs_period_us");
    if (p) std::istringstream(*p) >> period;
  }
  if (q == "max" || q == "-1") return "none";
  const auto quota = parse_number(q);
  if (!quota || period <= 0) return "unknown";
  return fmt::format("{:.2f} CPUs ({} us per {:.0f} us)", *quota / period, q, period);
}

// The CPU quota and the cpuset of the process's cgroup.
void container_limits(const fs::path& root, KeyValues* kv) {
  kv->emplace_back("cpu_quota", cpu_quota(root));
  std::string cpuset = "unknown";
  if (const auto dir = cgroup_dir(root, "cpuset")) {
    for (const char* f : {"cpuset.cpus.effective", "cpuset.effective_cpus", "cpuset.cpus"}) {
      if (auto v = read_text_file(*dir / f); v && !v->empty()) {
        cpuset = first_line_or_unknown(*dir / f);
        break;
      }
    }
  }
  kv->emplace_back("cgroup_cpuset", cpuset);
}

// "same-cpu=0,0; smt=none; same-cache=0,1; ...": the CPUs each pinned placement uses on `t`.
std::string placement_cpus(const ipc::Topology& t) {
  std::string cpus;
  for (ipc::Level level : ipc::all_levels()) {
    const ipc::Placement p = ipc::placement_of(level);
    const auto r = ipc::cpus_for(p, t);
    if (!cpus.empty()) cpus += "; ";
    cpus += std::string(ipc::to_string(p)) + "=" +
            (r.error.empty() ? fmt::format("{},{}", r.cpus.first, r.cpus.second) : "none");
  }
  return cpus;
}

// "same-cache=chain 0,1 star 0,1; ...": the CPUs a group of up to kGroupShown tasks takes at each
// level the host offers (pick_group: the patterns' pipelines are chains, their fans stars); a
// smaller group takes the first of them.
constexpr std::size_t kGroupShown = 8;
std::string placement_groups(const ipc::Topology& t) {
  std::string out;
  for (ipc::Level level : ipc::all_levels()) {
    const auto chain = ipc::pick_group(t, level, kGroupShown, ipc::GroupShape::kChain);
    if (!chain.error.empty()) continue;
    const auto star = ipc::pick_group(t, level, kGroupShown, ipc::GroupShape::kStar);
    if (!out.empty()) out += "; ";
    out += fmt::format("{}=chain {} star {}", ipc::to_string(level), fmt::join(chain.cpus, ","),
                       fmt::join(star.cpus, ","));
  }
  return out.empty() ? "none" : out;
}

// "smt: no SMT siblings here: ...; cross-package: one package here": the levels a grid leaves out
// on `t`, each with the reason; "none" when every level is there.
std::string placements_skipped(const ipc::Topology& t) {
  std::string out;
  for (ipc::Level level : ipc::all_levels()) {
    const ipc::LevelPair pair = ipc::pick_pair(t, level);
    if (pair.error.empty()) continue;
    if (!out.empty()) out += "; ";
    out += fmt::format("{}: {}", ipc::to_string(level), pair.error);
  }
  return out.empty() ? "none" : out;
}

// The topology of the CPUs this process may use (hwloc); the level the first and the last of them
// share (what rows named "cross-cpu" measured before placements were named by level, and the
// level a harness picks when it needs one row across CPUs); the CPUs each placement uses.
void topology(KeyValues* kv) {
  std::string why;
  const ipc::Topology& t = ipc::host_topology(&why);
  if (!why.empty()) {
    kv->emplace_back("topology", "unknown: " + why);
    return;
  }
  kv->emplace_back("topology", t.summary());
  kv->emplace_back("topology_synthetic", t.synthetic.empty() ? "unknown" : t.synthetic);
  const auto ref = ipc::reference_placement(t);
  kv->emplace_back(std::string(ipc::kReferenceLevelKey), t.cpus.size() < 2 ? "none (one CPU)"
                                                         : ref ? std::string(ipc::to_string(*ref))
                                                               : "unknown");
  kv->emplace_back("placement_cpus", placement_cpus(t));
  kv->emplace_back("placement_groups", placement_groups(t));
  kv->emplace_back("placements_skipped", placements_skipped(t));
}
}  // namespace

std::string run_reference_level(const KeyValues& host) {
  for (const auto& [k, v] : host) {
    if (k == ipc::kReferenceLevelKey) return reference_level(v);
  }
  return reference_level("");
}

std::string host_reference_level() {
  const auto p = ipc::reference_placement(ipc::host_topology());
  return p ? std::string(ipc::to_string(*p)) : std::string(ipc::kLegacyCrossCpu);
}

std::vector<std::string> at_host_level(std::vector<std::string> names) {
  const std::string level = host_reference_level();
  for (auto& n : names) n = at_level(n, level);
  return names;
}

std::string run_reference_level(const fs::path& dir) {
  const auto text = read_text_file(dir / "host.csv");
  if (!text) return reference_level("");
  const auto host = parse_host_csv(*text);
  return host ? run_reference_level(*host) : reference_level("");
}

Result<std::string> topology_xml() {
  std::string why;
  const ipc::Topology& t = ipc::host_topology(&why);
  if (!why.empty()) return fail(why);
  return t.xml;
}

KeyValues collect_host(const fs::path& root) {
  KeyValues kv;
  const auto cpuinfo = read_text_file(root / "proc/cpuinfo");
  std::error_code ec;
  const bool real_root = fs::equivalent(root, "/", ec);

  kv.emplace_back("hostname", first_line_or_unknown(root / "proc/sys/kernel/hostname"));
  kv.emplace_back("kernel", first_line_or_unknown(root / "proc/sys/kernel/osrelease"));
  utsname u{};
  kv.emplace_back("arch", real_root && uname(&u) == 0 ? std::string(u.machine) : "unknown");
  auto model = cpuinfo ? cpuinfo_field(*cpuinfo, "model name") : std::nullopt;
  kv.emplace_back("cpu_model", model ? *model : "unknown");
  kv.emplace_back("cpus_online", first_line_or_unknown(root / "sys/devices/system/cpu/online"));
  kv.emplace_back("cpus_allowed",
                  real_root ? ipc::format_cpu_list(ipc::allowed_cpus()) : std::string("unknown"));
  if (real_root) topology(&kv);
  kv.emplace_back("virtualization", virtualization(root, cpuinfo));
  kv.emplace_back("mitigations", mitigations(root));
  kv.emplace_back("cpu_pcid", cpu_flag(cpuinfo, "pcid"));
  kv.emplace_back("pti", pti(root));
  base_slice(root, &kv);
  container_limits(root, &kv);
  config_hz(root, first_line_or_unknown(root / "proc/sys/kernel/osrelease"), &kv);
  auto thp = read_text_file(root / "sys/kernel/mm/transparent_hugepage/enabled");
  kv.emplace_back("thp", thp ? bracketed_choice(*thp) : "unknown");
  kv.emplace_back("governor", first_line_or_unknown(
                                  root / "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
  auto meminfo = read_text_file(root / "proc/meminfo");
  auto memtotal = meminfo ? cpuinfo_field(*meminfo, "MemTotal") : std::nullopt;
  kv.emplace_back("mem_total", memtotal ? *memtotal : "unknown");
  kv.emplace_back("compiler", fmt::format("{} {}",
#if defined(__clang__)
                                          "clang",
#else
                                          "gcc",
#endif
                                          __VERSION__));
  kv.emplace_back("build_type", PTBENCH_BUILD_TYPE);
  kv.emplace_back("google_benchmark_version", PTBENCH_BENCHMARK_VERSION);
  kv.emplace_back("boost_version", BOOST_LIB_VERSION);
  kv.emplace_back("fmt_version", fmt::format("{}.{}.{}", FMT_VERSION / 10000,
                                             FMT_VERSION / 100 % 100, FMT_VERSION % 100));
  kv.emplace_back("nlohmann_json_version",
                  fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                              NLOHMANN_JSON_VERSION_PATCH));
  kv.emplace_back("cli11_version", CLI11_VERSION);
  kv.emplace_back("git_sha", source_git_sha());
  kv.emplace_back("git_ordinal", source_git_ordinal());
  return kv;
}

}  // namespace ptbench::harness
