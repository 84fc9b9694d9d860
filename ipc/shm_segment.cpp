#include "ipc/shm_segment.hpp"

#include <fmt/format.h>

#include <boost/interprocess/shared_memory_object.hpp>
#include <cstring>

#include "ipc/names.hpp"

namespace ptbench::ipc {

namespace bip = boost::interprocess;

Status ShmSegment::create(const std::string& what, std::size_t bytes,
                          std::unique_ptr<ShmSegment>* out) {
  const std::string name = unique_name(what);
  const int handle = register_resource(ResourceKind::kShm, "/" + name);
  try {
    bip::shared_memory_object shm(bip::create_only, name.c_str(), bip::read_write);
    shm.truncate(static_cast<bip::offset_t>(bytes));
    bip::mapped_region region(shm, bip::read_write);
    bip::shared_memory_object::remove(name.c_str());
    unregister_resource(handle);
    // Prefault: the first message must not pay for page faults.
    std::memset(region.get_address(), 0, region.get_size());
    out->reset(new ShmSegment(std::move(region)));
    return {};
  } catch (const bip::interprocess_exception& e) {
    bip::shared_memory_object::remove(name.c_str());
    unregister_resource(handle);
    return {Errc::kSystem,
            fmt::format("shared memory segment {} ({} bytes): {}", name, bytes, e.what())};
  }
}

}  // namespace ptbench::ipc
