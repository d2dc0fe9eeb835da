#pragma once
// Execution: one run of a CompiledMachine, as a sans-I/O state machine.
//
// The interpreter never sleeps, reads a clock or performs I/O. The caller drives it:
//
//   Execution execution(machine, info, arena);
//   execution.Start(input);
//   for (;;) {
//     StepOutcome out = execution.Step(now, kBudget);
//     for (const TaskRequest& task : execution.TakeTaskRequests()) { ...invoke, later
//       execution.CompleteTask(task.ticket, result) or FailTask(...) }
//     if (out.kind == StepKind::kDone) break;
//     if (out.kind == StepKind::kBlocked) wait until out.wake_at or a task answer;
//   }
//
// Step() runs at most `budget` state transitions and returns: kYield (more work is ready; call
// again), kBlocked (waiting for time to pass — Wait states, Retry back-off, timeouts — or for
// task answers) or kDone. Parallel branches and Map iterations run as independent frames, so
// several tasks may be outstanding at once.
//
// Everything the execution creates lives in the Arena passed in; nothing is allocated on the
// heap per state. The input, task results and the machine must outlive the Execution; the
// output() and error texts are valid until the arena is Reset(). Not thread-safe: an execution
// belongs to one thread at a time (it may move between threads between calls).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "jsonpath/arena.h"
#include "jsonpath/value.h"
#include "runtime/events.h"
#include "runtime/machine.h"
#include "runtime/timestamp.h"

namespace stepd::runtime {

// Describes the execution for the context object (`$$`) and events. The views must outlive
// the Execution.
struct ExecutionInfo {
  std::string_view execution_arn;
  std::string_view execution_name;
  std::string_view state_machine_arn;
  std::string_view state_machine_name;
  std::string_view role_arn;
  UnixNanos start_time = 0;
  // Started by StartSyncExecution: AWS leaves Execution.RedriveCount out of the context object
  // of those (and only those) executions.
  bool synchronous = false;
};

enum class ExecutionStatus : std::uint8_t { kRunning, kSucceeded, kFailed, kTimedOut };

enum class StepKind : std::uint8_t { kYield, kBlocked, kDone };

struct StepOutcome {
  StepKind kind = StepKind::kDone;
  std::optional<UnixNanos> wake_at;  // kBlocked: when time alone will make progress
};

// A Task state asks its caller to invoke a resource.
struct TaskRequest {
  std::uint64_t ticket = 0;
  std::string_view state_name;
  std::string_view resource;
  Value parameters;                   // the effective input, valid until the arena resets
  std::optional<UnixNanos> deadline;  // TimeoutSeconds; the runtime enforces it itself
};

// The Express limits that apply to every execution.
inline constexpr double kExpressMaxSeconds = 300;
inline constexpr std::size_t kMaxPayloadBytes = 256 * 1024;

class Execution {
 public:
  Execution(std::shared_ptr<const CompiledMachine> machine, const ExecutionInfo& info, Arena& arena,
            EventSink* sink = nullptr);
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;
  ~Execution();

  // `input_bytes` is the size of the input's JSON text, for the payload limit.
  void Start(Value input, std::size_t input_bytes);

  StepOutcome Step(UnixNanos now, std::uint32_t budget);

  // Tasks requested since the last call. The span is valid until the next Step().
  std::span<const TaskRequest> TakeTaskRequests();

  // Answers a task. `result` is copied into the execution's arena; `result_bytes` is the size
  // of its JSON text (for the payload limit). Unknown or stale tickets are ignored.
  void CompleteTask(std::uint64_t ticket, Value result, std::size_t result_bytes);
  void FailTask(std::uint64_t ticket, std::string_view error, std::string_view cause);

  ExecutionStatus status() const { return status_; }
  Value output() const { return output_; }
  std::string_view error() const { return error_; }
  std::string_view cause() const { return cause_; }
  bool has_error() const { return has_error_; }
  bool has_cause() const { return has_cause_; }
  std::uint64_t state_transitions() const { return transitions_; }

 private:
  struct Frame;
  struct Impl;
  Impl* impl_;  // placement-constructed in the execution's arena

  ExecutionStatus status_ = ExecutionStatus::kRunning;
  Value output_;
  std::string_view error_;
  std::string_view cause_;
  bool has_error_ = false;
  bool has_cause_ = false;
  std::uint64_t transitions_ = 0;
};

}  // namespace stepd::runtime
