// report.md for a run directory, from its CSV files (summary.csv, host.csv, verify.csv), with
// charts drawn by scripts/plot.py. `ptbench run` writes it; `ptbench report DIR` rewrites it.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "harness/result.hpp"

namespace ptbench::harness {

// Writes DIR/report.md (and DIR/charts/ when matplotlib is there). Its value is a line to show
// the user when charts were skipped ("" when they were drawn).
Result<std::string> write_report(const std::filesystem::path& dir);

int report_command(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);

}  // namespace ptbench::harness
