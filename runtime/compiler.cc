#include "runtime/compiler.h"

#include <string>
#include <unordered_map>
#include <utility>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "runtime/timestamp.h"

namespace stepd::runtime {

namespace {

constexpr std::string_view kStatesAll = "States.ALL";
constexpr std::string_view kStatesTaskFailed = "States.TaskFailed";

std::optional<StateType> ParseStateType(std::string_view type) {
  static constexpr std::pair<std::string_view, StateType> kTypes[] = {
      {"Pass", StateType::kPass},         {"Task", StateType::kTask},
      {"Choice", StateType::kChoice},     {"Wait", StateType::kWait},
      {"Succeed", StateType::kSucceed},   {"Fail", StateType::kFail},
      {"Parallel", StateType::kParallel}, {"Map", StateType::kMap},
  };
  for (const auto& [name, value] : kTypes) {
    if (name == type) {
      return value;
    }
  }
  return std::nullopt;
}

// Builds a CompiledMachine from a definition the validator accepted. Anything unexpected still
// becomes a diagnostic rather than a crash: the validator and the compiler are separate code.
class MachineBuilder {
 public:
  explicit MachineBuilder(CompiledMachine& machine) : m_(machine) {
    options_.variables = &m_.variables;
  }

  Diagnostics Build(Value definition) {
    if (Value timeout = definition.Find("TimeoutSeconds"); timeout.IsNumber()) {
      m_.timeout_seconds = timeout.AsDouble();
    }
    AddScope(definition, kNoState, "");
    return std::move(diagnostics_);
  }

 private:
  void Problem(std::string location, std::string message) {
    diagnostics_.push_back(
        {Severity::kError, "SCHEMA_VALIDATION_FAILED", std::move(message), std::move(location)});
  }

  // Registers every state of a `States` object, then compiles them; nested scopes are added as
  // their Parallel/Map state compiles. Returns the new scope's id.
  ScopeId AddScope(Value scope_json, StateId parent, const std::string& location) {
    const auto scope_id = static_cast<ScopeId>(m_.scopes.size());
    m_.scopes.push_back({kNoState, parent});
    const Value states = scope_json.Find("States");
    std::vector<std::pair<StateId, Value>> members;
    states.ForEachMember([&](std::string_view name, Value state_json) {
      const auto id = static_cast<StateId>(m_.states.size());
      CompiledState state;
      state.name = std::string(name);
      state.scope = scope_id;
      m_.states.push_back(std::move(state));
      ids_[std::string(name)] = id;
      members.emplace_back(id, state_json);
    });
    const Value start_at = scope_json.Find("StartAt");
    m_.scopes[scope_id].start = start_at.IsString() ? Resolve(start_at.AsString()) : kNoState;
    if (m_.scopes[scope_id].start == kNoState) {
      Problem(location + "/StartAt", "StartAt does not name a state");
    }
    for (const auto& [id, state_json] : members) {
      CompileState(id, state_json, location + "/States/" + m_.states[id].name);
    }
    return scope_id;
  }

  StateId Resolve(std::string_view name) const {
    const auto it = ids_.find(std::string(name));
    return it == ids_.end() ? kNoState : it->second;
  }

  StateId ResolveNext(Value next, const std::string& location) {
    if (!next.IsString()) {
      return kNoState;
    }
    const StateId id = Resolve(next.AsString());
    if (id == kNoState) {
      Problem(location, "Missing 'Next' target: " + std::string(next.AsString()));
    }
    return id;
  }

  OptionalPath CompileOptionalPath(Value json, PathKind kind, const std::string& location) {
    OptionalPath out;
    if (json.IsMissing()) {
      return out;
    }
    if (json.IsNull()) {
      out.mode = OptionalPath::Mode::kNull;
      return out;
    }
    out.mode = OptionalPath::Mode::kPath;
    out.path = CompilePath(json, kind, location);
    if (!out.path) {
      out.mode = OptionalPath::Mode::kIdentity;
    }
    return out;
  }

  std::optional<CompiledPath> CompilePath(Value json, PathKind kind, const std::string& location) {
    if (!json.IsString()) {
      Problem(location, "The value must be a JSONPath string");
      return std::nullopt;
    }
    auto path = CompiledPath::Compile(json.AsString(), kind, options_);
    if (!path) {
      Problem(location, path.error().message);
      return std::nullopt;
    }
    return std::move(path).value();
  }

  std::optional<PayloadTemplate> CompileTemplate(Value json, const std::string& location) {
    if (json.IsMissing()) {
      return std::nullopt;
    }
    auto compiled = PayloadTemplate::Compile(json, options_);
    if (!compiled) {
      Problem(location, compiled.error().message);
      return std::nullopt;
    }
    return std::move(compiled).value();
  }

  std::optional<AssignSpec> CompileAssign(Value json, const std::string& location) {
    auto values = CompileTemplate(json, location);
    if (!values) {
      return std::nullopt;
    }
    AssignSpec spec{std::move(*values), {}};
    json.ForEachMember([&](std::string_view key, Value) {
      if (key.ends_with(".$")) {
        key.remove_suffix(2);
      }
      spec.ids.push_back(m_.variables.Intern(key));
    });
    return spec;
  }

  NumberOrPath CompileNumberOrPath(Value number, Value path, const std::string& location) {
    NumberOrPath out;
    if (number.IsNumber()) {
      out.present = true;
      out.value = number.AsDouble();
    } else if (!path.IsMissing()) {
      out.present = true;
      out.path = CompilePath(path, PathKind::kReferencePath, location);
    }
    return out;
  }

  static ErrorMatcher CompileErrorMatcher(Value error_equals) {
    ErrorMatcher matcher;
    error_equals.ForEachElement([&](Value name) {
      if (!name.IsString()) {
        return;
      }
      if (name.AsString() == kStatesAll) {
        matcher.matches_all = true;
      } else if (name.AsString() == kStatesTaskFailed) {
        matcher.matches_task_failed = true;
      } else {
        matcher.error_equals.emplace_back(name.AsString());
      }
    });
    return matcher;
  }

  void CompileRetryCatch(StateId id, Value json, const std::string& location) {
    // Compiling retriers and catchers adds no state, so the reference stays valid.
    CompiledState& state = m_.states[id];
    state.retrier_begin = static_cast<std::uint32_t>(m_.retriers.size());
    json.Find("Retry").ForEachElement([&](Value r) {
      Retrier retrier;
      retrier.errors = CompileErrorMatcher(r.Find("ErrorEquals"));
      if (Value v = r.Find("IntervalSeconds"); v.IsNumber()) {
        retrier.interval_seconds = v.AsDouble();
      }
      if (Value v = r.Find("MaxAttempts"); v.IsNumber()) {
        retrier.max_attempts = static_cast<std::uint32_t>(std::max(0.0, v.AsDouble()));
      }
      if (Value v = r.Find("BackoffRate"); v.IsNumber()) {
        retrier.backoff_rate = v.AsDouble();
      }
      if (Value v = r.Find("MaxDelaySeconds"); v.IsNumber()) {
        retrier.max_delay_seconds = v.AsDouble();
      }
      if (Value v = r.Find("JitterStrategy"); v.IsString()) {
        retrier.full_jitter = v.AsString() == "FULL";
      }
      m_.retriers.push_back(std::move(retrier));
    });
    state.retrier_end = static_cast<std::uint32_t>(m_.retriers.size());
    state.catcher_begin = static_cast<std::uint32_t>(m_.catchers.size());
    std::size_t index = 0;
    json.Find("Catch").ForEachElement([&](Value c) {
      const std::string at = location + "/Catch[" + std::to_string(index++) + "]";
      Catcher catcher;
      catcher.errors = CompileErrorMatcher(c.Find("ErrorEquals"));
      catcher.next = ResolveNext(c.Find("Next"), at + "/Next");
      catcher.result_path =
          CompileOptionalPath(c.Find("ResultPath"), PathKind::kReferencePath, at + "/ResultPath");
      catcher.assign = CompileAssign(c.Find("Assign"), at + "/Assign");
      m_.catchers.push_back(std::move(catcher));
    });
    state.catcher_end = static_cast<std::uint32_t>(m_.catchers.size());
  }

  void CompileChoices(StateId id, Value json, const std::string& location) {
    std::size_t index = 0;
    std::vector<ChoiceBranch> branches;
    json.Find("Choices").ForEachElement([&](Value rule) {
      const std::string at = location + "/Choices[" + std::to_string(index++) + "]";
      auto condition = ChoiceCondition::Compile(rule, options_);
      if (!condition) {
        Problem(at, condition.error().message);
        return;
      }
      branches.push_back({std::move(condition).value(),
                          ResolveNext(rule.Find("Next"), at + "/Next"),
                          CompileAssign(rule.Find("Assign"), at + "/Assign")});
    });
    m_.states[id].choices = std::move(branches);
    if (Value d = json.Find("Default"); !d.IsMissing()) {
      m_.states[id].default_next = ResolveNext(d, location + "/Default");
    }
  }

  void CompileFailField(FailField& field, Value literal, Value path, const std::string& location) {
    if (literal.IsString()) {
      field.literal = std::string(literal.AsString());
    } else if (path.IsString()) {
      auto expression = CompiledExpression::Compile(path.AsString(), options_);
      if (!expression) {
        Problem(location, expression.error().message);
        return;
      }
      field.expression = std::move(expression).value();
    }
  }

  void CompileState(StateId id, Value json, const std::string& location) {
    const auto type = ParseStateType(json.Find("Type").IsString() ? json.Find("Type").AsString()
                                                                  : std::string_view());
    if (!type) {
      Problem(location + "/Type", "The field 'Type' has an unknown value");
      return;
    }
    m_.states[id].type = *type;
    m_.states[id].end = json.Find("End").IsBool() && json.Find("End").AsBool();
    if (Value next = json.Find("Next"); !next.IsMissing()) {
      m_.states[id].next = ResolveNext(next, location + "/Next");
    }
    // Fields shared by most types; the validator has already refused them where illegal.
    m_.states[id].input_path =
        CompileOptionalPath(json.Find("InputPath"), PathKind::kPath, location + "/InputPath");
    m_.states[id].output_path =
        CompileOptionalPath(json.Find("OutputPath"), PathKind::kPath, location + "/OutputPath");
    m_.states[id].result_path = CompileOptionalPath(
        json.Find("ResultPath"), PathKind::kReferencePath, location + "/ResultPath");
    Value parameters = json.Find("Parameters");
    if (*type == StateType::kMap && json.Find("ItemSelector").IsObject()) {
      parameters = json.Find("ItemSelector");
    }
    m_.states[id].parameters = CompileTemplate(parameters, location + "/Parameters");
    m_.states[id].result_selector =
        CompileTemplate(json.Find("ResultSelector"), location + "/ResultSelector");
    m_.states[id].assign = CompileAssign(json.Find("Assign"), location + "/Assign");

    switch (*type) {
      case StateType::kPass:
        if (Value result = json.Find("Result"); !result.IsMissing()) {
          m_.states[id].result = DeepCopy(result, m_.arena);
          m_.states[id].result_bytes = ToJson(result).size();
        }
        break;
      case StateType::kTask:
        if (Value r = json.Find("Resource"); r.IsString()) {
          m_.states[id].resource = std::string(r.AsString());
        }
        m_.states[id].timeout_seconds =
            CompileNumberOrPath(json.Find("TimeoutSeconds"), json.Find("TimeoutSecondsPath"),
                                location + "/TimeoutSecondsPath");
        m_.states[id].heartbeat_seconds =
            CompileNumberOrPath(json.Find("HeartbeatSeconds"), json.Find("HeartbeatSecondsPath"),
                                location + "/HeartbeatSecondsPath");
        CompileRetryCatch(id, json, location);
        break;
      case StateType::kChoice:
        CompileChoices(id, json, location);
        break;
      case StateType::kWait:
        m_.states[id].wait_seconds = CompileNumberOrPath(
            json.Find("Seconds"), json.Find("SecondsPath"), location + "/SecondsPath");
        if (Value ts = json.Find("Timestamp"); ts.IsString()) {
          if (auto parsed = ParseTimestamp(ts.AsString())) {
            m_.states[id].wait_timestamp = *parsed;
          } else {
            Problem(location + "/Timestamp", "The Timestamp is not a valid RFC 3339 timestamp");
          }
        }
        if (Value tsp = json.Find("TimestampPath"); !tsp.IsMissing()) {
          m_.states[id].wait_timestamp_path =
              CompilePath(tsp, PathKind::kReferencePath, location + "/TimestampPath");
        }
        break;
      case StateType::kSucceed:
        break;
      case StateType::kFail:
        CompileFailField(m_.states[id].error, json.Find("Error"), json.Find("ErrorPath"),
                         location + "/ErrorPath");
        CompileFailField(m_.states[id].cause, json.Find("Cause"), json.Find("CausePath"),
                         location + "/CausePath");
        break;
      case StateType::kParallel: {
        std::size_t index = 0;
        std::vector<ScopeId> branches;
        json.Find("Branches").ForEachElement([&](Value branch) {
          branches.push_back(
              AddScope(branch, id, location + "/Branches[" + std::to_string(index++) + "]"));
        });
        m_.states[id].branches = std::move(branches);
        CompileRetryCatch(id, json, location);
        break;
      }
      case StateType::kMap: {
        Value processor = json.Find("ItemProcessor");
        std::string at = location + "/ItemProcessor";
        if (processor.IsMissing()) {
          processor = json.Find("Iterator");
          at = location + "/Iterator";
        }
        const ScopeId scope = AddScope(processor, id, at);
        m_.states[id].branches = {scope};
        const Value mode = processor.Find("ProcessorConfig").Find("Mode");
        m_.states[id].distributed = mode.IsString() && mode.AsString() == "DISTRIBUTED";
        m_.states[id].items_path = CompileOptionalPath(
            json.Find("ItemsPath"), PathKind::kReferencePath, location + "/ItemsPath");
        m_.states[id].max_concurrency =
            CompileNumberOrPath(json.Find("MaxConcurrency"), json.Find("MaxConcurrencyPath"),
                                location + "/MaxConcurrencyPath");
        m_.states[id].tolerated_failure_count = CompileNumberOrPath(
            json.Find("ToleratedFailureCount"), json.Find("ToleratedFailureCountPath"),
            location + "/ToleratedFailureCountPath");
        m_.states[id].tolerated_failure_percentage = CompileNumberOrPath(
            json.Find("ToleratedFailurePercentage"), json.Find("ToleratedFailurePercentagePath"),
            location + "/ToleratedFailurePercentagePath");
        CompileRetryCatch(id, json, location);
        break;
      }
    }
    m_.states[id].reads_context = ReadsContext(json);
  }

  // Conservative: any string starting with "$$" or mentioning "$$." anywhere in the state's
  // JSON (templates, intrinsic arguments, paths) means the context object may be read.
  static bool ReadsContext(Value json) {
    if (json.IsString()) {
      return json.AsString().find("$$") != std::string_view::npos;
    }
    if (json.IsObject()) {
      return !json.AllMembers([](std::string_view key, Value v) {
        // Nested scopes build their own context object when they need it.
        return key == "Branches" || key == "ItemProcessor" || key == "Iterator" || !ReadsContext(v);
      });
    }
    if (json.IsArray()) {
      return !json.AllElements([](Value v) { return !ReadsContext(v); });
    }
    return false;
  }

  CompiledMachine& m_;
  CompileOptions options_;
  std::unordered_map<std::string, StateId> ids_;
  Diagnostics diagnostics_;
};

}  // namespace

MachineResult Compile(std::string_view definition_text, const ValidationOptions& options) {
  Document document;
  auto root = document.Parse(definition_text);
  if (!root) {
    return Unexpected(ValidateDefinition(definition_text, options));
  }
  Diagnostics diagnostics = ValidateDefinition(*root, options);
  if (HasErrors(diagnostics)) {
    return Unexpected(std::move(diagnostics));
  }
  auto machine = std::make_shared<CompiledMachine>();
  machine->definition = std::string(definition_text);
  diagnostics = MachineBuilder(*machine).Build(*root);
  if (HasErrors(diagnostics)) {
    return Unexpected(std::move(diagnostics));
  }
  return std::shared_ptr<const CompiledMachine>(std::move(machine));
}

}  // namespace stepd::runtime
