// Every shared workload (shared/bench/workloads/*) end to end, as a server runs an execution:
// the definition compiled once; per iteration the input text parsed, the execution run to
// completion and its output serialised, with the Document and Arena reused.
//
// BM_Workload/<name> reports state transitions per second (items_per_second), heap allocations
// per iteration and per state transition; BM_Floor/<name> only parses and serialises the same
// input, the floor that the README's protocol asks ratios against.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "benchmarks/support/allocation_scope.h"
#include "benchmarks/support/workload.h"

namespace stepd {
namespace {

std::unique_ptr<bench::WorkloadRunner> LoadOrSkip(std::string_view workload,
                                                  benchmark::State& state) {
  std::string error;
  std::unique_ptr<bench::WorkloadRunner> runner = bench::WorkloadRunner::Load(workload, error);
  if (runner == nullptr) {
    state.SkipWithError(error.c_str());
  }
  return runner;
}

void BM_Workload(benchmark::State& state, std::string_view workload) {
  const std::unique_ptr<bench::WorkloadRunner> runner = LoadOrSkip(workload, state);
  if (runner == nullptr) {
    return;
  }
  // Checked once, and the run also warms the Document and the Arena up.
  if (!runner->Run() || !runner->OutputMatchesExpected()) {
    state.SkipWithError(runner->error().c_str());
    return;
  }
  std::uint64_t transitions = 0;
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    if (!runner->Run()) {
      state.SkipWithError(runner->error().c_str());
      break;
    }
    transitions += runner->transitions();
  }
  const std::uint64_t allocated = allocations.Report(state);
  if (transitions > 0) {
    state.counters["allocs_per_state"] =
        static_cast<double>(allocated) / static_cast<double>(transitions);
  }
  state.counters["transitions_per_iter"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(static_cast<std::int64_t>(transitions));
}

void BM_Floor(benchmark::State& state, std::string_view workload) {
  const std::unique_ptr<bench::WorkloadRunner> runner = LoadOrSkip(workload, state);
  if (runner == nullptr) {
    return;
  }
  if (!runner->ParseAndSerialize()) {
    state.SkipWithError(runner->error().c_str());
    return;
  }
  const bench::AllocationScope allocations;
  for (auto _ : state) {
    if (!runner->ParseAndSerialize()) {
      state.SkipWithError(runner->error().c_str());
      break;
    }
  }
  allocations.Report(state);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(runner->input_bytes()));
}

BENCHMARK_CAPTURE(BM_Workload, iot_ingest, "iot_ingest");
BENCHMARK_CAPTURE(BM_Floor, iot_ingest, "iot_ingest");
BENCHMARK_CAPTURE(BM_Workload, map_fanout, "map_fanout");
BENCHMARK_CAPTURE(BM_Floor, map_fanout, "map_fanout");
BENCHMARK_CAPTURE(BM_Workload, parallel_branches, "parallel_branches");
BENCHMARK_CAPTURE(BM_Floor, parallel_branches, "parallel_branches");
BENCHMARK_CAPTURE(BM_Workload, intrinsics_heavy, "intrinsics_heavy");
BENCHMARK_CAPTURE(BM_Floor, intrinsics_heavy, "intrinsics_heavy");
BENCHMARK_CAPTURE(BM_Workload, large_payload, "large_payload");
BENCHMARK_CAPTURE(BM_Floor, large_payload, "large_payload");
BENCHMARK_CAPTURE(BM_Workload, catch_retry, "catch_retry");
BENCHMARK_CAPTURE(BM_Floor, catch_retry, "catch_retry");

}  // namespace
}  // namespace stepd
