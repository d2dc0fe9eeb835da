// Choice rule validation: the operand type of each of the 39 comparison operators, And/Or/Not
// nesting, Variable and Next, following AWS's schema (ASLS choice_state.json).

#include <algorithm>
#include <array>
#include <string>

#include "runtime/internal/validation.h"
#include "runtime/timestamp.h"

namespace stepd::runtime::internal {

namespace {

// And/Or/Not nested deeper than this are rejected: the walk is recursive, and no real rule
// comes close.
constexpr int kMaxRuleDepth = 64;

enum class Operand : unsigned char { kString, kNumber, kBoolean, kTimestamp, kPath };

struct Operator {
  std::string_view name;
  Operand operand;
};

// Sorted by name for binary search.
constexpr std::array<Operator, 39> kOperators = {{
    {"BooleanEquals", Operand::kBoolean},
    {"BooleanEqualsPath", Operand::kPath},
    {"IsBoolean", Operand::kBoolean},
    {"IsNull", Operand::kBoolean},
    {"IsNumeric", Operand::kBoolean},
    {"IsPresent", Operand::kBoolean},
    {"IsString", Operand::kBoolean},
    {"IsTimestamp", Operand::kBoolean},
    {"NumericEquals", Operand::kNumber},
    {"NumericEqualsPath", Operand::kPath},
    {"NumericGreaterThan", Operand::kNumber},
    {"NumericGreaterThanEquals", Operand::kNumber},
    {"NumericGreaterThanEqualsPath", Operand::kPath},
    {"NumericGreaterThanPath", Operand::kPath},
    {"NumericLessThan", Operand::kNumber},
    {"NumericLessThanEquals", Operand::kNumber},
    {"NumericLessThanEqualsPath", Operand::kPath},
    {"NumericLessThanPath", Operand::kPath},
    {"StringEquals", Operand::kString},
    {"StringEqualsPath", Operand::kPath},
    {"StringGreaterThan", Operand::kString},
    {"StringGreaterThanEquals", Operand::kString},
    {"StringGreaterThanEqualsPath", Operand::kPath},
    {"StringGreaterThanPath", Operand::kPath},
    {"StringLessThan", Operand::kString},
    {"StringLessThanEquals", Operand::kString},
    {"StringLessThanEqualsPath", Operand::kPath},
    {"StringLessThanPath", Operand::kPath},
    {"StringMatches", Operand::kString},
    {"TimestampEquals", Operand::kTimestamp},
    {"TimestampEqualsPath", Operand::kPath},
    {"TimestampGreaterThan", Operand::kTimestamp},
    {"TimestampGreaterThanEquals", Operand::kTimestamp},
    {"TimestampGreaterThanEqualsPath", Operand::kPath},
    {"TimestampGreaterThanPath", Operand::kPath},
    {"TimestampLessThan", Operand::kTimestamp},
    {"TimestampLessThanEquals", Operand::kTimestamp},
    {"TimestampLessThanEqualsPath", Operand::kPath},
    {"TimestampLessThanPath", Operand::kPath},
}};

const Operator* FindOperator(std::string_view name) {
  const auto* it =
      std::lower_bound(kOperators.begin(), kOperators.end(), name,
                       [](const Operator& op, std::string_view n) { return op.name < n; });
  return it != kOperators.end() && it->name == name ? &*it : nullptr;
}

bool IsBooleanOperator(std::string_view name) {
  return name == "And" || name == "Or" || name == "Not";
}

class RuleValidator {
 public:
  RuleValidator(FieldChecker& checker, std::uint32_t from, std::vector<Transition>& transitions)
      : checker_(checker), from_(from), transitions_(transitions) {}

  void TopLevelJsonPath(Value rule, const std::string& at);
  void TopLevelJsonata(Value rule, const std::string& at);

 private:
  // `top_level` rules carry Next (and may carry Assign); nested ones may not.
  void Rule(Value rule, const std::string& at, bool top_level, int depth);
  void CheckFields(Value rule, const std::string& at, bool top_level);
  void Comparison(Value rule, std::string_view op_name, const Operator& op, const std::string& at);
  void Boolean(Value rule, std::string_view op_name, const std::string& at, int depth);
  void Nested(Value rule, const std::string& at, int depth);
  void AddNext(Value rule, const std::string& at);

  FieldChecker& checker_;
  std::uint32_t from_;
  std::vector<Transition>& transitions_;
};

void RuleValidator::TopLevelJsonPath(Value rule, const std::string& at) {
  if (checker_.IsObject(rule, at, {})) {
    Rule(rule, at, /*top_level=*/true, 0);
    AddNext(rule, at);
  }
}

void RuleValidator::TopLevelJsonata(Value rule, const std::string& at) {
  static constexpr std::array<std::string_view, 5> kAllowed = {"Assign", "Comment", "Condition",
                                                               "Next", "Output"};
  if (!checker_.IsObject(rule, at, {})) {
    return;
  }
  checker_.RejectUnknownFields(rule, kAllowed, at);
  checker_.RequireFields(rule, {"Condition"}, at);
  AddNext(rule, at);
}

void RuleValidator::AddNext(Value rule, const std::string& at) {
  checker_.RequireFields(rule, {"Next"}, at);
  if (!checker_.String(rule, "Next", at)) {
    return;
  }
  const Value next = rule.Find("Next");
  if (next.IsString()) {
    transitions_.push_back(Transition{from_, next.AsString(), "Next", ChildPointer(at, "Next")});
  }
}

void RuleValidator::Rule(Value rule, const std::string& at, bool top_level, int depth) {
  CheckFields(rule, at, top_level);
  std::string_view op_name;
  const Operator* op = nullptr;
  int operators = 0;
  rule.ForEachMember([&](std::string_view key, Value) {
    const Operator* found = FindOperator(key);
    if (found != nullptr || IsBooleanOperator(key)) {
      ++operators;
      op_name = key;
      op = found;
    }
  });
  if (operators != 1) {
    checker_.Fail(at, {},
                  operators == 0
                      ? "The rule must contain a comparison operator, or And, Or or Not"
                      : "The rule must contain exactly one comparison operator, or And, Or or Not");
    return;
  }
  if (op != nullptr) {
    Comparison(rule, op_name, *op, at);
  } else {
    Boolean(rule, op_name, at, depth);
  }
}

void RuleValidator::CheckFields(Value rule, const std::string& at, bool top_level) {
  rule.ForEachMember([&](std::string_view key, Value) {
    const bool known = FindOperator(key) != nullptr || IsBooleanOperator(key) ||
                       key == "Variable" || key == "Comment" ||
                       (top_level && (key == "Next" || key == "Assign"));
    if (!known) {
      checker_.Fail(at, key,
                    "The field '" + std::string(key) + "' is not supported by Step Functions");
    }
  });
  if (top_level) {
    checker_.Assign(rule, "Assign", at);
  }
  checker_.String(rule, "Comment", at);
}

void RuleValidator::Comparison(Value rule, std::string_view op_name, const Operator& op,
                               const std::string& at) {
  const Value variable = rule.Find("Variable");
  if (variable.IsMissing()) {
    checker_.Fail(at, {}, "These fields are required: [Variable]");
  } else {
    checker_.PathValue(variable, "Variable", at, PathKind::kPath);
  }
  const Value operand = rule.Find(op_name);
  const std::string name(op_name);
  switch (op.operand) {
    case Operand::kString:
      if (!operand.IsString()) {
        checker_.Fail(at, op_name, "The value for the field '" + name + "' must be a STRING");
      }
      break;
    case Operand::kNumber:
      if (!operand.IsNumber()) {
        checker_.Fail(at, op_name, "The value for the field '" + name + "' must be a NUMBER");
      }
      break;
    case Operand::kBoolean:
      if (!operand.IsBool()) {
        checker_.Fail(at, op_name, "The value for the field '" + name + "' must be a BOOLEAN");
      }
      break;
    case Operand::kTimestamp:
      if (!operand.IsString() || !ParseTimestamp(operand.AsString()).has_value()) {
        checker_.Fail(at, op_name,
                      "The value for the field '" + name + "' must be a valid timestamp");
      }
      break;
    case Operand::kPath:
      checker_.PathValue(operand, op_name, at, PathKind::kPath);
      break;
  }
}

void RuleValidator::Boolean(Value rule, std::string_view op_name, const std::string& at,
                            int depth) {
  if (!rule.Find("Variable").IsMissing()) {
    checker_.Fail(at, "Variable",
                  "The field 'Variable' is not supported with '" + std::string(op_name) + "'");
  }
  if (depth >= kMaxRuleDepth) {
    checker_.Fail(at, op_name, "The choice rule is nested too deeply", codes::kTooDeep);
    return;
  }
  const Value operand = rule.Find(op_name);
  const std::string op_at = ChildPointer(at, op_name);
  if (op_name == "Not") {
    Nested(operand, op_at, depth);
    return;
  }
  if (!checker_.NonEmptyArray(rule, op_name, at)) {
    return;
  }
  std::size_t index = 0;
  operand.AllElements([&](Value nested) {
    Nested(nested, IndexPointer(op_at, index++), depth);
    return !checker_.reporter().full();
  });
}

void RuleValidator::Nested(Value rule, const std::string& at, int depth) {
  if (checker_.IsObject(rule, at, {})) {
    Rule(rule, at, /*top_level=*/false, depth + 1);
  }
}

}  // namespace

void ValidateChoiceRules(FieldChecker& checker, Value choices, std::string_view at, bool jsonata,
                         std::uint32_t from, std::vector<Transition>& transitions) {
  RuleValidator validator(checker, from, transitions);
  const std::string choices_at = ChildPointer(at, "Choices");
  std::size_t index = 0;
  choices.AllElements([&](Value rule) {
    const std::string rule_at = IndexPointer(choices_at, index++);
    if (jsonata) {
      validator.TopLevelJsonata(rule, rule_at);
    } else {
      validator.TopLevelJsonPath(rule, rule_at);
    }
    return !checker.reporter().full();
  });
}

}  // namespace stepd::runtime::internal
