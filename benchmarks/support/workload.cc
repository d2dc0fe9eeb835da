#include "benchmarks/support/workload.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "jsonpath/writer.h"
#include "runtime/compiler.h"

namespace stepd::bench {

namespace {

// Far more than any workload needs, so that one Step() call normally finishes the execution.
constexpr std::uint32_t kStepBudget = 1 << 20;
constexpr runtime::UnixNanos kStartTime = 1'714'521'600'000'000'000;  // 2024-05-01T00:00:00Z

}  // namespace

std::optional<std::string> ReadWorkloadFile(std::string_view workload, std::string_view file) {
  std::string path = STEPD_SHARED_DIR "/bench/workloads/";
  path.append(workload).append("/").append(file);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::unique_ptr<WorkloadRunner> WorkloadRunner::Load(std::string_view workload,
                                                     std::string& error) {
  std::optional<std::string> definition = ReadWorkloadFile(workload, "definition.json");
  std::optional<std::string> input = ReadWorkloadFile(workload, "input.json");
  std::optional<std::string> expected = ReadWorkloadFile(workload, "expected_output.json");
  if (!definition || !input || !expected) {
    error = "cannot read the files of workload " + std::string(workload);
    return nullptr;
  }
  runtime::MachineResult machine = runtime::Compile(*definition);
  if (!machine) {
    error = "workload " + std::string(workload) + " does not compile";
    return nullptr;
  }
  return std::unique_ptr<WorkloadRunner>(
      new WorkloadRunner(std::move(*machine), std::move(*input), std::move(*expected)));
}

WorkloadRunner::WorkloadRunner(std::shared_ptr<const runtime::CompiledMachine> machine,
                               std::string input, std::string expected_output)
    : machine_(std::move(machine)), input_(input), expected_output_(std::move(expected_output)) {
  info_.execution_arn = "arn:aws:states:us-east-1:123456789012:express:bench:bench:0";
  info_.execution_name = "bench";
  info_.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:bench";
  info_.state_machine_name = "bench";
  info_.role_arn = "arn:aws:iam::123456789012:role/stepd";
  info_.start_time = kStartTime;
  info_.synchronous = true;
}

bool WorkloadRunner::Parse() {
  Result<Value> input = document_.ParsePadded(input_.data(), input_.size(),
                                              input_.size() + simdjson::SIMDJSON_PADDING);
  if (!input) {
    error_ = "invalid input: " + std::string(input.error().cause);
    return false;
  }
  input_value_ = *input;
  return true;
}

bool WorkloadRunner::Execute() {
  arena_.Reset();
  runtime::Execution execution(machine_, info_, arena_);
  execution.Start(input_value_, input_.size());
  runtime::UnixNanos now = kStartTime;
  for (;;) {
    const runtime::StepOutcome out = execution.Step(now, kStepBudget);
    if (out.kind == runtime::StepKind::kDone) {
      break;
    }
    // No workload has a Task state; a block can only be a Wait or a Retry back-off, which
    // the clock skips, as a fake clock would.
    if (out.kind == runtime::StepKind::kBlocked) {
      if (!out.wake_at) {
        error_ = "the execution blocked with nothing to wait for";
        return false;
      }
      now = std::max(now, *out.wake_at);
    }
  }
  transitions_ = execution.state_transitions();
  if (execution.status() != runtime::ExecutionStatus::kSucceeded) {
    error_ = "the execution failed: " + std::string(execution.error()) + ": " +
             std::string(execution.cause());
    return false;
  }
  output_.clear();
  AppendJson(execution.output(), output_);
  return true;
}

bool WorkloadRunner::ParseAndSerialize() {
  if (!Parse()) {
    return false;
  }
  output_.clear();
  AppendJson(input_value_, output_);
  return true;
}

bool WorkloadRunner::OutputMatchesExpected() {
  Document expected_document;
  Document actual_document;
  Result<Value> expected = expected_document.Parse(expected_output_);
  Result<Value> actual = actual_document.Parse(output_);
  if (!expected || !actual || !DeepEquals(*expected, *actual)) {
    error_ = "the output differs from expected_output.json: " + output_;
    return false;
  }
  return true;
}

}  // namespace stepd::bench
