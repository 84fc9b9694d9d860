#include "harness/dashboard.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <tuple>

#include "harness/exit_codes.hpp"

namespace ptbench::harness {

namespace fs = std::filesystem;

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The chart's frame: pixels, and the value range it shows.
struct Frame {
  static constexpr double kWidth = 720, kHeight = 220;
  static constexpr double kLeft = 80, kRight = 20, kTop = 24, kBottom = 36;
  double lo = 0, hi = 1;
  std::size_t n = 1;

  double x(std::size_t i) const {
    const double w = kWidth - kLeft - kRight;
    return n < 2 ? kLeft + w / 2 : kLeft + w * static_cast<double>(i) / static_cast<double>(n - 1);
  }
  double y(double v) const { return kTop + (kHeight - kTop - kBottom) * (hi - v) / (hi - lo); }
};

Frame frame_for(const std::vector<HistoryPoint>& pts) {
  Frame f;
  f.n = pts.size();
  f.lo = INFINITY;
  f.hi = -INFINITY;
  for (const auto& p : pts) {
    for (double v : {p.median, p.ci_low, p.ci_high}) {
      if (std::isfinite(v) && v > 0) {
        f.lo = std::min(f.lo, v);
        f.hi = std::max(f.hi, v);
      }
    }
  }
  if (!std::isfinite(f.lo)) f.lo = 0, f.hi = 1;
  const double pad = std::max(0.05 * (f.hi - f.lo), 0.01 * std::abs(f.hi));
  f.lo -= pad;
  f.hi += pad;
  if (f.hi <= f.lo) f.hi = f.lo + 1;
  return f;
}

void axes(std::ostream& svg, const Frame& f, const DashboardSeries& s) {
  svg << fmt::format(
      "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
      "<line class=\"axis\" x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\"/>",
      Frame::kLeft, Frame::kTop, Frame::kHeight - Frame::kBottom, Frame::kWidth - Frame::kRight);
  for (double v : {f.lo, (f.lo + f.hi) / 2, f.hi}) {
    svg << fmt::format(
        "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.4g}</text>",
        Frame::kLeft - 6, f.y(v) + 4, v);
  }
  const auto& pts = s.points;
  svg << fmt::format(
      "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>"
      "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{} ({} runs)</text>",
      Frame::kLeft, Frame::kHeight - 12, escape(pts.front().started_utc),
      Frame::kWidth - Frame::kRight, Frame::kHeight - 12, escape(pts.back().started_utc),
      pts.size());
}

// A vertical line between run i-1 and run i, with a label above it.
void marker(std::ostream& svg, const Frame& f, std::size_t i, const char* cls,
            const std::string& label, const std::string& title) {
  const double x = (f.x(i - 1) + f.x(i)) / 2;
  svg << fmt::format(
      "<g class=\"{0}\"><title>{4}</title><line x1=\"{1:.1f}\" y1=\"{2}\" x2=\"{1:.1f}\" "
      "y2=\"{3}\"/><text x=\"{1:.1f}\" y=\"{5}\" text-anchor=\"middle\">{6}</text></g>",
      cls, x, Frame::kTop, Frame::kHeight - Frame::kBottom, escape(title), Frame::kTop - 8,
      escape(label));
}

}  // namespace

std::string series_svg(const DashboardSeries& s) {
  std::ostringstream svg;
  if (s.points.empty()) return "";
  const Frame f = frame_for(s.points);
  svg << fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" role=\"img\">",
      Frame::kWidth, Frame::kHeight, Frame::kWidth, Frame::kHeight);
  axes(svg, f, s);
  const auto breaks = series_breaks(s.points);
  for (std::size_t i = 1; i < s.points.size(); ++i) {
    const std::string& why = breaks[i];
    if (why.empty()) continue;
    marker(svg, f, i, "break", why.rfind("the kernel", 0) == 0 ? "kernel" : "floor",
           why + " (the series breaks here; no change point across it)");
  }
  svg << "<polyline class=\"series\" points=\"";
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    svg << fmt::format("{}{:.1f},{:.1f}", i ? " " : "", f.x(i), f.y(s.points[i].median));
  }
  svg << "\"/>";
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const auto& p = s.points[i];
    if (std::isfinite(p.ci_low) && std::isfinite(p.ci_high) && p.ci_high > p.ci_low) {
      svg << fmt::format(
          "<line class=\"interval\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>",
          f.x(i), f.y(p.ci_low), f.y(p.ci_high));
    }
    svg << fmt::format(
        "<circle class=\"point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\"><title>{} {} ({}): {:.6g} "
        "[{:.6g}, {:.6g}], n={}</title></circle>",
        f.x(i), f.y(p.median), escape(p.started_utc), escape(p.git_sha), escape(p.run_id), p.median,
        p.ci_low, p.ci_high, p.n);
  }
  for (const auto& [i, c] : s.changes) {
    if (i == 0 || i >= s.points.size()) continue;
    const std::string label =
        fmt::format("{:+.1f}%{}", 100 * c.change, c.pending ? " (pending)" : "");
    marker(svg, f, i, c.pending ? "change pending" : "change", label,
           fmt::format("change point before {}: {:.6g} to {:.6g}, p {:.2g}", s.points[i].git_sha,
                       c.before, c.after, c.p));
  }
  svg << "</svg>";
  return svg.str();
}

namespace {

constexpr const char* kStyle = R"(
body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
.chart { margin: 12px 0 20px; }
.chart h3 { font-size: 14px; margin: 0 0 4px; font-family: monospace; }
svg .axis { stroke: #888; }
svg .tick { font-size: 11px; fill: #555; }
svg .series { fill: none; stroke: #1f77b4; stroke-width: 1.5; }
svg .interval { stroke: #1f77b4; stroke-opacity: 0.45; stroke-width: 3; }
svg .point { fill: #1f77b4; }
svg .change line { stroke: #d62728; stroke-width: 2; stroke-dasharray: 6 3; }
svg .change text { fill: #d62728; font-size: 12px; font-weight: bold; }
svg .change.pending line { stroke: #ff7f0e; }
svg .change.pending text { fill: #ff7f0e; }
svg .break line { stroke: #999; stroke-dasharray: 2 3; }
svg .break text { fill: #999; font-size: 11px; }
)";

std::string anchor(std::size_t k) {
  return fmt::format("s{}", k);
}

// The floors first: they say whether the host itself moved.
bool before(const DashboardSeries& a, const DashboardSeries& b) {
  auto key = [](const DashboardSeries& d) {
    const auto& s = d.series;
    return std::tuple(s.host, s.profile, !s.benchmark.starts_with("BM_Floor/"), s.benchmark,
                      s.metric);
  };
  return key(a) < key(b);
}

void changes_table(std::ostream& html, const std::vector<DashboardSeries>& all) {
  html << "<h2>Change points</h2>\n";
  std::size_t n = 0;
  for (const auto& d : all) n += d.changes.size();
  if (n == 0) {
    html << "<p>None found.</p>\n";
    return;
  }
  html << "<table class=\"changes\"><tr><th>benchmark</th><th>metric</th><th>change</th>"
          "<th>at</th><th>p</th><th>status</th></tr>\n";
  for (std::size_t k = 0; k < all.size(); ++k) {
    for (const auto& [i, c] : all[k].changes) {
      const auto& at = all[k].points[i];
      html << fmt::format(
          "<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td>{:+.1f}%</td><td>{} ({})</td>"
          "<td>{:.2g}</td><td>{}</td></tr>\n",
          anchor(k), escape(all[k].series.benchmark), escape(all[k].series.metric), 100 * c.change,
          escape(at.git_sha), escape(at.started_utc), c.p, c.pending ? "pending" : "new");
    }
  }
  html << "</table>\n";
}

void runs_table(std::ostream& html, const std::vector<HistoryRun>& runs) {
  std::map<std::string, std::pair<std::size_t, std::string>> hosts;  // label -> runs, newest
  for (const auto& r : runs) {
    auto& h = hosts[r.host_label];
    ++h.first;
    h.second = std::max(h.second, r.started_utc);
  }
  html << "<h2>Hosts</h2>\n<table><tr><th>host</th><th>runs</th><th>newest</th></tr>\n";
  for (const auto& [label, h] : hosts) {
    html << fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", escape(label), h.first,
                        escape(h.second));
  }
  html << "</table>\n";
}

}  // namespace

std::string dashboard_html(const std::vector<DashboardSeries>& given,
                           const std::vector<HistoryRun>& runs) {
  std::vector<DashboardSeries> all = given;
  std::stable_sort(all.begin(), all.end(), before);
  std::ostringstream html;
  html << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<title>ptbench history</title><style>"
       << kStyle << "</style></head><body>\n<h1>ptbench history</h1>\n";
  html << fmt::format(
      "<p>{} runs, {} series with at least two runs. Each chart: the run medians of one "
      "benchmark's primary metric on one host and profile, with their 95% intervals; a red "
      "dashed line is a change point (orange while pending: too few runs after it), a grey "
      "dotted line a break: a kernel change, or the host's cache-line floor in another mode; "
      "no change point is sought across a break.</p>\n",
      runs.size(), all.size());
  runs_table(html, runs);
  changes_table(html, all);
  std::string group;
  for (std::size_t k = 0; k < all.size(); ++k) {
    const auto& s = all[k].series;
    const std::string host = all[k].host_label.empty() ? s.host : all[k].host_label;
    if (const std::string g = host + " · " + s.profile; g != group) {
      group = g;
      html << "<h2>" << escape(g) << "</h2>\n";
    }
    html << fmt::format("<section class=\"chart\" id=\"{}\"><h3>{} · {} ({})</h3>{}</section>\n",
                        anchor(k), escape(s.benchmark), escape(s.metric), escape(s.direction),
                        series_svg(all[k]));
  }
  html << "</body></html>\n";
  return html.str();
}

int write_dashboard(HistoryDb& db, const std::vector<std::string>& args, std::ostream& out,
                    std::ostream& err, std::size_t last) {
  if (args.size() != 1) {
    err << "ptbench history html: name one output directory\n";
    return kExitBadInput;
  }
  auto series = db.series(2);
  auto runs = db.runs();
  auto hosts = db.hosts();
  if (!series || !runs || !hosts) {
    err << "ptbench history html: "
        << (!series ? series.error()
            : !runs ? runs.error()
                    : hosts.error())
        << '\n';
    return kExitBadInput;
  }
  std::map<std::string, std::string> labels;
  for (const auto& h : *hosts) labels[h.key] = h.label;
  const ChangeOptions opt;
  std::vector<DashboardSeries> all;
  for (const auto& s : *series) {
    auto pts = db.trend(s.benchmark, s.metric, s.host, s.profile, last);
    if (!pts) {
      err << "ptbench history html: " << pts.error() << '\n';
      return kExitBadInput;
    }
    all.push_back({s, labels[s.host], *pts, series_changes(*pts, opt)});
  }
  const fs::path dir = args[0];
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::ofstream f(dir / "index.html");
  f << dashboard_html(all, *runs);
  if (ec || !f.flush()) {
    err << "ptbench history html: cannot write " << (dir / "index.html").string() << '\n';
    return kExitSystem;
  }
  std::size_t changes = 0;
  for (const auto& d : all) changes += d.changes.size();
  out << fmt::format("wrote {} ({} series, {} change points)\n", (dir / "index.html").string(),
                     all.size(), changes);
  return kExitOk;
}

}  // namespace ptbench::harness
