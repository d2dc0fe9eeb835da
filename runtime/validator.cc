#include "runtime/validator.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <simdjson.h>

#include "jsonpath/document.h"
#include "runtime/internal/validation.h"
#include "runtime/timestamp.h"

namespace stepd::runtime {

namespace {

using internal::ChildPointer;
using internal::CodePoints;
using internal::FieldChecker;
using internal::IndexPointer;
using internal::Reporter;
using internal::Transition;
namespace codes = internal::codes;

// Parallel branches and Map processors nested deeper than this are TOO_DEEPLY_NESTED. The walk
// recurses once per level, so the bound also keeps definitions built in memory (which the
// parser's own depth limit does not cover) off the stack's edge.
constexpr int kMaxScopeDepth = 100;
constexpr std::size_t kMaxStateNameChars = 80;
constexpr std::size_t kMaxLabelChars = 40;
constexpr std::int64_t kMaxInt32 = 2147483647;
constexpr std::int64_t kMaxDelaySeconds = 31622400;
constexpr int kMaxResultScanDepth = 64;

constexpr std::string_view kJsonata = "JSONata";
constexpr std::string_view kJsonPath = "JSONPath";
constexpr std::string_view kStatesAll = "States.ALL";
constexpr std::string_view kNotAnObject = "Definition must be a valid JSON object";
constexpr std::string_view kJsonataUnsupported =
    "stepd does not support the JSONata query language yet";

enum class StateType : unsigned char {
  kTask,
  kPass,
  kChoice,
  kWait,
  kSucceed,
  kFail,
  kParallel,
  kMap
};

// Fields each state type allows besides Type, Comment and QueryLanguage (ASLS
// validationSchema.ts; reference §1.3). Query-language restrictions are applied separately.
constexpr auto kPassFields =
    std::to_array<std::string_view>({"Next", "End", "InputPath", "OutputPath", "Parameters",
                                     "Result", "ResultPath", "Output", "Assign"});
constexpr auto kTaskFields = std::to_array<std::string_view>(
    {"Next", "End", "Resource", "InputPath", "OutputPath", "Parameters", "ResultSelector",
     "ResultPath", "Arguments", "Output", "Assign", "Credentials", "TimeoutSeconds",
     "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch"});
constexpr auto kChoiceFields = std::to_array<std::string_view>(
    {"Choices", "Default", "InputPath", "OutputPath", "Output", "Assign"});
constexpr auto kWaitFields = std::to_array<std::string_view>(
    {"Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath", "InputPath",
     "OutputPath", "Output", "Assign"});
constexpr auto kSucceedFields =
    std::to_array<std::string_view>({"InputPath", "OutputPath", "Output"});
constexpr auto kFailFields =
    std::to_array<std::string_view>({"Error", "ErrorPath", "Cause", "CausePath"});
constexpr auto kParallelFields = std::to_array<std::string_view>(
    {"Next", "End", "Branches", "InputPath", "OutputPath", "Parameters", "ResultSelector",
     "ResultPath", "Arguments", "Output", "Assign", "Retry", "Catch"});
// clang-format off
constexpr auto kMapFields = std::to_array<std::string_view>(
    {"Next", "End", "ItemProcessor", "Iterator", "ItemsPath", "Items", "ItemSelector",
     "Parameters", "ItemReader", "ItemBatcher", "ResultWriter", "MaxConcurrency",
     "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailureCountPath",
     "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Label", "InputPath",
     "OutputPath", "ResultSelector", "ResultPath", "Output", "Assign", "Retry", "Catch"});
// clang-format on

constexpr auto kJsonPathOnlyFields = std::to_array<std::string_view>(
    {"InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result", "ItemsPath",
     "SecondsPath", "TimestampPath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
     "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
     "ErrorPath", "CausePath"});
constexpr auto kJsonataOnlyFields =
    std::to_array<std::string_view>({"Arguments", "Output", "Items"});

constexpr auto kMachineFields = std::to_array<std::string_view>(
    {"Comment", "QueryLanguage", "StartAt", "States", "TimeoutSeconds", "Version"});
constexpr auto kBranchFields =
    std::to_array<std::string_view>({"Comment", "QueryLanguage", "StartAt", "States"});
constexpr auto kProcessorFields = std::to_array<std::string_view>(
    {"Comment", "ProcessorConfig", "QueryLanguage", "StartAt", "States"});
constexpr auto kRetrierFields =
    std::to_array<std::string_view>({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
                                     "MaxDelaySeconds", "JitterStrategy", "Comment"});
constexpr auto kCatcherFields = std::to_array<std::string_view>(
    {"ErrorEquals", "Next", "ResultPath", "Comment", "Assign", "Output"});
constexpr auto kProcessorConfigFields = std::to_array<std::string_view>({"Mode", "ExecutionType"});

struct TypeInfo {
  std::string_view name;
  StateType type;
  std::span<const std::string_view> fields;
  bool transitions;  // takes Next or End
};

const TypeInfo* FindType(std::string_view name) {
  static const std::array<TypeInfo, 8> kTypes = {{
      {"Task", StateType::kTask, kTaskFields, true},
      {"Pass", StateType::kPass, kPassFields, true},
      {"Choice", StateType::kChoice, kChoiceFields, false},
      {"Wait", StateType::kWait, kWaitFields, true},
      {"Succeed", StateType::kSucceed, kSucceedFields, false},
      {"Fail", StateType::kFail, kFailFields, false},
      {"Parallel", StateType::kParallel, kParallelFields, true},
      {"Map", StateType::kMap, kMapFields, true},
  }};
  for (const TypeInfo& info : kTypes) {
    if (info.name == name) {
      return &info;
    }
  }
  return nullptr;
}

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& fields, std::string_view field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

// The `index`th colon-separated field of an ARN ("arn" is field 0), or empty.
std::string_view ArnField(std::string_view arn, std::size_t index) {
  for (std::size_t i = 0; i < index; ++i) {
    const std::size_t colon = arn.find(':');
    if (colon == std::string_view::npos) {
      return {};
    }
    arn.remove_prefix(colon + 1);
  }
  return arn.substr(0, arn.find(':'));
}

bool IsForbiddenLabelChar(unsigned char c) {
  static constexpr std::string_view kForbidden = " ?*<>{}[]:;,\\|^~$#%&`\"";
  return c < 0x20 || c == 0x7F || kForbidden.find(static_cast<char>(c)) != std::string_view::npos;
}

// True when a Pass state's Result holds a `.$` key, which AWS leaves unevaluated.
bool HasDynamicKey(Value json, int depth) {
  if (depth > kMaxResultScanDepth) {
    return false;
  }
  if (json.IsArray()) {
    return !json.AllElements([&](Value item) { return !HasDynamicKey(item, depth + 1); });
  }
  return !json.AllMembers([&](std::string_view key, Value value) {
    return !(key.ends_with(".$") || HasDynamicKey(value, depth + 1));
  });
}

// The states of one States object and the transitions between them, resolved once every state
// is known.
struct ScopeGraph {
  std::vector<std::string_view> names;
  std::unordered_map<std::string_view, std::uint32_t> index;
  std::vector<Transition> transitions;
  std::vector<char> terminal;
  // False once a state is too broken to know its transitions; termination is then unknowable.
  bool complete = true;
};

// Adjacency in compressed rows: the targets of state i are targets[offsets[i]..offsets[i+1]).
struct Adjacency {
  std::vector<std::uint32_t> offsets;
  std::vector<std::uint32_t> targets;

  Adjacency(std::size_t states, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& edges)
      : offsets(states + 1, 0), targets(edges.size()) {
    for (const auto& [from, to] : edges) {
      ++offsets[from + 1];
    }
    for (std::size_t i = 0; i < states; ++i) {
      offsets[i + 1] += offsets[i];
    }
    std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (const auto& [from, to] : edges) {
      targets[fill[from]++] = to;
    }
  }
};

// Marks every state reachable from `seeds` (iteratively: machines may have 10,000 states).
std::vector<char> Reach(const Adjacency& graph, std::vector<std::uint32_t> seeds) {
  std::vector<char> seen(graph.offsets.size() - 1, 0);
  for (std::uint32_t seed : seeds) {
    seen[seed] = 1;
  }
  while (!seeds.empty()) {
    const std::uint32_t state = seeds.back();
    seeds.pop_back();
    for (std::uint32_t i = graph.offsets[state]; i < graph.offsets[state + 1]; ++i) {
      const std::uint32_t next = graph.targets[i];
      if (seen[next] == 0) {
        seen[next] = 1;
        seeds.push_back(next);
      }
    }
  }
  return seen;
}

class Validator {
 public:
  Validator(Reporter& reporter, const ValidationOptions& options)
      : reporter_(reporter), checker_(reporter), type_(options.type) {}

  void Machine(Value definition);

 private:
  // Returns whether states under `holder` use JSONata, given what they would inherit.
  bool ResolveLanguage(Value holder, const std::string& at, bool inherited);
  void Scope(Value scope, const std::string& at, std::span<const std::string_view> fields,
             int depth);
  void AddState(std::string_view name, Value state, const std::string& states_at, bool jsonata,
                int depth, ScopeGraph& graph);
  void State(Value state, const std::string& at, bool jsonata, int depth, std::uint32_t id,
             ScopeGraph& graph);
  void StateFields(Value state, const std::string& at, const TypeInfo& info, bool jsonata);
  void Transitions(Value state, const std::string& at, const TypeInfo& info, std::uint32_t id,
                   ScopeGraph& graph);
  void JsonPathFields(Value state, const std::string& at);
  void Task(Value state, const std::string& at, bool jsonata);
  void Resource(Value state, const std::string& at);
  void Credentials(Value state, const std::string& at);
  void Pass(Value state, const std::string& at);
  void Wait(Value state, const std::string& at, bool jsonata);
  void FailState(Value state, const std::string& at, bool jsonata);
  void Parallel(Value state, const std::string& at, int depth);
  void Map(Value state, const std::string& at, bool jsonata, int depth);
  void MapLimits(Value state, const std::string& at);
  void Label(Value state, const std::string& at);
  void Processor(Value state, const std::string& at, int depth);
  void Retriers(Value state, const std::string& at);
  void Catchers(Value state, const std::string& at, bool jsonata, std::uint32_t id,
                ScopeGraph& graph);
  void ErrorEquals(Value rule, const std::string& at, bool last);
  void Graph(const ScopeGraph& graph, Value start_at, const std::string& at);
  void Termination(const ScopeGraph& graph, const Adjacency& forward, const std::vector<char>& live,
                   const std::string& at);

  Reporter& reporter_;
  FieldChecker checker_;
  MachineType type_;
  bool top_jsonata_ = false;
  // Names are unique across the whole machine, nested scopes included; labels likewise.
  std::unordered_set<std::string_view> state_names_;
  std::unordered_set<std::string_view> labels_;
};

void Validator::Machine(Value definition) {
  if (!definition.IsObject()) {
    reporter_.Error(codes::kSchema, std::string(kNotAnObject), "/");
    return;
  }
  top_jsonata_ = ResolveLanguage(definition, "/", false);
  checker_.OneOf(definition, "Version", "/", {"1.0"});
  checker_.Integer(definition, "TimeoutSeconds", "/", 1, internal::kMaxSeconds);
  Scope(definition, "/", kMachineFields, 0);
}

bool Validator::ResolveLanguage(Value holder, const std::string& at, bool inherited) {
  if (!checker_.OneOf(holder, "QueryLanguage", at, {kJsonPath, kJsonata})) {
    return inherited;
  }
  const Value language = holder.Find("QueryLanguage");
  if (language.IsMissing()) {
    return inherited;
  }
  if (language.AsString() == kJsonPath) {
    if (top_jsonata_) {
      checker_.Fail(at, "QueryLanguage",
                    "Cannot downgrade from JSONata context to a JSONPath context");
    }
    return false;
  }
  if (!inherited) {
    checker_.Fail(at, "QueryLanguage", std::string(kJsonataUnsupported), codes::kUnsupported);
  }
  return true;
}

void Validator::Scope(Value scope, const std::string& at, std::span<const std::string_view> fields,
                      int depth) {
  checker_.RejectUnknownFields(scope, fields, at);
  checker_.RequireFields(scope, {"States", "StartAt"}, at);
  checker_.String(scope, "Comment", at);
  checker_.String(scope, "StartAt", at);
  const bool jsonata = depth == 0 ? top_jsonata_ : ResolveLanguage(scope, at, top_jsonata_);
  const Value states = scope.Find("States");
  if (states.IsMissing() || !checker_.IsObject(states, at, "States")) {
    return;
  }
  if (states.Size() == 0) {
    checker_.Fail(at, "States", "Value cannot be empty");
    return;
  }
  ScopeGraph graph;
  const std::string states_at = ChildPointer(at, "States");
  states.AllMembers([&](std::string_view name, Value state) {
    AddState(name, state, states_at, jsonata, depth, graph);
    return !reporter_.full();
  });
  Graph(graph, scope.Find("StartAt"), at);
}

void Validator::AddState(std::string_view name, Value state, const std::string& states_at,
                         bool jsonata, int depth, ScopeGraph& graph) {
  const std::string at = ChildPointer(states_at, name);
  if (!state_names_.insert(name).second) {
    reporter_.Error(codes::kDuplicateState, "Duplicate State name: " + std::string(name), at);
  }
  if (CodePoints(name) > kMaxStateNameChars) {
    reporter_.Error(
        codes::kInvalidStateName,
        "The state name is longer than " + std::to_string(kMaxStateNameChars) + " characters", at);
  }
  const auto id = static_cast<std::uint32_t>(graph.names.size());
  if (!graph.index.emplace(name, id).second) {
    return;  // a duplicate key in one States object: the first one is the state
  }
  graph.names.push_back(name);
  graph.terminal.push_back(0);
  State(state, at, jsonata, depth, id, graph);
}

void Validator::State(Value state, const std::string& at, bool jsonata, int depth, std::uint32_t id,
                      ScopeGraph& graph) {
  if (!state.IsObject()) {
    checker_.Fail(at, {}, "The value for the state must be an OBJECT");
    graph.complete = false;
    return;
  }
  checker_.RequireFields(state, {"Type"}, at);
  const Value type = state.Find("Type");
  const TypeInfo* info = type.IsString() ? FindType(type.AsString()) : nullptr;
  if (info == nullptr) {
    if (!type.IsMissing()) {
      checker_.Fail(at, "Type",
                    "The field 'Type' should have one of these values: [Task, Wait, Pass, "
                    "Succeed, Fail, Choice, Parallel, Map]");
    }
    graph.complete = false;
    return;
  }
  const bool state_jsonata = ResolveLanguage(state, at, jsonata);
  StateFields(state, at, *info, state_jsonata);
  checker_.String(state, "Comment", at);
  checker_.Assign(state, "Assign", at);
  Transitions(state, at, *info, id, graph);
  if (!state_jsonata) {
    JsonPathFields(state, at);
  }
  switch (info->type) {
    case StateType::kTask:
      Task(state, at, state_jsonata);
      break;
    case StateType::kPass:
      Pass(state, at);
      break;
    case StateType::kChoice:
      if (checker_.NonEmptyArray(state, "Choices", at)) {
        internal::ValidateChoiceRules(checker_, state.Find("Choices"), at, state_jsonata, id,
                                      graph.transitions);
      }
      break;
    case StateType::kWait:
      Wait(state, at, state_jsonata);
      break;
    case StateType::kSucceed:
      break;
    case StateType::kFail:
      FailState(state, at, state_jsonata);
      break;
    case StateType::kParallel:
      Parallel(state, at, depth);
      break;
    case StateType::kMap:
      Map(state, at, state_jsonata, depth);
      break;
  }
  if (info->type == StateType::kTask || info->type == StateType::kParallel ||
      info->type == StateType::kMap) {
    Retriers(state, at);
    Catchers(state, at, state_jsonata, id, graph);
  }
}

void Validator::StateFields(Value state, const std::string& at, const TypeInfo& info,
                            bool jsonata) {
  state.AllMembers([&](std::string_view key, Value) {
    const bool common = key == "Type" || key == "Comment" || key == "QueryLanguage";
    if (!common && std::find(info.fields.begin(), info.fields.end(), key) == info.fields.end()) {
      checker_.Fail(at, key,
                    "The field '" + std::string(key) + "' is not supported by Step " +
                        "Functions for a state of type '" + std::string(info.name) + "'");
    } else if (jsonata ? Contains(kJsonPathOnlyFields, key) : Contains(kJsonataOnlyFields, key)) {
      checker_.Fail(at, key,
                    "The field '" + std::string(key) + "' is not supported with QueryLanguage '" +
                        std::string(jsonata ? kJsonata : kJsonPath) + "'");
    }
    return !reporter_.full();
  });
}

void Validator::Transitions(Value state, const std::string& at, const TypeInfo& info,
                            std::uint32_t id, ScopeGraph& graph) {
  if (info.type == StateType::kSucceed || info.type == StateType::kFail) {
    graph.terminal[id] = 1;
  }
  if (info.type == StateType::kChoice) {
    checker_.RequireFields(state, {"Choices"}, at);
    const Value target = state.Find("Default");
    if (checker_.String(state, "Default", at) && target.IsString()) {
      graph.transitions.push_back(
          Transition{id, target.AsString(), "Default", ChildPointer(at, "Default")});
    }
  }
  if (!info.transitions) {
    return;
  }
  const Value next = state.Find("Next");
  const Value end = state.Find("End");
  checker_.String(state, "Next", at);
  checker_.Boolean(state, "End", at);
  if (!next.IsMissing() && !end.IsMissing()) {
    checker_.Fail(at, {}, "Only one of these fields is allowed: [Next, End]");
  } else if (next.IsMissing() && !(end.IsBool() && end.AsBool())) {
    checker_.Fail(at, {}, "Exactly one of these fields is required: [Next, End]");
  }
  if (end.IsBool() && end.AsBool()) {
    graph.terminal[id] = 1;
  }
  if (next.IsString()) {
    graph.transitions.push_back(Transition{id, next.AsString(), "Next", ChildPointer(at, "Next")});
  }
}

void Validator::JsonPathFields(Value state, const std::string& at) {
  checker_.Path(state, "InputPath", at, PathKind::kPath, true);
  checker_.Path(state, "OutputPath", at, PathKind::kPath, true);
  checker_.ResultPath(state, "ResultPath", at);
  checker_.Template(state, "Parameters", at);
  checker_.Template(state, "ResultSelector", at);
}

void Validator::Task(Value state, const std::string& at, bool jsonata) {
  checker_.RequireFields(state, {"Resource"}, at);
  Resource(state, at);
  Credentials(state, at);
  checker_.Exclusive(state, "TimeoutSeconds", "TimeoutSecondsPath", at);
  checker_.Exclusive(state, "HeartbeatSeconds", "HeartbeatSecondsPath", at);
  if (jsonata) {
    return;  // JSONata numbers may be `{% %}` expressions
  }
  const bool timeout_ok = checker_.Integer(state, "TimeoutSeconds", at, 1, internal::kMaxSeconds);
  const bool heartbeat_ok =
      checker_.Integer(state, "HeartbeatSeconds", at, 1, internal::kMaxSeconds);
  checker_.Path(state, "TimeoutSecondsPath", at, PathKind::kReferencePath, false);
  checker_.Path(state, "HeartbeatSecondsPath", at, PathKind::kReferencePath, false);
  const Value timeout = state.Find("TimeoutSeconds");
  const Value heartbeat = state.Find("HeartbeatSeconds");
  if (timeout_ok && heartbeat_ok && timeout.IsNumber() && heartbeat.IsNumber() &&
      heartbeat.AsDouble() >= timeout.AsDouble()) {
    checker_.Fail(at, "HeartbeatSeconds",
                  "The value for the field 'HeartbeatSeconds' must be smaller than the value "
                  "for the field 'TimeoutSeconds'");
  }
}

void Validator::Resource(Value state, const std::string& at) {
  const Value resource = state.Find("Resource");
  if (!checker_.String(state, "Resource", at) || !resource.IsString()) {
    return;
  }
  const std::string_view arn = resource.AsString();
  if (!arn.starts_with("arn:")) {
    checker_.Fail(at, "Resource", "The resource '" + std::string(arn) + "' is not a valid ARN",
                  codes::kInvalidResource);
    return;
  }
  if (type_ != MachineType::kExpress) {
    return;
  }
  // AWS's own texts, including the double space before " at" after '.waitForTaskToken'.
  if (ArnField(arn, 2) == "states" && ArnField(arn, 5) == "activity") {
    checker_.Fail(at, "Resource", "Express state machine does not support Activity ARN");
  } else if (arn.ends_with(".sync") || arn.find(".sync:") != std::string_view::npos) {
    checker_.Fail(at, "Resource",
                  "Express state machine does not support '.sync' service integration");
  } else if (arn.ends_with(".waitForTaskToken")) {
    checker_.Fail(at, "Resource",
                  "Express state machine does not support '.waitForTaskToken' service "
                  "integration ");
  }
}

void Validator::Credentials(Value state, const std::string& at) {
  const Value credentials = state.Find("Credentials");
  if (credentials.IsMissing() || !checker_.IsObject(credentials, at, "Credentials")) {
    return;
  }
  if (credentials.Find("RoleArn").IsMissing() && credentials.Find("RoleArn.$").IsMissing()) {
    checker_.Fail(at, "Credentials", "The field 'RoleArn' is required but was missing");
  }
  checker_.Template(state, "Credentials", at);
}

void Validator::Pass(Value state, const std::string& at) {
  const Value result = state.Find("Result");
  if (result.IsContainer() && HasDynamicKey(result, 0)) {
    reporter_.Warning(codes::kPassResultIsStatic,
                      "Attempt to use a path in the result of a pass state",
                      ChildPointer(at, "Result"));
  }
}

void Validator::Wait(Value state, const std::string& at, bool jsonata) {
  int present = 0;
  for (std::string_view field : {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"}) {
    present += state.Find(field).IsMissing() ? 0 : 1;
  }
  if (present != 1) {
    checker_.Fail(at, {},
                  "Exactly one of these fields is required: [Seconds, SecondsPath, Timestamp, "
                  "TimestampPath]");
  }
  if (jsonata) {
    return;
  }
  checker_.Integer(state, "Seconds", at, 0, internal::kMaxSeconds);
  checker_.Path(state, "SecondsPath", at, PathKind::kReferencePath, false);
  checker_.Path(state, "TimestampPath", at, PathKind::kReferencePath, false);
  const Value timestamp = state.Find("Timestamp");
  if (checker_.String(state, "Timestamp", at) && timestamp.IsString() &&
      !ParseTimestamp(timestamp.AsString()).has_value()) {
    checker_.Fail(at, "Timestamp",
                  "The value for the field 'Timestamp' must be a valid ISO-8601 extended offset "
                  "date-time");
  }
}

void Validator::FailState(Value state, const std::string& at, bool jsonata) {
  checker_.Exclusive(state, "Error", "ErrorPath", at);
  checker_.Exclusive(state, "Cause", "CausePath", at);
  if (jsonata) {
    return;
  }
  checker_.String(state, "Error", at);
  checker_.String(state, "Cause", at);
  checker_.Expression(state, "ErrorPath", at);
  checker_.Expression(state, "CausePath", at);
}

void Validator::Parallel(Value state, const std::string& at, int depth) {
  checker_.RequireFields(state, {"Branches"}, at);
  if (!checker_.NonEmptyArray(state, "Branches", at) || state.Find("Branches").IsMissing()) {
    return;
  }
  const std::string branches_at = ChildPointer(at, "Branches");
  if (depth + 1 > kMaxScopeDepth) {
    reporter_.Error(codes::kTooDeep, "The states are too deeply nested", branches_at);
    return;
  }
  std::size_t index = 0;
  state.Find("Branches").AllElements([&](Value branch) {
    const std::string branch_at = IndexPointer(branches_at, index++);
    if (checker_.IsObject(branch, branch_at, {})) {
      Scope(branch, branch_at, kBranchFields, depth + 1);
    }
    return !reporter_.full();
  });
}

void Validator::Map(Value state, const std::string& at, bool jsonata, int depth) {
  const bool has_processor = !state.Find("ItemProcessor").IsMissing();
  const bool has_iterator = !state.Find("Iterator").IsMissing();
  if (!has_processor && !has_iterator) {
    checker_.Fail(at, {}, "These fields are required: [ItemProcessor]");
  } else if (has_processor && has_iterator) {
    checker_.Fail(at, {}, "Only one of these fields is allowed: [ItemProcessor, Iterator]");
  }
  checker_.Exclusive(state, "MaxConcurrency", "MaxConcurrencyPath", at);
  checker_.Exclusive(state, "ToleratedFailureCount", "ToleratedFailureCountPath", at);
  checker_.Exclusive(state, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", at);
  // Reading items from, or writing results to, Amazon S3 (and batching what is read) would be
  // silently skipped by an engine without them: refuse them by name instead.
  for (std::string_view field : {"ItemReader", "ItemBatcher", "ResultWriter"}) {
    const Value value = state.Find(field);
    if (!value.IsMissing() && checker_.IsObject(value, at, field)) {
      checker_.Fail(at, field,
                    "stepd does not support the Map field '" + std::string(field) + "' yet",
                    codes::kUnsupported);
    }
  }
  Label(state, at);
  if (!jsonata) {
    checker_.Path(state, "ItemsPath", at, PathKind::kReferencePath, false);
    checker_.Template(state, "ItemSelector", at);
    MapLimits(state, at);
  }
  Processor(state, at, depth);
}

void Validator::MapLimits(Value state, const std::string& at) {
  checker_.Integer(state, "MaxConcurrency", at, 0, kMaxInt32);
  checker_.Integer(state, "ToleratedFailureCount", at, 0, kMaxInt32);
  checker_.Number(state, "ToleratedFailurePercentage", at, 0, 100);
  for (std::string_view field :
       {"MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"}) {
    checker_.Path(state, field, at, PathKind::kReferencePath, false);
  }
}

void Validator::Label(Value state, const std::string& at) {
  const Value label = state.Find("Label");
  if (!checker_.String(state, "Label", at) || !label.IsString()) {
    return;
  }
  const std::string_view text = label.AsString();
  const std::size_t chars = CodePoints(text);
  if (chars == 0 || chars > kMaxLabelChars) {
    checker_.Fail(at, "Label", "Label must be between 1 and 40 characters long",
                  codes::kInvalidLabel);
    return;
  }
  for (char c : text) {
    if (IsForbiddenLabelChar(static_cast<unsigned char>(c))) {
      checker_.Fail(at, "Label", "Label contains invalid character: '" + std::string(1, c) + "'",
                    codes::kInvalidLabel);
      return;
    }
  }
  if (!labels_.insert(text).second) {
    checker_.Fail(at, "Label", "Duplicate Label name: " + std::string(text),
                  codes::kDuplicateLabel);
  }
}

void Validator::Processor(Value state, const std::string& at, int depth) {
  const bool iterator = state.Find("ItemProcessor").IsMissing();
  const std::string_view field = iterator ? "Iterator" : "ItemProcessor";
  const Value processor = state.Find(field);
  if (processor.IsMissing() || !checker_.IsObject(processor, at, field)) {
    return;
  }
  const std::string processor_at = ChildPointer(at, field);
  if (depth + 1 > kMaxScopeDepth) {
    reporter_.Error(codes::kTooDeep, "The states are too deeply nested", processor_at);
    return;
  }
  const Value config = processor.Find("ProcessorConfig");
  if (!config.IsMissing() && checker_.IsObject(config, processor_at, "ProcessorConfig")) {
    const std::string config_at = ChildPointer(processor_at, "ProcessorConfig");
    checker_.RejectUnknownFields(config, kProcessorConfigFields, config_at);
    checker_.OneOf(config, "Mode", config_at, {"INLINE", "DISTRIBUTED"});
    checker_.OneOf(config, "ExecutionType", config_at, {"STANDARD", "EXPRESS"});
  }
  Scope(processor, processor_at, kProcessorFields, depth + 1);
}

void Validator::Retriers(Value state, const std::string& at) {
  const Value retry = state.Find("Retry");
  if (retry.IsMissing()) {
    return;
  }
  if (!retry.IsArray()) {
    checker_.Fail(at, "Retry", "The value for the field 'Retry' must be an ARRAY");
    return;
  }
  const std::string retry_at = ChildPointer(at, "Retry");
  const std::size_t count = retry.Size();
  std::size_t index = 0;
  retry.AllElements([&](Value retrier) {
    const std::string retrier_at = IndexPointer(retry_at, index);
    if (checker_.IsObject(retrier, retrier_at, {})) {
      checker_.RejectUnknownFields(retrier, kRetrierFields, retrier_at);
      ErrorEquals(retrier, retrier_at, index + 1 == count);
      checker_.Integer(retrier, "IntervalSeconds", retrier_at, 1, internal::kMaxSeconds);
      checker_.Integer(retrier, "MaxAttempts", retrier_at, 0, internal::kMaxSeconds);
      checker_.Number(retrier, "BackoffRate", retrier_at, 1.0, 1e300);
      checker_.Integer(retrier, "MaxDelaySeconds", retrier_at, 1, kMaxDelaySeconds);
      checker_.OneOf(retrier, "JitterStrategy", retrier_at, {"FULL", "NONE"});
      checker_.String(retrier, "Comment", retrier_at);
    }
    ++index;
    return !reporter_.full();
  });
}

void Validator::Catchers(Value state, const std::string& at, bool jsonata, std::uint32_t id,
                         ScopeGraph& graph) {
  const Value catchers = state.Find("Catch");
  if (catchers.IsMissing()) {
    return;
  }
  if (!catchers.IsArray()) {
    checker_.Fail(at, "Catch", "The value for the field 'Catch' must be an ARRAY");
    return;
  }
  const std::string catch_at = ChildPointer(at, "Catch");
  const std::size_t count = catchers.Size();
  std::size_t index = 0;
  catchers.AllElements([&](Value catcher) {
    const std::string catcher_at = IndexPointer(catch_at, index);
    if (checker_.IsObject(catcher, catcher_at, {})) {
      checker_.RejectUnknownFields(catcher, kCatcherFields, catcher_at);
      checker_.RequireFields(catcher, {"ErrorEquals", "Next"}, catcher_at);
      ErrorEquals(catcher, catcher_at, index + 1 == count);
      checker_.String(catcher, "Comment", catcher_at);
      checker_.Assign(catcher, "Assign", catcher_at);
      const std::string_view foreign = jsonata ? "ResultPath" : "Output";
      if (!catcher.Find(foreign).IsMissing()) {
        checker_.Fail(catcher_at, foreign,
                      "The field '" + std::string(foreign) +
                          "' is not supported with QueryLanguage '" +
                          std::string(jsonata ? kJsonata : kJsonPath) + "'");
      } else if (!jsonata) {
        checker_.ResultPath(catcher, "ResultPath", catcher_at);
      }
      const Value next = catcher.Find("Next");
      if (checker_.String(catcher, "Next", catcher_at) && next.IsString()) {
        graph.transitions.push_back(
            Transition{id, next.AsString(), "Next", ChildPointer(catcher_at, "Next")});
      }
    }
    ++index;
    return !reporter_.full();
  });
}

void Validator::ErrorEquals(Value rule, const std::string& at, bool last) {
  checker_.RequireFields(rule, {"ErrorEquals"}, at);
  if (!checker_.NonEmptyArray(rule, "ErrorEquals", at) || rule.Find("ErrorEquals").IsMissing()) {
    return;
  }
  const Value names = rule.Find("ErrorEquals");
  bool has_all = false;
  names.ForEachElement([&](Value name) {
    if (!name.IsString()) {
      checker_.Fail(at, "ErrorEquals",
                    "The value for the field 'ErrorEquals' must be an ARRAY "
                    "of STRING");
    } else if (name.AsString() == kStatesAll) {
      has_all = true;
    }
  });
  if (!has_all) {
    return;
  }
  if (names.Size() != 1) {
    checker_.Fail(at, "ErrorEquals", "'States.ALL' must appear alone in 'ErrorEquals'");
  } else if (!last) {
    checker_.Fail(at, "ErrorEquals",
                  "'States.ALL' must only appear in the last retrier or catcher");
  }
}

void Validator::Graph(const ScopeGraph& graph, Value start_at, const std::string& at) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges;
  edges.reserve(graph.transitions.size());
  bool all_resolved = true;
  for (const Transition& transition : graph.transitions) {
    const auto it = graph.index.find(transition.target);
    if (it == graph.index.end()) {
      all_resolved = false;
      reporter_.Error(codes::kMissingTarget,
                      "Missing '" + std::string(transition.field) +
                          "' target: " + std::string(transition.target),
                      transition.location);
    } else {
      edges.emplace_back(transition.from, it->second);
    }
  }
  if (!start_at.IsString() || graph.names.empty()) {
    return;
  }
  const auto start = graph.index.find(start_at.AsString());
  if (start == graph.index.end()) {
    reporter_.Error(codes::kMissingTarget,
                    "Missing 'StartAt' target: " + std::string(start_at.AsString()),
                    ChildPointer(at, "StartAt"));
    return;
  }
  const Adjacency forward(graph.names.size(), edges);
  const std::vector<char> live = Reach(forward, {start->second});
  const std::string states_at = ChildPointer(at, "States");
  for (std::size_t i = 0; i < graph.names.size() && !reporter_.full(); ++i) {
    if (live[i] == 0) {
      reporter_.Error(codes::kMissingTarget,
                      "State \"" + std::string(graph.names[i]) + "\" is not reachable.",
                      ChildPointer(states_at, graph.names[i]));
    }
  }
  if (all_resolved && graph.complete) {
    Termination(graph, forward, live, at);
  }
}

// Every state reachable from StartAt must be able to reach a terminal state: a cycle with no way
// out would run until the execution times out.
void Validator::Termination(const ScopeGraph& graph, const Adjacency& forward,
                            const std::vector<char>& live, const std::string& at) {
  std::vector<std::uint32_t> terminals;
  for (std::uint32_t i = 0; i < graph.terminal.size(); ++i) {
    if (graph.terminal[i] != 0) {
      terminals.push_back(i);
    }
  }
  if (terminals.empty()) {
    reporter_.Error(codes::kMissingEnd, "Workflow has no terminal state", at);
    return;
  }
  std::vector<std::pair<std::uint32_t, std::uint32_t>> reversed;
  reversed.reserve(forward.targets.size());
  for (std::uint32_t from = 0; from + 1 < forward.offsets.size(); ++from) {
    for (std::uint32_t i = forward.offsets[from]; i < forward.offsets[from + 1]; ++i) {
      reversed.emplace_back(forward.targets[i], from);
    }
  }
  const std::vector<char> can_end =
      Reach(Adjacency(graph.names.size(), reversed), std::move(terminals));
  const std::string states_at = ChildPointer(at, "States");
  for (std::size_t i = 0; i < graph.names.size() && !reporter_.full(); ++i) {
    if (live[i] != 0 && can_end[i] == 0) {
      reporter_.Error(codes::kMissingEnd,
                      "State \"" + std::string(graph.names[i]) + "\" cannot reach a terminal state",
                      ChildPointer(states_at, graph.names[i]));
    }
  }
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

Diagnostics ValidateDefinition(std::string_view definition_text, const ValidationOptions& options) {
  Document document;
  auto root = document.Parse(definition_text);
  if (root) {
    return ValidateDefinition(*root, options);
  }
  Reporter reporter;
  if (IsBlank(definition_text)) {
    reporter.Error(codes::kSchema, std::string(kNotAnObject), "/");
  } else if (root.error().cause == simdjson::error_message(simdjson::DEPTH_ERROR)) {
    reporter.Error(codes::kTooDeep, "The definition is nested too deeply", "/");
  } else {
    reporter.Error(codes::kInvalidJson,
                   std::string(kNotAnObject) + ": " + std::string(root.error().cause), "/");
  }
  return std::move(reporter).Take();
}

Diagnostics ValidateDefinition(Value definition, const ValidationOptions& options) {
  Reporter reporter;
  Validator(reporter, options).Machine(definition);
  return std::move(reporter).Take();
}

}  // namespace stepd::runtime
