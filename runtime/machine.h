#pragma once
// CompiledMachine: an ASL definition turned into flat, immutable data.
//
// Every state of the definition, including those inside Parallel branches and Map processors,
// lives in one vector and is named by its index (StateId); every `Next`, `Default` and catcher
// target is resolved to an index; every path, template, intrinsic and Choice rule is compiled.
// A running execution never looks up a name or parses text.
//
// Immutable after Compile() and shared (std::shared_ptr<const CompiledMachine>) by every
// execution that uses it, from any thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jsonpath/arena.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/path.h"
#include "jsonpath/template.h"
#include "jsonpath/value.h"
#include "runtime/choice.h"

namespace stepd::runtime {

using StateId = std::uint32_t;
using ScopeId = std::uint32_t;
inline constexpr StateId kNoState = UINT32_MAX;

enum class StateType : std::uint8_t {
  kPass,
  kTask,
  kChoice,
  kWait,
  kSucceed,
  kFail,
  kParallel,
  kMap
};

// InputPath / OutputPath: absent means `$` (the value itself), null means `{}`.
// ResultPath: absent means `$` (the result replaces the input), null means the result is
// discarded (the output is the raw input).
struct OptionalPath {
  enum class Mode : std::uint8_t { kIdentity, kNull, kPath };
  Mode mode = Mode::kIdentity;
  std::optional<CompiledPath> path;
};

// A number that is either written in the definition or read from the input by a Reference
// Path (TimeoutSeconds / TimeoutSecondsPath, MaxConcurrency / MaxConcurrencyPath...).
struct NumberOrPath {
  bool present = false;
  double value = 0;
  std::optional<CompiledPath> path;
};

struct ErrorMatcher {
  std::vector<std::string> error_equals;
  bool matches_all = false;          // States.ALL
  bool matches_task_failed = false;  // States.TaskFailed: everything but States.Timeout
};

// An `Assign` block: a template whose output keys are the variables it sets, resolved to ids at
// compile time so that assigning never looks a name up.
struct AssignSpec {
  PayloadTemplate values;
  std::vector<VariableId> ids;  // in the template's key order
};

struct Retrier {
  ErrorMatcher errors;
  double interval_seconds = 1;
  std::uint32_t max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<double> max_delay_seconds;
  bool full_jitter = false;
};

struct Catcher {
  ErrorMatcher errors;
  StateId next = kNoState;
  OptionalPath result_path;
  std::optional<AssignSpec> assign;
};

struct ChoiceBranch {
  ChoiceCondition condition;
  StateId next = kNoState;
  std::optional<AssignSpec> assign;
};

// Fail's Error/Cause: a literal, a path or intrinsic (ErrorPath/CausePath), or nothing.
struct FailField {
  std::optional<std::string> literal;
  std::optional<CompiledExpression> expression;
};

struct CompiledState {
  std::string name;
  StateType type = StateType::kPass;
  ScopeId scope = 0;
  StateId next = kNoState;  // kNoState with `end` for terminal states
  bool end = false;
  // Whether any expression of this state reads `$$`, so the context object is built only for
  // the states that need it.
  bool reads_context = false;

  OptionalPath input_path;
  OptionalPath output_path;
  OptionalPath result_path;
  std::optional<PayloadTemplate> parameters;  // Parameters / ItemSelector
  std::optional<PayloadTemplate> result_selector;
  std::optional<AssignSpec> assign;

  // Pass
  Value result;  // Missing when absent; lives in CompiledMachine::arena
  std::size_t result_bytes = 0;

  // Task
  std::string resource;
  NumberOrPath timeout_seconds;
  NumberOrPath heartbeat_seconds;

  // Task, Parallel, Map: slices of CompiledMachine::retriers / catchers
  std::uint32_t retrier_begin = 0, retrier_end = 0;
  std::uint32_t catcher_begin = 0, catcher_end = 0;

  // Choice
  std::vector<ChoiceBranch> choices;
  StateId default_next = kNoState;

  // Wait
  NumberOrPath wait_seconds;
  std::optional<std::int64_t> wait_timestamp;  // UnixNanos
  std::optional<CompiledPath> wait_timestamp_path;

  // Fail
  FailField error;
  FailField cause;

  // Parallel: one scope per branch. Map: one scope, the item processor.
  std::vector<ScopeId> branches;
  OptionalPath items_path;
  NumberOrPath max_concurrency;
  // Distributed mode (ProcessorConfig.Mode): each iteration is a child execution, whose events
  // stay out of this execution's history, and failed iterations count against the tolerance.
  bool distributed = false;
  NumberOrPath tolerated_failure_count;
  NumberOrPath tolerated_failure_percentage;
};

// One `States` object: the top level, a Parallel branch or a Map item processor.
struct Scope {
  StateId start = kNoState;
  StateId parent_state = kNoState;  // the Parallel/Map state that owns it; kNoState at top
};

struct CompiledMachine {
  std::vector<CompiledState> states;
  std::vector<Scope> scopes;  // scopes[0] is the top level
  std::vector<Retrier> retriers;
  std::vector<Catcher> catchers;
  VariableTable variables;
  std::optional<double> timeout_seconds;  // top-level TimeoutSeconds
  std::string definition;                 // the text it was compiled from
  Arena arena;                            // Pass results and other static values
};

}  // namespace stepd::runtime
