// `stepd bench`: runs one workload in process as a server would — the definition compiled
// once; each execution parses its input text, runs, and serialises its output — and reports
// throughput, latency, CPU and heap allocations.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "metrics/allocation_counter.h"
#include "runtime/compiler.h"
#include "runtime/execution.h"
#include "service/cli/args.h"
#include "service/cli/commands.h"

namespace stepd::cli {

namespace {

constexpr const char* kUsage =
    R"(usage: stepd bench DEFINITION --input FILE [--count N | --seconds S]
                   [--concurrency K] [--threads T] [--json]

Runs a workload in process, as a server would run it: the definition is compiled once; every
execution parses the input text, runs to completion and serialises its output. Reports
executions/s, state transitions/s, CPU time per execution, p50/p99 latency, heap allocations
per execution and per state transition, and peak RSS. A progress line goes to standard error.

  DEFINITION        path of the definition file
  --input FILE      execution input (JSON), required
  --count N         run N executions in all (default: run for --seconds)
  --seconds S       run for S seconds (default 3)
  --concurrency K   executions in flight per thread, interleaved step by step (default 1)
  --threads T       worker threads, each with its own executions (default 1)
  --json            print the report as one JSON object instead of text

Wait states and Retry back-off do not sleep here: the clock jumps to the next deadline.
Task states fail with States.TaskFailed (no integrations in process).
Exit status: 0 when every execution succeeded, 1 when some failed, 2 on a usage error.
)";

constexpr std::uint32_t kStepBudget = 64;

std::int64_t WallNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// One execution slot: its parser, arena and output buffer are reused by every execution that
// runs in it, so steady state allocates nothing.
struct Slot {
  Document document;
  Arena arena;
  std::string output;
  std::optional<runtime::Execution> execution;  // in place: no allocation per execution
  std::int64_t started_at = 0;
  runtime::UnixNanos clock = 0;
};

struct WorkerResult {
  std::uint64_t executions = 0;
  std::uint64_t failures = 0;
  std::uint64_t transitions = 0;
  std::uint64_t allocations = 0;
  std::vector<std::int64_t> latencies;
  std::string first_output;
  std::string first_error;
};

struct Shared {
  std::shared_ptr<const runtime::CompiledMachine> machine;
  simdjson::padded_string input;       // padded once, as a server pads the bodies it reads
  std::uint64_t count_per_thread = 0;  // 0: run until `stop`
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0};
};

void Finish(Slot& slot, WorkerResult& result) {
  runtime::Execution& execution = *slot.execution;
  result.latencies.push_back(WallNanos() - slot.started_at);
  result.transitions += execution.state_transitions();
  if (execution.status() == runtime::ExecutionStatus::kSucceeded) {
    slot.output.clear();
    AppendJson(execution.output(), slot.output);
    if (result.first_output.empty()) {
      result.first_output = slot.output;
    }
  } else {
    ++result.failures;
    if (result.first_error.empty()) {
      result.first_error = std::string(execution.error()) + ": " + std::string(execution.cause());
    }
  }
  ++result.executions;
  slot.execution.reset();
}

bool StartExecution(Slot& slot, const Shared& shared, WorkerResult& result) {
  slot.started_at = WallNanos();
  slot.arena.Reset();
  auto input = slot.document.ParsePadded(shared.input.data(), shared.input.size(),
                                         shared.input.size() + simdjson::SIMDJSON_PADDING);
  if (!input) {
    result.first_error = "invalid input: " + std::string(input.error().cause);
    return false;
  }
  runtime::ExecutionInfo info;
  info.execution_arn = "arn:aws:states:us-east-1:123456789012:express:bench:bench:0";
  info.execution_name = "bench";
  info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:bench";
  info.state_machine_name = "bench";
  info.role_arn = "arn:aws:iam::123456789012:role/stepd";
  info.start_time = slot.clock;
  slot.execution.emplace(shared.machine, info, slot.arena);
  slot.execution->Start(*input, shared.input.size());
  return true;
}

void Worker(Shared& shared, std::size_t concurrency, WorkerResult& result) {
  std::vector<Slot> slots(concurrency);
  const std::uint64_t before = metrics::ThreadAllocations();
  std::uint64_t started = 0;
  const auto want_more = [&]() {
    return shared.count_per_thread != 0 ? started < shared.count_per_thread
                                        : !shared.stop.load(std::memory_order_relaxed);
  };
  std::size_t active = 0;
  do {
    for (Slot& slot : slots) {
      if (!slot.execution) {
        if (!want_more()) {
          continue;
        }
        if (!StartExecution(slot, shared, result)) {
          return;
        }
        ++started;
      }
      runtime::Execution& execution = *slot.execution;
      const runtime::StepOutcome out = execution.Step(slot.clock, kStepBudget);
      for (const runtime::TaskRequest& task : execution.TakeTaskRequests()) {
        execution.FailTask(task.ticket, "States.TaskFailed", "stepd bench runs no integrations");
      }
      if (out.kind == runtime::StepKind::kBlocked && out.wake_at) {
        slot.clock = std::max(slot.clock, *out.wake_at);
      }
      if (out.kind == runtime::StepKind::kDone) {
        Finish(slot, result);
        shared.done.fetch_add(1, std::memory_order_relaxed);
      }
    }
    active = static_cast<std::size_t>(std::count_if(
        slots.begin(), slots.end(), [](const Slot& s) { return s.execution.has_value(); }));
  } while (active > 0 || want_more());
  result.allocations = metrics::ThreadAllocations() - before;
}

std::int64_t Percentile(std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

std::optional<std::uint64_t> ParseCount(const std::optional<std::string>& text) {
  if (!text) {
    return std::nullopt;
  }
  const std::optional<std::uint64_t> value = ParseUnsigned(*text, UINT64_MAX);
  return value && *value != 0 ? value : std::nullopt;
}

}  // namespace

int BenchCommand(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{"help"},
                                             {"input", true},
                                             {"count", true},
                                             {"seconds", true},
                                             {"concurrency", true},
                                             {"threads", true},
                                             {"json"}});
  if (parsed.Has("help")) {
    std::cout << kUsage;
    return kExitOk;
  }
  std::string problem = parsed.error;
  if (problem.empty() && parsed.positional.size() != 1) {
    problem = "expected one DEFINITION";
  }
  if (problem.empty() && !parsed.Has("input")) {
    problem = "--input FILE is required";
  }
  if (problem.empty() && parsed.Has("count") && parsed.Has("seconds")) {
    problem = "--count and --seconds exclude each other";
  }
  const auto count = ParseCount(parsed.Value("count"));
  const auto concurrency = ParseCount(parsed.Value("concurrency")).value_or(1);
  const auto threads = ParseCount(parsed.Value("threads")).value_or(1);
  double seconds = 3;
  if (auto s = parsed.Value("seconds")) {
    seconds = std::strtod(s->c_str(), nullptr);
  }
  for (const char* option : {"count", "concurrency", "threads"}) {
    if (problem.empty() && parsed.Has(option) && !ParseCount(parsed.Value(option))) {
      problem = std::string("--") + option + " needs a positive integer";
    }
  }
  if (problem.empty() && !(seconds > 0)) {
    problem = "--seconds needs a positive number";
  }
  if (!problem.empty()) {
    std::cerr << "stepd bench: " << problem << "\n" << kUsage;
    return kExitUsage;
  }
  std::string error;
  const auto definition = ReadInput(parsed.positional[0], error);
  const auto input = ReadInput(*parsed.Value("input"), error);
  if (!definition || !input) {
    std::cerr << "stepd bench: " << error << "\n";
    return kExitUsage;
  }
  const auto compile_start = WallNanos();
  auto machine = runtime::Compile(*definition);
  const auto compile_nanos = WallNanos() - compile_start;
  if (!machine) {
    std::cerr << "stepd bench: invalid definition: " << runtime::Describe(machine.error()) << "\n";
    return kExitUsage;
  }

  Shared shared;
  shared.machine = *machine;
  shared.input = simdjson::padded_string(*input);
  if (count) {
    shared.count_per_thread = std::max<std::uint64_t>(1, *count / threads);
  }
  std::vector<WorkerResult> results(threads);
  const double cpu_before = CpuSeconds();
  const std::int64_t wall_start = WallNanos();
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    workers.emplace_back(Worker, std::ref(shared), concurrency, std::ref(results[t]));
  }
  // Progress once a second until the workers are done or the time is up.
  const bool tty = isatty(STDERR_FILENO) != 0;
  const std::uint64_t total_wanted = shared.count_per_thread * threads;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double elapsed = static_cast<double>(WallNanos() - wall_start) / 1e9;
    const std::uint64_t done = shared.done.load();
    if (!count && elapsed >= seconds) {
      shared.stop = true;
    }
    if (shared.stop || (count && done >= total_wanted)) {
      break;
    }
    static double last_report = 0;
    if (elapsed - last_report >= 1) {
      last_report = elapsed;
      std::fprintf(stderr, "%sstepd bench: %llu executions, %.0f/s, %.1fs%s", tty ? "\r" : "",
                   static_cast<unsigned long long>(done), static_cast<double>(done) / elapsed,
                   elapsed, tty ? "" : "\n");
    }
  }
  for (std::thread& worker : workers) {
    worker.join();
  }
  const double wall = static_cast<double>(WallNanos() - wall_start) / 1e9;
  const double cpu = CpuSeconds() - cpu_before;
  if (tty) {
    std::fprintf(stderr, "\r%60s\r", "");
  }

  WorkerResult total;
  for (WorkerResult& r : results) {
    total.executions += r.executions;
    total.failures += r.failures;
    total.transitions += r.transitions;
    total.allocations += r.allocations;
    total.latencies.insert(total.latencies.end(), r.latencies.begin(), r.latencies.end());
    if (total.first_output.empty()) {
      total.first_output = r.first_output;
    }
    if (total.first_error.empty()) {
      total.first_error = r.first_error;
    }
  }
  std::sort(total.latencies.begin(), total.latencies.end());
  const auto n = static_cast<double>(std::max<std::uint64_t>(1, total.executions));
  const double exec_per_s = static_cast<double>(total.executions) / wall;
  const double transitions_per_exec = static_cast<double>(total.transitions) / n;
  const double allocs_per_exec = static_cast<double>(total.allocations) / n;
  const double allocs_per_state =
      total.transitions == 0
          ? 0
          : static_cast<double>(total.allocations) / static_cast<double>(total.transitions);
  const double p50_us = static_cast<double>(Percentile(total.latencies, 0.50)) / 1e3;
  const double p99_us = static_cast<double>(Percentile(total.latencies, 0.99)) / 1e3;
  const double cpu_us = cpu / n * 1e6;
  const double rss_mib = static_cast<double>(PeakRssKiB()) / 1024.0;

  char report[2048];
  if (parsed.Has("json")) {
    std::snprintf(report, sizeof(report),
                  "{\"executions\":%llu,\"failures\":%llu,\"threads\":%zu,\"concurrency\":%zu,"
                  "\"wall_seconds\":%.3f,\"executions_per_second\":%.1f,"
                  "\"state_transitions_per_execution\":%.2f,\"state_transitions_per_second\":%.1f,"
                  "\"cpu_microseconds_per_execution\":%.3f,\"latency_p50_microseconds\":%.3f,"
                  "\"latency_p99_microseconds\":%.3f,\"heap_allocations_per_execution\":%.3f,"
                  "\"heap_allocations_per_state\":%.4f,\"peak_rss_mib\":%.1f,"
                  "\"compile_microseconds\":%.1f}",
                  static_cast<unsigned long long>(total.executions),
                  static_cast<unsigned long long>(total.failures),
                  static_cast<std::size_t>(threads), static_cast<std::size_t>(concurrency), wall,
                  exec_per_s, transitions_per_exec, exec_per_s * transitions_per_exec, cpu_us,
                  p50_us, p99_us, allocs_per_exec, allocs_per_state, rss_mib,
                  static_cast<double>(compile_nanos) / 1e3);
  } else {
    std::snprintf(report, sizeof(report),
                  "executions            %llu (%llu failed), %zu thread(s) x %zu in flight, "
                  "%.2f s\n"
                  "executions/s          %.0f\n"
                  "state transitions/s   %.0f (%.1f per execution)\n"
                  "CPU per execution     %.3f us\n"
                  "latency p50 / p99     %.3f / %.3f us\n"
                  "heap allocations      %.3f per execution, %.4f per state transition\n"
                  "peak RSS              %.1f MiB\n"
                  "compile               %.1f us (once)\n",
                  static_cast<unsigned long long>(total.executions),
                  static_cast<unsigned long long>(total.failures),
                  static_cast<std::size_t>(threads), static_cast<std::size_t>(concurrency), wall,
                  exec_per_s, exec_per_s * transitions_per_exec, transitions_per_exec, cpu_us,
                  p50_us, p99_us, allocs_per_exec, allocs_per_state, rss_mib,
                  static_cast<double>(compile_nanos) / 1e3);
  }
  std::cout << report << "\n";
  if (total.failures > 0) {
    std::cerr << "stepd bench: " << total.failures
              << " executions failed; the first: " << total.first_error << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace stepd::cli
