// One object in a MAP_SHARED anonymous mapping of its own, so that a child forked after it was
// made shares it; destroyed and unmapped with its owner.
#pragma once

#include <sys/mman.h>

#include <cerrno>
#include <new>

#include "ipc/status.hpp"

namespace ptbench::ipc {

template <typename T>
class SharedObject {
 public:
  SharedObject() = default;
  SharedObject(const SharedObject&) = delete;
  SharedObject& operator=(const SharedObject&) = delete;
  ~SharedObject() {
    if (p_ == nullptr) return;
    p_->~T();
    munmap(p_, sizeof(T));
  }
  // Maps the memory and constructs the object; an error when the mapping fails.
  Status create() {
    void* p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return Status::from_errno("mmap of a shared object", errno);
    p_ = new (p) T();
    return {};
  }
  T* operator->() const { return p_; }
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
};

}  // namespace ptbench::ipc
