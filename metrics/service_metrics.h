#pragma once
// stepd's Prometheus metrics.
//
// Per state machine counters and histograms are plain atomics that the hot path bumps with
// relaxed adds: a state machine's handle is resolved once, when the machine is created, and an
// execution never looks up a label or takes a lock (prometheus-cpp's Histogram::Observe locks
// a mutex, and Family::Add hashes labels under one). A scrape reads the atomics and hands
// prometheus-cpp's TextSerializer the families, beside the registry's own slow-path metrics.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace stepd::metrics {

// Execution and task durations, in seconds: from well under a millisecond (pure state
// machines) to the Express limit of 300 s.
inline constexpr std::array<double, 19> kDurationBounds = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25,   0.5,     1,      2.5,   5,      10,    30,   60,    300};

class AtomicHistogram {
 public:
  void Observe(double seconds);

  struct Snapshot {
    std::array<std::uint64_t, kDurationBounds.size() + 1> cumulative{};  // last: +Inf
    double sum = 0;
  };
  Snapshot Read() const;

 private:
  std::array<std::atomic<std::uint64_t>, kDurationBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_nanos_{0};
};

// Task resources by the kind of service they call: a bounded label set.
enum class ResourceKind : std::uint8_t {
  kLambda,
  kHttp,
  kSqs,
  kSns,
  kDynamoDb,
  kEvents,
  kStepFunctions,
  kAwsSdk,
  kActivity,
  kOther,
  kCount
};
ResourceKind ClassifyResource(std::string_view resource);
std::string_view ResourceKindName(ResourceKind kind);

struct TaskMetrics {
  std::atomic<std::uint64_t> invocations{0};
  std::atomic<std::uint64_t> errors{0};
  AtomicHistogram duration;
};

struct MachineMetrics {
  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> succeeded{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> timed_out{0};
  std::atomic<std::uint64_t> aborted{0};
  std::atomic<std::uint64_t> throttled{0};
  std::atomic<std::uint64_t> transitions{0};
  AtomicHistogram duration;
  std::array<TaskMetrics, static_cast<std::size_t>(ResourceKind::kCount)> tasks;

  TaskMetrics& task(ResourceKind kind) { return tasks[static_cast<std::size_t>(kind)]; }
};

struct LogGroupMetrics {
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> dropped{0};
};

// The API actions counted by name; anything else counts as "other".
inline constexpr std::array<std::string_view, 24> kApiActions = {
    "CreateStateMachine",
    "DescribeStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "ListStateMachines",
    "StartSyncExecution",
    "StartExecution",
    "ValidateStateMachineDefinition",
    "TestState",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "DescribeExecution",
    "StopExecution",
    "GetExecutionHistory",
    "ListExecutions",
    "DescribeStateMachineForExecution",
    "native_sync",
    "native_batch",
    "logs",
    "metrics",
    "health",
    "not_found",
    "other",
};
// HTTP statuses counted separately; any other status counts under "other".
inline constexpr std::array<unsigned, 9> kApiStatuses = {200, 400, 404, 405, 413,
                                                         422, 431, 500, 503};

class ServiceMetrics {
 public:
  explicit ServiceMetrics(std::string_view version);
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;
  ~ServiceMetrics();

  // The handle of a state machine (slow path: takes a mutex, creates it once). A machine
  // deleted and created again keeps counting where it was, as Prometheus expects.
  std::shared_ptr<MachineMetrics> ForStateMachine(std::string_view name);
  std::shared_ptr<LogGroupMetrics> ForLogGroup(std::string_view name);

  // The index of an action in kApiActions ("other" when unknown), resolved once per request;
  // a constant for the fixed names.
  static constexpr std::size_t ApiActionIndex(std::string_view action) {
    for (std::size_t i = 0; i + 1 < kApiActions.size(); ++i) {
      if (kApiActions[i] == action) {
        return i;
      }
    }
    return kApiActions.size() - 1;
  }
  void CountApiRequest(std::size_t action_index, unsigned status);

  std::atomic<std::int64_t> executions_in_flight{0};
  std::atomic<std::int64_t> async_queue_depth{0};

  // The whole exposition, Prometheus text format 0.0.4.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;  // build info and other slow-path metrics
  mutable std::mutex mutex_;                        // guards the two maps, not their values
  std::map<std::string, std::shared_ptr<MachineMetrics>, std::less<>> machines_;
  std::map<std::string, std::shared_ptr<LogGroupMetrics>, std::less<>> log_groups_;
  std::array<std::array<std::atomic<std::uint64_t>, kApiStatuses.size() + 1>, kApiActions.size()>
      api_requests_{};
};

}  // namespace stepd::metrics
