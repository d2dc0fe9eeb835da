#pragma once
// Runs one execution to completion in the calling thread: the loop around Execution::Step()
// for callers that may block — the `stepd run` command and tests. (The server drives
// executions from its event loop instead and never blocks.)
//
// Time comes from a Clock, so tests run Wait states and Retry back-off instantly and
// deterministically with a FakeClock; tasks are answered by a TaskHandler.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/events.h"
#include "runtime/execution.h"
#include "runtime/machine.h"

namespace stepd::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixNanos Now() = 0;
  // Returns once Now() >= until (a fake clock simply jumps there).
  virtual void SleepUntil(UnixNanos until) = 0;
};

// Starts at `start` and moves only when slept on.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixNanos start) : now_(start) {}
  UnixNanos Now() override { return now_; }
  void SleepUntil(UnixNanos until) override { now_ = std::max(now_, until); }

 private:
  UnixNanos now_;
};

// A task's answer: JSON output text, or an error name and cause.
struct TaskAnswer {
  bool succeeded = false;
  std::string output;  // JSON text when succeeded
  std::string error;
  std::string cause;
};
using TaskHandler = std::function<TaskAnswer(const TaskRequest&)>;

struct RunOptions {
  Clock* clock = nullptr;  // required
  TaskHandler tasks;       // when empty, every task fails with States.TaskFailed
  EventSink* sink = nullptr;
  ExecutionInfo info;  // start_time is taken from the clock when 0
};

struct RunResult {
  ExecutionStatus status = ExecutionStatus::kFailed;
  std::string output;  // JSON text when succeeded
  std::string error;
  std::string cause;
  bool has_error = false;
  bool has_cause = false;
  std::uint64_t state_transitions = 0;
};

// Parses `input_text` and runs the execution. Invalid JSON input fails the execution with
// States.Runtime and the parser's message.
RunResult RunToCompletion(std::shared_ptr<const CompiledMachine> machine,
                          std::string_view input_text, const RunOptions& options);

}  // namespace stepd::runtime
