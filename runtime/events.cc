#include "runtime/events.h"

namespace stepd::runtime {

namespace {

std::string_view StateEventName(StateType state, std::string_view suffix) {
  // Spelled out so that every name is a static string: no formatting per event.
  static constexpr std::string_view kEntered[] = {
      "PassStateEntered",    "TaskStateEntered", "ChoiceStateEntered",   "WaitStateEntered",
      "SucceedStateEntered", "FailStateEntered", "ParallelStateEntered", "MapStateEntered"};
  static constexpr std::string_view kExited[] = {
      "PassStateExited",    "TaskStateExited", "ChoiceStateExited",   "WaitStateExited",
      "SucceedStateExited", "FailStateExited", "ParallelStateExited", "MapStateExited"};
  static constexpr std::string_view kAborted[] = {
      "PassStateAborted",    "TaskStateAborted", "ChoiceStateAborted",   "WaitStateAborted",
      "SucceedStateAborted", "FailStateAborted", "ParallelStateAborted", "MapStateAborted"};
  const auto index = static_cast<std::size_t>(state);
  if (suffix == "Entered") {
    return kEntered[index];
  }
  if (suffix == "Exited") {
    return kExited[index];
  }
  return kAborted[index];
}

}  // namespace

std::string_view EventTypeName(EventType type, StateType state_type) {
  switch (type) {
    case EventType::kExecutionStarted:
      return "ExecutionStarted";
    case EventType::kExecutionSucceeded:
      return "ExecutionSucceeded";
    case EventType::kExecutionFailed:
      return "ExecutionFailed";
    case EventType::kExecutionTimedOut:
      return "ExecutionTimedOut";
    case EventType::kExecutionAborted:
      return "ExecutionAborted";
    case EventType::kStateEntered:
      return StateEventName(state_type, "Entered");
    case EventType::kStateExited:
      return StateEventName(state_type, "Exited");
    case EventType::kStateAborted:
      return StateEventName(state_type, "Aborted");
    case EventType::kTaskScheduled:
      return "TaskScheduled";
    case EventType::kTaskStarted:
      return "TaskStarted";
    case EventType::kTaskSucceeded:
      return "TaskSucceeded";
    case EventType::kTaskFailed:
      return "TaskFailed";
    case EventType::kTaskTimedOut:
      return "TaskTimedOut";
    case EventType::kLambdaFunctionScheduled:
      return "LambdaFunctionScheduled";
    case EventType::kLambdaFunctionStarted:
      return "LambdaFunctionStarted";
    case EventType::kLambdaFunctionSucceeded:
      return "LambdaFunctionSucceeded";
    case EventType::kLambdaFunctionFailed:
      return "LambdaFunctionFailed";
    case EventType::kLambdaFunctionTimedOut:
      return "LambdaFunctionTimedOut";
    case EventType::kParallelStateStarted:
      return "ParallelStateStarted";
    case EventType::kParallelStateFailed:
      return "ParallelStateFailed";
    case EventType::kMapStateStarted:
      return "MapStateStarted";
    case EventType::kMapStateSucceeded:
      return "MapStateSucceeded";
    case EventType::kMapStateFailed:
      return "MapStateFailed";
    case EventType::kMapRunStarted:
      return "MapRunStarted";
    case EventType::kMapRunSucceeded:
      return "MapRunSucceeded";
    case EventType::kMapRunFailed:
      return "MapRunFailed";
    case EventType::kMapIterationStarted:
      return "MapIterationStarted";
    case EventType::kMapIterationSucceeded:
      return "MapIterationSucceeded";
    case EventType::kMapIterationFailed:
      return "MapIterationFailed";
    case EventType::kMapIterationAborted:
      return "MapIterationAborted";
  }
  return "Unknown";
}

}  // namespace stepd::runtime
