// What the harness tests share: a scratch directory, and a stand-in benchmark program.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace ptbench::harness::testing {

// A directory under /tmp made for one test and removed with everything in it afterwards; empty
// when it could not be made.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    std::string tmpl = "/tmp/ptbench-" + name + "-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes an executable shell script (a stand-in benchmark program) at `path`.
inline void write_script(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  chmod(path.c_str(), 0755);
}

}  // namespace ptbench::harness::testing
