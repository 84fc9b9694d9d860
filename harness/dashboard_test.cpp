// The dashboard: a planted change point is drawn where it is, names are escaped, and the page
// renders in headless Chromium (when it is installed: scripts/setup installs it) with its charts.
#include "harness/dashboard.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/subprocess.hpp"

namespace ptbench::harness {
namespace {

namespace fs = std::filesystem;

// 30 runs of one series, 10% slower from run 20 on, with a little deterministic noise; the
// kernel changes at run 5 (a break).
DashboardSeries planted_series() {
  DashboardSeries d;
  d.series = {"hostkey", "quick", "BM_X/pipe<&>/process/cross-cpu/64", "real_time",
              "lower_is_better"};
  d.host_label = "AMD EPYC, 2 CPUs";
  for (int i = 0; i < 30; ++i) {
    HistoryPoint p;
    p.run_id = "run" + std::to_string(i);
    p.git_sha = "sha" + std::to_string(i);
    p.kernel = i < 5 ? "6.1.0" : "6.18.44";
    p.started_utc = "2026-12-" + std::to_string(10 + i / 10) + "T0" + std::to_string(i % 10);
    p.median = 1000 * (i >= 20 ? 1.10 : 1.0) * (1 + 0.003 * ((i * 7) % 5));
    p.ci_low = p.median * 0.98;
    p.ci_high = p.median * 1.02;
    p.n = 3;
    d.points.push_back(p);
  }
  d.changes = series_changes(d.points, ChangeOptions{});
  return d;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Dashboard, DrawsThePlantedChangeAndTheKernelBreak) {
  const DashboardSeries d = planted_series();
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].first, 20u);
  const std::string svg = series_svg(d);
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 30u);
  EXPECT_EQ(count(svg, "<g class=\"change\""), 1u) << svg;
  EXPECT_NE(svg.find(">+10."), std::string::npos) << svg;
  EXPECT_EQ(count(svg, "<g class=\"break\""), 1u);
  const std::string html = dashboard_html(
      {d}, {{"run0", "AMD EPYC, 2 CPUs", "sha0", "quick", "6.18.44", "2026-12-10T00", 10}});
  EXPECT_NE(html.find("BM_X/pipe&lt;&amp;&gt;/process"), std::string::npos);
  EXPECT_EQ(html.find("pipe<&>"), std::string::npos) << "a name reached the page unescaped";
  EXPECT_EQ(html.find("<script"), std::string::npos) << "the page must need no script";
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"))
      << "the page fetches nothing";
}

// The floor in another mode from run 12 on: a second break, drawn with its reason.
TEST(Dashboard, AFloorModeIsABreak) {
  DashboardSeries d = planted_series();
  for (std::size_t i = 0; i < d.points.size(); ++i) d.points[i].floor_ns = i < 12 ? 420 : 70;
  d.changes = series_changes(d.points, ChangeOptions{});
  const std::string svg = series_svg(d);
  EXPECT_EQ(count(svg, "<g class=\"break\""), 2u) << svg;
  EXPECT_NE(svg.find("floor moved from 420 ns to 70 ns"), std::string::npos) << svg;
}

// A series with no change has no change marker: the marker is the data's, not the page's.
TEST(Dashboard, NoChangeNoMarker) {
  DashboardSeries d = planted_series();
  for (auto& p : d.points) p.median = 1000, p.ci_low = 990, p.ci_high = 1010;
  d.changes = series_changes(d.points, ChangeOptions{});
  EXPECT_TRUE(d.changes.empty());
  EXPECT_EQ(count(series_svg(d), "class=\"change"), 0u);
}

// Bad input: a clear message and exit 2, nothing written.
TEST(Dashboard, BadInputIsAClearError) {
  const fs::path db = fs::temp_directory_path() / ("ptbench-dash-db-" + std::to_string(getpid()));
  std::ostringstream out, err;
  EXPECT_EQ(history_command("html", {}, db, {}, out, err), 2);
  EXPECT_NE(err.str().find("name one output directory"), std::string::npos) << err.str();
  err.str("");
  EXPECT_EQ(history_command("quality", {"/nonexistent/run"}, db, {}, out, err), 2);
  EXPECT_NE(err.str().find("ptbench history quality:"), std::string::npos) << err.str();
  fs::remove(db);
}

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/snap/bin"}) {
      const std::string p = std::string(dir) + "/" + name;
      if (access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return "";
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The page as a browser shows it: the DOM Chromium built has every chart and the change marker,
// the console has no error, and a screenshot is taken (copied into the directory that
// PTBENCH_KEEP_SCREENSHOT names, if it is set).
TEST(Dashboard, RendersInHeadlessChromium) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup installs it)";
  const fs::path dir =
      fs::temp_directory_path() / ("ptbench-dashboard-" + std::to_string(getpid()));
  fs::create_directories(dir);
  DashboardSeries other = planted_series();
  other.series.benchmark = "BM_Floor/cacheline/thread/cross-cpu/64";
  for (auto& p : other.points) p.median = 60, p.ci_low = 58, p.ci_high = 62;
  other.changes.clear();
  std::ofstream(dir / "index.html") << dashboard_html({planted_series(), other}, {});
  const std::vector<std::string> common = {chromium,
                                           "--headless",
                                           "--no-sandbox",
                                           "--disable-gpu",
                                           "--enable-logging=stderr",
                                           "--v=0",
                                           "--user-data-dir=" + (dir / "profile").string()};
  const std::string url = "file://" + (dir / "index.html").string();
  std::atomic<bool> never{false};
  auto dom_args = common;
  dom_args.insert(dom_args.end(), {"--dump-dom", url});
  auto dom = run_process(dom_args, dir / "dom.txt", std::chrono::seconds(90), &never);
  ASSERT_TRUE(dom.ok()) << dom.describe() << "\n" << slurp(dir / "dom.txt");
  const std::string text = slurp(dir / "dom.txt");
  EXPECT_EQ(count(text, "<svg"), 2u) << text.substr(0, 2000);
  EXPECT_EQ(count(text, "<g class=\"change\""), 1u);
  EXPECT_EQ(text.find("Uncaught"), std::string::npos) << "a script error in the console";
  const fs::path png = dir / "dashboard.png";
  auto shot_args = common;
  shot_args.insert(shot_args.end(),
                   {"--screenshot=" + png.string(), "--window-size=1100,1400", url});
  auto shot = run_process(shot_args, dir / "shot.txt", std::chrono::seconds(90), &never);
  ASSERT_TRUE(shot.ok()) << shot.describe() << "\n" << slurp(dir / "shot.txt");
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 10'000u) << "a blank screenshot";
  if (const char* keep = std::getenv("PTBENCH_KEEP_SCREENSHOT")) {
    fs::create_directories(keep);
    fs::copy_file(png, fs::path(keep) / "dashboard.png", fs::copy_options::overwrite_existing);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ptbench::harness
