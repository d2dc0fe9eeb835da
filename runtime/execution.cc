#include "runtime/execution.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <random>

#include "jsonpath/result_path.h"
#include "jsonpath/writer.h"

namespace stepd::runtime {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::string_view kStatesTimeout = "States.Timeout";
constexpr std::string_view kStatesNoChoiceMatched = "States.NoChoiceMatched";
constexpr std::string_view kStatesExceedToleratedFailureThreshold =
    "States.ExceedToleratedFailureThreshold";

// What a frame does when it next runs.
enum class Phase : std::uint8_t {
  kStartIteration,  // a Map iteration not yet started: evaluate ItemSelector, emit its event
  kEnter,           // enter `state`
  kRunBody,         // (re)run the state's work: invoke the task, start the branches
  kAwaitTask,
  kTaskAnswered,
  kAwaitWait,  // Wait state timer
  kWaitElapsed,
  kAwaitRetry,  // Retry back-off timer
  kAwaitChildren,
  kChildrenDone,
  kFinished,  // the frame's scope ended: `output` holds its result
  kFailed,    // the frame's scope failed: `error` holds why
};

// `text` read whole as an integer (`integer`) or as any decimal number; nullopt otherwise.
std::optional<double> ParseWholeNumber(std::string_view text, bool integer) {
  const char* const end = text.data() + text.size();
  if (integer) {
    std::int64_t value = 0;
    const auto [at, error] = std::from_chars(text.data(), end, value);
    return error == std::errc() && at == end ? std::optional<double>(static_cast<double>(value))
                                             : std::nullopt;
  }
  double value = 0;
  const auto [at, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && at == end && std::isfinite(value) ? std::optional<double>(value)
                                                                   : std::nullopt;
}

UnixNanos SecondsToNanos(double seconds) {
  const double nanos = seconds * static_cast<double>(kNanosPerSecond);
  if (nanos >= static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) {
    return std::numeric_limits<std::int64_t>::max() / 2;
  }
  return static_cast<UnixNanos>(nanos);
}

bool IsLambdaFunctionArn(std::string_view resource) {
  // arn:<partition>:lambda:<region>:<account>:function:<name>
  if (!resource.starts_with("arn:")) {
    return false;
  }
  const std::size_t service = resource.find(':', 4);
  return service != std::string_view::npos && resource.substr(service + 1).starts_with("lambda:");
}

// Errors that neither Retry nor Catch may handle, whatever their ErrorEquals says.
bool IsUncatchable(const Error& error) {
  return error.name == error_names::kRuntime || error.name == error_names::kDataLimitExceeded;
}

bool Matches(const ErrorMatcher& matcher, const Error& error) {
  if (IsUncatchable(error)) {
    return false;
  }
  if (matcher.matches_all) {
    return true;
  }
  if (matcher.matches_task_failed && error.name != kStatesTimeout) {
    return true;
  }
  return std::find(matcher.error_equals.begin(), matcher.error_equals.end(), error.name) !=
         matcher.error_equals.end();
}

}  // namespace

struct Execution::Frame {
  Frame* parent = nullptr;
  Frame* next_ready = nullptr;
  std::uint32_t slot = 0;   // branch or item index in the parent
  std::uint32_t epoch = 0;  // the parent's child_epoch when this frame was made
  StateId state = kNoState;
  Phase phase = Phase::kEnter;
  bool queued = false;
  bool task_failed = false;
  // Part of a Distributed Map's child execution, whose events are in its own history, not in
  // this execution's: they are neither numbered nor handed to the sink.
  bool unrecorded = false;
  Value input;      // the current state's raw input
  Value effective;  // its effective input (after InputPath and Parameters)
  Value result;     // a task's answer
  Value output;     // kFinished: the scope's output
  Error error;      // kFailed, or a failed task's error
  Value context;    // the current state visit's `$$`, built on first use
  Value* variables = nullptr;
  std::int64_t last_event_id = 0;
  std::int64_t entered_event_id = 0;
  UnixNanos entered_time = 0;
  UnixNanos wake_at = 0;
  std::uint32_t retry_count = 0;              // $$.State.RetryCount
  std::uint32_t* retrier_attempts = nullptr;  // per retrier of the current state visit
  std::uint64_t ticket = 0;
  UnixNanos task_deadline = 0;  // 0: none

  // A Parallel or Map state in progress.
  std::uint32_t child_epoch = 0;
  Value* child_results = nullptr;
  Value* items = nullptr;
  std::uint32_t child_total = 0;
  std::uint32_t child_started = 0;
  std::uint32_t child_done = 0;
  std::uint32_t max_concurrency = 0;     // 0: no limit
  std::uint32_t tolerated_failures = 0;  // a Distributed Map run fails at one more than this
  bool children_failed = false;
  Error child_error;
};

struct Execution::Impl {
  Impl(Execution& owner, std::shared_ptr<const CompiledMachine>&& compiled,
       const ExecutionInfo& execution_info, Arena& execution_arena, EventSink* event_sink)
      : self(owner),
        machine(std::move(compiled)),
        m(*machine),
        info(execution_info),
        arena(execution_arena),
        sink(event_sink),
        variable_count(m.variables.size()) {}

  // --- scheduling ---

  void Push(Frame* f) {
    if (f->queued) {
      return;
    }
    f->queued = true;
    f->next_ready = nullptr;
    if (ready_tail == nullptr) {
      ready_head = ready_tail = f;
    } else {
      ready_tail->next_ready = f;
      ready_tail = f;
    }
  }

  void PushFront(Frame* f) {
    if (f->queued) {
      return;
    }
    f->queued = true;
    f->next_ready = ready_head;
    ready_head = f;
    if (ready_tail == nullptr) {
      ready_tail = f;
    }
  }

  Frame* Pop() {
    Frame* f = ready_head;
    if (f != nullptr) {
      ready_head = f->next_ready;
      if (ready_head == nullptr) {
        ready_tail = nullptr;
      }
      f->queued = false;
    }
    return f;
  }

  // A frame is dead once a sibling's failure (or a retry) made its parent start over.
  static bool IsLive(const Frame* f) {
    for (; f->parent != nullptr; f = f->parent) {
      if (f->epoch != f->parent->child_epoch || f->parent->phase != Phase::kAwaitChildren) {
        return false;
      }
    }
    return true;
  }

  void Sleep(Frame* f, Phase phase, UnixNanos until) {
    f->phase = phase;
    f->wake_at = until;
    sleepers.push_back(f);
  }

  void WakeSleepers() {
    std::size_t kept = 0;
    for (Frame* f : sleepers) {
      if (!IsLive(f)) {
        continue;
      }
      if (f->wake_at <= now) {
        f->phase = f->phase == Phase::kAwaitWait ? Phase::kWaitElapsed : Phase::kRunBody;
        Push(f);
      } else {
        sleepers[kept++] = f;
      }
    }
    sleepers.resize(kept);
  }

  void ExpireTasks() {
    for (Frame* f : task_waiters) {
      if (f->phase == Phase::kAwaitTask && f->task_deadline != 0 && f->task_deadline <= now &&
          IsLive(f)) {
        f->task_failed = true;
        f->error = Error{ErrorCode::kUser, kStatesTimeout, {}};
        f->phase = Phase::kTaskAnswered;
        Push(f);
      }
    }
    std::erase_if(task_waiters, [](const Frame* f) { return f->phase != Phase::kAwaitTask; });
  }

  // The execution deadline bounds every wait, so there always is a next wake-up.
  UnixNanos NextWake() const {
    UnixNanos wake = deadline;
    const auto consider = [&](UnixNanos t) { wake = std::min(wake, t); };
    for (const Frame* f : sleepers) {
      consider(f->wake_at);
    }
    for (const Frame* f : task_waiters) {
      if (f->task_deadline != 0) {
        consider(f->task_deadline);
      }
    }
    return wake;
  }

  // --- events ---

  // Numbers the event and, when a sink is attached, lets `fill` describe it. Event ids are
  // counted even without a sink: runtime error causes quote them.
  template <typename Fill>
  std::int64_t Emit(Frame* f, EventType type, Fill&& fill) {
    if (f != nullptr && f->unrecorded) {
      return 0;
    }
    const std::int64_t id = next_event_id++;
    if (sink != nullptr) {
      Event event;
      event.id = id;
      event.previous_id = f != nullptr ? f->last_event_id : 0;
      event.timestamp_nanos = now;
      event.type = type;
      const bool execution_event =
          type == EventType::kExecutionStarted || type == EventType::kExecutionSucceeded ||
          type == EventType::kExecutionFailed || type == EventType::kExecutionTimedOut;
      if (f != nullptr && f->state != kNoState && !execution_event) {
        event.state_type = m.states[f->state].type;
        event.state_name = m.states[f->state].name;
      }
      fill(event);
      sink->OnEvent(event);
    }
    if (f != nullptr) {
      f->last_event_id = id;
    }
    return id;
  }

  std::int64_t Emit(Frame* f, EventType type) {
    return Emit(f, type, [](Event&) {});
  }

  // --- the context object ($$) ---

  Value ExecutionContextObject() {
    if (!execution_object.IsMissing()) {
      return execution_object;
    }
    char* start = static_cast<char*>(arena.Allocate(kTimestampBytes, 1));
    const std::size_t start_size = FormatTimestamp(info.start_time, start);
    const std::size_t fields = info.synchronous ? 5 : 6;
    Member* execution = arena.AllocateArray<Member>(6);
    execution[0] = {"Id", Value::String(info.execution_arn)};
    execution[1] = {"Input", execution_input};
    execution[2] = {"StartTime", Value::String({start, start_size})};
    execution[3] = {"Name", Value::String(info.execution_name)};
    execution[4] = {"RoleArn", Value::String(info.role_arn)};
    execution[5] = {"RedriveCount", Value::Int(0)};
    Member* machine_object = arena.AllocateArray<Member>(2);
    machine_object[0] = {"Id", Value::String(info.state_machine_arn)};
    machine_object[1] = {"Name", Value::String(info.state_machine_name)};
    execution_object = Value::Object(execution, fields);
    state_machine_object = Value::Object(machine_object, 2);
    return execution_object;
  }

  Value ContextObject(const Frame* f, const Value* map_item, std::uint32_t item_index) {
    const CompiledState& s = m.states[f->state];
    const Value execution = ExecutionContextObject();
    char* entered = static_cast<char*>(arena.Allocate(kTimestampBytes, 1));
    const std::size_t entered_size = FormatTimestamp(f->entered_time, entered);
    const bool can_retry = s.retrier_end > s.retrier_begin;
    Member* state = arena.AllocateArray<Member>(3);
    state[0] = {"Name", Value::String(s.name)};
    state[1] = {"EnteredTime", Value::String({entered, entered_size})};
    state[2] = {"RetryCount", Value::Int(f->retry_count)};
    const std::size_t count = map_item != nullptr ? 4 : 3;
    Member* context = arena.AllocateArray<Member>(count);
    context[0] = {"Execution", execution};
    context[1] = {"StateMachine", state_machine_object};
    context[2] = {"State", Value::Object(state, can_retry ? 3 : 2)};
    if (map_item != nullptr) {
      Member* item = arena.AllocateArray<Member>(2);
      item[0] = {"Index", Value::Int(item_index)};
      item[1] = {"Value", *map_item};
      Member* map = arena.AllocateArray<Member>(1);
      map[0] = {"Item", Value::Object(item, 2)};
      context[3] = {"Map", Value::Object(map, 1)};
    }
    return Value::Object(context, count);
  }

  EvalContext Context(Frame* f, Value input) {
    EvalContext ctx;
    ctx.input = input;
    ctx.variables = {f->variables, f->variables == nullptr ? 0 : variable_count};
    ctx.arena = &arena;
    if (m.states[f->state].reads_context) {
      if (f->context.IsMissing()) {
        f->context = ContextObject(f, nullptr, 0);
      }
      ctx.context = f->context;
    }
    return ctx;
  }

  // --- error texts ---

  std::string_view Decimal(std::int64_t n) {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof(buffer), n).ptr;
    return arena.CopyString({buffer, static_cast<std::size_t>(end - buffer)});
  }

  // Engine-detected errors name the state and the event that entered it, as AWS does.
  Error InState(const Frame* f, Error error) {
    if (error.code == ErrorCode::kRuntime || error.code == ErrorCode::kIntrinsicFailure ||
        error.code == ErrorCode::kResultPathMatch) {
      error.cause = arena.Concat({"An error occurred while executing the state '",
                                  m.states[f->state].name, "' (entered at the event id #",
                                  Decimal(f->entered_event_id), "). ", error.cause});
    }
    return error;
  }

  // Fails the current state with States.Runtime, whose cause is `parts` joined.
  void FailRuntime(Frame* f, std::initializer_list<std::string_view> parts) {
    HandleError(f,
                InState(f, Error{ErrorCode::kRuntime, error_names::kRuntime, arena.Concat(parts)}));
  }

  // Jayway's wording for a definite path that matched nothing: the last step missing is
  // "No results for path", an earlier one "Missing property in path".
  Error PathNotFound(const CompiledPath& path, Value input) {
    const auto steps = path.steps();
    std::string_view detail = arena.Concat({"No results for path: ", path.normalized()});
    Value at = input;
    std::string normalized = path.root() == PathRoot::kContext ? "$$" : "$";
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const PathStep& step = steps[i];
      if (step.kind == PathStep::Kind::kField) {
        normalized += "['";
        normalized += step.name;
        normalized += "']";
        at = at.Find(step.name);
      } else {
        normalized += "[" + std::to_string(step.index) + "]";
        const auto size = static_cast<std::int64_t>(at.Size());
        const std::int64_t index = step.index < 0 ? size + step.index : step.index;
        at = index < 0 ? Value::Missing() : at.At(static_cast<std::size_t>(index));
      }
      if (at.IsMissing()) {
        if (i + 1 < steps.size()) {
          detail = arena.Concat({"Missing property in path ", normalized});
        }
        break;
      }
    }
    return Error{ErrorCode::kRuntime, error_names::kRuntime,
                 arena.Concat({"Invalid path '", path.text(), "' : ", detail})};
  }

  // --- data flow ---

  Result<Value> ApplyPath(Frame* f, const OptionalPath& path, Value value) {
    switch (path.mode) {
      case OptionalPath::Mode::kIdentity:
        return value;
      case OptionalPath::Mode::kNull:
        return Value::Object(nullptr, 0);
      case OptionalPath::Mode::kPath: {
        const EvalContext ctx = Context(f, value);
        const Value selected = path.path->Select(ctx);
        if (selected.IsMissing()) {
          return Unexpected(PathNotFound(
              *path.path, path.path->root() == PathRoot::kContext ? ctx.context : value));
        }
        return selected;
      }
    }
    return value;
  }

  Result<Value> EffectiveInput(Frame* f, const CompiledState& s) {
    STEPD_ASSIGN_OR_RETURN(Value input, ApplyPath(f, s.input_path, f->input));
    if (!s.parameters || s.type == StateType::kMap) {
      return input;
    }
    return s.parameters->Build(Context(f, input));
  }

  // Evaluates an Assign block against the state-entry variables and returns the values in the
  // arena; nothing is written until ApplyAssign, so every value sees the same variables.
  Result<Value> EvaluateAssign(Frame* f, const std::optional<AssignSpec>& assign, Value input) {
    if (!assign) {
      return Value::Missing();
    }
    return assign->values.Build(Context(f, input));
  }

  void ApplyAssign(Frame* f, const std::optional<AssignSpec>& assign, Value values) {
    if (!assign || values.IsMissing()) {
      return;
    }
    EnsureOwnVariables(f);
    std::size_t i = 0;
    values.ForEachMember([&](std::string_view, Value v) { f->variables[assign->ids[i++]] = v; });
  }

  void EnsureOwnVariables(Frame* f) {
    if (f->variables == nullptr && variable_count > 0) {
      f->variables = arena.AllocateArray<Value>(variable_count);
      std::uninitialized_fill_n(f->variables, variable_count, Value::Missing());
    }
  }

  // --- states ---

  void EnterState(Frame* f) {
    const CompiledState& s = m.states[f->state];
    f->entered_time = now;
    f->context = Value::Missing();
    f->retry_count = 0;
    f->retrier_attempts = nullptr;
    f->entered_event_id = Emit(f, EventType::kStateEntered, [&](Event& e) { e.input = f->input; });
    if (s.retrier_end > s.retrier_begin) {
      const std::uint32_t n = s.retrier_end - s.retrier_begin;
      f->retrier_attempts = arena.AllocateArray<std::uint32_t>(n);
      std::fill_n(f->retrier_attempts, n, 0U);
    }
    switch (s.type) {
      case StateType::kPass:
        return EnterPass(f, s);
      case StateType::kSucceed:
        return EnterSucceed(f, s);
      case StateType::kFail:
        return EnterFail(f, s);
      case StateType::kChoice:
        return EnterChoice(f, s);
      case StateType::kWait:
        return EnterWait(f, s);
      case StateType::kTask:
      case StateType::kParallel:
      case StateType::kMap:
        return EnterWorkState(f, s);
    }
  }

  void EnterPass(Frame* f, const CompiledState& s) {
    auto effective = EffectiveInput(f, s);
    if (!effective) {
      return HandleError(f, InState(f, effective.error()));
    }
    if (!s.result.IsMissing() && s.result_bytes > kMaxPayloadBytes) {
      return HandleError(f, DataLimit(s));
    }
    f->effective = *effective;
    CompleteState(f, s, s.result.IsMissing() ? *effective : s.result, *effective);
  }

  Error DataLimit(const CompiledState& s) {
    return Error{
        ErrorCode::kDataLimitExceeded, error_names::kDataLimitExceeded,
        arena.Concat({"The state/task '", s.name,
                      "' returned a result with a size exceeding the maximum number of bytes "
                      "service limit."})};
  }

  void EnterSucceed(Frame* f, const CompiledState& s) {
    auto input = ApplyPath(f, s.input_path, f->input);
    if (!input) {
      return HandleError(f, InState(f, input.error()));
    }
    auto output = ApplyPath(f, s.output_path, *input);
    if (!output) {
      return HandleError(f, InState(f, output.error()));
    }
    Emit(f, EventType::kStateExited, [&](Event& e) { e.output = *output; });
    f->output = *output;
    f->phase = Phase::kFinished;
  }

  // A Fail state's Error or Cause; empty when the state leaves it out.
  Result<std::string_view> FailText(Frame* f, const FailField& field, std::string_view name) {
    if (field.literal) {
      return std::string_view(*field.literal);
    }
    if (!field.expression) {
      return std::string_view();
    }
    STEPD_ASSIGN_OR_RETURN(Value value, field.expression->Evaluate(Context(f, f->input), name));
    if (value.IsString()) {
      return value.AsString();
    }
    return ToJsonInArena(value, arena);
  }

  void EnterFail(Frame* f, const CompiledState& s) {
    auto error = FailText(f, s.error, "ErrorPath");
    if (!error) {
      return HandleError(f, InState(f, error.error()));
    }
    auto cause = FailText(f, s.cause, "CausePath");
    if (!cause) {
      return HandleError(f, InState(f, cause.error()));
    }
    f->error = Error{ErrorCode::kUser, *error, *cause};
    f->phase = Phase::kFailed;
  }

  void EnterChoice(Frame* f, const CompiledState& s) {
    auto input = ApplyPath(f, s.input_path, f->input);
    if (!input) {
      return HandleError(f, InState(f, input.error()));
    }
    const EvalContext ctx = Context(f, *input);
    StateId next = s.default_next;
    const std::optional<AssignSpec>* assign = &s.assign;
    bool matched = false;
    for (const ChoiceBranch& branch : s.choices) {
      auto verdict = branch.condition.Evaluate(ctx);
      if (!verdict) {
        return HandleError(f, InState(f, verdict.error()));
      }
      if (*verdict) {
        next = branch.next;
        assign = &branch.assign;
        matched = true;
        break;
      }
    }
    if (!matched && next == kNoState) {
      return HandleError(
          f, Error{ErrorCode::kUser, kStatesNoChoiceMatched,
                   arena.Concat({"No Choice Rules matched and no Default was specified in state '",
                                 s.name, "'"})});
    }
    auto values = EvaluateAssign(f, *assign, *input);
    if (!values) {
      return HandleError(f, InState(f, values.error()));
    }
    auto output = ApplyPath(f, s.output_path, *input);
    if (!output) {
      return HandleError(f, InState(f, output.error()));
    }
    ApplyAssign(f, *assign, *values);
    Emit(f, EventType::kStateExited, [&](Event& e) { e.output = *output; });
    f->input = *output;
    f->state = next;
    f->phase = Phase::kEnter;
  }

  Result<double> ReadNumberPath(Frame* f, const CompiledPath& path, Value input,
                                std::string_view field) {
    const EvalContext ctx = Context(f, input);
    const Value v = path.Select(ctx);
    if (v.IsMissing()) {
      return RuntimeFailure(arena.Concat(
          {"The ", field, " parameter does not reference an input value: ", path.text()}));
    }
    if (!v.IsNumber()) {
      return RuntimeFailure(
          arena.Concat({"The ", field, " parameter cannot be parsed as a long value: ", path.text(),
                        " == ", ToJsonInArena(v, arena)}));
    }
    return v.AsDouble();
  }

  void EnterWait(Frame* f, const CompiledState& s) {
    auto input = ApplyPath(f, s.input_path, f->input);
    if (!input) {
      return HandleError(f, InState(f, input.error()));
    }
    f->effective = *input;
    UnixNanos until = now;
    if (s.wait_seconds.path) {
      const EvalContext ctx = Context(f, *input);
      const Value v = s.wait_seconds.path->Select(ctx);
      const std::string_view text = s.wait_seconds.path->text();
      if (v.IsMissing()) {
        return FailRuntime(f,
                           {"The SecondsPath parameter does not reference an input value: ", text});
      }
      if (!v.IsInteger()) {
        return FailRuntime(f, {"The SecondsPath parameter cannot be parsed as a long value: ", text,
                               " == ", ToJsonInArena(v, arena)});
      }
      if (v.AsDouble() < 0) {
        return FailRuntime(f, {"The SecondsPath parameter references a negative value: ", text,
                               " == ", ToJsonInArena(v, arena)});
      }
      until = now + SecondsToNanos(v.AsDouble());
    } else if (s.wait_seconds.present) {
      until = now + SecondsToNanos(s.wait_seconds.value);
    } else if (s.wait_timestamp) {
      until = *s.wait_timestamp;
    } else if (s.wait_timestamp_path) {
      const EvalContext ctx = Context(f, *input);
      const Value v = s.wait_timestamp_path->Select(ctx);
      const std::string_view text = s.wait_timestamp_path->text();
      if (v.IsMissing()) {
        return FailRuntime(
            f, {"The TimestampPath parameter does not reference an input value: ", text});
      }
      const std::optional<UnixNanos> parsed =
          v.IsString() ? ParseTimestamp(v.AsString()) : std::nullopt;
      if (!parsed) {
        return FailRuntime(f,
                           {"The TimestampPath parameter does not reference a valid ISO-8601 "
                            "extended offset date-time format string: ",
                            text, " == ", v.IsString() ? v.AsString() : ToJsonInArena(v, arena)});
      }
      until = *parsed;
    }
    if (until <= now) {
      return FinishWait(f);
    }
    Sleep(f, Phase::kAwaitWait, until);
  }

  void FinishWait(Frame* f) {
    const CompiledState& s = m.states[f->state];
    auto values = EvaluateAssign(f, s.assign, f->effective);
    if (!values) {
      return HandleError(f, InState(f, values.error()));
    }
    auto output = ApplyPath(f, s.output_path, f->effective);
    if (!output) {
      return HandleError(f, InState(f, output.error()));
    }
    ApplyAssign(f, s.assign, *values);
    Emit(f, EventType::kStateExited, [&](Event& e) { e.output = *output; });
    Transition(f, s, *output);
  }

  void EnterWorkState(Frame* f, const CompiledState& s) {
    auto effective = EffectiveInput(f, s);
    if (!effective) {
      return HandleError(f, InState(f, effective.error()));
    }
    f->effective = *effective;
    RunBody(f);
  }

  void RunBody(Frame* f) {
    const CompiledState& s = m.states[f->state];
    switch (s.type) {
      case StateType::kTask:
        return InvokeTask(f, s);
      case StateType::kParallel:
        return StartParallel(f, s);
      case StateType::kMap:
        return StartMap(f, s);
      default:
        return;
    }
  }

  Result<double> OptionalNumber(Frame* f, const NumberOrPath& n, std::string_view field,
                                double absent) {
    if (!n.present) {
      return absent;
    }
    if (n.path) {
      return ReadNumberPath(f, *n.path, f->effective, field);
    }
    return n.value;
  }

  void InvokeTask(Frame* f, const CompiledState& s) {
    auto timeout = OptionalNumber(f, s.timeout_seconds, "TimeoutSecondsPath", 0);
    if (!timeout) {
      return HandleError(f, InState(f, timeout.error()));
    }
    const bool lambda = IsLambdaFunctionArn(s.resource);
    Emit(f, lambda ? EventType::kLambdaFunctionScheduled : EventType::kTaskScheduled,
         [&](Event& e) {
           e.resource = s.resource;
           e.parameters = f->effective;
         });
    Emit(f, lambda ? EventType::kLambdaFunctionStarted : EventType::kTaskStarted,
         [&](Event& e) { e.resource = s.resource; });
    f->ticket = next_ticket++;
    f->task_deadline = *timeout > 0 ? now + SecondsToNanos(*timeout) : 0;
    f->task_failed = false;
    f->phase = Phase::kAwaitTask;
    task_waiters.push_back(f);
    TaskRequest request;
    request.ticket = f->ticket;
    request.state_name = s.name;
    request.resource = s.resource;
    request.parameters = f->effective;
    if (f->task_deadline != 0) {
      request.deadline = f->task_deadline;
    }
    requests.push_back(request);
  }

  void OnTaskAnswered(Frame* f) {
    const CompiledState& s = m.states[f->state];
    const bool lambda = IsLambdaFunctionArn(s.resource);
    if (f->task_failed) {
      const bool timed_out = f->error.name == kStatesTimeout;
      EventType type = timed_out ? EventType::kTaskTimedOut : EventType::kTaskFailed;
      if (lambda) {
        type = timed_out ? EventType::kLambdaFunctionTimedOut : EventType::kLambdaFunctionFailed;
      }
      Emit(f, type, [&](Event& e) {
        e.resource = s.resource;
        e.error = f->error.name;
        e.cause = f->error.cause;
        e.has_error = e.has_cause = true;
      });
      return HandleError(f, f->error);
    }
    Emit(f, lambda ? EventType::kLambdaFunctionSucceeded : EventType::kTaskSucceeded,
         [&](Event& e) {
           e.resource = s.resource;
           e.output = f->result;
         });
    CompleteState(f, s, f->result, f->effective);
  }

  void StartParallel(Frame* f, const CompiledState& s) {
    Emit(f, EventType::kParallelStateStarted);
    const auto n = static_cast<std::uint32_t>(s.branches.size());
    BeginChildren(f, n, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      Frame* child = NewChild(f, i);
      child->state = m.scopes[s.branches[i]].start;
      child->input = f->effective;
      child->phase = Phase::kEnter;
      Push(child);
    }
    f->child_started = n;
  }

  void StartMap(Frame* f, const CompiledState& s) {
    auto items_value = ApplyPath(f, s.items_path, f->effective);
    if (!items_value) {
      return HandleError(f, InState(f, items_value.error()));
    }
    if (!items_value->IsArray()) {
      const std::string_view path =
          s.items_path.path ? s.items_path.path->text() : std::string_view("$");
      return FailRuntime(f, {"Reference path \"", path, "\" must point to array."});
    }
    auto concurrency = OptionalNumber(f, s.max_concurrency, "MaxConcurrencyPath", 0);
    if (!concurrency) {
      return HandleError(f, InState(f, concurrency.error()));
    }
    const auto n = static_cast<std::uint32_t>(items_value->Size());
    Emit(f, EventType::kMapStateStarted, [&](Event& e) { e.length = n; });
    std::uint32_t tolerated = 0;
    if (s.distributed) {
      auto limit = ToleratedFailures(f, s, n);
      if (!limit) {
        return HandleError(f, InState(f, limit.error()));
      }
      tolerated = *limit;
      Emit(f, EventType::kMapRunStarted);
    }
    BeginChildren(f, n, *concurrency > 0 ? static_cast<std::uint32_t>(*concurrency) : 0);
    f->tolerated_failures = tolerated;
    f->items = arena.AllocateArray<Value>(n);
    std::uint32_t i = 0;
    items_value->ForEachElement([&](Value item) { new (&f->items[i++]) Value(item); });
    if (n == 0) {
      f->phase = Phase::kChildrenDone;
      return;
    }
    const std::uint32_t first = f->max_concurrency == 0 ? n : std::min(n, f->max_concurrency);
    for (std::uint32_t k = 0; k < first; ++k) {
      StartIteration(f);
    }
  }

  // How many failed iterations of `total` a Distributed Map run tolerates: the smaller of its
  // ToleratedFailureCount and ToleratedFailurePercentage of `total`, each checked as AWS does;
  // none when it sets neither.
  Result<std::uint32_t> ToleratedFailures(Frame* f, const CompiledState& s, std::uint32_t total) {
    double limit = std::numeric_limits<double>::infinity();
    if (s.tolerated_failure_count.present) {
      STEPD_ASSIGN_OR_RETURN(const double count,
                             ReadTolerance(f, s.tolerated_failure_count, "ToleratedFailureCount"));
      if (count < 0) {
        return RuntimeFailure("ToleratedFailureCount cannot be negative.");
      }
      limit = count;
    }
    if (s.tolerated_failure_percentage.present) {
      STEPD_ASSIGN_OR_RETURN(
          const double percentage,
          ReadTolerance(f, s.tolerated_failure_percentage, "ToleratedFailurePercentage"));
      if (percentage < 0 || percentage > 100) {
        return RuntimeFailure("ToleratedFailurePercentage must be between 0 and 100.");
      }
      // The run fails when failures exceed `percentage` % of the items.
      limit = std::min(limit, std::floor(percentage * total / 100));
    }
    return std::isinf(limit) ? 0 : static_cast<std::uint32_t>(std::min<double>(limit, total));
  }

  // A tolerance field's value: the number written, or the one its Path selects. AWS takes a
  // number or a string holding one, an integer for the count and any number for the percentage.
  Result<double> ReadTolerance(Frame* f, const NumberOrPath& n, std::string_view field) {
    if (!n.path) {
      return n.value;
    }
    const Value v = n.path->Select(Context(f, f->effective));
    const bool count = field == "ToleratedFailureCount";
    if (v.IsNumber() && (!count || v.IsInteger())) {
      return v.AsDouble();
    }
    if (v.IsString()) {
      if (const std::optional<double> parsed = ParseWholeNumber(v.AsString(), count)) {
        return *parsed;
      }
    }
    return RuntimeFailure(arena.Concat({"The ", field, "Path field refers to value \"",
                                        v.IsString() ? v.AsString() : ToJsonInArena(v, arena),
                                        "\" which is not a valid ", count ? "integer" : "float",
                                        ": ", n.path->text()}));
  }

  void BeginChildren(Frame* f, std::uint32_t total, std::uint32_t max_concurrency) {
    ++f->child_epoch;  // anything left of an earlier attempt is now dead
    f->child_total = total;
    f->child_started = 0;
    f->child_done = 0;
    f->max_concurrency = max_concurrency;
    f->children_failed = false;
    f->child_results = arena.AllocateArray<Value>(total);
    f->phase = Phase::kAwaitChildren;
  }

  Frame* NewChild(Frame* parent, std::uint32_t slot) {
    Frame* child = new (arena.Allocate(sizeof(Frame), alignof(Frame))) Frame();
    child->parent = parent;
    child->slot = slot;
    child->epoch = parent->child_epoch;
    child->last_event_id = parent->last_event_id;
    child->unrecorded = parent->unrecorded;
    if (parent->variables != nullptr) {
      // Each branch and iteration has its own scope that starts as a copy of the outer one.
      child->variables = arena.AllocateArray<Value>(variable_count);
      std::copy_n(parent->variables, variable_count, child->variables);
    }
    return child;
  }

  void StartIteration(Frame* map_frame) {
    Frame* child = NewChild(map_frame, map_frame->child_started++);
    if (m.states[map_frame->state].distributed) {
      // A child execution: its events are its own, and the outer scope's variables are not
      // visible in it (ItemSelector, evaluated outside, can pass them in).
      child->unrecorded = true;
      child->variables = nullptr;
    }
    child->phase = Phase::kStartIteration;
    Push(child);
  }

  void BeginIteration(Frame* child) {
    Frame* map_frame = child->parent;
    const CompiledState& s = m.states[map_frame->state];
    const Value item = map_frame->items[child->slot];
    if (!s.distributed) {
      child->last_event_id = Emit(map_frame, EventType::kMapIterationStarted,
                                  [&](Event& e) { e.index = child->slot; });
    }
    Value input = item;
    if (s.parameters) {
      EvalContext ctx;
      ctx.input = map_frame->effective;
      ctx.variables = {map_frame->variables, map_frame->variables == nullptr ? 0 : variable_count};
      ctx.arena = &arena;
      if (s.reads_context) {
        ctx.context = ContextObject(map_frame, &item, child->slot);
      }
      auto selected = s.parameters->Build(ctx);
      if (!selected) {
        child->error = InState(map_frame, selected.error());
        child->phase = Phase::kFailed;
        return;
      }
      input = *selected;
    }
    child->state = m.scopes[s.branches[0]].start;
    child->input = input;
    child->phase = Phase::kEnter;
  }

  void ChildFinished(Frame* child) {
    Frame* parent = child->parent;
    const CompiledState& s = m.states[parent->state];
    if (s.type == StateType::kMap && !s.distributed) {
      Emit(parent, EventType::kMapIterationSucceeded, [&](Event& e) { e.index = child->slot; });
    }
    parent->child_results[child->slot] = child->output;
    ++parent->child_done;
    if (s.type == StateType::kMap && parent->child_started < parent->child_total) {
      StartIteration(parent);
    }
    if (parent->child_done == parent->child_total) {
      parent->phase = Phase::kChildrenDone;
      Push(parent);
    }
  }

  void ChildFailed(Frame* child) {
    Frame* parent = child->parent;
    const CompiledState& s = m.states[parent->state];
    if (s.distributed) {
      return MapRunChildFailed(parent, child);
    }
    if (s.type == StateType::kMap) {
      Emit(parent, EventType::kMapIterationFailed, [&](Event& e) {
        e.index = child->slot;
        e.error = child->error.name;
        e.cause = child->error.cause;
        e.has_error = e.has_cause = true;
      });
    }
    StopChildren(parent, child->error);
  }

  // A child failed with `error`: the parent fails with it, and its other children stop.
  void StopChildren(Frame* parent, const Error& error) {
    parent->children_failed = true;
    parent->child_error = error;
    parent->phase = Phase::kChildrenDone;
    ++parent->child_epoch;  // the other branches, iterations or child executions stop here
    Push(parent);
  }

  // A Distributed Map's child execution failed, and so does the run: a first failure exceeds
  // the tolerance unless the run tolerates some. What AWS returns for a tolerated failure is not
  // known here, so stepd refuses to guess it and fails the run with a Runtime error saying so.
  void MapRunChildFailed(Frame* parent, const Frame* child) {
    Error error{ErrorCode::kUser, kStatesExceedToleratedFailureThreshold,
                "The specified tolerated failure threshold was exceeded"};
    if (parent->tolerated_failures > 0) {
      error = InState(
          parent, Error{ErrorCode::kRuntime, error_names::kRuntime,
                        arena.Concat({"stepd does not support tolerated failures in "
                                      "Distributed Map runs yet; item ",
                                      Decimal(child->slot), " failed with ", child->error.name})});
    }
    Emit(parent, EventType::kMapRunFailed, [&](Event& e) {
      e.error = error.name;
      e.cause = error.cause;
      e.has_error = e.has_cause = true;
    });
    StopChildren(parent, error);
  }

  void OnChildrenDone(Frame* f) {
    const CompiledState& s = m.states[f->state];
    if (f->children_failed) {
      // AWS records *StateFailed only once no retry follows.
      if (TryRetry(f, f->child_error)) {
        return;
      }
      Emit(f,
           s.type == StateType::kMap ? EventType::kMapStateFailed : EventType::kParallelStateFailed,
           [&](Event& e) {
             e.error = f->child_error.name;
             e.cause = f->child_error.cause;
             e.has_error = e.has_cause = true;
           });
      return CatchOrFail(f, f->child_error);
    }
    if (s.type == StateType::kMap) {
      if (s.distributed) {
        Emit(f, EventType::kMapRunSucceeded);
      }
      Emit(f, EventType::kMapStateSucceeded);
    }
    CompleteState(f, s, Value::Array(f->child_results, f->child_total), f->effective);
  }

  // ResultSelector, Assign, ResultPath, OutputPath, then on to the next state.
  void CompleteState(Frame* f, const CompiledState& s, Value result, Value effective_input) {
    Value selected = result;
    if (s.result_selector) {
      auto built = s.result_selector->Build(Context(f, result));
      if (!built) {
        return HandleError(f, InState(f, built.error()));
      }
      selected = *built;
    }
    // Assign sees the raw result where the state has one, the effective input otherwise.
    const bool has_result = s.type == StateType::kTask || s.type == StateType::kParallel ||
                            s.type == StateType::kMap || !s.result.IsMissing();
    auto values = EvaluateAssign(f, s.assign, has_result ? result : effective_input);
    if (!values) {
      return HandleError(f, InState(f, values.error()));
    }
    auto merged = ApplyResultPath(f, s.result_path, selected);
    if (!merged) {
      return HandleError(f, InState(f, merged.error()));
    }
    auto output = ApplyPath(f, s.output_path, *merged);
    if (!output) {
      return HandleError(f, InState(f, output.error()));
    }
    ApplyAssign(f, s.assign, *values);
    Emit(f, EventType::kStateExited, [&](Event& e) { e.output = *output; });
    Transition(f, s, *output);
  }

  Result<Value> ApplyResultPath(const Frame* f, const OptionalPath& result_path, Value result) {
    switch (result_path.mode) {
      case OptionalPath::Mode::kIdentity:
        return result;
      case OptionalPath::Mode::kNull:
        return f->input;
      case OptionalPath::Mode::kPath:
        return MergeAtPath(f->input, *result_path.path, result, arena);
    }
    return result;
  }

  void Transition(Frame* f, const CompiledState& s, Value output) {
    if (s.end || s.next == kNoState) {
      f->output = output;
      f->phase = Phase::kFinished;
      return;
    }
    f->input = output;
    f->state = s.next;
    f->phase = Phase::kEnter;
  }

  // Retry, then Catch, then fail the frame.
  void HandleError(Frame* f, const Error& error) {
    if (!TryRetry(f, error)) {
      CatchOrFail(f, error);
    }
  }

  // Schedules another attempt when a retrier matches and has attempts left.
  bool TryRetry(Frame* f, const Error& error) {
    const CompiledState& s = m.states[f->state];
    for (std::uint32_t r = s.retrier_begin; r < s.retrier_end; ++r) {
      const Retrier& retrier = m.retriers[r];
      if (!Matches(retrier.errors, error)) {
        continue;
      }
      std::uint32_t& attempts = f->retrier_attempts[r - s.retrier_begin];
      if (attempts >= retrier.max_attempts) {
        return false;  // the first matching retrier decides; exhausted, Catch is next
      }
      ++attempts;
      ++f->retry_count;
      f->context = Value::Missing();  // $$.State.RetryCount changed
      double delay = retrier.interval_seconds *
                     std::pow(retrier.backoff_rate, static_cast<double>(attempts - 1));
      if (retrier.max_delay_seconds) {
        delay = std::min(delay, *retrier.max_delay_seconds);
      }
      if (retrier.full_jitter) {
        delay = std::uniform_real_distribution<double>(0, delay)(Rng());
      }
      Sleep(f, Phase::kAwaitRetry, now + SecondsToNanos(delay));
      return true;
    }
    return false;
  }

  void CatchOrFail(Frame* f, const Error& error) {
    const CompiledState& s = m.states[f->state];
    for (std::uint32_t c = s.catcher_begin; c < s.catcher_end; ++c) {
      const Catcher& catcher = m.catchers[c];
      if (!Matches(catcher.errors, error)) {
        continue;
      }
      Member* members = arena.AllocateArray<Member>(2);
      members[0] = {"Error", Value::String(error.name)};
      members[1] = {"Cause", Value::String(error.cause)};
      const Value error_output = Value::Object(members, 2);
      auto values = EvaluateAssign(f, catcher.assign, error_output);
      if (!values) {
        return FailFrame(f, InState(f, values.error()));
      }
      auto output = ApplyResultPath(f, catcher.result_path, error_output);
      if (!output) {
        return FailFrame(f, InState(f, output.error()));
      }
      ApplyAssign(f, catcher.assign, *values);
      Emit(f, EventType::kStateExited, [&](Event& e) { e.output = *output; });
      f->input = *output;
      f->state = catcher.next;
      f->phase = Phase::kEnter;
      return;
    }
    FailFrame(f, error);
  }

  void FailFrame(Frame* f, const Error& error) {
    f->error = error;
    f->phase = Phase::kFailed;
  }

  std::mt19937_64& Rng() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return rng;
  }

  // --- driving ---

  void Advance(Frame* f) {
    while (self.status_ == ExecutionStatus::kRunning) {
      switch (f->phase) {
        case Phase::kStartIteration:
          BeginIteration(f);
          break;
        case Phase::kEnter:
          if (budget == 0) {
            PushFront(f);
            return;
          }
          --budget;
          ++self.transitions_;
          EnterState(f);
          break;
        case Phase::kRunBody:
          RunBody(f);
          break;
        case Phase::kTaskAnswered:
          OnTaskAnswered(f);
          break;
        case Phase::kWaitElapsed:
          FinishWait(f);
          break;
        case Phase::kChildrenDone:
          OnChildrenDone(f);
          break;
        case Phase::kFinished:
          return FrameFinished(f);
        case Phase::kFailed:
          return FrameFailed(f);
        case Phase::kAwaitTask:
        case Phase::kAwaitWait:
        case Phase::kAwaitRetry:
        case Phase::kAwaitChildren:
          return;
      }
    }
  }

  void FrameFinished(Frame* f) {
    if (f->parent != nullptr) {
      return ChildFinished(f);
    }
    Emit(f, EventType::kExecutionSucceeded, [&](Event& e) { e.output = f->output; });
    self.output_ = f->output;
    self.status_ = ExecutionStatus::kSucceeded;
  }

  void FrameFailed(Frame* f) {
    if (f->parent != nullptr) {
      return ChildFailed(f);
    }
    // Only a Fail state can leave Error or Cause out; empty texts are reported as absent.
    self.has_error_ = !f->error.name.empty();
    self.has_cause_ = !f->error.cause.empty();
    self.error_ = f->error.name;
    self.cause_ = f->error.cause;
    Emit(f, EventType::kExecutionFailed, [&](Event& e) {
      e.error = f->error.name;
      e.cause = f->error.cause;
      e.has_error = self.has_error_;
      e.has_cause = self.has_cause_;
    });
    self.status_ = ExecutionStatus::kFailed;
  }

  // AWS reports a timed-out execution with neither error nor cause; its history event names
  // States.Timeout.
  void TimeOut() {
    Emit(root, EventType::kExecutionTimedOut, [&](Event& e) {
      e.error = kStatesTimeout;
      e.has_error = true;
    });
    self.status_ = ExecutionStatus::kTimedOut;
  }

  Execution& self;
  std::shared_ptr<const CompiledMachine> machine;
  const CompiledMachine& m;
  ExecutionInfo info;
  Arena& arena;
  EventSink* sink;
  std::size_t variable_count;

  Value execution_input;
  Value execution_object;
  Value state_machine_object;
  UnixNanos now = 0;
  UnixNanos deadline = 0;  // TimeoutSeconds, at most the Express limit, after the start
  std::uint32_t budget = 0;
  std::int64_t next_event_id = 1;
  std::uint64_t next_ticket = 1;

  Frame* root = nullptr;
  Frame* ready_head = nullptr;
  Frame* ready_tail = nullptr;
  std::vector<Frame*> sleepers;
  std::vector<Frame*> task_waiters;
  std::vector<TaskRequest> requests;
  std::vector<TaskRequest> handed_out;
};

Execution::Execution(std::shared_ptr<const CompiledMachine> machine, const ExecutionInfo& info,
                     Arena& arena, EventSink* sink) {
  // The interpreter's own state lives in the execution arena too: no heap allocation per run.
  void* storage = arena.Allocate(sizeof(Impl), alignof(Impl));
  impl_ = new (storage) Impl(*this, std::move(machine), info, arena, sink);
}

Execution::~Execution() {
  // The arena owns the memory; only the destructor has to run.
  impl_->~Impl();
}

void Execution::Start(Value input, std::size_t input_bytes) {
  Impl& impl = *impl_;
  impl.now = impl.info.start_time;
  impl.execution_input = input;
  const double limit =
      std::min(impl.m.timeout_seconds.value_or(kExpressMaxSeconds), kExpressMaxSeconds);
  impl.deadline = impl.info.start_time + SecondsToNanos(limit);
  Frame* root = new (impl.arena.Allocate(sizeof(Frame), alignof(Frame))) Frame();
  impl.root = root;
  root->state = impl.m.scopes[0].start;
  root->input = input;
  impl.EnsureOwnVariables(root);
  impl.Emit(root, EventType::kExecutionStarted, [&](Event& e) { e.input = input; });
  root->last_event_id = 0;  // AWS: the first state's Entered event follows event 0, not 1
  if (input_bytes > kMaxPayloadBytes) {
    root->error = Error{ErrorCode::kDataLimitExceeded, error_names::kDataLimitExceeded,
                        "The execution input exceeds the maximum number of bytes service limit."};
    root->phase = Phase::kFailed;
  }
  impl.Push(root);
}

StepOutcome Execution::Step(UnixNanos now, std::uint32_t budget) {
  Impl& impl = *impl_;
  if (status_ != ExecutionStatus::kRunning) {
    return {StepKind::kDone, std::nullopt};
  }
  impl.now = std::max(impl.now, now);
  if (impl.now >= impl.deadline) {
    impl.TimeOut();
    return {StepKind::kDone, std::nullopt};
  }
  impl.WakeSleepers();
  impl.ExpireTasks();
  impl.budget = budget;
  while (status_ == ExecutionStatus::kRunning) {
    Frame* f = impl.Pop();
    if (f == nullptr) {
      break;
    }
    if (!Impl::IsLive(f)) {
      continue;
    }
    impl.Advance(f);
    if (impl.budget == 0 && impl.ready_head != nullptr) {
      return {StepKind::kYield, std::nullopt};
    }
  }
  if (status_ != ExecutionStatus::kRunning) {
    return {StepKind::kDone, std::nullopt};
  }
  if (impl.ready_head != nullptr) {
    return {StepKind::kYield, std::nullopt};
  }
  return {StepKind::kBlocked, impl.NextWake()};
}

std::span<const TaskRequest> Execution::TakeTaskRequests() {
  Impl& impl = *impl_;
  impl.handed_out.swap(impl.requests);
  impl.requests.clear();
  return impl.handed_out;
}

void Execution::CompleteTask(std::uint64_t ticket, Value result, std::size_t result_bytes) {
  Impl& impl = *impl_;
  for (Frame* f : impl.task_waiters) {
    if (f->ticket == ticket && f->phase == Phase::kAwaitTask && Impl::IsLive(f)) {
      if (result_bytes > kMaxPayloadBytes) {
        f->task_failed = true;
        f->error = impl.DataLimit(impl.m.states[f->state]);
      } else {
        f->result = DeepCopy(result, impl.arena);
      }
      f->phase = Phase::kTaskAnswered;
      impl.Push(f);
      break;
    }
  }
}

void Execution::FailTask(std::uint64_t ticket, std::string_view error, std::string_view cause) {
  Impl& impl = *impl_;
  for (Frame* f : impl.task_waiters) {
    if (f->ticket == ticket && f->phase == Phase::kAwaitTask && Impl::IsLive(f)) {
      f->task_failed = true;
      f->error =
          Error{ErrorCode::kUser, impl.arena.CopyString(error), impl.arena.CopyString(cause)};
      f->phase = Phase::kTaskAnswered;
      impl.Push(f);
      break;
    }
  }
}

}  // namespace stepd::runtime
