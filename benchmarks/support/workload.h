#pragma once
// The shared ASL benchmark workloads (shared/bench/workloads/<name>/), run the way a server runs
// an execution: the definition is compiled once; every Run() parses the input text, runs the
// execution to completion and serialises its output.
//
// The Document, Arena and output buffer are reused by every Run(), so steady state allocates
// only what the runtime itself allocates. Not thread-safe: one runner belongs to one thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "runtime/execution.h"
#include "runtime/machine.h"

namespace stepd::bench {

// The text of shared/bench/workloads/<workload>/<file>, or nullopt when it cannot be read.
std::optional<std::string> ReadWorkloadFile(std::string_view workload, std::string_view file);

class WorkloadRunner {
 public:
  // Reads and compiles the workload; on failure returns nullptr and sets `error`.
  static std::unique_ptr<WorkloadRunner> Load(std::string_view workload, std::string& error);

  WorkloadRunner(const WorkloadRunner&) = delete;
  WorkloadRunner& operator=(const WorkloadRunner&) = delete;

  // Parses the input text, then Execute()s. False when either fails; error() says why.
  bool Run() { return Parse() && Execute(); }

  // The two halves of Run(), so that the execution can be timed without the parse: Execute()
  // runs one execution on the input of the last Parse() and serialises its output.
  bool Parse();
  bool Execute();

  // Only parses the input and serialises it again: the floor every execution pays.
  bool ParseAndSerialize();

  // Whether output() is JSON-equal to expected_output.json; on mismatch sets error().
  bool OutputMatchesExpected();

  // The last Run()'s serialised output (or ParseAndSerialize()'s copy of the input).
  const std::string& output() const { return output_; }
  std::uint64_t transitions() const { return transitions_; }
  std::size_t input_bytes() const { return input_.size(); }
  const std::string& error() const { return error_; }

 private:
  WorkloadRunner(std::shared_ptr<const runtime::CompiledMachine> machine, std::string input,
                 std::string expected_output);

  std::shared_ptr<const runtime::CompiledMachine> machine_;
  // Padded as a server pads a request body it reads, so parsing copies nothing.
  simdjson::padded_string input_;
  std::string expected_output_;
  runtime::ExecutionInfo info_;
  Document document_;
  Value input_value_;
  Arena arena_;
  std::string output_;
  std::uint64_t transitions_ = 0;
  std::string error_;
};

}  // namespace stepd::bench
