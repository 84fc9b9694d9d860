#include "harness/paths.hpp"

#include <system_error>

namespace ptbench::harness {
namespace fs = std::filesystem;

fs::path self_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

fs::path default_bench_dir() {
  const fs::path installed = self_dir() / ".." / "libexec" / "ptbench";
  const fs::path build_tree = self_dir() / ".." / "bench";
  std::error_code ec;
  if (fs::is_directory(installed, ec)) return installed.lexically_normal();
  if (fs::is_directory(build_tree, ec)) return build_tree.lexically_normal();
  return installed.lexically_normal();
}

fs::path plot_script() {
  return (self_dir() / ".." / "share" / "ptbench" / "plot.py").lexically_normal();
}

fs::path default_runs_dir() {
  return fs::current_path() / "results" / "runs";
}

}  // namespace ptbench::harness
