#pragma once
// Counts heap allocations made through operator new, per thread, so that "allocates nothing
// per state" is measured rather than assumed (benchmarks, `stepd bench`).
//
// Linking this file replaces the global operator new/delete of the program with versions that
// bump a thread-local counter and then call malloc/free: about a nanosecond per allocation.
// Thread-safe: each thread reads its own count.

#include <cstdint>

namespace stepd::metrics {

// Allocations made by the calling thread since it started.
std::uint64_t ThreadAllocations();

}  // namespace stepd::metrics
