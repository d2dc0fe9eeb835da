#include "metrics/allocation_counter.h"

#include <cstdlib>
#include <new>

namespace stepd::metrics {

namespace {
thread_local std::uint64_t allocations = 0;

void* Allocate(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}

void* AllocateAligned(std::size_t size, std::align_val_t align) {
  ++allocations;
  const auto alignment = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded)) {
    return p;
  }
  throw std::bad_alloc();
}
}  // namespace

std::uint64_t ThreadAllocations() { return allocations; }

}  // namespace stepd::metrics

// The replaceable global allocation functions ([new.delete]); the rest of the family forwards
// to these by the standard's rules.
void* operator new(std::size_t size) { return stepd::metrics::Allocate(size); }
void* operator new[](std::size_t size) { return stepd::metrics::Allocate(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  return stepd::metrics::AllocateAligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return stepd::metrics::AllocateAligned(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
