// `ptbench history html OUT_DIR`: a static dashboard of the run history. One chart per series
// (run medians with their 95% intervals, kernel changes as breaks, change points marked with
// their size and status), grouped by host and profile, the floors first (they say whether the
// host itself moved); a table of the change points on top. Self-contained: inline SVG, no
// script, nothing fetched, so it opens from a file or a CI artefact as it is.
#pragma once

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "harness/history.hpp"

namespace ptbench::harness {

struct DashboardSeries {
  HistoryDb::Series series;
  std::string host_label;            // what a person reads for series.host (a key)
  std::vector<HistoryPoint> points;  // oldest first
  std::vector<std::pair<std::size_t, ChangePoint>> changes;
};

// One series as an SVG chart.
std::string series_svg(const DashboardSeries& s);
// The whole page.
std::string dashboard_html(const std::vector<DashboardSeries>& all,
                           const std::vector<HistoryRun>& runs);

// `ptbench history html OUT_DIR`: writes OUT_DIR/index.html from `db`; `last` > 0 draws only
// the newest `last` runs of each series (and seeks change points among them).
int write_dashboard(HistoryDb& db, const std::vector<std::string>& args, std::ostream& out,
                    std::ostream& err, std::size_t last = 0);

}  // namespace ptbench::harness
