// report.md for a run directory, from its CSV files (summary.csv, host.csv, verify.csv), with
// charts drawn by scripts/plot.py. `ptbench run` writes it; `ptbench report DIR` rewrites it.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

namespace ptbench::harness {

// Writes DIR/report.md (and DIR/charts/ when matplotlib is there). Returns "" or the reason the
// report could not be written. `chart_note` receives a line when charts were skipped.
std::string write_report(const std::filesystem::path& dir, std::string* chart_note);

int report_command(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);

}  // namespace ptbench::harness
