#pragma once
// Execution history events, as AWS names and numbers them (GetExecutionHistory and the
// CloudWatch Logs records of Express executions).
//
// The interpreter hands each event to an EventSink while it runs. With no sink attached no
// event is built at all. An Event and every view in it are valid only during OnEvent(): a sink
// that keeps one must copy what it keeps.

#include <cstdint>
#include <string_view>

#include "jsonpath/value.h"
#include "runtime/machine.h"

namespace stepd::runtime {

enum class EventType : std::uint8_t {
  kExecutionStarted,
  kExecutionSucceeded,
  kExecutionFailed,
  kExecutionTimedOut,
  kExecutionAborted,
  kStateEntered,  // "<Type>StateEntered" for the state's type
  kStateExited,
  kStateAborted,  // "<Type>StateAborted": a state cut short because a sibling branch failed
  kTaskScheduled,
  kTaskStarted,
  kTaskSucceeded,
  kTaskFailed,
  kTaskTimedOut,
  kLambdaFunctionScheduled,  // a Task whose Resource is a bare Lambda function ARN
  kLambdaFunctionStarted,
  kLambdaFunctionSucceeded,
  kLambdaFunctionFailed,
  kLambdaFunctionTimedOut,
  kParallelStateStarted,
  kParallelStateFailed,
  kMapStateStarted,
  kMapStateSucceeded,
  kMapStateFailed,
  kMapRunStarted,  // a Distributed Map's run of child executions
  kMapRunSucceeded,
  kMapRunFailed,
  kMapIterationStarted,
  kMapIterationSucceeded,
  kMapIterationFailed,
  kMapIterationAborted,
};

struct Event {
  std::int64_t id = 0;           // 1 for ExecutionStarted, then +1 per event
  std::int64_t previous_id = 0;  // the event this one follows in its branch; 0 for the first
  std::int64_t timestamp_nanos = 0;
  EventType type = EventType::kExecutionStarted;
  StateType state_type = StateType::kPass;  // for the kState* types
  std::string_view state_name;              // state events; the Map state for iterations
  Value input;                              // ExecutionStarted, StateEntered
  Value output;                             // ExecutionSucceeded, StateExited, Task*Succeeded
  Value parameters;                         // TaskScheduled
  std::string_view resource;                // Task*/LambdaFunction* events
  std::string_view error;                   // *Failed, *TimedOut
  std::string_view cause;
  bool has_error = false;  // Fail states may end an execution with neither error nor cause
  bool has_cause = false;
  std::int64_t index = 0;   // MapIteration*: the item index
  std::int64_t length = 0;  // MapStateStarted: the number of items
};

// "PassStateEntered", "TaskScheduled", "MapIterationStarted"...
std::string_view EventTypeName(EventType type, StateType state_type);

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnEvent(const Event& event) = 0;
};

}  // namespace stepd::runtime
