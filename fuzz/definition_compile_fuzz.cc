// Fuzzes the definition validator and compiler with arbitrary text and runs whatever compiles
// for a bounded number of steps against a fixed input, answering tasks alternately with a
// result and an error. Invalid definitions are expected; crashes, sanitizer reports, leaks and
// hangs are bugs.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "runtime/compiler.h"
#include "runtime/execution.h"

namespace {

constexpr std::string_view kInput =
    R"({"a":{"b":[1,2.5,"x",null,true]},"n":7,"s":"2024-01-01T00:00:00Z","items":[1,2,3]})";
constexpr int kMaxSteps = 200;
constexpr std::uint32_t kStepBudget = 64;
constexpr stepd::runtime::UnixNanos kStart = 1'700'000'000LL * 1'000'000'000LL;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto machine = stepd::runtime::Compile(text);
  if (!machine) {
    if (!stepd::runtime::HasErrors(machine.error())) {
      std::abort();  // a refused definition must say why
    }
    return 0;
  }
  stepd::Document input;
  stepd::Arena arena;
  stepd::runtime::ExecutionInfo info;
  info.start_time = kStart;
  stepd::runtime::Execution execution(*machine, info, arena);
  execution.Start(*input.Parse(kInput), kInput.size());
  stepd::runtime::UnixNanos now = kStart;
  bool answer_with_error = false;
  for (int step = 0; step < kMaxSteps; ++step) {
    const stepd::runtime::StepOutcome out = execution.Step(now, kStepBudget);
    for (const stepd::runtime::TaskRequest& task : execution.TakeTaskRequests()) {
      if (answer_with_error) {
        execution.FailTask(task.ticket, "Fuzz.Error", "a cause");
      } else {
        execution.CompleteTask(task.ticket, task.parameters, 2);
      }
      answer_with_error = !answer_with_error;
    }
    if (out.kind == stepd::runtime::StepKind::kDone) {
      break;
    }
    if (out.kind == stepd::runtime::StepKind::kBlocked && out.wake_at) {
      now = *out.wake_at;
    }
  }
  return 0;
}
