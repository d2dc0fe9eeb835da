#include "runtime/choice.h"

#include <array>
#include <compare>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jsonpath/path.h"
#include "runtime/timestamp.h"

namespace stepd::runtime {
namespace internal {

enum class NodeKind : std::uint8_t {
  kAnd,
  kOr,
  kNot,
  kString,  // String* and String*Path
  kNumeric,
  kBoolean,
  kTimestamp,
  kStringMatches,
  kIsNull,
  kIsPresent,
  kIsNumeric,
  kIsString,
  kIsBoolean,
  kIsTimestamp,
};

enum class Comparison : std::uint8_t {
  kEquals,
  kLessThan,
  kGreaterThan,
  kLessThanEquals,
  kGreaterThanEquals,
};

inline constexpr std::uint32_t kNoPath = std::numeric_limits<std::uint32_t>::max();

struct ChoiceNode {
  NodeKind kind = NodeKind::kAnd;
  Comparison comparison = Comparison::kEquals;
  bool expected = true;  // the operand of the Is* type tests
  // And/Or/Not: the children, nodes[first, first + count). StringMatches: the pattern's
  // literal pieces between its wildcards, segments[first, first + count).
  std::uint32_t first = 0;
  std::uint32_t count = 0;
  std::uint32_t variable = kNoPath;      // index in paths: the rule's `Variable`
  std::uint32_t operand_path = kNoPath;  // index in paths: the operand of a `...Path` operator
  Value literal;                         // a literal operand; strings view ChoiceProgram::strings
  ExactTimestamp literal_time;           // a Timestamp* literal, parsed once
};

struct ChoicePath {
  CompiledPath path;
  std::string_view missing_cause;  // the States.Runtime cause when the path matches nothing
};

// The whole condition, flattened: nodes[0] is the root and the children of every And/Or/Not
// are contiguous, so evaluation walks index ranges instead of pointers.
struct ChoiceProgram {
  std::vector<ChoiceNode> nodes;
  std::vector<ChoicePath> paths;
  std::vector<std::string_view> segments;
  // A deque, because growing it never moves the strings already in it: the views in `nodes`,
  // `paths` and `segments` stay valid.
  std::deque<std::string> strings;
};

namespace {

enum class OperandForm : std::uint8_t { kRules, kLiteral, kPath };

struct OperatorInfo {
  std::string_view name;
  NodeKind kind;
  Comparison comparison;
  OperandForm form;
};

constexpr std::array kOperators = {
    OperatorInfo{"And", NodeKind::kAnd, Comparison::kEquals, OperandForm::kRules},
    OperatorInfo{"Or", NodeKind::kOr, Comparison::kEquals, OperandForm::kRules},
    OperatorInfo{"Not", NodeKind::kNot, Comparison::kEquals, OperandForm::kRules},
    OperatorInfo{"StringEquals", NodeKind::kString, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"StringEqualsPath", NodeKind::kString, Comparison::kEquals, OperandForm::kPath},
    OperatorInfo{"StringLessThan", NodeKind::kString, Comparison::kLessThan, OperandForm::kLiteral},
    OperatorInfo{"StringLessThanPath", NodeKind::kString, Comparison::kLessThan,
                 OperandForm::kPath},
    OperatorInfo{"StringGreaterThan", NodeKind::kString, Comparison::kGreaterThan,
                 OperandForm::kLiteral},
    OperatorInfo{"StringGreaterThanPath", NodeKind::kString, Comparison::kGreaterThan,
                 OperandForm::kPath},
    OperatorInfo{"StringLessThanEquals", NodeKind::kString, Comparison::kLessThanEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"StringLessThanEqualsPath", NodeKind::kString, Comparison::kLessThanEquals,
                 OperandForm::kPath},
    OperatorInfo{"StringGreaterThanEquals", NodeKind::kString, Comparison::kGreaterThanEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"StringGreaterThanEqualsPath", NodeKind::kString, Comparison::kGreaterThanEquals,
                 OperandForm::kPath},
    OperatorInfo{"NumericEquals", NodeKind::kNumeric, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"NumericEqualsPath", NodeKind::kNumeric, Comparison::kEquals, OperandForm::kPath},
    OperatorInfo{"NumericLessThan", NodeKind::kNumeric, Comparison::kLessThan,
                 OperandForm::kLiteral},
    OperatorInfo{"NumericLessThanPath", NodeKind::kNumeric, Comparison::kLessThan,
                 OperandForm::kPath},
    OperatorInfo{"NumericGreaterThan", NodeKind::kNumeric, Comparison::kGreaterThan,
                 OperandForm::kLiteral},
    OperatorInfo{"NumericGreaterThanPath", NodeKind::kNumeric, Comparison::kGreaterThan,
                 OperandForm::kPath},
    OperatorInfo{"NumericLessThanEquals", NodeKind::kNumeric, Comparison::kLessThanEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"NumericLessThanEqualsPath", NodeKind::kNumeric, Comparison::kLessThanEquals,
                 OperandForm::kPath},
    OperatorInfo{"NumericGreaterThanEquals", NodeKind::kNumeric, Comparison::kGreaterThanEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"NumericGreaterThanEqualsPath", NodeKind::kNumeric, Comparison::kGreaterThanEquals,
                 OperandForm::kPath},
    OperatorInfo{"TimestampEquals", NodeKind::kTimestamp, Comparison::kEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"TimestampEqualsPath", NodeKind::kTimestamp, Comparison::kEquals,
                 OperandForm::kPath},
    OperatorInfo{"TimestampLessThan", NodeKind::kTimestamp, Comparison::kLessThan,
                 OperandForm::kLiteral},
    OperatorInfo{"TimestampLessThanPath", NodeKind::kTimestamp, Comparison::kLessThan,
                 OperandForm::kPath},
    OperatorInfo{"TimestampGreaterThan", NodeKind::kTimestamp, Comparison::kGreaterThan,
                 OperandForm::kLiteral},
    OperatorInfo{"TimestampGreaterThanPath", NodeKind::kTimestamp, Comparison::kGreaterThan,
                 OperandForm::kPath},
    OperatorInfo{"TimestampLessThanEquals", NodeKind::kTimestamp, Comparison::kLessThanEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"TimestampLessThanEqualsPath", NodeKind::kTimestamp, Comparison::kLessThanEquals,
                 OperandForm::kPath},
    OperatorInfo{"TimestampGreaterThanEquals", NodeKind::kTimestamp, Comparison::kGreaterThanEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"TimestampGreaterThanEqualsPath", NodeKind::kTimestamp,
                 Comparison::kGreaterThanEquals, OperandForm::kPath},
    OperatorInfo{"BooleanEquals", NodeKind::kBoolean, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"BooleanEqualsPath", NodeKind::kBoolean, Comparison::kEquals, OperandForm::kPath},
    OperatorInfo{"StringMatches", NodeKind::kStringMatches, Comparison::kEquals,
                 OperandForm::kLiteral},
    OperatorInfo{"IsNull", NodeKind::kIsNull, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"IsPresent", NodeKind::kIsPresent, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"IsNumeric", NodeKind::kIsNumeric, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"IsString", NodeKind::kIsString, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"IsBoolean", NodeKind::kIsBoolean, Comparison::kEquals, OperandForm::kLiteral},
    OperatorInfo{"IsTimestamp", NodeKind::kIsTimestamp, Comparison::kEquals, OperandForm::kLiteral},
};
static_assert(kOperators.size() == 3 + 39, "And/Or/Not and the 39 comparison operators");

const OperatorInfo* FindOperator(std::string_view name) {
  for (const OperatorInfo& info : kOperators) {
    if (info.name == name) {
      return &info;
    }
  }
  return nullptr;
}

bool IsTypeTest(NodeKind kind) {
  return kind == NodeKind::kIsNull || kind == NodeKind::kIsPresent ||
         kind == NodeKind::kIsNumeric || kind == NodeKind::kIsString ||
         kind == NodeKind::kIsBoolean || kind == NodeKind::kIsTimestamp;
}

// Builds a message in one allocation. (Chains of std::string operator+ also trip a GCC 12
// -Wrestrict false positive.)
std::string Concat(std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (std::string_view part : parts) {
    size += part.size();
  }
  std::string out;
  out.reserve(size);
  for (std::string_view part : parts) {
    out += part;
  }
  return out;
}

std::string Quote(std::string_view text) { return Concat({"'", text, "'"}); }

class ChoiceCompiler {
 public:
  ChoiceCompiler(ChoiceProgram& program, const CompileOptions& options)
      : program_(program), options_(options) {}

  // Compiles `rule` (nesting level `depth`, 1 for a Choices element) into a node; its
  // children, if any, are appended to the program.
  CompileResult<ChoiceNode> CompileRule(Value rule, int depth) {
    if (!rule.IsObject()) {
      return CompileFailure(
          Concat({"A choice rule must be an object, not ", TypeName(rule.type())}));
    }
    if (depth > ChoiceCondition::kMaxNestingDepth) {
      return CompileFailure(
          Concat({"Choice rules are nested more than ",
                  std::to_string(ChoiceCondition::kMaxNestingDepth), " levels deep"}));
    }
    const bool nested = depth > 1;
    Value variable;
    Value operand;
    const OperatorInfo* op = nullptr;
    std::optional<CompileError> error;
    rule.AllMembers([&](std::string_view key, Value value) {
      if (key == "Variable") {
        variable = value;
      } else if (key == "Next" || key == "Assign") {
        if (nested) {
          error =
              CompileError{Concat({Quote(key), " is not allowed in a rule nested in And/Or/Not"})};
        }
      } else if (key == "Comment") {
        // Documentation only.
      } else if (const OperatorInfo* info = FindOperator(key)) {
        if (op != nullptr) {
          error = CompileError{Concat({"A choice rule must have exactly one operator, found ",
                                       Quote(op->name), " and ", Quote(key)})};
        }
        op = info;
        operand = value;
      } else {
        error = CompileError{Concat({"Unknown choice rule field or operator ", Quote(key)})};
      }
      return !error.has_value();
    });
    if (error) {
      return Unexpected<CompileError>(*std::move(error));
    }
    if (op == nullptr) {
      return CompileFailure(
          "A choice rule needs a comparison operator (such as StringEquals) or And, Or, Not");
    }
    if (op->form == OperandForm::kRules) {
      if (!variable.IsMissing()) {
        return CompileFailure(Concat({"'Variable' is not allowed with ", Quote(op->name)}));
      }
      return CompileCombinator(*op, operand, depth);
    }
    if (variable.IsMissing()) {
      return CompileFailure(Concat({Quote(op->name), " needs a 'Variable'"}));
    }
    return CompileDataTest(*op, variable, operand);
  }

 private:
  CompileResult<ChoiceNode> CompileCombinator(const OperatorInfo& op, Value operand, int depth) {
    ChoiceNode node;
    node.kind = op.kind;
    if (op.kind == NodeKind::kNot) {
      if (!operand.IsObject()) {
        return CompileFailure(
            Concat({"'Not' must be a single rule (an object), not ", TypeName(operand.type())}));
      }
    } else if (!operand.IsArray() || operand.Size() == 0) {
      return CompileFailure(Concat({Quote(op.name), " must be a non-empty array of rules"}));
    }
    node.first = static_cast<std::uint32_t>(program_.nodes.size());
    node.count = op.kind == NodeKind::kNot ? 1 : static_cast<std::uint32_t>(operand.Size());
    // Reserve the children's slots first so that they are contiguous; their own children
    // go after them.
    program_.nodes.resize(program_.nodes.size() + node.count);
    if (op.kind == NodeKind::kNot) {
      STEPD_ASSIGN_OR_RETURN(program_.nodes[node.first], CompileRule(operand, depth + 1));
      return node;
    }
    std::uint32_t slot = node.first;
    std::optional<CompileError> error;
    operand.AllElements([&](Value child) {
      CompileResult<ChoiceNode> compiled = CompileRule(child, depth + 1);
      if (!compiled) {
        error = std::move(compiled).error();
        return false;
      }
      program_.nodes[slot++] = *compiled;
      return true;
    });
    if (error) {
      return Unexpected<CompileError>(*std::move(error));
    }
    return node;
  }

  CompileResult<ChoiceNode> CompileDataTest(const OperatorInfo& op, Value variable, Value operand) {
    ChoiceNode node;
    node.kind = op.kind;
    node.comparison = op.comparison;
    STEPD_ASSIGN_OR_RETURN(node.variable, AddPath("Variable", variable));
    if (op.form == OperandForm::kPath) {
      STEPD_ASSIGN_OR_RETURN(node.operand_path, AddPath(op.name, operand));
      return node;
    }
    if (IsTypeTest(op.kind)) {
      if (!operand.IsBool()) {
        return WrongOperand(op, "true or false", operand);
      }
      node.expected = operand.AsBool();
      return node;
    }
    switch (op.kind) {
      case NodeKind::kString:
        if (!operand.IsString()) {
          return WrongOperand(op, "a string", operand);
        }
        node.literal = Value::String(Keep(operand.AsString()));
        return node;
      case NodeKind::kNumeric:
        if (!operand.IsNumber()) {
          return WrongOperand(op, "a number", operand);
        }
        node.literal = operand;  // numbers are decoded into the Value: no view to keep alive
        return node;
      case NodeKind::kBoolean:
        if (!operand.IsBool()) {
          return WrongOperand(op, "true or false", operand);
        }
        node.literal = operand;
        return node;
      case NodeKind::kTimestamp: {
        std::optional<ExactTimestamp> time;
        if (operand.IsString()) {
          time = ParseExactTimestamp(operand.AsString());
        }
        if (!time) {
          return WrongOperand(op, "an ISO-8601 timestamp string such as '2016-03-14T01:59:00Z'",
                              operand);
        }
        node.literal_time = *time;
        return node;
      }
      case NodeKind::kStringMatches:
        if (!operand.IsString()) {
          return WrongOperand(op, "a string", operand);
        }
        return CompilePattern(operand.AsString(), node);
      default:
        return CompileFailure(
            Concat({"Internal error: unhandled choice operator ", Quote(op.name)}));
    }
  }

  // Splits a StringMatches pattern at its unescaped '*'s. In the pattern, `\*` is a literal
  // star and `\\` a literal backslash; any other backslash is an error.
  CompileResult<ChoiceNode> CompilePattern(std::string_view pattern, ChoiceNode node) {
    std::vector<std::string> pieces(1);
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      const char c = pattern[i];
      if (c == '*') {
        pieces.emplace_back();
      } else if (c != '\\') {
        pieces.back() += c;
      } else if (i + 1 < pattern.size() && (pattern[i + 1] == '*' || pattern[i + 1] == '\\')) {
        pieces.back() += pattern[++i];
      } else {
        return CompileFailure(
            Concat({"StringMatches pattern ", Quote(pattern), " has an open escape at offset ",
                    std::to_string(i), ": a backslash must precede '*' or another backslash"}));
      }
    }
    node.first = static_cast<std::uint32_t>(program_.segments.size());
    node.count = static_cast<std::uint32_t>(pieces.size());
    for (std::string& piece : pieces) {
      program_.segments.push_back(Keep(std::move(piece)));
    }
    return node;
  }

  CompileResult<std::uint32_t> AddPath(std::string_view field, Value text) {
    if (!text.IsString()) {
      return CompileFailure(
          Concat({Quote(field), " must be a path string, not ", TypeName(text.type())}));
    }
    CompileResult<CompiledPath> path =
        CompiledPath::Compile(text.AsString(), PathKind::kPath, options_);
    if (!path) {
      return CompileFailure(Concat({Quote(field), ": ", path.error().message}));
    }
    // AWS's wording; the interpreter prefixes the state name.
    const std::string_view cause =
        Keep(Concat({"Invalid path ", Quote(text.AsString()),
                     ": The choice state's condition path references an invalid value."}));
    program_.paths.push_back(ChoicePath{std::move(path).value(), cause});
    return static_cast<std::uint32_t>(program_.paths.size() - 1);
  }

  static Unexpected<CompileError> WrongOperand(const OperatorInfo& op, std::string_view expected,
                                               Value operand) {
    const std::string value = operand.IsString() ? Concat({" ", Quote(operand.AsString())}) : "";
    return CompileFailure(
        Concat({Quote(op.name), " must be ", expected, ", not ", TypeName(operand.type()), value}));
  }

  std::string_view Keep(std::string text) { return program_.strings.emplace_back(std::move(text)); }
  std::string_view Keep(std::string_view text) { return Keep(std::string(text)); }

  ChoiceProgram& program_;
  const CompileOptions& options_;
};

bool Holds(Comparison comparison, std::partial_ordering order) {
  switch (comparison) {
    case Comparison::kEquals:
      return std::is_eq(order);
    case Comparison::kLessThan:
      return std::is_lt(order);
    case Comparison::kGreaterThan:
      return std::is_gt(order);
    case Comparison::kLessThanEquals:
      return std::is_lteq(order);
    case Comparison::kGreaterThanEquals:
      return std::is_gteq(order);
  }
  return false;
}

// Two integers compare exactly (doubles would merge 2^53 and 2^53 + 1); anything else compares
// as IEEE doubles. A kUint64 number is always above every kInt64 one (Value::Uint stores
// smaller values as kInt64).
std::partial_ordering CompareNumbers(Value a, Value b) {
  if (a.IsInteger() && b.IsInteger()) {
    const bool a_big = a.number_kind() == NumberKind::kUint64;
    const bool b_big = b.number_kind() == NumberKind::kUint64;
    if (a_big && b_big) {
      return a.AsUint() <=> b.AsUint();
    }
    if (a_big != b_big) {
      return a_big ? std::partial_ordering::greater : std::partial_ordering::less;
    }
    return a.AsInt() <=> b.AsInt();
  }
  return a.AsDouble() <=> b.AsDouble();
}

// Glob matching with '*' only: the first piece anchors at the start, the last at the end, and
// each middle piece takes its leftmost occurrence. With no other wildcard, leftmost is never
// worse than any later choice, so this needs no backtracking.
bool MatchesPattern(std::string_view text, std::span<const std::string_view> pieces) {
  if (pieces.size() == 1) {
    return text == pieces.front();
  }
  const std::string_view head = pieces.front();
  const std::string_view tail = pieces.back();
  if (text.size() < head.size() + tail.size() || !text.starts_with(head) || !text.ends_with(tail)) {
    return false;
  }
  std::string_view middle = text.substr(head.size(), text.size() - head.size() - tail.size());
  for (std::size_t i = 1; i + 1 < pieces.size(); ++i) {
    const std::size_t at = middle.find(pieces[i]);
    if (at == std::string_view::npos) {
      return false;
    }
    middle.remove_prefix(at + pieces[i].size());
  }
  return true;
}

std::optional<ExactTimestamp> AsTimestamp(Value v) {
  if (!v.IsString()) {
    return std::nullopt;
  }
  return ParseExactTimestamp(v.AsString());
}

// Recursion depth is bounded by ChoiceCondition::kMaxNestingDepth.
Result<bool> EvaluateNode(const ChoiceProgram& program, std::uint32_t index,
                          const EvalContext& ctx) {
  const ChoiceNode& node = program.nodes[index];
  switch (node.kind) {
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      // Short-circuit: a later rule's missing path is no error once the outcome is known.
      const bool stop_on = node.kind == NodeKind::kOr;
      for (std::uint32_t child = node.first; child < node.first + node.count; ++child) {
        STEPD_ASSIGN_OR_RETURN(const bool matched, EvaluateNode(program, child, ctx));
        if (matched == stop_on) {
          return stop_on;
        }
      }
      return !stop_on;
    }
    case NodeKind::kNot: {
      STEPD_ASSIGN_OR_RETURN(const bool matched, EvaluateNode(program, node.first, ctx));
      return !matched;
    }
    default:
      break;
  }

  const ChoicePath& variable_path = program.paths[node.variable];
  const Value variable = variable_path.path.Select(ctx);
  if (node.kind == NodeKind::kIsPresent) {
    return variable.IsMissing() != node.expected;
  }
  if (variable.IsMissing()) {
    return RuntimeFailure(variable_path.missing_cause);
  }
  switch (node.kind) {
    case NodeKind::kIsNull:
      return variable.IsNull() == node.expected;
    case NodeKind::kIsNumeric:
      return variable.IsNumber() == node.expected;
    case NodeKind::kIsString:
      return variable.IsString() == node.expected;
    case NodeKind::kIsBoolean:
      return variable.IsBool() == node.expected;
    case NodeKind::kIsTimestamp:
      return AsTimestamp(variable).has_value() == node.expected;
    case NodeKind::kStringMatches:
      return variable.IsString() &&
             MatchesPattern(variable.AsString(),
                            std::span(program.segments).subspan(node.first, node.count));
    default:
      break;
  }

  Value operand = node.literal;
  if (node.operand_path != kNoPath) {
    const ChoicePath& operand_path = program.paths[node.operand_path];
    operand = operand_path.path.Select(ctx);
    if (operand.IsMissing()) {
      return RuntimeFailure(operand_path.missing_cause);
    }
  }
  switch (node.kind) {
    case NodeKind::kString:
      return variable.IsString() && operand.IsString() &&
             Holds(node.comparison, variable.AsString() <=> operand.AsString());
    case NodeKind::kNumeric:
      return variable.IsNumber() && operand.IsNumber() &&
             Holds(node.comparison, CompareNumbers(variable, operand));
    case NodeKind::kBoolean:
      return variable.IsBool() && operand.IsBool() && variable.AsBool() == operand.AsBool();
    case NodeKind::kTimestamp: {
      const std::optional<ExactTimestamp> left = AsTimestamp(variable);
      const std::optional<ExactTimestamp> right =
          node.operand_path == kNoPath ? node.literal_time : AsTimestamp(operand);
      return left && right && Holds(node.comparison, *left <=> *right);
    }
    default:
      break;
  }
  return RuntimeFailure("Internal error: unhandled choice rule");
}

}  // namespace
}  // namespace internal

ChoiceCondition::ChoiceCondition(std::unique_ptr<internal::ChoiceProgram> program)
    : program_(std::move(program)) {}
ChoiceCondition::ChoiceCondition(ChoiceCondition&&) noexcept = default;
ChoiceCondition& ChoiceCondition::operator=(ChoiceCondition&&) noexcept = default;
ChoiceCondition::~ChoiceCondition() = default;

CompileResult<ChoiceCondition> ChoiceCondition::Compile(Value rule, const CompileOptions& options) {
  auto program = std::make_unique<internal::ChoiceProgram>();
  program->nodes.emplace_back();  // the root's slot
  internal::ChoiceCompiler compiler(*program, options);
  STEPD_ASSIGN_OR_RETURN(program->nodes[0], compiler.CompileRule(rule, 1));
  return ChoiceCondition(std::move(program));
}

Result<bool> ChoiceCondition::Evaluate(const EvalContext& ctx) const {
  return internal::EvaluateNode(*program_, 0, ctx);
}

}  // namespace stepd::runtime
