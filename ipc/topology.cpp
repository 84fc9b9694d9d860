#include "ipc/topology.hpp"

#include <fmt/format.h>
#include <hwloc.h>

#include <algorithm>
#include <map>
#include <set>

namespace ptbench::ipc {

namespace {

// An hwloc topology that is destroyed with its scope.
class Hwloc {
 public:
  Hwloc() { ok_ = hwloc_topology_init(&t_) == 0; }
  ~Hwloc() {
    if (ok_) hwloc_topology_destroy(t_);
  }
  Hwloc(const Hwloc&) = delete;
  Hwloc& operator=(const Hwloc&) = delete;
  bool ok() const { return ok_; }
  hwloc_topology_t get() const { return t_; }

 private:
  hwloc_topology_t t_{};
  bool ok_ = false;
};

// A stable id of an object: its global persistent index (unique in the topology), or -1.
int id_of(hwloc_obj_t obj) {
  return obj == nullptr ? -1 : static_cast<int>(obj->gp_index);
}

// The deepest data (or unified) cache above a PU: its last-level cache.
hwloc_obj_t last_level_cache(hwloc_obj_t pu) {
  hwloc_obj_t best = nullptr;
  for (hwloc_obj_t o = pu->parent; o != nullptr; o = o->parent) {
    if (hwloc_obj_type_is_dcache(o->type) &&
        (best == nullptr || o->attr->cache.depth > best->attr->cache.depth)) {
      best = o;
    }
  }
  return best;
}

std::string export_synthetic(hwloc_topology_t t) {
  char buf[1024];
  for (unsigned long flags :
       {0UL, static_cast<unsigned long>(HWLOC_TOPOLOGY_EXPORT_SYNTHETIC_FLAG_IGNORE_MEMORY)}) {
    if (hwloc_topology_export_synthetic(t, buf, sizeof buf, flags) >= 0) return buf;
  }
  return "";  // an asymmetric machine has no synthetic description
}

std::string export_xml(hwloc_topology_t t) {
  char* buf = nullptr;
  int len = 0;
  if (hwloc_topology_export_xmlbuffer(t, &buf, &len, 0) != 0 || buf == nullptr) return "";
  std::string xml(buf, static_cast<std::size_t>(std::max(len - 1, 0)));  // len counts the NUL
  hwloc_free_xmlbuffer(t, buf);
  return xml;
}

// Reads the loaded topology's PUs into `out`.
void read_cpus(hwloc_topology_t t, Topology* out) {
  const int n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
  for (int i = 0; i < n; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, static_cast<unsigned>(i));
    TopoCpu c;
    c.os = static_cast<int>(pu->os_index);
    c.core = id_of(hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_CORE, pu));
    c.llc = id_of(last_level_cache(pu));
    c.numa = pu->nodeset != nullptr ? hwloc_bitmap_first(pu->nodeset) : -1;
    c.package = id_of(hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, pu));
    out->cpus.push_back(c);
  }
  std::sort(out->cpus.begin(), out->cpus.end(),
            [](const TopoCpu& a, const TopoCpu& b) { return a.os < b.os; });
  out->synthetic = export_synthetic(t);
  out->xml = export_xml(t);
}

// Loads a topology that `prepare` has set up (a synthetic description, an XML file, or nothing:
// this machine).
template <typename Prepare>
Status load(std::string source, Prepare&& prepare, Topology* out) {
  Hwloc h;
  if (!h.ok()) return {Errc::kSystem, "hwloc_topology_init failed"};
  if (auto s = prepare(h.get()); !s) return s;
  if (hwloc_topology_load(h.get()) != 0) {
    return Status::from_errno(fmt::format("hwloc_topology_load ({})", source), errno);
  }
  *out = Topology{};
  out->source = std::move(source);
  read_cpus(h.get(), out);
  if (out->cpus.empty()) return {Errc::kSystem, out->source + ": hwloc reports no CPU"};
  return {};
}

std::size_t distinct(const Topology& t, int TopoCpu::*field) {
  std::set<int> ids;
  for (const auto& c : t.cpus) ids.insert(c.*field);
  return ids.size();
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

const TopoCpu* Topology::find(int os) const {
  for (const auto& c : cpus) {
    if (c.os == os) return &c;
  }
  return nullptr;
}

std::string Topology::summary() const {
  const std::size_t cores = distinct(*this, &TopoCpu::core);
  return fmt::format("{}, {}, {}, {}, {}{}",
                     plural(distinct(*this, &TopoCpu::package), "package", "packages"),
                     plural(distinct(*this, &TopoCpu::numa), "NUMA node", "NUMA nodes"),
                     plural(distinct(*this, &TopoCpu::llc), "LLC domain", "LLC domains"),
                     plural(cores, "core", "cores"), plural(cpus.size(), "CPU", "CPUs"),
                     cores == cpus.size() ? " (no SMT)" : "");
}

Status load_topology(const std::vector<int>& allowed, Topology* out) {
  auto nothing = [](hwloc_topology_t) { return Status{}; };
  if (auto s = load("this machine", nothing, out); !s) return s;
  *out = restrict_topology(*out, allowed);
  if (out->cpus.empty()) return {Errc::kSystem, "none of the allowed CPUs is in hwloc's topology"};
  return {};
}

Status load_synthetic_topology(const std::string& description, Topology* out) {
  return load(
      "synthetic: " + description,
      [&](hwloc_topology_t t) {
        return hwloc_topology_set_synthetic(t, description.c_str()) == 0
                   ? Status{}
                   : Status{Errc::kRefused,
                            fmt::format("'{}' is not an hwloc synthetic description", description)};
      },
      out);
}

Status load_xml_topology(const std::string& path, Topology* out) {
  return load(
      "xml: " + path,
      [&](hwloc_topology_t t) {
        return hwloc_topology_set_xml(t, path.c_str()) == 0
                   ? Status{}
                   : Status{Errc::kRefused,
                            fmt::format("{} is not a readable hwloc XML file", path)};
      },
      out);
}

Topology restrict_topology(const Topology& t, const std::vector<int>& allowed) {
  Topology r = t;
  std::erase_if(r.cpus, [&](const TopoCpu& c) {
    return std::find(allowed.begin(), allowed.end(), c.os) == allowed.end();
  });
  return r;
}

std::string_view to_string(Level l) {
  static constexpr std::string_view kNames[] = {"same-cpu",    "smt",        "same-cache",
                                                "cross-cache", "cross-numa", "cross-package"};
  return kNames[static_cast<int>(l)];
}

const std::vector<Level>& all_levels() {
  static const std::vector<Level> all = {Level::kSameCpu,   Level::kSmt,
                                         Level::kSameCache, Level::kCrossCache,
                                         Level::kCrossNuma, Level::kCrossPackage};
  return all;
}

std::optional<Level> parse_level(std::string_view s) {
  for (Level l : all_levels()) {
    if (to_string(l) == s) return l;
  }
  return std::nullopt;
}

namespace {

// Whether `b` shares with `a` exactly what level `l` says (and nothing closer).
bool is_level(const TopoCpu& a, const TopoCpu& b, Level l) {
  switch (l) {
    case Level::kSameCpu:
      return a.os == b.os;
    case Level::kSmt:
      return a.os != b.os && a.core == b.core;
    case Level::kSameCache:
      return a.core != b.core && a.llc == b.llc && a.llc != -1;
    case Level::kCrossCache:
      return a.package == b.package && a.llc != b.llc && a.numa == b.numa;
    case Level::kCrossNuma:
      return a.package == b.package && a.numa != b.numa;
    case Level::kCrossPackage:
      return a.package != b.package;
  }
  return false;
}

std::string missing(const Topology& t, Level l) {
  switch (l) {
    case Level::kSameCpu:
      return "no CPU is allowed";
    case Level::kSmt:
      return "no SMT siblings here: each core has one CPU";
    case Level::kSameCache:
      return t.cpus.size() < 2 ? "one CPU only"
                               : "no two cores share the first CPU's last-level cache here";
    case Level::kCrossCache:
      return "one last-level cache domain per package here";
    case Level::kCrossNuma:
      return "one NUMA node per package here";
    case Level::kCrossPackage:
      return "one package here";
  }
  return "unknown level";
}

}  // namespace

LevelPair pick_pair(const Topology& t, Level l) {
  LevelPair p;
  if (t.cpus.empty()) {
    p.error = missing(t, Level::kSameCpu);
    return p;
  }
  const TopoCpu& a = t.cpus.front();
  for (const auto& b : t.cpus) {
    if (is_level(a, b, l)) {
      p.first = a.os;
      p.second = b.os;
      return p;
    }
  }
  p.error = missing(t, l);
  return p;
}

namespace {

// The lowest CPU of `t` not in `taken` that shares exactly `l` with `link`, preferring one on a
// core no taken CPU is on (two tasks on SMT siblings would share a core they do not link
// through), or nullptr.
const TopoCpu* next_in_group(const Topology& t, const TopoCpu& link, Level l,
                             const std::vector<int>& taken) {
  auto is_taken = [&](const TopoCpu& c, bool by_core) {
    return std::any_of(taken.begin(), taken.end(),
                       [&](int os) { return by_core ? t.find(os)->core == c.core : os == c.os; });
  };
  for (const bool fresh_core : {l != Level::kSmt, false}) {
    for (const auto& c : t.cpus) {
      if (is_taken(c, false) || (fresh_core && is_taken(c, true)) || !is_level(link, c, l))
        continue;
      return &c;
    }
  }
  return nullptr;
}

}  // namespace

LevelGroup pick_group(const Topology& t, Level l, std::size_t n, GroupShape shape) {
  LevelGroup g;
  const LevelPair pair = pick_pair(t, l);
  if (!pair.error.empty()) {
    g.error = pair.error;
    return g;
  }
  g.cpus = {pair.first};
  if (l == Level::kSameCpu) return g;
  g.cpus.push_back(pair.second);
  while (g.cpus.size() < n) {
    const TopoCpu& link = *t.find(shape == GroupShape::kChain ? g.cpus.back() : g.cpus.front());
    const TopoCpu* next = next_in_group(t, link, l, g.cpus);
    if (next == nullptr) break;
    g.cpus.push_back(next->os);
  }
  if (shape == GroupShape::kChain && g.cpus.size() < n) {
    while (g.cpus.size() > 2 && !is_level(*t.find(g.cpus.back()), *t.find(g.cpus.front()), l)) {
      g.cpus.pop_back();
    }
  }
  return g;
}

int group_cpu(const std::vector<int>& cpus, std::size_t task, GroupShape shape) {
  if (cpus.empty()) return -1;
  if (shape == GroupShape::kStar && task >= cpus.size() && cpus.size() > 1)
    return cpus[1 + (task - 1) % (cpus.size() - 1)];  // spokes only, never the hub's CPU
  return cpus[task % cpus.size()];
}

std::optional<Level> level_between(const Topology& t, int a, int b) {
  const TopoCpu *x = t.find(a), *y = t.find(b);
  if (x == nullptr || y == nullptr) return std::nullopt;
  for (Level l : all_levels()) {
    if (is_level(*x, *y, l)) return l;
  }
  return std::nullopt;
}

std::vector<LevelledPair> matrix_pairs(const Topology& t, std::size_t per_level) {
  std::map<Level, std::vector<LevelledPair>> by_level;
  for (std::size_t i = 0; i < t.cpus.size(); ++i) {
    for (std::size_t j = i + 1; j < t.cpus.size(); ++j) {
      const int a = t.cpus[i].os, b = t.cpus[j].os;
      if (auto l = level_between(t, a, b)) by_level[*l].push_back({a, b, *l});
    }
  }
  std::vector<LevelledPair> out;
  for (const auto& [level, pairs] : by_level) {
    const std::size_t n = pairs.size(), keep = std::min(n, per_level);
    for (std::size_t k = 0; k < keep; ++k) out.push_back(pairs[k * n / keep]);
  }
  std::sort(out.begin(), out.end(), [](const LevelledPair& x, const LevelledPair& y) {
    return std::pair(x.first, x.second) < std::pair(y.first, y.second);
  });
  return out;
}

}  // namespace ptbench::ipc
