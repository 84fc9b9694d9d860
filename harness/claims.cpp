#include "harness/claims.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "bench/support/grid.hpp"
#include "harness/csv.hpp"
#include "harness/stats.hpp"
#include "ipc/placement.hpp"

namespace ptbench::harness::claims {

namespace {

using grid::format;

// The benchmarks the claims read, named through the grid contract the programs use.
const std::string kThreadCreate =
    format("Create", "pthread", "thread", "same-cpu", 0, {{"rss_mib", "0"}});
const std::string kForkCreate =
    format("Create", "fork", "process", "same-cpu", 0, {{"rss_mib", "0"}});
const std::string kThreadCreate256 =
    format("Create", "pthread", "thread", "same-cpu", 0, {{"rss_mib", "256"}});
const std::string kFork256 =
    format("Create", "fork", "process", "same-cpu", 0, {{"rss_mib", "256"}});

std::string switch_name(const char* endpoint, std::string_view placement, const char* tasks) {
  return format("Switch", "pipe", endpoint, placement, 0, {{"tasks", tasks}, {"ws_kib", "0"}});
}
const std::string kThreadSwitch = switch_name("thread", "same-cpu", "2");
const std::string kProcessSwitch = switch_name("process", "same-cpu", "2");
const std::string kThreadSwitchX = switch_name("thread", kCrossRef, "2");
const std::string kProcessSwitchX = switch_name("process", kCrossRef, "2");

const std::string kHeapHandoff = format("Floor", "heap_handoff", "thread", kCrossRef, 64);
const std::string kPipeProcess = format("IpcLatency", "pipe", "process", kCrossRef, 64);
const std::string kPipeThread = format("IpcLatency", "pipe", "thread", kCrossRef, 64);
const std::string kRingProcess =
    format("IpcLatency", "shm_ring", "process", kCrossRef, 64, {{"policy", "spin"}});
const std::string kRingThread =
    format("IpcLatency", "shm_ring", "thread", kCrossRef, 64, {{"policy", "spin"}});

const std::vector<std::size_t> kStreamSizes = {64, 4096, 65536, 1 << 20};
std::string stream_name(const char* mechanism, std::size_t bytes) {
  return std::string(mechanism) == "pipe"
             ? format("IpcThroughput", "pipe", "process", kCrossRef, bytes)
             : format("IpcThroughput", "shm_ring", "process", kCrossRef, bytes,
                      {{"policy", "spin_futex"}});
}

std::string shared_data(const char* endpoint, const char* data) {
  return format("SharedData", "pipe", endpoint, "same-cpu", 0,
                {{"data", data}, {"ws_kib", "1024"}});
}
const std::string kCowFork =
    format("CowWrite", "fork", "process", "unpinned", 4096, {{"pages", "1024"}});
const std::string kCowThread =
    format("CowWrite", "thread", "thread", "unpinned", 4096, {{"pages", "1024"}});
const std::vector<int> kThreadCounts = {1, 2, 4, 8, 16, 64};
std::string speedup(int n) {
  return format("Speedup", "xorshift", "thread", "unpinned", 0, {{"threads", std::to_string(n)}});
}
std::string zombie(const char* how) {
  return format("Zombie", how, "process", "unpinned", 0);
}
const std::vector<int> kWorkerCounts = {1, 8, 64};
std::string footprint(bool processes, int n) {
  return format("Footprint", processes ? "fork" : "pthread", processes ? "process" : "thread",
                "unpinned", 0, {{"workers", std::to_string(n)}});
}
std::string time_slice(const char* endpoint) {
  return format("TimeSlice", "cpu_bound", endpoint, "same-cpu", 0, {{"tasks", "2"}});
}
const std::string kFiberCreate = format("Fiber", "create", "fiber", "same-cpu", 0);
const std::string kFiberSwitch = format("Fiber", "switch", "fiber", "same-cpu", 0);

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20)) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= 1024) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

// The same numbers in an English and a Korean sentence.
template <typename... T>
Text both(fmt::format_string<T...> en, fmt::format_string<T...> ko, T&&... args) {
  return {fmt::vformat(en, fmt::make_format_args(args...)),
          fmt::vformat(ko, fmt::make_format_args(args...))};
}

// Each claim as the notes make it, where it is measured, and what is compared (claims whose
// condition depends on the run build theirs in place).
struct ClaimText {
  int number;
  Text statement, condition;
  const char* evidence;
};
const ClaimText kTexts[] = {
    {1,
     {"Creating a thread is cheaper than creating a process",
      "스레드를 생성하는 것은 프로세스를 생성하는 것보다 비용이 적다"},
     {"parent and child on one CPU; timed from a minimal parent (one thread, ~1.5 MiB)",
      "부모와 자식이 한 CPU 에서; 최소한의 부모(스레드 하나, 약 1.5 MiB)에서 측정"},
     "fork+exit+wait against pthread_create+join"},
    {2,
     {"A thread context switch is cheaper than a process context switch",
      "스레드 문맥 교환은 프로세스 문맥 교환보다 비용이 적다"},
     {"one CPU (same-cpu: each hand-off is a context switch), pipe hand-off, net of the "
      "pipe's own calls (the same calls in one task taken off)",
      "한 CPU (same-cpu: 매 전달이 문맥 교환), 파이프 전달, 파이프 호출 자체의 비용(한 태스크 "
      "안의 같은 호출)을 뺀 값"},
     "per switch (net_switch_ns: the round trip less the same calls made inside one task, over "
     "the switches counted), processes against threads, paired by round"},
    {3,
     {"Threads share memory for free; processes must communicate through IPC, which "
      "costs more",
      "스레드는 메모리를 그냥 공유하고, 프로세스는 더 비싼 IPC 로 통신해야 한다"},
     {"64 B round trips, two CPUs; the 2x2 of endpoint (process, thread) and mechanism "
      "(pipe through the kernel, shared-memory ring)",
      "64 B 왕복, 두 CPU; 주체(프로세스, 스레드)와 방식(커널을 거치는 파이프, 공유 메모리 링)의 "
      "2x2"},
     "pipe between processes against a heap hand-off between threads; the 2x2 beside it"},
    {4,
     {"Shared memory beats message passing for bulk data between processes",
      "프로세스 사이의 대량 데이터 전송에서 공유 메모리가 메시지 전달보다 빠르다"},
     {},
     "streaming between processes on two CPUs: pipe against the shared-memory ring "
     "(time per byte), at every size the run has"},
    {5,
     {"Process creation grows with the parent's memory far faster than thread creation",
      "프로세스 생성 비용은 부모의 메모리에 따라 스레드 생성보다 훨씬 빠르게 커진다"},
     {"parent with ~0 against 256 MiB resident, one CPU",
      "상주 메모리 약 0 대 256 MiB 인 부모, 한 CPU"},
     "growth per repetition (cost at 256 MiB / cost at ~0 MiB): fork against pthread"},
    {6,
     {"A process context switch loses the cache contents (a thread switch keeps them)",
      "프로세스 문맥 교환은 캐시 내용을 잃는다 (스레드 교환은 유지한다)"},
     {"one CPU, pipe hand-off, each task touching 1 MiB per hand-off; the same data "
      "(one shared mapping) for processes and threads",
      "한 CPU, 파이프 전달, 전달마다 각 태스크가 1 MiB 를 건드림; 프로세스와 스레드 모두 같은 "
      "데이터(공유 매핑 하나)"},
     "round trip with the same data: processes against threads, paired by repetition; "
     "beside it: processes with private copies against threads with shared data"},
    {7,
     {"Threads share code, data and heap; a process cannot touch another's memory",
      "스레드는 코드, 데이터, 힙을 공유하고, 프로세스는 다른 프로세스의 메모리에 접근할 수 없다"},
     {"1024 pages of the parent written after fork, against a thread writing the same "
      "pages; visibility checked every time",
      "fork 후 부모의 1024 페이지에 쓰기, 같은 페이지에 쓰는 스레드와 비교; 매번 보이는지 확인"},
     "time per page written: forked child against thread"},
    {9,
     {"A child that has ended stays in the process table (a zombie) until its parent "
      "waits for it; the notes say after an abnormal end",
      "종료된 자식은 부모가 회수할 때까지 프로세스 테이블에 남는다 (좀비); 노트는 비정상 종료 "
      "후라고 한다"},
     {"a child that exits normally and one killed by SIGKILL; /proc/<pid>/stat read "
      "before and 10 ms after, and after waitpid",
      "정상 종료한 자식과 SIGKILL 로 죽은 자식; 종료 직후와 10 ms 후, waitpid 후에 "
      "/proc/<pid>/stat 확인"},
     "state Z seen for both, until waitpid"},
    {10,
     {"Threads use memory more efficiently than processes",
      "스레드가 프로세스보다 메모리를 효율적으로 쓴다"},
     {"each worker touches a 256 KiB heap and waits; PSS per worker from smaps_rollup, "
      "64 workers",
      "각 작업자가 256 KiB 힙을 건드리고 대기; smaps_rollup 의 작업자당 PSS, 작업자 64 개"},
     "PSS added per worker: processes against threads, 64 workers"},
    {11,
     {"Processes take turns on the CPU, each for a time limited by the timer interrupt",
      "프로세스는 CPU 를 번갈아 할당받으며, 그 시간은 타이머 인터럽트로 제한된다"},
     {"two CPU-bound processes pinned to one CPU for 600 ms; a pause of over 20 us ends "
      "a slice",
      "CPU 를 쓰는 프로세스 둘을 한 CPU 에 600 ms 고정; 20 us 넘게 멈추면 한 조각의 끝"},
     "the slices each task ran before it was switched out"},
    {12,
     {"Below threads, user-level threads (fibers) are cheaper still to create and switch",
      "스레드 아래의 사용자 수준 스레드(파이버)는 생성과 교환이 더 싸다"},
     {"Boost.Context fibers on one thread; thread and process from the same run",
      "한 스레드 위의 Boost.Context 파이버; 같은 실행의 스레드, 프로세스와 비교"},
     "creation: pthread create+join against a fiber created, run and ended"},
};

ClaimResult start(int number, Text statement, Text condition, std::string evidence) {
  ClaimResult c;
  c.number = number;
  c.statement = std::move(statement);
  c.condition = std::move(condition);
  c.evidence = std::move(evidence);
  return c;
}

ClaimResult start(int number) {
  for (const auto& t : kTexts) {
    if (t.number == number) return start(number, t.statement, t.condition, t.evidence);
  }
  return start(number, {}, {}, "");
}

bool has(const std::vector<double>& v) {
  return v.size() >= 3;
}

Text missing_note() {
  return {"fewer than 3 repetitions of a benchmark it needs (did it run, or fail?)",
          "필요한 벤치마크의 반복이 3회 미만입니다 (실행되지 않았거나 실패했습니다)"};
}

}  // namespace

const std::vector<std::string>& benchmarks() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v = {kThreadCreate, kForkCreate,    kThreadCreate256, kFork256,
                                  kThreadSwitch, kProcessSwitch, kThreadSwitchX,   kProcessSwitchX,
                                  kHeapHandoff,  kPipeProcess,   kPipeThread,      kRingProcess,
                                  kRingThread,   kCowFork,       kCowThread,       kFiberCreate,
                                  kFiberSwitch};
    for (auto b : kStreamSizes) {
      v.push_back(stream_name("pipe", b));
      v.push_back(stream_name("shm_ring", b));
    }
    for (const char* e : {"process", "thread"}) {
      for (const char* d : {"shared", "private"}) v.push_back(shared_data(e, d));
      v.push_back(time_slice(e));
    }
    for (int n : kThreadCounts) v.push_back(speedup(n));
    for (const char* how : {"exit", "killed"}) v.push_back(zombie(how));
    for (int n : kWorkerCounts) {
      v.push_back(footprint(true, n));
      v.push_back(footprint(false, n));
    }
    return v;
  }();
  return all;
}

Index::Index(const std::vector<Sample>& samples, const KeyValues& host)
    : host_(host.begin(), host.end()), level_(run_reference_level(host)) {
  for (const auto& s : samples) {
    if (s.error.empty() && !std::isnan(s.value))
      series_[{s.benchmark, s.metric}][s.repetition] = s.value;
  }
}

std::string Index::host(const std::string& key) const {
  auto it = host_.find(key);
  return it == host_.end() || it->second.empty() ? "unknown" : it->second;
}

const Series* Index::find(const std::string& benchmark, const std::string& metric) const {
  auto it = series_.find({at_level(benchmark, level_), metric});
  return it == series_.end() ? nullptr : &it->second;
}

std::vector<double> Index::values(const std::string& benchmark, const std::string& metric) const {
  std::vector<double> v;
  if (const Series* s = find(benchmark, metric)) {
    for (const auto& [rep, x] : *s) v.push_back(x);
  }
  return v;
}

double Index::median(const std::string& benchmark, const std::string& metric) const {
  const auto v = values(benchmark, metric);
  return v.empty() ? NAN : summarize(v).median;
}

std::string time_text(double ns) {
  return std::isnan(ns) ? "?" : human_value(ns, "ns");
}

namespace {

// The smallest p the test can give says why five verdicts show the same p.
Text smallest_p_note(double p, double min_p, std::size_t n1, std::size_t n2) {
  if (!(p <= min_p * 1.0001)) return {};
  return both(
      "p = {:.2g} is the smallest the test can give for {} against {} "
      "repetitions: every repetition of one side beat every one of the other",
      "p = {:.2g} 는 반복 {} 대 {} 에서 검정이 낼 수 있는 가장 작은 값입니다: 한쪽의 "
      "모든 반복이 다른 쪽의 모든 반복보다 빨랐습니다",
      p, n1, n2);
}

Text few_repetitions_note(std::size_t n1, std::size_t n2, double alpha) {
  return both("{} and {} repetitions cannot reach p < {}: run with more repetitions",
              "반복 {} 회와 {} 회로는 p < {} 에 도달할 수 없습니다: 반복을 늘리세요", n1, n2,
              alpha);
}

}  // namespace

namespace {

constexpr double kMinEffect = 1.10;  // a difference under 10% counts neither way

// The verdict of a test whose ratio, interval and p are set. Significant and at least 10%: it
// holds (or, reversed, does not); significant in the claimed direction but by less: it holds by
// less than 10%; significant the other way, or an interval inside +-10%: it does not hold (no
// difference that counts); anything else is inconclusive, with the reason.
void judge(Test& t, double alpha, const Text& smallest_p) {
  const bool significant = t.p_value < alpha;
  const bool within =
      !std::isnan(t.ci_low) && t.ci_low >= 1 / kMinEffect && t.ci_high <= kMinEffect;
  if (significant && (t.ratio >= kMinEffect || t.ratio <= 1 / kMinEffect)) {
    t.verdict = t.ratio > 1 ? ClaimVerdict::kHolds : ClaimVerdict::kDoesNotHold;
    t.note = smallest_p;
  } else if (significant && t.ratio > 1) {
    t.verdict = ClaimVerdict::kHoldsByLess;
    t.note =
        both("significant in the claimed direction, by less than the 10% that counts ({:.2f}x)",
             "주장한 방향으로 유의하지만 의미 있는 기준(10%)보다 작습니다 ({:.2f}배)", t.ratio);
  } else if (significant || within) {
    t.verdict = ClaimVerdict::kDoesNotHold;
    t.note = significant
                 ? both("significantly the other way, by less than 10% ({:.2f}x)",
                        "10% 미만이지만 유의하게 반대 방향입니다 ({:.2f}배)", t.ratio)
                 : both(
                       "the two sides are within 10% of each other (interval {:.2f}-{:.2f}): no "
                       "difference that counts",
                       "두 쪽의 차이가 10% 이내입니다 (구간 {:.2f}-{:.2f}): 의미 있는 차이가 "
                       "아닙니다",
                       t.ci_low, t.ci_high);
  } else {
    t.note = {"no significant difference", "유의한 차이가 없습니다"};
  }
}

}  // namespace

Test costlier(const std::vector<double>& expensive, const std::vector<double>& cheap,
              double alpha) {
  Test t;
  if (!has(expensive) || !has(cheap)) {
    t.note = missing_note();
    return t;
  }
  const Summary e = summarize(expensive), k = summarize(cheap);
  t.ratio = e.median / k.median;
  t.ci_low = e.ci_low / k.ci_high;
  t.ci_high = e.ci_high / k.ci_low;
  t.ci_coverage = e.ci_coverage * k.ci_coverage;
  t.p_value = mann_whitney(expensive, cheap).p;
  const double min_p = mann_whitney_min_p(expensive.size(), cheap.size());
  if (min_p > alpha) {
    t.note = few_repetitions_note(expensive.size(), cheap.size(), alpha);
  } else {
    judge(t, alpha, smallest_p_note(t.p_value, min_p, expensive.size(), cheap.size()));
  }
  return t;
}

Test paired_ratios(const std::vector<double>& ratios, double alpha) {
  Test t;
  std::vector<double> logs;
  for (double r : ratios) {
    if (r > 0 && std::isfinite(r)) logs.push_back(std::log(r));
  }
  if (!has(logs)) {
    t.note = missing_note();
    return t;
  }
  t.ratio = std::exp(summarize(logs).median);
  if (auto i = median_interval(logs, 0.95)) {
    t.ci_low = std::exp(i->low);
    t.ci_high = std::exp(i->high);
    t.ci_coverage = i->coverage;
  }
  t.p_value = wilcoxon_signed_rank(logs).p;
  const double min_p = wilcoxon_min_p(logs.size());
  if (min_p > alpha) {
    t.note = both(
        "{} paired rounds cannot reach p < {} with the signed-rank test: run "
        "with more repetitions",
        "짝지은 라운드 {} 개로는 부호 순위 검정으로 p < {} 에 도달할 수 없습니다: 반복을 "
        "늘리세요",
        logs.size(), alpha);
  } else {
    Text smallest;
    if (t.p_value <= min_p * 1.0001) {
      smallest = both(
          "p = {:.2g} is the smallest the signed-rank test gives for {} paired rounds: "
          "the same side won every round",
          "p = {:.2g} 는 짝지은 라운드 {} 개에서 부호 순위 검정이 낼 수 있는 가장 작은 "
          "값입니다: 모든 라운드에서 같은 쪽이 이겼습니다",
          t.p_value, logs.size());
    }
    judge(t, alpha, smallest);
  }
  return t;
}

Test costlier_paired(const Index& idx, const std::string& expensive, const std::string& cheap,
                     double alpha, const std::string& metric) {
  return paired_ratios(idx.paired(
                           expensive, cheap, [](double a, double b) { return a / b; }, metric),
                       alpha);
}

void take(ClaimResult& c, const Test& t) {
  static_cast<ClaimNumbers&>(c) = t;
  c.verdict = t.verdict;
  c.note = t.note;
}

namespace {

ClaimResult creation(const Index& idx, double alpha) {
  auto c = start(1);
  take(c, costlier_paired(idx, kForkCreate, kThreadCreate, alpha));
  const double f = idx.median(kForkCreate), t = idx.median(kThreadCreate);
  c.explanation = both(
      "fork copies the parent's page tables, file table and signal state into a new "
      "process, and the child must exit and be waited for: {} against {} for a thread, "
      "which shares all of that and only gets a stack",
      "fork 는 부모의 페이지 테이블, 파일 테이블, 시그널 상태를 새 프로세스로 복사하고 자식은 "
      "종료되어 회수되어야 합니다: {} 대 스레드 {}. 스레드는 이 모두를 공유하고 스택만 새로 "
      "받습니다",
      time_text(f), time_text(t));
  return c;
}

// What a change of address space does to the TLB on this host, from its recorded CPU flags and
// mitigations (host.csv: cpu_pcid, pti).
Text tlb_text(const Index& idx) {
  const std::string pcid = idx.host("cpu_pcid"), pti = idx.host("pti");
  if (pti == "yes") {
    return {
        "PTI (the Meltdown mitigation) is on here: every entry into the kernel switches page "
        "tables, threads' included, so a thread switch pays part of what a process switch "
        "pays" +
            std::string(pcid == "yes" ? " (PCID keeps the TLB entries tagged, not flushed)."
                                      : "; without PCID each of those switches flushes the "
                                        "TLB."),
        "여기서는 PTI(멜트다운 완화)가 켜져 있어 커널에 들어갈 때마다 페이지 테이블이 바뀌므로 "
        "스레드 교환도 프로세스 교환 비용의 일부를 냅니다" +
            std::string(pcid == "yes" ? " (PCID 가 TLB 항목을 비우지 않고 표시해 둡니다)."
                                      : "; PCID 가 없어 그때마다 TLB 가 비워집니다.")};
  }
  if (pcid == "yes") {
    return {
        "This CPU has PCID: TLB entries are tagged by address space and survive the change, "
        "so it costs little beyond the switch itself.",
        "이 CPU 에는 PCID 가 있어 TLB 항목이 주소 공간별로 표시되어 변경 후에도 남으므로, 교환 "
        "자체 이상의 비용은 거의 없습니다."};
  }
  if (pcid == "no") {
    return {
        "This CPU has no PCID: changing the address space flushes the TLB, and the process "
        "pays to refill it after every switch.",
        "이 CPU 에는 PCID 가 없어 주소 공간을 바꾸면 TLB 가 비워지고, 프로세스는 매 교환 후 "
        "그것을 다시 채우는 비용을 냅니다."};
  }
  return {"Whether the TLB survives the change depends on PCID, which this run did not record.",
          "TLB 가 그 변경을 견디는지는 PCID 에 달려 있는데, 이 실행은 그것을 기록하지 않았습니다."};
}

ClaimResult context_switch(const Index& idx, double alpha) {
  auto c = start(2);
  // net_switch_ns: the benchmark's own (round trip - the same calls in one task) / switches.
  auto ratio = [](double a, double b) { return a / b; };
  take(c, paired_ratios(idx.paired(kProcessSwitch, kThreadSwitch, ratio, "net_switch_ns"), alpha));
  const double pn = idx.median(kProcessSwitch, "net_switch_ns"),
               tn = idx.median(kThreadSwitch, "net_switch_ns");
  const double gross = idx.median(kProcessSwitch) / idx.median(kThreadSwitch);
  const double cross = idx.median(kProcessSwitchX) / idx.median(kThreadSwitchX);
  const Text tlb = tlb_text(idx);
  c.explanation = {
      fmt::format("on one CPU a switch to another process also changes the address space: {} per "
                  "switch against {} between threads of one process, each net of the pipe's own "
                  "calls (gross round trips {:.2f}x). {} Across two CPUs each task wakes on its "
                  "own core and no address space is switched: {:.2f}x",
                  time_text(pn), time_text(tn), gross, tlb.en, cross),
      fmt::format("한 CPU 에서 다른 프로세스로의 교환은 주소 공간도 바꿉니다: 파이프 호출 자체의 "
                  "비용을 뺀 교환당 {} 대 같은 프로세스의 스레드 사이 {} (왕복 전체로는 {:.2f}배). "
                  "{} 두 CPU 에 걸치면 각 태스크가 자기 코어에서 깨어날 뿐 주소 공간은 바뀌지 "
                  "않습니다: {:.2f}배",
                  time_text(pn), time_text(tn), gross, tlb.ko, cross)};
  return c;
}

ClaimResult communication(const Index& idx, double alpha) {
  auto c = start(3);
  take(c, costlier_paired(idx, kPipeProcess, kHeapHandoff, alpha));
  const double pp = idx.median(kPipeProcess), pt = idx.median(kPipeThread);
  const double rp = idx.median(kRingProcess), rt = idx.median(kRingThread);
  const bool endpoint_matters = !(std::fabs(pp / pt - 1) < 0.15 && std::fabs(rp / rt - 1) < 0.15);
  if (c.verdict == ClaimVerdict::kHolds && !endpoint_matters)
    c.verdict = ClaimVerdict::kHoldsPartly;
  c.explanation = both(
      "the mechanism decides, not the endpoint: a pipe costs {} between processes and "
      "{} between threads (both go through the kernel); a shared-memory ring costs {} "
      "between processes and {} between threads. Processes that map shared memory pay "
      "what threads pay",
      "차이를 만드는 것은 주체가 아니라 방식입니다: 파이프는 프로세스 사이 {}, 스레드 사이 {} "
      "(둘 다 커널을 거침); 공유 메모리 링은 프로세스 사이 {}, 스레드 사이 {}. 공유 메모리를 "
      "매핑한 프로세스는 스레드와 같은 비용을 냅니다",
      time_text(pp), time_text(pt), time_text(rp), time_text(rt));
  return c;
}

ClaimResult bulk_data(const Index& idx, double alpha) {
  auto c = start(4);
  std::vector<std::string> held, not_held;
  Test headline;
  for (auto bytes : kStreamSizes) {
    // Time per byte, pipe / ring, is the ring's rate / the pipe's, round by round.
    const std::string pipe = stream_name("pipe", bytes), ring = stream_name("shm_ring", bytes);
    if (!has(idx.values(pipe, "bytes_per_second")) || !has(idx.values(ring, "bytes_per_second")))
      continue;
    const Test t = costlier_paired(idx, ring, pipe, alpha, "bytes_per_second");
    (t.verdict == ClaimVerdict::kHolds ? held : not_held)
        .push_back(fmt::format("{} {:.2f}x", size_text(bytes), t.ratio));
    if (bytes <= 65536 || std::isnan(headline.ratio)) headline = t;
  }
  take(c, headline);
  if (!held.empty() && !not_held.empty()) c.verdict = ClaimVerdict::kHoldsPartly;
  if (held.empty() && !not_held.empty() && c.verdict == ClaimVerdict::kHolds)
    c.verdict = ClaimVerdict::kInconclusive;
  const std::string h = fmt::format("{}", fmt::join(held, ", ")),
                    n = fmt::format("{}", fmt::join(not_held, ", "));
  c.condition = both("holds at {}; not shown at {}", "성립: {}; 확인되지 않음: {}",
                     h.empty() ? "-" : h, n.empty() ? "-" : n);
  c.explanation = {
      "a pipe copies every byte twice (into the kernel and out) and wakes the reader; the ring "
      "copies once into shared memory and the reader takes it from there. The ratio grows with "
      "the size until memory bandwidth, not the system calls, bounds both",
      "파이프는 모든 바이트를 두 번 복사하고(커널로, 커널에서) 읽는 쪽을 깨웁니다; 링은 공유 "
      "메모리로 한 번 "
      "복사하고 읽는 쪽이 그대로 가져갑니다. 크기가 커질수록 비율이 커지다가, 시스템 호출이 아니라 "
      "메모리 "
      "대역폭이 둘 다를 제한하게 됩니다"};
  return c;
}

ClaimResult fork_growth(const Index& idx, double alpha) {
  auto c = start(5);
  auto ratio = [](double big, double small) { return big / small; };
  const auto gf = idx.paired(kFork256, kForkCreate, ratio);
  const auto gt = idx.paired(kThreadCreate256, kThreadCreate, ratio);
  // Per round: fork's growth over the thread's, all four measured in that round.
  std::vector<double> relative;
  const Series *f0 = idx.find(kForkCreate), *f1 = idx.find(kFork256), *t0 = idx.find(kThreadCreate),
               *t1 = idx.find(kThreadCreate256);
  if (f0 && f1 && t0 && t1) {
    for (const auto& [rep, v] : *f1) {
      if (f0->count(rep) && t0->count(rep) && t1->count(rep))
        relative.push_back((v / f0->at(rep)) / (t1->at(rep) / t0->at(rep)));
    }
  }
  take(c, paired_ratios(relative, alpha));
  const double f = gf.empty() ? NAN : summarize(gf).median,
               t = gt.empty() ? NAN : summarize(gt).median;
  c.explanation = both(
      "fork copies a page-table entry for every page the parent maps (65,536 for 256 "
      "MiB) and marks them copy-on-write: it grows {:.1f}x; a thread shares the page "
      "tables, so its creation grows {:.2f}x",
      "fork 는 부모가 매핑한 모든 페이지의 페이지 테이블 항목(256 MiB 면 65,536 개)을 복사하고 "
      "쓰기 시 복사로 표시합니다: {:.1f}배 증가; 스레드는 페이지 테이블을 공유하므로 {:.2f}배",
      f, t);
  return c;
}

ClaimResult cache_loss(const Index& idx, double alpha) {
  auto c = start(6);
  auto ratio = [](double a, double b) { return a / b; };
  const auto same_data =
      idx.paired(shared_data("process", "shared"), shared_data("thread", "shared"), ratio);
  const Test t = paired_ratios(same_data, alpha);
  take(c, t);
  const double copies =
      idx.median(shared_data("process", "private")) / idx.median(shared_data("thread", "shared"));
  const Text tlb = tlb_text(idx);
  const bool lost = t.verdict == ClaimVerdict::kHolds || t.verdict == ClaimVerdict::kHoldsByLess;
  c.explanation = {
      fmt::format("{} With the same data processes cost {:.2f}x threads. {} What threads save is "
                  "sharing: processes holding private copies of the same data cost {:.2f}x, "
                  "because two copies compete for the cache",
                  lost ? "A process switch cost more here with the same data in the cache:"
                       : "caches hold physical addresses and are not emptied by a switch.",
                  t.ratio, tlb.en, copies),
      fmt::format(
          "{} 같은 데이터로는 프로세스가 스레드의 {:.2f}배입니다. {} 스레드가 절약하는 것은 "
          "공유입니다: 같은 데이터의 사본을 따로 가진 프로세스는 두 사본이 캐시를 나눠 "
          "쓰므로 {:.2f}배입니다",
          lost ? "여기서는 같은 데이터가 캐시에 있어도 프로세스 교환이 더 비쌌습니다:"
               : "캐시는 물리 주소로 동작하며 문맥 교환으로 비워지지 않습니다.",
          t.ratio, tlb.ko, copies)};
  return c;
}

ClaimResult memory_isolation(const Index& idx, double alpha) {
  auto c = start(7);
  take(c, costlier_paired(idx, kCowFork, kCowThread, alpha, "ns_per_page"));
  const double fp = idx.median(kCowFork, "faults_per_page"),
               tp = idx.median(kCowThread, "faults_per_page");
  c.explanation = both(
      "after fork the parent's pages are shared read-only: the child's first write to "
      "each page faults ({:.2f} faults per page) and copies it ({} per page), and the "
      "parent never sees the write. A thread writes the same pages in {} per page with "
      "{:.2f} faults, and its process sees every write at once",
      "fork 후 부모의 페이지는 읽기 전용으로 공유됩니다: 자식이 각 페이지에 처음 쓸 때 페이지 "
      "폴트가 나고(페이지당 {:.2f} 회) 복사되며(페이지당 {}), 부모는 그 쓰기를 보지 못합니다. "
      "스레드는 같은 페이지에 페이지당 {}, 폴트 {:.2f} 회로 쓰고, 프로세스는 즉시 봅니다",
      fp, time_text(idx.median(kCowFork, "ns_per_page")),
      time_text(idx.median(kCowThread, "ns_per_page")), tp);
  return c;
}

// The CPUs the speed-up ran on: as the benchmark counted them, else host.csv's allowed set; 0 when
// neither says.
int run_cpus(const Index& idx) {
  const double cpus = idx.median(speedup(1), "cpus");
  if (!std::isnan(cpus)) return static_cast<int>(cpus);
  const auto allowed = ipc::parse_cpu_list(idx.host("cpus_allowed"));
  return allowed ? static_cast<int>(allowed->size()) : 0;
}

ClaimResult more_threads(const Index& idx, double alpha) {
  const int n_cpu = run_cpus(idx);
  if (n_cpu == 0) {
    auto c = start(
        8, {"The more threads, the faster the program", "스레드 수가 많을수록 프로그램이 빨라진다"},
        {"the CPU count is in no file of the run", "실행 파일 어디에도 CPU 수가 없음"},
        "speed-up against the CPU count");
    c.note = {"the run recorded neither the benchmark's CPU count nor the allowed CPUs",
              "벤치마크의 CPU 수도 허용된 CPU 도 기록되지 않았습니다"};
    return c;
  }
  int at_cpus = 1;
  for (int n : kThreadCounts) {
    if (n <= n_cpu) at_cpus = n;
  }
  auto c = start(
      8, {"The more threads, the faster the program", "스레드 수가 많을수록 프로그램이 빨라진다"},
      both("a CPU-bound job split over 1 to 64 threads on {} CPUs",
           "CPU 를 쓰는 작업을 CPU {} 개에서 스레드 1~64 개로 나눔", n_cpu),
      fmt::format("speed-up with {} threads (time with 1 / time with {}), paired by "
                  "repetition; then {} against 64 threads",
                  at_cpus, at_cpus, at_cpus));
  auto ratio = [](double one, double n) { return one / n; };
  take(c, paired_ratios(idx.paired(speedup(1), speedup(at_cpus), ratio), alpha));
  const Test beyond = paired_ratios(idx.paired(speedup(at_cpus), speedup(64), ratio), alpha);
  if (c.verdict == ClaimVerdict::kHolds && beyond.verdict != ClaimVerdict::kHolds)
    c.verdict = ClaimVerdict::kHoldsPartly;
  std::string curve;
  for (int n : kThreadCounts) {
    const double s = idx.median(speedup(1)) / idx.median(speedup(n));
    if (!std::isnan(s)) curve += fmt::format("{}{}: {:.2f}x", curve.empty() ? "" : ", ", n, s);
  }
  c.explanation = both(
      "a CPU-bound job runs only as fast as the CPUs: up to {} threads each gets its own "
      "CPU, beyond that they take turns and only add creation and switching. Speed-up "
      "by threads: {}",
      "CPU 를 쓰는 작업은 CPU 만큼만 빨라집니다: 스레드 {} 개까지는 각자 CPU 를 갖고, "
      "그 이상은 "
      "번갈아 실행되며 생성과 교환 비용만 더합니다. 스레드 수별 속도 향상: {}",
      n_cpu, curve);
  return c;
}

ClaimResult zombies(const Index& idx, double) {
  auto c = start(9);
  // The share of children /proc showed in state Z until waitpid (zombie_state_seen: runs from
  // before the share was measured, which failed unless every child was).
  auto share = [&](const char* how) {
    const double f = idx.median(zombie(how), "zombie_fraction");
    return std::isnan(f) ? idx.median(zombie(how), "zombie_state_seen") : f;
  };
  const double exited = share("exit"), killed = share("killed");
  if (std::isnan(exited) || std::isnan(killed)) {
    c.note = missing_note();
  } else if (killed < 1) {
    c.verdict = ClaimVerdict::kDoesNotHold;  // a killed child was gone before it was waited for
  } else {
    c.verdict = exited > 0 ? ClaimVerdict::kHoldsPartly : ClaimVerdict::kHolds;
  }
  c.ratio = killed;
  const std::string times = fmt::format(
      "{} after exit, {} after SIGKILL; {}", time_text(idx.median(zombie("exit"))),
      time_text(idx.median(zombie("killed"))), time_text(idx.median(zombie("exit"), "reap_ns")));
  c.explanation = {
      fmt::format("/proc showed state Z until waitpid for {:.0f}% of the children that exited and "
                  "{:.0f}% of those killed by SIGKILL: a zombie is an ended child whose parent has "
                  "not yet collected its status{}. From the child's last instruction to the "
                  "parent seeing it ended, then reaping: {}",
                  100 * exited, 100 * killed,
                  exited > 0 ? ", after a normal exit too, not only an abnormal end" : "", times),
      fmt::format(
          "정상 종료한 자식의 {:.0f}%, SIGKILL 로 죽은 자식의 {:.0f}% 가 waitpid 까지 /proc "
          "에서 Z 상태였습니다: 좀비는 부모가 아직 종료 상태를 거두지 않은 자식입니다{}. "
          "자식의 마지막 명령에서 부모가 종료를 보기까지, 그리고 회수: {}",
          100 * exited, 100 * killed,
          exited > 0 ? " (비정상 종료만이 아니라 정상 종료 후에도)" : "", times)};
  return c;
}

ClaimResult memory_footprint(const Index& idx, double alpha) {
  auto c = start(10);
  take(c, costlier_paired(idx, footprint(true, 64), footprint(false, 64), alpha,
                          "pss_kib_per_worker"));
  std::string by_n;
  for (int n : kWorkerCounts) {
    by_n += fmt::format("{}{}: {:.0f} / {:.0f} KiB", by_n.empty() ? "" : ", ", n,
                        idx.median(footprint(true, n), "pss_kib_per_worker"),
                        idx.median(footprint(false, n), "pss_kib_per_worker"));
  }
  c.explanation = both(
      "a process adds its own page tables, kernel stack, and private copies of every "
      "page it writes (its stack, libc's data); a thread adds a stack and thread-local "
      "storage around the same heap. PSS per worker, processes / threads, by workers: {}",
      "프로세스는 자기 페이지 테이블, 커널 스택, 쓰는 모든 페이지(스택, libc 데이터)의 사본을 "
      "더하고; 스레드는 같은 힙에 스택과 스레드 지역 저장소만 더합니다. 작업자 수별 작업자당 "
      "PSS, "
      "프로세스 / 스레드: {}",
      by_n);
  return c;
}

// The scheduler's base slice: as the benchmark read it, else as host.csv recorded it; NaN when
// neither could read it.
double base_slice_ns(const Index& idx, const std::string& benchmark) {
  const double counted = idx.median(benchmark, "kernel_base_slice_ns");
  if (!std::isnan(counted)) return counted;
  const auto recorded = parse_number(idx.host("sched_base_slice_ns"));
  return recorded && *recorded > 0 ? *recorded : NAN;
}

ClaimResult time_slices(const Index& idx, double) {
  auto c = start(11);
  const std::string p = time_slice("process");
  const double p50 = idx.median(p), longest = idx.median(p, "max_ns"), n = idx.median(p, "samples");
  const double base = base_slice_ns(idx, p);
  const auto hz = parse_number(idx.host("config_hz"));
  // A slice ends at the first tick after the base slice is used up: at most one tick later.
  // Without CONFIG_HZ, the longest tick Linux builds with (HZ = 100: 10 ms) bounds it.
  const double tick = hz && *hz > 0 ? 1e9 / *hz : 10e6;
  const double limit = base + tick;
  c.ratio = p50 / base;
  if (std::isnan(n) || n < 20) {
    c.note = missing_note();
  } else if (std::isnan(base)) {
    c.note = {"the kernel's base slice could not be read (" + idx.host("sched_base_slice_source") +
                  "), so the slices cannot be judged against it",
              "커널의 기본 조각 길이를 읽지 못해 (" + idx.host("sched_base_slice_source") +
                  ") 조각을 그것과 비교할 수 없습니다"};
  } else {
    c.verdict = p50 <= limit ? ClaimVerdict::kHolds : ClaimVerdict::kDoesNotHold;
  }
  const std::string tick_text =
      hz ? fmt::format("a tick of {} (CONFIG_HZ={:.0f}, {})", time_text(tick), *hz,
                       idx.host("config_hz_source"))
         : fmt::format("at most a tick of {} (CONFIG_HZ not read)", time_text(tick));
  c.explanation = {
      fmt::format("the two processes alternated in slices of {} (median; the longest {}, {:.0f} "
                  "slices), {:.2f}x the scheduler's base slice of {} (EEVDF since Linux 6.6); a "
                  "slice ends at the first timer tick after it is used up, so it is bounded by "
                  "the base slice plus {}: {}",
                  time_text(p50), time_text(longest), n, c.ratio, time_text(base), tick_text,
                  time_text(limit)),
      fmt::format("두 프로세스는 {} (중앙값; 가장 긴 것 {}, {:.0f} 조각) 씩 번갈아 실행됐고, 이는 "
                  "스케줄러(리눅스 6.6 부터 EEVDF)의 기본 조각 {} 의 {:.2f}배입니다; 조각은 다 쓴 "
                  "뒤 첫 타이머 틱에서 끝나므로 기본 조각에 {} 를 더한 {} 이 상한입니다",
                  time_text(p50), time_text(longest), n, time_text(base), c.ratio, tick_text,
                  time_text(limit))};
  return c;
}

ClaimResult user_level_threads(const Index& idx, double alpha) {
  auto c = start(12);
  take(c, costlier_paired(idx, kThreadCreate, kFiberCreate, alpha));
  const double fs = idx.median(kFiberSwitch), ts = idx.median(kThreadSwitch),
               ps = idx.median(kProcessSwitch);
  c.explanation = both(
      "the ladder: creating a process {}, a thread {}, a fiber {}; a round trip of two "
      "switches between processes {}, threads {}, fibers {}. A fiber switch saves a "
      "few registers and jumps, in user space on the same thread; the kernel never "
      "sees it (Boost.Context's documentation reports 9 ns per switch on a Xeon E5)",
      "사다리: 생성은 프로세스 {}, 스레드 {}, 파이버 {}; 두 번의 교환으로 이뤄진 왕복은 "
      "프로세스 "
      "{}, 스레드 {}, 파이버 {}. 파이버 교환은 같은 스레드에서 사용자 공간에서 몇 개의 "
      "레지스터를 "
      "저장하고 점프할 뿐, 커널은 알지 못합니다 (Boost.Context 문서는 Xeon E5 에서 교환당 9 ns "
      "를 보고합니다)",
      time_text(idx.median(kForkCreate)), time_text(idx.median(kThreadCreate)),
      time_text(idx.median(kFiberCreate)), time_text(ps), time_text(ts), time_text(fs));
  return c;
}

}  // namespace

const std::vector<Claim>& all() {
  static const std::vector<Claim> claims = {creation,         context_switch, communication,
                                            bulk_data,        fork_growth,    cache_loss,
                                            memory_isolation, more_threads,   zombies,
                                            memory_footprint, time_slices,    user_level_threads};
  return claims;
}

}  // namespace ptbench::harness::claims
