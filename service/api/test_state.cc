#include "service/api/test_state.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "runtime/compiler.h"
#include "runtime/diagnostics.h"
#include "runtime/execution.h"
#include "service/api/arn.h"
#include "service/api/aws_json.h"
#include "service/api/executions.h"

namespace stepd::service {

namespace {

constexpr std::string_view kTestedStateName = "TestState";

// The states a state can move to: Next, Default, every Choice rule's Next, every Catch's Next.
void CollectTargets(Value state, std::vector<std::string>& out) {
  const auto add = [&](Value next) {
    if (next.IsString()) {
      out.emplace_back(next.AsString());
    }
  };
  add(state.Find("Next"));
  add(state.Find("Default"));
  for (const char* list : {"Choices", "Catch"}) {
    const Value items = state.Find(list);
    if (items.IsArray()) {
      items.ForEachElement([&](Value item) {
        if (item.IsObject()) {
          add(item.Find("Next"));
        }
      });
    }
  }
}

// Watches the events of the one state under test: what it received, how it failed, and where
// it went next.
class TransitionRecorder final : public runtime::EventSink {
 public:
  void OnEvent(const runtime::Event& event) override {
    switch (event.type) {
      case runtime::EventType::kStateEntered:
        if (++entered_ == 2) {
          next_state_.assign(event.state_name);
          output_.clear();
          AppendJson(event.input, output_);
        }
        break;
      case runtime::EventType::kTaskFailed:
      case runtime::EventType::kTaskTimedOut:
      case runtime::EventType::kLambdaFunctionFailed:
      case runtime::EventType::kLambdaFunctionTimedOut:
      case runtime::EventType::kParallelStateFailed:
      case runtime::EventType::kMapStateFailed:
        error_.assign(event.error);
        cause_.assign(event.cause);
        failed_ = true;
        break;
      default:
        break;
    }
  }

  bool moved_on() const { return entered_ >= 2; }
  bool failed() const { return failed_; }
  const std::string& next_state() const { return next_state_; }
  const std::string& output() const { return output_; }
  const std::string& error() const { return error_; }
  const std::string& cause() const { return cause_; }

 private:
  int entered_ = 0;
  bool failed_ = false;
  std::string next_state_;
  std::string output_;
  std::string error_;
  std::string cause_;
};

}  // namespace

ApiResult<std::string> TestState(const RequestBody& body, const ServiceConfig& config) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view definition_text, body.RequiredString("definition"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> state_name,
                         body.String("stateName"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> role_arn, body.String("roleArn"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> input_member, body.String("input"));
  const std::string_view input_text = input_member.value_or("{}");

  Document definition_document;
  auto definition = definition_document.Parse(definition_text);
  if (!definition || !definition->IsObject()) {
    return Unexpected(ApiError{
        "InvalidDefinition",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Definition must be a "
        "valid JSON object'",
        400});
  }
  Value state = *definition;
  std::string name(kTestedStateName);
  if (state_name) {
    const Value states = definition->Find("States");
    state = states.IsObject() ? states.Find(*state_name) : Value();
    if (!state.IsObject()) {
      return Unexpected(ValidationException("State '" + std::string(*state_name) +
                                            "' does not exist in the definition"));
    }
    name.assign(*state_name);
  }
  const Value type = state.Find("Type");
  const bool is_task = type.IsString() && type.AsString() == "Task";

  // The mock stands in for the Task's integration.
  const Value mock = body.Get("mock");
  std::optional<std::string> mock_result;
  std::optional<std::pair<std::string, std::string>> mock_error;
  if (mock.IsObject()) {
    const Value result = mock.Find("result");
    const Value error_output = mock.Find("errorOutput");
    if (!result.IsMissing() && !error_output.IsMissing()) {
      return Unexpected(ValidationException(
          "A test mock should have only one of the following fields: [result, errorOutput]."));
    }
    if (!is_task) {
      return Unexpected(ValidationException("State type '" +
                                            std::string(type.IsString() ? type.AsString() : "") +
                                            "' is not supported when a mock is specified"));
    }
    if (result.IsString()) {
      mock_result.emplace(result.AsString());
    } else if (error_output.IsObject()) {
      const Value error = error_output.Find("error");
      const Value cause = error_output.Find("cause");
      mock_error.emplace(error.IsString() ? error.AsString() : "",
                         cause.IsString() ? cause.AsString() : "");
    } else {
      return Unexpected(ValidationException("The mock needs a result or an errorOutput"));
    }
  }
  if (is_task && !role_arn && !mock.IsObject()) {
    return Unexpected(ValidationException("RoleArn must be specified when testing a Task state"));
  }

  // A one-state machine: the state under test, and a Succeed state for every state it can go
  // to, so that its transition is observable and nothing after it runs.
  std::vector<std::string> targets;
  CollectTargets(state, targets);
  std::string wrapper = "{\"StartAt\":";
  AppendJsonString(name, wrapper);
  wrapper += ",\"States\":{";
  AppendJsonString(name, wrapper);
  wrapper += ':';
  AppendJson(state, wrapper);
  std::vector<std::string_view> added;
  for (const std::string& target : targets) {
    if (target == name || std::find(added.begin(), added.end(), target) != added.end()) {
      continue;
    }
    added.push_back(target);
    wrapper += ',';
    AppendJsonString(target, wrapper);
    wrapper += ":{\"Type\":\"Succeed\"}";
  }
  wrapper += "}}";
  auto machine = runtime::Compile(wrapper);
  if (!machine) {
    return Unexpected(ApiError{
        "InvalidDefinition",
        "Invalid State Machine Definition: '" + runtime::Describe(machine.error()) + "'", 400});
  }

  Document input_document;
  auto input = input_document.Parse(input_text);
  if (!input) {
    return Unexpected(InvalidExecutionInput(input.error().cause));
  }
  const std::string execution_arn =
      "arn:" + config.partition + ":states:" + config.region + ":" + config.account +
      ":execution:TestStateMachine:" + std::string(RandomUuid().view());
  runtime::ExecutionInfo info;
  info.execution_arn = execution_arn;
  info.execution_name = "TestState";
  info.state_machine_name = "TestStateMachine";
  info.role_arn = role_arn.value_or("");
  info.start_time = NowUnixNanos();
  info.synchronous = true;
  Arena arena;
  TransitionRecorder recorder;
  runtime::Execution execution(*machine, info, arena, &recorder);
  execution.Start(*input, input_text.size());

  // One transition at a time, so the run stops as soon as the state has moved on. Time jumps
  // over Wait states; a pending retry is reported as RETRIABLE rather than waited for.
  runtime::UnixNanos now = info.start_time;
  std::string_view status;
  for (;;) {
    const runtime::StepOutcome outcome = execution.Step(now, 1);
    bool answered = false;
    for (const runtime::TaskRequest& task : execution.TakeTaskRequests()) {
      answered = true;
      if (mock_result) {
        Document result_document;
        auto result = result_document.Parse(*mock_result);
        if (!result) {
          return Unexpected(ValidationException("The mock result is not valid JSON: " +
                                                std::string(result.error().cause)));
        }
        execution.CompleteTask(task.ticket, *result, mock_result->size());
      } else if (mock_error) {
        execution.FailTask(task.ticket, mock_error->first, mock_error->second);
      } else {
        execution.FailTask(task.ticket, "States.TaskFailed",
                           "stepd has no integration for this Task resource yet");
      }
    }
    if (recorder.moved_on()) {
      status = recorder.failed() ? "CAUGHT_ERROR" : "SUCCEEDED";
      break;
    }
    if (answered) {
      continue;  // the answers are ready to run; `outcome` predates them
    }
    if (outcome.kind == runtime::StepKind::kDone) {
      status = execution.status() == runtime::ExecutionStatus::kSucceeded ? "SUCCEEDED" : "FAILED";
      break;
    }
    if (outcome.kind == runtime::StepKind::kBlocked && outcome.wake_at) {
      if (recorder.failed()) {
        status = "RETRIABLE";
        break;
      }
      now = std::max(now, *outcome.wake_at);
    }
  }

  std::string out = "{\"status\":";
  AppendJsonString(status, out);
  if (status == "SUCCEEDED" || status == "CAUGHT_ERROR") {
    if (recorder.moved_on()) {
      AppendMember("output", recorder.output(), out);
      AppendMember("nextState", recorder.next_state(), out);
    } else {
      std::string output;
      AppendJson(execution.output(), output);
      AppendMember("output", output, out);
    }
  }
  if (status == "FAILED") {
    if (execution.has_error()) {
      AppendMember("error", execution.error(), out);
    }
    if (execution.has_cause()) {
      AppendMember("cause", execution.cause(), out);
    }
  } else if (status != "SUCCEEDED") {
    AppendMember("error", recorder.error(), out);
    AppendMember("cause", recorder.cause(), out);
  }
  out += ",\"inspectionData\":{\"input\":";
  AppendJsonString(input_text, out);
  out += "}}";
  return out;
}

}  // namespace stepd::service
