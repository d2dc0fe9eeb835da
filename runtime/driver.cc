#include "runtime/driver.h"

#include <span>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd::runtime {

namespace {

constexpr std::uint32_t kStepBudget = 1024;

TaskAnswer NoIntegration(const TaskRequest& task) {
  return {false,
          {},
          "States.TaskFailed",
          "No integration answers the resource '" + std::string(task.resource) + "'"};
}

}  // namespace

RunResult RunToCompletion(std::shared_ptr<const CompiledMachine> machine,
                          std::string_view input_text, const RunOptions& options) {
  RunResult result;
  Clock& clock = *options.clock;
  Document input_document;
  auto input = input_document.Parse(input_text);
  if (!input) {
    result.status = ExecutionStatus::kFailed;
    result.error = "States.Runtime";
    result.cause = "Invalid execution input: " + std::string(input.error().cause);
    result.has_error = result.has_cause = true;
    return result;
  }
  ExecutionInfo info = options.info;
  if (info.start_time == 0) {
    info.start_time = clock.Now();
  }
  Arena arena;
  Execution execution(std::move(machine), info, arena, options.sink);
  execution.Start(*input, input_text.size());
  Document task_document;  // task outputs are copied into the arena, so one parser serves all
  for (;;) {
    const StepOutcome out = execution.Step(clock.Now(), kStepBudget);
    // Valid until the next Step(); answering a task does not touch them.
    const std::span<const TaskRequest> tasks = execution.TakeTaskRequests();
    for (const TaskRequest& task : tasks) {
      const TaskAnswer answer = options.tasks ? options.tasks(task) : NoIntegration(task);
      if (!answer.succeeded) {
        execution.FailTask(task.ticket, answer.error, answer.cause);
        continue;
      }
      auto output = task_document.Parse(answer.output);
      if (!output) {
        execution.FailTask(task.ticket, "States.Runtime",
                           "The task returned invalid JSON: " + std::string(output.error().cause));
        continue;
      }
      execution.CompleteTask(task.ticket, *output, answer.output.size());
    }
    if (out.kind == StepKind::kDone) {
      break;
    }
    if (out.kind == StepKind::kBlocked && tasks.empty() && out.wake_at) {
      clock.SleepUntil(*out.wake_at);
    }
  }
  result.status = execution.status();
  result.state_transitions = execution.state_transitions();
  if (result.status == ExecutionStatus::kSucceeded) {
    result.output = ToJson(execution.output());
  } else {
    result.error = std::string(execution.error());
    result.cause = std::string(execution.cause());
    result.has_error = execution.has_error();
    result.has_cause = execution.has_cause();
  }
  return result;
}

}  // namespace stepd::runtime
