#include "service/api/executions.h"

#include <algorithm>
#include <chrono>

#include "jsonpath/writer.h"
#include "service/api/arn.h"
#include "service/api/aws_json.h"

namespace stepd::service {

namespace {

// AWS's limit on the `input` member (and on the native body).
constexpr std::size_t kMaxInputBytes = runtime::kMaxPayloadBytes;

ApiError InputTooLarge() {
  return ValidationException(
      "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must "
      "have length less than or equal to 262144");
}

// The common tail of both starts: the machine is found and the name checked.
std::optional<ApiError> Begin(const RecordPtr& machine, std::string_view name,
                              std::string_view input_text, const StartContext& context,
                              ExecutionSlot& slot) {
  if (input_text.size() > kMaxInputBytes) {
    return InputTooLarge();
  }
  slot.input_text.assign(input_text);
  auto input = slot.input_document.Parse(slot.input_text);
  if (!input) {
    return InvalidExecutionInput(input.error().cause);
  }
  slot.machine = machine;
  slot.execution_name.clear();
  if (name.empty()) {
    slot.execution_name.append(RandomUuid().view());
  } else {
    slot.execution_name.assign(name);
  }
  slot.execution_arn.clear();
  AppendExpressExecutionArn(context.config, machine->name, slot.execution_name, RandomUuid().view(),
                            slot.execution_arn);
  slot.start_time = NowUnixNanos();
  slot.stop_time = 0;

  runtime::ExecutionInfo info;
  info.execution_arn = slot.execution_arn;
  info.execution_name = slot.execution_name;
  info.state_machine_arn = machine->arn;
  info.state_machine_name = machine->name;
  info.role_arn = machine->role_arn;
  info.start_time = slot.start_time;
  info.synchronous = context.synchronous;
  slot.arena.Reset();
  runtime::EventSink* sink =
      slot.observer ? slot.observer->OnStart(*machine, slot.execution_arn) : nullptr;
  slot.execution.emplace(machine->machine, info, slot.arena, sink);
  slot.execution->Start(*input, slot.input_text.size());
  return std::nullopt;
}

}  // namespace

void ExecutionSlot::Release() {
  execution.reset();
  machine.reset();
  trace_header.clear();
  include_data = true;
}

runtime::UnixNanos NowUnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view StatusName(runtime::ExecutionStatus status) {
  switch (status) {
    case runtime::ExecutionStatus::kRunning:
      return "RUNNING";
    case runtime::ExecutionStatus::kSucceeded:
      return "SUCCEEDED";
    case runtime::ExecutionStatus::kFailed:
      return "FAILED";
    case runtime::ExecutionStatus::kTimedOut:
      return "TIMED_OUT";
  }
  return "FAILED";
}

std::optional<ApiError> StartFromApiRequest(const RequestBody& body, const StartContext& context,
                                            ExecutionSlot& slot) {
  slot.Release();
  auto arn = body.RequiredString("stateMachineArn");
  if (!arn) {
    return std::move(arn).error();
  }
  auto name = body.String("name");
  auto input = body.String("input");
  auto trace = body.String("traceHeader");
  auto included = body.String("includedData");
  for (auto* member : {&name, &input, &trace, &included}) {
    if (!*member) {
      return std::move(*member).error();
    }
  }
  const StateMachineArnParts parts = ParseStateMachineArn(context.config, *arn);
  if (parts.check == ArnCheck::kMalformed) {
    return InvalidArn(*arn);
  }
  const RecordPtr* machine =
      parts.check == ArnCheck::kOurs ? context.machines.Find(parts.name) : nullptr;
  if (machine == nullptr) {
    return StateMachineDoesNotExist(*arn);
  }
  if (*name && !IsValidResourceName(**name)) {
    return InvalidName(**name);
  }
  if (*trace && (*trace)->size() > 256) {
    return ConstraintViolation(**trace, "traceHeader",
                               "Member must have length less than or equal to 256");
  }
  bool include_data = true;
  if (*included) {
    if (**included == "METADATA_ONLY") {
      include_data = false;
    } else if (**included != "ALL_DATA") {
      return ConstraintViolation(**included, "includedData",
                                 "Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]");
    }
  }
  if (auto error = Begin(*machine, name->value_or(""), input->value_or("{}"), context, slot)) {
    slot.Release();
    return error;
  }
  slot.trace_header.assign(trace->value_or(""));
  slot.include_data = include_data;
  return std::nullopt;
}

std::optional<ApiError> StartFromNativeRequest(std::string_view name, std::string_view input_text,
                                               const StartContext& context, ExecutionSlot& slot) {
  slot.Release();
  const RecordPtr* machine = context.machines.Find(name);
  if (machine == nullptr) {
    return StateMachineDoesNotExist(StateMachineArn(context.config, name));
  }
  if (auto error = Begin(*machine, {}, input_text, context, slot)) {
    slot.Release();
    return error;
  }
  return std::nullopt;
}

void AppendStartSyncExecutionResponse(const ExecutionSlot& slot, std::string& out) {
  const runtime::Execution& execution = *slot.execution;
  out += "{\"executionArn\":";
  AppendJsonString(slot.execution_arn, out);
  AppendMember("stateMachineArn", slot.machine->arn, out);
  AppendMember("name", slot.execution_name, out);
  out += ",\"startDate\":";
  AppendEpochSeconds(slot.start_time / 1'000'000, out);
  out += ",\"stopDate\":";
  AppendEpochSeconds(slot.stop_time / 1'000'000, out);
  AppendMember("status", StatusName(execution.status()), out);
  if (execution.has_error()) {
    AppendMember("error", execution.error(), out);
  }
  if (execution.has_cause()) {
    AppendMember("cause", execution.cause(), out);
  }
  if (slot.include_data) {
    AppendMember("input", slot.input_text, out);
  }
  out += ",\"inputDetails\":{\"included\":";
  out += slot.include_data ? "true}" : "false}";
  if (execution.status() == runtime::ExecutionStatus::kSucceeded) {
    if (slot.include_data) {
      out += ",\"output\":";
      AppendJsonAsString(execution.output(), out);
    }
    out += ",\"outputDetails\":{\"included\":";
    out += slot.include_data ? "true}" : "false}";
  }
  if (!slot.trace_header.empty()) {
    AppendMember("traceHeader", slot.trace_header, out);
  }
  // AWS bills Express in 100 ms steps and 64 MB of memory for executions of this size.
  const std::int64_t elapsed_ms = (slot.stop_time - slot.start_time + 999'999) / 1'000'000;
  const std::int64_t billed_ms = std::max<std::int64_t>(100, (elapsed_ms + 99) / 100 * 100);
  out += ",\"billingDetails\":{\"billedMemoryUsedInMB\":64,\"billedDurationInMilliseconds\":";
  out += std::to_string(billed_ms);
  out += "}}";
}

void AppendStartExecutionResponse(const ExecutionSlot& slot, std::string& out) {
  out += "{\"executionArn\":";
  AppendJsonString(slot.execution_arn, out);
  out += ",\"startDate\":";
  AppendEpochSeconds(slot.start_time / 1'000'000, out);
  out += '}';
}

bool AppendNativeResponse(const ExecutionSlot& slot, std::string& out) {
  const runtime::Execution& execution = *slot.execution;
  if (execution.status() == runtime::ExecutionStatus::kSucceeded) {
    AppendJson(execution.output(), out);
    return true;
  }
  out += "{\"status\":";
  AppendJsonString(StatusName(execution.status()), out);
  if (execution.has_error()) {
    AppendMember("error", execution.error(), out);
  }
  if (execution.has_cause()) {
    AppendMember("cause", execution.cause(), out);
  }
  out += '}';
  return false;
}

void AppendNativeLineResponse(const ExecutionSlot& slot, std::string& out) {
  const runtime::Execution& execution = *slot.execution;
  out += "{\"status\":";
  AppendJsonString(StatusName(execution.status()), out);
  if (execution.status() == runtime::ExecutionStatus::kSucceeded) {
    out += ",\"output\":";
    AppendJson(execution.output(), out);
  }
  if (execution.has_error()) {
    AppendMember("error", execution.error(), out);
  }
  if (execution.has_cause()) {
    AppendMember("cause", execution.cause(), out);
  }
  out += '}';
}

void AppendNativeLineError(const ApiError& error, std::string& out) {
  out += "{\"status\":\"REJECTED\",\"error\":";
  AppendJsonString(error.code, out);
  AppendMember("cause", error.message, out);
  out += '}';
}

}  // namespace stepd::service
