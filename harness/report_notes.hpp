// The report's course-notes parts: the verdicts ("what the notes say, what this machine says")
// and the tables behind them (claim 3's endpoint x mechanism, claim 4 at every size, the
// process / thread / fiber ladder, the speed-up curve, copy-on-write, footprint, zombies, time
// slices).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "harness/results.hpp"

namespace ptbench::harness {

// The verdict table from DIR/verify.csv, when `ptbench verify` wrote one.
void report_claims(std::ostream& md, const std::filesystem::path& dir);

// The notes' numbers from the run's rows, with the ladder and speed-up charts.
void report_notes(std::ostream& md, const std::vector<SummaryRow>& rows,
                  const std::filesystem::path& dir);

// A chart's image link when DIR/charts/NAME.png exists.
void chart_link(std::ostream& md, const std::filesystem::path& dir, const std::string& name,
                const std::string& alt);

}  // namespace ptbench::harness
