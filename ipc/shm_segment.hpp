// A Boost.Interprocess shared memory segment, mapped and prefaulted, whose name is removed as
// soon as it is mapped: a fork inherits the mapping, so nothing named can outlive the run.
#pragma once

#include <boost/interprocess/mapped_region.hpp>
#include <cstddef>
#include <memory>
#include <string>

#include "ipc/status.hpp"

namespace ptbench::ipc {

class ShmSegment {
 public:
  // Creates `bytes` of zeroed, prefaulted shared memory named after `what`.
  static Status create(const std::string& what, std::size_t bytes,
                       std::unique_ptr<ShmSegment>* out);
  void* data() const { return region_.get_address(); }
  std::size_t size() const { return region_.get_size(); }

 private:
  explicit ShmSegment(boost::interprocess::mapped_region region) : region_(std::move(region)) {}
  boost::interprocess::mapped_region region_;
};

}  // namespace ptbench::ipc
