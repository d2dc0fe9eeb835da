#include "runtime/choice.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/value.h"
#include "jsonpath/writer.h"

namespace stepd::runtime {
namespace {

constexpr std::string_view kInvalidPathSuffix =
    "': The choice state's condition path references an invalid value.";

class ChoiceConditionTest : public ::testing::Test {
 protected:
  // Parses `text`; the Value lives as long as the fixture.
  Value Json(std::string_view text) {
    Document& document = documents_.emplace_back();
    Result<Value> parsed = document.Parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    return parsed.has_value() ? *parsed : Value::Missing();
  }

  CompileResult<ChoiceCondition> Compile(std::string_view rule) {
    return ChoiceCondition::Compile(Json(rule), options_);
  }

  // Compiles `rule` (which must compile) and evaluates it against `input`.
  Result<bool> Evaluate(std::string_view rule, std::string_view input) {
    CompileResult<ChoiceCondition> condition = Compile(rule);
    if (!condition) {
      ADD_FAILURE() << "does not compile: " << rule << ": " << condition.error().message;
      return RuntimeFailure("test: compile error");
    }
    context_.input = Json(input);
    context_.arena = &arena_;
    // An error's cause is owned by its condition, so the condition must outlive the result.
    return conditions_.emplace_back(std::move(condition).value()).Evaluate(context_);
  }

  // True or false; any evaluation error fails the test.
  bool Matches(std::string_view rule, std::string_view input) {
    Result<bool> result = Evaluate(rule, input);
    if (!result) {
      ADD_FAILURE() << rule << " on " << input << " failed: " << result.error().cause;
      return false;
    }
    return *result;
  }

  // The compile error's message; empty (and a test failure) when `rule` compiles.
  std::string CompileMessage(std::string_view rule) {
    CompileResult<ChoiceCondition> condition = Compile(rule);
    if (condition) {
      ADD_FAILURE() << "compiles but should not: " << rule;
      return "";
    }
    return condition.error().message;
  }

  std::deque<Document> documents_;  // a deque: Values keep pointing into earlier documents
  std::deque<ChoiceCondition> conditions_;
  Arena arena_;
  VariableTable variables_;
  CompileOptions options_{.variables = &variables_};
  EvalContext context_;
};

TEST_F(ChoiceConditionTest, StringComparisonsAreByCodePoint) {
  EXPECT_TRUE(Matches(R"({"Variable": "$.s", "StringEquals": "abc"})", R"({"s": "abc"})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.s", "StringEquals": "abc"})", R"({"s": "ABC"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.s", "StringLessThan": "abd"})", R"({"s": "abc"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.s", "StringLessThan": "abc"})", R"({"s": "ab"})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.s", "StringGreaterThan": "b"})", R"({"s": "B"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.s", "StringGreaterThanEquals": "b"})", R"({"s": "b"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.s", "StringLessThanEquals": "b"})", R"({"s": "a"})"));
  // Non-ASCII orders by code point: e-acute (U+00E9) sorts after 'z', and U+1F600 after U+FFFD.
  EXPECT_TRUE(Matches(R"({"Variable": "$.s", "StringGreaterThan": "z"})", R"({"s": "\u00e9"})"));
  EXPECT_TRUE(
      Matches(R"({"Variable": "$.s", "StringGreaterThan": "\ufffd"})", R"({"s": "\ud83d\ude00"})"));
  EXPECT_TRUE(
      Matches(R"({"Variable": "$.s", "StringEqualsPath": "$.t"})", R"({"s": "x", "t": "x"})"));
  EXPECT_FALSE(
      Matches(R"({"Variable": "$.s", "StringLessThanPath": "$.t"})", R"({"s": "x", "t": "x"})"));
}

TEST_F(ChoiceConditionTest, TypeMismatchIsFalseNotAnError) {
  EXPECT_FALSE(Matches(R"({"Variable": "$.v", "StringEquals": "1"})", R"({"v": 1})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.v", "NumericEquals": 1})", R"({"v": "1"})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.v", "BooleanEquals": true})", R"({"v": 1})"));
  EXPECT_FALSE(
      Matches(R"({"Variable": "$.v", "NumericEqualsPath": "$.w"})", R"({"v": 1, "w": "1"})"));
  EXPECT_FALSE(
      Matches(R"({"Variable": "$.v", "BooleanEqualsPath": "$.w"})", R"({"v": true, "w": null})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.v", "StringMatches": "*"})", R"({"v": []})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.v", "NumericLessThan": 1})", R"({"v": null})"));
}

TEST_F(ChoiceConditionTest, NumbersCompareAsDoublesButIntegersExactly) {
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericEquals": 1})", R"({"n": 1.0})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericEquals": 0.0})", R"({"n": -0.0})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericGreaterThan": 1})", R"({"n": 1.5})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericLessThan": -1})", R"({"n": -2})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericLessThanEquals": 2.5})", R"({"n": 2.5})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericGreaterThanEquals": 1e3})", R"({"n": 1000})"));
  // 2^53 + 1 and 2^53 are the same double but different integers.
  EXPECT_FALSE(Matches(R"({"Variable": "$.n", "NumericEquals": 9007199254740992})",
                       R"({"n": 9007199254740993})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericGreaterThan": 9007199254740992})",
                      R"({"n": 9007199254740993})"));
  // Beyond int64: uint64 integers still compare exactly.
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericGreaterThan": 9223372036854775807})",
                      R"({"n": 18446744073709551615})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericLessThan": 18446744073709551615})",
                      R"({"n": 18446744073709551614})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.n", "NumericLessThanPath": "$.m"})",
                      R"({"n": -9223372036854775808, "m": 18446744073709551615})"));
  EXPECT_TRUE(
      Matches(R"({"Variable": "$.n", "NumericEqualsPath": "$.m"})", R"({"n": 2.22, "m": 2.22})"));
}

TEST_F(ChoiceConditionTest, BooleanEquals) {
  EXPECT_TRUE(Matches(R"({"Variable": "$.b", "BooleanEquals": false})", R"({"b": false})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.b", "BooleanEquals": true})", R"({"b": false})"));
  EXPECT_TRUE(
      Matches(R"({"Variable": "$.b", "BooleanEqualsPath": "$.c"})", R"({"b": true, "c": true})"));
}

TEST_F(ChoiceConditionTest, TimestampsCompareAsInstants) {
  EXPECT_TRUE(Matches(R"({"Variable": "$.t", "TimestampEquals": "2012-10-09T19:00:55+01:00"})",
                      R"({"t": "2012-10-09T18:00:55.000Z"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.t", "TimestampLessThan": "2012-10-09T19:00:55.1Z"})",
                      R"({"t": "2012-10-09T19:00:55.099999999Z"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.t", "TimestampGreaterThan": "2262-04-12T00:00:00Z"})",
                      R"({"t": "9999-12-31T23:59:59Z"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.t", "TimestampLessThanEquals": "2012-10-09T19:00:55Z"})",
                      R"({"t": "2012-10-09T19:00:55Z"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.t", "TimestampGreaterThanEqualsPath": "$.u"})",
                      R"({"t": "2012-10-09T19:00:56Z", "u": "2012-10-09T19:00:55Z"})"));
  // A variable or Path operand that is not a timestamp compares false.
  EXPECT_FALSE(Matches(R"({"Variable": "$.t", "TimestampEquals": "2012-10-09T19:00:55Z"})",
                       R"({"t": "2012-10-09T19:00:55"})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.t", "TimestampEqualsPath": "$.u"})",
                       R"({"t": "2012-10-09T19:00:55Z", "u": 1349809255})"));
}

TEST_F(ChoiceConditionTest, TypeTests) {
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsNull": true})", R"({"v": null})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsNull": false})", R"({"v": 0})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsNumeric": true})", R"({"v": 1.1})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.v", "IsNumeric": true})", R"({"v": "1"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsString": true})", R"({"v": ""})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsString": false})", R"({"v": [""]})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsBoolean": true})", R"({"v": false})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsBoolean": false})", R"({"v": {}})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsTimestamp": true})",
                      R"({"v": "2016-03-14T01:59:00-07:00"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsTimestamp": false})", R"({"v": "2023-02-24"})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsTimestamp": false})", R"({"v": 1457920740})"));
}

TEST_F(ChoiceConditionTest, IsPresentIsTheOnlyOperatorThatToleratesAMissingVariable) {
  EXPECT_FALSE(Matches(R"({"Variable": "$.v", "IsPresent": true})", R"({"w": 1})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsPresent": false})", R"({"w": 1})"));
  EXPECT_TRUE(Matches(R"({"Variable": "$.v", "IsPresent": true})", R"({"v": null})"));
  EXPECT_FALSE(Matches(R"({"Variable": "$.v[3]", "IsPresent": true})", R"({"v": [1]})"));

  for (const std::string_view rule : {
           R"({"Variable": "$.v", "NumericEquals": 1})",
           R"({"Variable": "$.v", "IsNull": true})",
           R"({"Variable": "$.v", "IsNull": false})",
           R"({"Variable": "$.v", "IsString": false})",
           R"({"Variable": "$.v", "StringMatches": "*"})",
           R"({"Variable": "$.v", "TimestampEquals": "2016-03-14T01:59:00Z"})",
       }) {
    const Result<bool> result = Evaluate(rule, R"({"w": 1})");
    ASSERT_FALSE(result.has_value()) << rule;
    EXPECT_EQ(result.error().name, "States.Runtime");
    EXPECT_EQ(result.error().cause, "Invalid path '$.v" + std::string(kInvalidPathSuffix));
  }
}

TEST_F(ChoiceConditionTest, MissingPathOperandIsAnError) {
  const Result<bool> result =
      Evaluate(R"({"Variable": "$.v", "NumericEqualsPath": "$.missing"})", R"({"v": 1})");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().name, "States.Runtime");
  EXPECT_EQ(result.error().cause, "Invalid path '$.missing" + std::string(kInvalidPathSuffix));
}

TEST_F(ChoiceConditionTest, AndOrNotShortCircuit) {
  constexpr std::string_view kInput = R"({"a": 1, "b": "x"})";
  EXPECT_TRUE(Matches(R"({"And": [{"Variable": "$.a", "NumericEquals": 1},
                                  {"Variable": "$.b", "StringEquals": "x"}]})",
                      kInput));
  EXPECT_FALSE(Matches(R"({"And": [{"Variable": "$.a", "NumericEquals": 1},
                                   {"Variable": "$.b", "StringEquals": "y"}]})",
                       kInput));
  EXPECT_TRUE(Matches(R"({"Or": [{"Variable": "$.a", "NumericEquals": 2},
                                 {"Variable": "$.b", "StringEquals": "x"}]})",
                      kInput));
  EXPECT_TRUE(Matches(R"({"Not": {"Variable": "$.a", "NumericEquals": 2}})", kInput));
  // The missing $.zz is never looked at once the outcome is known.
  EXPECT_TRUE(Matches(R"({"Or": [{"Variable": "$.a", "NumericEquals": 1},
                                 {"Variable": "$.zz", "NumericEquals": 1}]})",
                      kInput));
  EXPECT_FALSE(Matches(R"({"And": [{"Variable": "$.a", "NumericEquals": 2},
                                   {"Variable": "$.zz", "NumericEquals": 1}]})",
                       kInput));
  const Result<bool> reached = Evaluate(R"({"And": [{"Variable": "$.a", "NumericEquals": 1},
                                                   {"Variable": "$.zz", "NumericEquals": 1}]})",
                                        kInput);
  ASSERT_FALSE(reached.has_value());
  EXPECT_EQ(reached.error().cause, "Invalid path '$.zz" + std::string(kInvalidPathSuffix));
  // Nested combinators keep their children apart in the flat layout.
  EXPECT_TRUE(Matches(R"({"Or": [
      {"And": [{"Variable": "$.a", "NumericEquals": 1}, {"Variable": "$.b", "IsString": false}]},
      {"Not": {"Or": [{"Variable": "$.b", "StringEquals": "y"},
                      {"Variable": "$.a", "NumericGreaterThan": 5}]}}]})",
                      kInput));
}

TEST_F(ChoiceConditionTest, StringMatchesWildcards) {
  const auto matches = [&](std::string_view pattern_json, std::string_view text_json) {
    return Matches(
        std::string(R"({"Variable": "$.s", "StringMatches": )") + std::string(pattern_json) + "}",
        std::string(R"({"s": )") + std::string(text_json) + "}");
  };
  // The ASL specification's examples.
  EXPECT_TRUE(matches(R"("foo*.log")", R"("foo23.log")"));
  EXPECT_TRUE(matches(R"("*.log")", R"("zebra.log")"));
  EXPECT_TRUE(matches(R"("foo*.*")", R"("foobar.zebra")"));
  EXPECT_FALSE(matches(R"("foo*.log")", R"("foo23.txt")"));
  EXPECT_TRUE(matches(R"("*")", R"("")"));
  EXPECT_TRUE(matches(R"("**")", R"("x")"));
  EXPECT_TRUE(matches(R"("")", R"("")"));
  EXPECT_FALSE(matches(R"("")", R"("x")"));
  EXPECT_FALSE(matches(R"("abc")", R"("abcd")"));
  EXPECT_FALSE(matches(R"("a*a")", R"("a")"));  // the head and tail may not overlap
  EXPECT_TRUE(matches(R"("a*a")", R"("aa")"));
  EXPECT_TRUE(matches(R"("a*b*c")", R"("aXbYc")"));
  EXPECT_TRUE(matches(R"("a*b*b*c")", R"("abbc")"));
  EXPECT_FALSE(matches(R"("a*b*c")", R"("acb")"));
  EXPECT_TRUE(matches(R"("*ab*ab*")", R"("xabyabz")"));
  // `\\*` in JSON is `\*` in the pattern: a literal star; `\\\\` a literal backslash.
  EXPECT_TRUE(matches(R"("a\\*b")", R"("a*b")"));
  EXPECT_FALSE(matches(R"("a\\*b")", R"("axb")"));
  EXPECT_TRUE(matches(R"("a\\\\*")", R"("a\\bc")"));
  EXPECT_FALSE(matches(R"("a\\\\*")", R"("abc")"));
  EXPECT_TRUE(matches(R"("*\u00e9*")", R"("caf\u00e9s")"));
}

TEST_F(ChoiceConditionTest, ReadsContextObjectAndVariables) {
  CompileResult<ChoiceCondition> condition = Compile(
      R"({"And": [{"Variable": "$$.Execution.Name", "StringEquals": "run-1"},
                  {"Variable": "$limit", "NumericGreaterThanPath": "$.count"}]})");
  ASSERT_TRUE(condition) << condition.error().message;
  const std::optional<VariableId> limit = variables_.Find("limit");
  ASSERT_TRUE(limit);
  std::vector<Value> values(*limit + 1);
  values[*limit] = Value::Int(10);
  const EvalContext context{.input = Json(R"({"count": 3})"),
                            .context = Json(R"({"Execution": {"Name": "run-1"}})"),
                            .variables = values,
                            .arena = &arena_};
  Result<bool> result = condition->Evaluate(context);
  ASSERT_TRUE(result.has_value()) << result.error().cause;
  EXPECT_TRUE(*result);

  values[*limit] = Value::Missing();  // never assigned
  result = condition->Evaluate(context);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().cause, "Invalid path '$limit" + std::string(kInvalidPathSuffix));
}

TEST_F(ChoiceConditionTest, SurvivesMoves) {
  CompileResult<ChoiceCondition> compiled =
      Compile(R"({"Or": [{"Variable": "$.s", "StringEquals": "a-short-string"},
                         {"Variable": "$.s", "StringMatches": "x*y"}]})");
  ASSERT_TRUE(compiled);
  std::vector<ChoiceCondition> conditions;
  conditions.push_back(std::move(compiled).value());
  conditions.push_back(std::move(conditions.front()));
  context_.input = Json(R"({"s": "xzy"})");
  const Result<bool> result = conditions.back().Evaluate(context_);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(*result);
}

TEST_F(ChoiceConditionTest, CompileErrorsNameTheProblem) {
  struct Case {
    std::string_view rule;
    std::string_view message_part;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"([])", "must be an object"},
           {R"({"Variable": "$.x", "StringEqualz": "a"})", "'StringEqualz'"},
           {R"({"Variable": "$.x", "Next": "A"})", "needs a comparison operator"},
           {R"({"Variable": "$.x", "StringEquals": "a", "NumericEquals": 1})", "exactly one"},
           {R"({"And": [], "Or": []})", "exactly one"},
           {R"({"Variable": "$.x", "NumericEquals": "1"})", "'NumericEquals' must be a number"},
           {R"({"Variable": "$.x", "StringEquals": 1})", "'StringEquals' must be a string"},
           {R"({"Variable": "$.x", "BooleanEquals": "true"})", "'BooleanEquals' must be true"},
           {R"({"Variable": "$.x", "IsNull": "true"})", "'IsNull' must be true or false"},
           {R"({"Variable": "$.x", "IsPresent": 1})", "'IsPresent' must be true or false"},
           {R"({"Variable": "$.x", "TimestampEquals": "2016-12-05T21:29:29"})",
            "'TimestampEquals' must be an ISO-8601 timestamp"},
           {R"({"Variable": "$.x", "TimestampLessThan": 1457920740})", "ISO-8601"},
           {R"({"Variable": "$.x", "StringMatches": 1})", "'StringMatches' must be a string"},
           {R"({"Variable": "$.x", "StringMatches": "a\\b"})", "open escape at offset 1"},
           {R"({"Variable": "$.x", "StringMatches": "a\\"})", "open escape"},
           {R"({"Variable": "$.x", "NumericEqualsPath": 1})", "must be a path string"},
           {R"({"Variable": "$.x", "StringEqualsPath": "$.a["})", "'StringEqualsPath'"},
           {R"({"Variable": "$.a[", "IsNull": true})", "'Variable'"},
           {R"({"Variable": "x", "IsNull": true})", "'Variable'"},
           {R"({"Variable": 1, "IsNull": true})", "'Variable' must be a path string"},
           {R"({"IsNull": true})", "needs a 'Variable'"},
           {R"({"Variable": "$.x", "And": [{"Variable": "$.x", "IsNull": true}]})",
            "'Variable' is not allowed with 'And'"},
           {R"({"And": []})", "'And' must be a non-empty array"},
           {R"({"Or": {}})", "'Or' must be a non-empty array"},
           {R"({"Not": []})", "'Not' must be a single rule"},
           {R"({"And": [1]})", "must be an object"},
           {R"({"Not": {"Variable": "$.x", "IsNull": true, "Next": "A"}})", "'Next' is not"},
           {R"({"Or": [{"Variable": "$.x", "IsNull": true}, {"Variable": "$.x"}]})",
            "needs a comparison operator"},
           {R"({"Variable": "$.x", "Condition": "{% true %}"})", "'Condition'"},
       }) {
    EXPECT_NE(CompileMessage(c.rule).find(c.message_part), std::string::npos)
        << c.rule << " -> " << CompileMessage(c.rule);
  }
  // Variables need a table to be interned in.
  const CompileResult<ChoiceCondition> no_variables =
      ChoiceCondition::Compile(Json(R"({"Variable": "$x", "IsNull": true})"));
  ASSERT_FALSE(no_variables);
  EXPECT_NE(no_variables.error().message.find("variables are not available"), std::string::npos);
}

TEST_F(ChoiceConditionTest, IgnoresTheCallersFields) {
  EXPECT_TRUE(Matches(R"({"Variable": "$.x", "IsNull": true, "Next": "A", "Comment": "c",
                          "Assign": {"y": 1}})",
                      R"({"x": null})"));
}

TEST_F(ChoiceConditionTest, NestingIsCapped) {
  const auto nested_nots = [](int nots) {
    std::string rule;
    for (int i = 0; i < nots; ++i) {
      rule += R"({"Not": )";
    }
    rule += R"({"Variable": "$.x", "IsNull": true})";
    rule.append(static_cast<std::size_t>(nots), '}');
    return rule;
  };
  const int deepest = ChoiceCondition::kMaxNestingDepth - 1;  // the leaf is a level too
  EXPECT_EQ(Matches(nested_nots(deepest), R"({"x": null})"), deepest % 2 == 0);
  EXPECT_NE(CompileMessage(nested_nots(deepest + 1)).find("nested more than 100 levels"),
            std::string::npos);
  EXPECT_FALSE(Compile(nested_nots(1000)));
}

// --- The conformance corpus: shared/conformance/cases/choice_operators ---

struct Outcome {
  std::string status;  // SUCCEEDED or FAILED
  Value output;        // when SUCCEEDED
  std::string error;   // when FAILED
  std::string cause;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool HasOnly(Value object, std::initializer_list<std::string_view> keys) {
  return object.AllMembers([&](std::string_view key, Value) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  });
}

// Runs the case's first state, a Choice, with ChoiceCondition, and then the state it picks
// when that state's outcome is evident without an interpreter: a Pass with a Result that
// ends, a Succeed, or a Fail. nullopt = shape not handled here (skipped).
std::optional<Outcome> RunChoiceCase(Value definition, Value input, Arena& arena) {
  const Value states = definition.Find("States");
  const Value choice = states.Find(definition.Find("StartAt").AsString());
  if (choice.Find("Type").AsString() != "Choice" ||
      !HasOnly(choice, {"Type", "Choices", "Default", "Comment"})) {
    return std::nullopt;
  }
  EvalContext context;
  context.input = input;
  context.arena = &arena;
  std::optional<std::string_view> next;
  std::optional<Outcome> failure;
  choice.Find("Choices").AllElements([&](Value rule) {
    CompileResult<ChoiceCondition> condition = ChoiceCondition::Compile(rule);
    if (!condition) {
      failure = Outcome{"COMPILE_ERROR", {}, condition.error().message, ""};
      return false;
    }
    const Result<bool> matched = condition->Evaluate(context);
    if (!matched) {
      failure = Outcome{
          "FAILED", {}, std::string(matched.error().name), std::string(matched.error().cause)};
      return false;
    }
    if (*matched) {
      next = rule.Find("Next").AsString();
    }
    return !*matched;
  });
  if (failure) {
    return failure;
  }
  if (!next) {
    const Value default_state = choice.Find("Default");
    if (!default_state.IsString()) {
      return Outcome{"FAILED", {}, "States.NoChoiceMatched", ""};
    }
    next = default_state.AsString();
  }
  const Value target = states.Find(*next);
  const std::string_view type = target.Find("Type").AsString();
  if (type == "Pass" && HasOnly(target, {"Type", "Result", "End", "Comment"}) &&
      target.Find("End").IsBool() && target.Find("End").AsBool() &&
      !target.Find("Result").IsMissing()) {
    return Outcome{"SUCCEEDED", target.Find("Result"), "", ""};
  }
  if (type == "Succeed" && HasOnly(target, {"Type", "Comment"})) {
    return Outcome{"SUCCEEDED", input, "", ""};
  }
  if (type == "Fail" && HasOnly(target, {"Type", "Error", "Cause", "Comment"})) {
    const Value error = target.Find("Error");
    const Value cause = target.Find("Cause");
    return Outcome{"FAILED",
                   {},
                   std::string(error.IsString() ? error.AsString() : ""),
                   std::string(cause.IsString() ? cause.AsString() : "")};
  }
  return std::nullopt;
}

TEST(ChoiceConformanceTest, ChoiceOperators) {
  const std::filesystem::path dir = STEPD_SHARED_DIR "/conformance/cases/choice_operators";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());

  int checked = 0;
  int skipped = 0;
  Document document;
  Arena arena;
  for (const std::filesystem::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string text = ReadFile(file);
    const Result<Value> parsed = document.Parse(text);
    ASSERT_TRUE(parsed.has_value());
    const Value test_case = *parsed;
    arena.Reset();
    const std::optional<Outcome> actual =
        RunChoiceCase(test_case.Find("definition"), test_case.Find("input"), arena);
    if (!actual) {
      ++skipped;
      continue;
    }
    ++checked;
    const Value expect = test_case.Find("expect");
    const std::string_view status = expect.Find("status").AsString();
    ASSERT_EQ(actual->status, status) << actual->error << ": " << actual->cause;
    if (status == "SUCCEEDED") {
      EXPECT_TRUE(DeepEquals(actual->output, expect.Find("output")))
          << "got " << ToJson(actual->output) << ", AWS gave " << ToJson(expect.Find("output"));
    } else {
      const Value error = expect.Find("error");
      const Value cause = expect.Find("cause");
      EXPECT_EQ(actual->error, error.IsString() ? error.AsString() : "");
      // AWS prefixes runtime causes with "An error occurred while executing the state ...".
      if (cause.IsString()) {
        EXPECT_TRUE(cause.AsString().ends_with(actual->cause))
            << "got " << actual->cause << ", AWS gave " << cause.AsString();
      }
    }
  }
  std::cout << "choice_operators: " << checked << " checked, " << skipped << " skipped\n";
  EXPECT_EQ(checked + skipped, static_cast<int>(files.size()));
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace stepd::runtime
