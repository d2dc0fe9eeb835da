#pragma once
// AllocationScope: the calling thread's heap allocations over a benchmark's timed loop, reported
// per iteration, so that "allocates nothing" is measured rather than assumed (STYLE.md §8).
//
// Construct it right before `for (auto _ : state)` and call Report() right after: warm-up and
// set-up stay outside the count. Needs stepd::allocation_counter linked (it replaces operator
// new); malloc called directly, as rapidjson's CrtAllocator does, is not counted.

#include <cstdint>

#include <benchmark/benchmark.h>

#include "metrics/allocation_counter.h"

namespace stepd::bench {

class AllocationScope {
 public:
  AllocationScope() : start_(metrics::ThreadAllocations()) {}

  std::uint64_t count() const { return metrics::ThreadAllocations() - start_; }

  // Sets the `allocs_per_iter` counter and returns the count behind it. Later reads of count()
  // would include the counter map's own allocation, so derived counters use the result.
  std::uint64_t Report(benchmark::State& state) const {
    const std::uint64_t allocations = count();
    state.counters["allocs_per_iter"] =
        benchmark::Counter(static_cast<double>(allocations), benchmark::Counter::kAvgIterations);
    return allocations;
  }

 private:
  std::uint64_t start_;
};

}  // namespace stepd::bench
