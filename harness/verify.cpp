#include "harness/verify.hpp"

#include "bench/support/grid.hpp"

#include "harness/paths.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <ostream>

#include "harness/claims.hpp"
#include "harness/compare.hpp"
#include "harness/csv.hpp"
#include "harness/report.hpp"
#include "harness/stats.hpp"
#include "ipc/placement.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

const char* verdict_text(ClaimVerdict v) {
  static constexpr const char* kText[] = {"holds", "holds in part", "does not hold", "inconclusive",
                                          "holds, by less than 10%"};
  return kText[static_cast<int>(v)];
}

const char* verdict_text_ko(ClaimVerdict v) {
  static constexpr const char* kText[] = {"성립", "부분적으로 성립", "성립하지 않음", "판단 불가",
                                          "성립 (10% 미만의 차이)"};
  return kText[static_cast<int>(v)];
}

std::optional<ClaimVerdict> parse_verdict(std::string_view text) {
  for (auto v : {ClaimVerdict::kHolds, ClaimVerdict::kHoldsPartly, ClaimVerdict::kDoesNotHold,
                 ClaimVerdict::kInconclusive, ClaimVerdict::kHoldsByLess}) {
    if (text == verdict_text(v)) return v;
  }
  return std::nullopt;
}

const std::vector<std::string>& verify_benchmarks() {
  static const std::vector<std::string> list = at_host_level(claims::benchmarks());
  return list;
}

std::vector<ClaimResult> evaluate_claims(const std::vector<Sample>& samples, double alpha,
                                         const KeyValues& host) {
  const claims::Index idx(samples, host);
  // First at alpha, for each claim's p; then each claim again at the level that makes its raw p
  // decide as its Holm-adjusted p does (alpha * p / p_holm), so the family's error is alpha.
  std::vector<ClaimResult> first;
  for (claims::Claim claim : claims::all()) first.push_back(claim(idx, alpha));
  std::vector<std::size_t> tested;
  std::vector<double> p;
  for (std::size_t i = 0; i < first.size(); ++i) {
    if (!std::isnan(first[i].p_value)) {
      tested.push_back(i);
      p.push_back(first[i].p_value);
    }
  }
  const auto adjusted = holm_adjust(p);
  std::vector<ClaimResult> out = first;
  for (std::size_t k = 0; k < tested.size(); ++k) {
    const std::size_t i = tested[k];
    const double level = adjusted[k] > 0 ? alpha * p[k] / adjusted[k] : alpha;
    out[i] = claims::all()[i](idx, level);
    out[i].p_holm = adjusted[k];
  }
  return out;
}

namespace {

const std::vector<std::string> kVerifyColumns = {
    "claim",       "statement", "condition", "evidence", "ratio",       "ci_low", "ci_high",
    "ci_coverage", "p_value",   "p_holm",    "verdict",  "explanation", "note"};

// The columns read back into a claim's numbers and English texts.
const std::pair<const char*, double ClaimNumbers::*> kNumberColumns[] = {
    {"ratio", &ClaimNumbers::ratio},     {"ci_low", &ClaimNumbers::ci_low},
    {"ci_high", &ClaimNumbers::ci_high}, {"ci_coverage", &ClaimNumbers::ci_coverage},
    {"p_value", &ClaimNumbers::p_value}, {"p_holm", &ClaimNumbers::p_holm}};
const std::pair<const char*, Text ClaimResult::*> kTextColumns[] = {
    {"statement", &ClaimResult::statement},
    {"condition", &ClaimResult::condition},
    {"explanation", &ClaimResult::explanation},
    {"note", &ClaimResult::note}};

}  // namespace

void write_verify_csv(std::ostream& out, const std::vector<ClaimResult>& claims) {
  write_csv_row(out, kVerifyColumns);
  for (const auto& c : claims) {
    write_csv_row(out, {std::to_string(c.number), c.statement.en, c.condition.en, c.evidence,
                        csv_number(c.ratio), csv_number(c.ci_low), csv_number(c.ci_high),
                        csv_number(c.ci_coverage), csv_number(c.p_value), csv_number(c.p_holm),
                        verdict_text(c.verdict), c.explanation.en, c.note.en});
  }
}

Result<std::vector<ClaimResult>> parse_verify_csv(std::string_view text) {
  std::vector<std::string> required = kVerifyColumns;
  std::erase(required, "p_holm");  // runs verified before it existed
  auto parsed = parse_csv(text, required);
  if (!parsed) return fail(parsed.error());
  std::vector<ClaimResult> claims;
  for (std::size_t r = 0; r < parsed->rows.size(); ++r) {
    const auto& row = parsed->rows[r];
    auto cell = [&](const char* name) {
      auto i = parsed->column(name);
      return i ? row[*i] : std::string();
    };
    auto number = [&](const char* name) { return parse_number(cell(name)).value_or(NAN); };
    auto verdict = parse_verdict(cell("verdict"));
    auto claim = parse_number(cell("claim"));
    if (!verdict || !claim)
      return fail(fmt::format("record {}: claim or verdict not readable", r + 2));
    ClaimResult c;
    c.number = static_cast<int>(*claim);
    c.verdict = *verdict;
    c.evidence = cell("evidence");
    for (const auto& [name, member] : kNumberColumns) c.*member = number(name);
    for (const auto& [name, member] : kTextColumns) (c.*member).en = cell(name);
    claims.push_back(std::move(c));
  }
  return claims;
}

namespace {

std::string number_or_dash(double v, const char* format) {
  return std::isnan(v) ? "-" : fmt::format(fmt::runtime(format), v);
}

const std::string& pick(const Text& t, bool ko) {
  return ko && !t.ko.empty() ? t.ko : t.en;
}

}  // namespace

void print_claims(std::ostream& out, const std::vector<ClaimResult>& claims,
                  const std::string& lang) {
  const bool ko = lang == "ko";
  for (const auto& c : claims) {
    out << fmt::format(
        "\n{}. {}\n   {}: {}   {}: {}   {}: {}   p: {}\n", c.number, pick(c.statement, ko),
        ko ? "판정" : "verdict", ko ? verdict_text_ko(c.verdict) : verdict_text(c.verdict),
        ko ? "비율" : "ratio", number_or_dash(c.ratio, "{:.2f}x"), ko ? "구간" : "interval",
        std::isnan(c.ci_low) ? "-" : fmt::format("{:.2f}-{:.2f}", c.ci_low, c.ci_high),
        std::isnan(c.p_holm) ? number_or_dash(c.p_value, "{:.2g}")
                             : fmt::format("{:.2g} (Holm {:.2g})", c.p_value, c.p_holm));
    out << fmt::format("   {}: {}\n", ko ? "조건" : "condition", pick(c.condition, ko));
    out << fmt::format("   {}: {}\n", ko ? "설명" : "why", pick(c.explanation, ko));
    if (!c.note.en.empty())
      out << fmt::format("   {}: {}\n", ko ? "참고" : "note", pick(c.note, ko));
  }
  out << (ko ? "\n비율: 주장에서 비싼 쪽이 싼 쪽의 몇 배인지 (중앙값); 구간: 분포를 가정하지 않는 "
               "신뢰 "
               "구간; p: 반복이 짝지어지지 않으면 Mann-Whitney, 라운드로 짝지어지면 Wilcoxon 부호 "
               "순위 "
               "검정 (양측), 괄호 안은 주장 전체에 대한 Holm 보정 값; 성립하려면 보정된 p < 0.01 "
               "과 "
               "10% 이상의 차이가 필요하고, 유의하지만 10% 미만이면 '10% 미만의 차이로 성립', "
               "구간이 ±10% 안이면 의미 있는 차이가 아닙니다.\n"
             : "\nratio: how many times the claim's costlier side costs the cheaper one (medians); "
               "interval: distribution-free confidence interval; p: Mann-Whitney for unpaired "
               "repetitions, Wilcoxon signed-rank for ratios paired by round (two-sided), in "
               "brackets after Holm's adjustment over the claims; holds needs an adjusted p < 0.01 "
               "and a difference of at least 10%; significant but smaller is 'holds, by less than "
               "10%'; an interval inside +-10% is no difference that counts.\n");
}

std::string placement_line(const KeyValues& host, bool ko) {
  std::string topology = "unknown";
  for (const auto& [k, v] : host) {
    if (k == "topology") topology = v;
  }
  const std::string level = run_reference_level(host);
  if (level == ipc::kLegacyCrossCpu) {
    return ko ? fmt::format(
                    "배치: 'cross-cpu' 행은 허용된 첫 CPU와 마지막 CPU에서 측정했습니다; 두 CPU가 "
                    "공유하는 수준은 이 실행에 기록되지 않았습니다 ({}).\n",
                    topology)
              : fmt::format(
                    "placement: the 'cross-cpu' rows ran on the first and the last allowed CPU; "
                    "the level those two share was not recorded in this run ({}).\n",
                    topology);
  }
  return ko ? fmt::format(
                  "배치: 두 CPU 사이의 주장은 '{}' 수준(허용된 첫 CPU와 마지막 CPU가 공유하는 "
                  "수준)에서, 'same-cpu' 행은 한 CPU에서 측정했습니다 ({}).\n",
                  level, topology)
            : fmt::format(
                  "placement: the claims across two CPUs were measured at '{}' (what the first "
                  "and the last allowed CPU share on this host), the 'same-cpu' rows on one "
                  "CPU ({}).\n",
                  level, topology);
}

int verify_command(RunOptions run, const fs::path& from, const std::string& lang, std::ostream& out,
                   std::ostream& err) {
  fs::path dir = from;
  int run_code = kExitOk;
  if (dir.empty()) {
    run.filter = exactly_one_of(verify_benchmarks());
    run.profile = "full";  // the filter picks the claims' benchmarks; full has every size of them
    // 15 rounds: the signed-rank test of ratios paired by round gives at least 2 / 2^15 = 6e-5,
    // so that a claim holding in nearly every round passes Holm's 0.01 / 10 over the family
    // (11 rounds gave 0.00098 only when every round agreed).
    if (!run.repetitions) run.repetitions = 15;
    if (run.out_dir.empty()) {
      run.out_dir = default_runs_dir() / fmt::format("verify_{}", std::time(nullptr));
    }
    dir = run.out_dir;
    std::ostringstream table;  // the per-benchmark table is in summary.csv; print the verdicts
    run_code = run_command(run, table, err);
    if (run_code == kExitInterrupted) return run_code;
  }
  auto samples = load_samples(dir);
  if (!samples) {
    err << "ptbench verify: " << samples.error() << '\n';
    return kExitBadInput;
  }
  // The host's facts choose the explanations; a run directory without host.csv has none.
  KeyValues host;
  if (auto text = read_text_file(dir / "host.csv")) {
    if (auto kv = parse_host_csv(*text)) host = std::move(*kv);
  }
  const auto claims = evaluate_claims(*samples, 0.01, host);
  print_claims(out, claims, lang);
  out << placement_line(host, lang == "ko");
  {
    std::ofstream csv(dir / "verify.csv");
    write_verify_csv(csv, claims);
    if (!csv) {
      err << "ptbench verify: cannot write " << (dir / "verify.csv").string() << '\n';
      return kExitSystem;
    }
  }
  // The report again, now opening with the verdicts (a summary.csv is there when the run was).
  std::error_code ec;
  if (fs::exists(dir / "summary.csv", ec)) {
    if (auto note = write_report(dir); !note) {
      err << "ptbench verify: report.md not rewritten: " << note.error() << '\n';
    }
  }
  out << fmt::format("\nverify.csv, report.md and the measurements: {}\n", dir.string());
  return run_code;  // a failed benchmark is reported as such (its claims say what is missing)
}

}  // namespace ptbench::harness
