#include "runtime/validator.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd::runtime {
namespace {

std::string Dump(const Diagnostics& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += (d.severity == Severity::kError ? "ERROR " : "WARNING ") + d.code + ": " + d.message +
           " at " + d.location + "\n";
  }
  return out;
}

Diagnostics Validate(std::string_view text, MachineType type = MachineType::kExpress) {
  return ValidateDefinition(text, ValidationOptions{type});
}

// A machine whose StartAt is "A", around the given States members.
std::string Machine(std::string_view states) {
  return R"({"StartAt": "A", "States": {)" + std::string(states) + "}}";
}

bool Has(const Diagnostics& diagnostics, std::string_view code, std::string_view location,
         std::string_view message_part = {}) {
  for (const Diagnostic& d : diagnostics) {
    if (d.code == code && d.location == location &&
        d.message.find(message_part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void ExpectDiagnostic(const Diagnostics& diagnostics, std::string_view code,
                      std::string_view location, std::string_view message_part) {
  EXPECT_TRUE(Has(diagnostics, code, location, message_part))
      << "missing " << code << " at " << location << " with '" << message_part << "'\ngot:\n"
      << Dump(diagnostics);
}

void ExpectValid(std::string_view text) {
  const Diagnostics diagnostics = Validate(text);
  EXPECT_FALSE(HasErrors(diagnostics)) << text << "\n" << Dump(diagnostics);
}

// --- Definition text and top level ---

TEST(ValidatorTopLevel, EmptyTextIsNotAnObject) {
  ExpectDiagnostic(Validate(""), "SCHEMA_VALIDATION_FAILED", "/",
                   "Definition must be a valid JSON object");
}

TEST(ValidatorTopLevel, MalformedJsonIsInvalidJsonDescription) {
  const Diagnostics d = Validate(R"({"StartAt": "A", "States": {)");
  ASSERT_EQ(d.size(), 1u) << Dump(d);
  EXPECT_EQ(d[0].code, "INVALID_JSON_DESCRIPTION");
}

TEST(ValidatorTopLevel, NonObjectJson) {
  ExpectDiagnostic(Validate("[1, 2]"), "SCHEMA_VALIDATION_FAILED", "/",
                   "Definition must be a valid JSON object");
  ExpectDiagnostic(Validate("\"text\""), "SCHEMA_VALIDATION_FAILED", "/", "");
}

TEST(ValidatorTopLevel, EmptyObjectNeedsStatesAndStartAt) {
  const Diagnostics d = Validate("{}");
  ASSERT_EQ(d.size(), 1u) << Dump(d);
  EXPECT_EQ(Describe(d),
            "SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /");
}

TEST(ValidatorTopLevel, MinimalMachineIsValid) {
  EXPECT_TRUE(Validate(Machine(R"("A": {"Type": "Pass", "End": true})")).empty());
}

TEST(ValidatorTopLevel, OptionalFieldsAreChecked) {
  ExpectValid(R"({"Comment": "c", "Version": "1.0", "TimeoutSeconds": 300,
                   "QueryLanguage": "JSONPath", "StartAt": "A",
                   "States": {"A": {"Type": "Succeed"}}})");
  const Diagnostics d = Validate(R"({"Comment": 1, "Version": "2.0", "TimeoutSeconds": 0,
                                     "Extra": true, "StartAt": "A",
                                     "States": {"A": {"Type": "Succeed"}}})");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/Comment", "STRING");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/Version", "[1.0]");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds", "between 1 and 99999999");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/Extra", "not supported");
}

TEST(ValidatorTopLevel, StartAtMustNameAState) {
  const Diagnostics d = Validate(R"({"StartAt": "Nope", "States": {"A": {"Type": "Succeed"}}})");
  ExpectDiagnostic(d, "MISSING_TRANSITION_TARGET", "/StartAt", "Nope");
}

TEST(ValidatorTopLevel, StatesMustBeANonEmptyObject) {
  ExpectDiagnostic(Validate(R"({"StartAt": "A", "States": {}})"), "SCHEMA_VALIDATION_FAILED",
                   "/States", "Value cannot be empty");
  ExpectDiagnostic(Validate(R"({"StartAt": "A", "States": []})"), "SCHEMA_VALIDATION_FAILED",
                   "/States", "OBJECT");
}

// --- Common state fields ---

TEST(ValidatorState, TypeIsRequiredAndKnown) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"End": true})")), "SCHEMA_VALIDATION_FAILED",
                   "/States/A", "These fields are required: [Type]");
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Magic", "End": true})"));
  EXPECT_EQ(Describe(d),
            "SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, "
            "Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at /States/A/Type");
}

TEST(ValidatorState, StateMustBeAnObject) {
  ExpectDiagnostic(Validate(Machine(R"("A": 7)")), "SCHEMA_VALIDATION_FAILED", "/States/A",
                   "OBJECT");
}

TEST(ValidatorState, UnknownFieldsAreNamed) {
  const Diagnostics d =
      Validate(Machine(R"("A": {"Type": "Pass", "Resource": "arn:x", "End": true})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Resource", "'Resource'");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Succeed", "Next": "A"})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Next", "not supported");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Fail", "InputPath": "$"})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath", "not supported");
}

TEST(ValidatorState, NextAndEndAreExclusiveAndOneIsRequired) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass"})")), "SCHEMA_VALIDATION_FAILED",
                   "/States/A", "Exactly one of these fields is required: [Next, End]");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "End": false})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A", "Exactly one");
  ExpectDiagnostic(
      Validate(
          Machine(R"("A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"})")),
      "SCHEMA_VALIDATION_FAILED", "/States/A", "Only one of these fields is allowed: [Next, End]");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "End": "yes"})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/End", "BOOLEAN");
}

TEST(ValidatorState, ChoiceHasNoEnd) {
  const Diagnostics d = Validate(Machine(
      R"("A": {"Type": "Choice", "End": true, "Choices": [{"Variable": "$.x", "IsNull": true,
              "Next": "B"}]}, "B": {"Type": "Succeed"})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/End", "not supported");
}

TEST(ValidatorState, NameLengthIsLimited) {
  const std::string name(81, 'n');
  const Diagnostics d = Validate(R"({"StartAt": ")" + name + R"(", "States": {")" + name +
                                 R"(": {"Type": "Succeed"}}})");
  ExpectDiagnostic(d, "INVALID_STATE_NAME", "/States/" + name, "80");
  const std::string ok(80, 'n');
  ExpectValid(R"({"StartAt": ")" + ok + R"(", "States": {")" + ok + R"(": {"Type": "Succeed"}}})");
}

TEST(ValidatorState, LocationsEscapeJsonPointerCharacters) {
  const Diagnostics d = Validate(R"({"StartAt": "a/b~c", "States": {"a/b~c": {"Type": "Pass"}}})");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/a~1b~0c", "Exactly one");
}

// --- Paths and templates ---

TEST(ValidatorPaths, InputAndOutputPathsArePathsOrNull) {
  ExpectValid(Machine(R"("A": {"Type": "Pass", "InputPath": "$.a[*].b", "OutputPath": null,
                                "End": true})"));
  const Diagnostics d = Validate(
      Machine(R"("A": {"Type": "Pass", "InputPath": "a.b", "OutputPath": 3, "End": true})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath", "valid JSONPath");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/OutputPath", "STRING");
}

TEST(ValidatorPaths, ResultPathIsAReferencePathIntoTheInput) {
  ExpectValid(Machine(R"("A": {"Type": "Pass", "ResultPath": "$.a.b[0]", "End": true})"));
  ExpectValid(Machine(R"("A": {"Type": "Pass", "ResultPath": null, "End": true})"));
  ExpectDiagnostic(
      Validate(Machine(R"("A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": true})")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath", "Reference Path");
  ExpectDiagnostic(
      Validate(Machine(R"("A": {"Type": "Pass", "ResultPath": "$$.Execution", "End": true})")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath", "");
}

TEST(ValidatorPaths, ParametersCompileAsTemplates) {
  ExpectValid(Machine(R"js("A": {"Type": "Pass", "End": true, "Parameters": {
      "a.$": "$.x", "b.$": "$$.Execution.Id", "c.$": "States.Format('{}', $.y)",
      "d.$": "$myVariable.field", "e": {"f.$": "$"}, "g": [1, "two"]}})js"));
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Pass", "End": true,
                                                  "Parameters": {"a.$": "nope"}})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters", "'a.$'");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "End": true, "Parameters": 3})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters", "OBJECT");
  ExpectDiagnostic(Validate(Machine(R"js("A": {"Type": "Pass", "End": true,
                                              "Parameters": {"a.$": "States.Nope()"}})js")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters", "'a.$'");
}

TEST(ValidatorPaths, NoDollarWarnsAboutPathLikeLiterals) {
  const Diagnostics d = Validate(Machine(R"js("A": {"Type": "Pass", "End": true,
      "Parameters": {"a": "$.x", "n": {"b": "States.UUID()"}, "c.$": "$.y", "d": "plain"}})js"));
  EXPECT_FALSE(HasErrors(d)) << Dump(d);
  ExpectDiagnostic(d, "NO_DOLLAR", "/States/A/Parameters/a", "");
  ExpectDiagnostic(d, "NO_DOLLAR", "/States/A/Parameters/n/b", "");
  EXPECT_EQ(d.size(), 2u) << Dump(d);
  EXPECT_EQ(d[0].severity, Severity::kWarning);
}

TEST(ValidatorPaths, PassResultWithPathKeysIsStatic) {
  const Diagnostics d =
      Validate(Machine(R"("A": {"Type": "Pass", "End": true, "Result": {"x.$": "$.y"}})"));
  EXPECT_FALSE(HasErrors(d));
  ExpectDiagnostic(d, "PASS_RESULT_IS_STATIC", "/States/A/Result", "");
}

// --- Task ---

TEST(ValidatorTask, ResourceIsRequiredAndAnArn) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Task", "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A", "[Resource]");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Task", "Resource": "lambda", "End": true})")),
                   "INVALID_RESOURCE", "/States/A/Resource", "");
}

TEST(ValidatorTask, TimeoutsArePositiveExclusiveAndOrdered) {
  ExpectValid(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "TimeoutSeconds": 10, "HeartbeatSeconds": 5, "End": true})"));
  ExpectValid(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
      "TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.h", "End": true})"));
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:x",
      "TimeoutSeconds": 0, "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 1.5, "End": true})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSeconds", "between 1");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A", "Only one of these fields");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds", "INTEGER");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:x",
      "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds", "smaller");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:x",
      "TimeoutSecondsPath": "$.a[*]", "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSecondsPath", "Reference Path");
}

TEST(ValidatorTask, CredentialsNeedRoleArn) {
  ExpectValid(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:x", "End": true,
                                "Credentials": {"RoleArn.$": "$.role"}})"));
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:x",
                                                  "End": true, "Credentials": {}})"));
  EXPECT_EQ(Describe(d),
            "SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing at "
            "/States/A/Credentials");
}

// --- Retry and Catch ---

constexpr std::string_view kTaskWith = R"("A": {"Type": "Task", "Resource": "arn:aws:x", )";

std::string TaskWith(std::string_view fields) {
  return Machine(std::string(kTaskWith) + std::string(fields) +
                 R"(, "End": true}, "B": {"Type": "Succeed"})");
}

TEST(ValidatorRetry, FullRetrierIsValid) {
  ExpectValid(TaskWith(R"("Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1,
      "MaxAttempts": 0, "BackoffRate": 1.0, "MaxDelaySeconds": 10, "JitterStrategy": "FULL",
      "Comment": "c"}, {"ErrorEquals": ["States.ALL"]}], "Catch": [{"ErrorEquals": ["States.ALL"],
      "Next": "B", "ResultPath": "$.error"}])"));
}

TEST(ValidatorRetry, FieldRanges) {
  const Diagnostics d = Validate(TaskWith(R"("Retry": [{"ErrorEquals": ["E"],
      "IntervalSeconds": 0, "MaxAttempts": -1, "BackoffRate": 0.5, "MaxDelaySeconds": 31622401,
      "JitterStrategy": "SOME", "Other": 1}], "Catch": [{"ErrorEquals": ["E"], "Next": "B"}])"));
  const std::string at = "/States/A/Retry/0";
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "/IntervalSeconds", "between 1");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "/MaxAttempts", "between 0");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "/BackoffRate", "between 1");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "/MaxDelaySeconds", "31622400");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "/JitterStrategy", "[FULL, NONE]");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "/Other", "not supported");
}

TEST(ValidatorRetry, ErrorEqualsRules) {
  ExpectDiagnostic(
      Validate(TaskWith(
          R"("Retry": [{"ErrorEquals": []}], "Catch": [{"ErrorEquals": ["E"], "Next": "B"}])")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/ErrorEquals", "empty");
  ExpectDiagnostic(
      Validate(TaskWith(R"("Retry": [{}], "Catch": [{"ErrorEquals": ["E"], "Next": "B"}])")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0", "[ErrorEquals]");
  ExpectDiagnostic(Validate(TaskWith(
                       R"("Retry": [{"ErrorEquals": ["States.ALL", "E"]}],
              "Catch": [{"ErrorEquals": ["E"], "Next": "B"}])")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/ErrorEquals", "alone");
  ExpectDiagnostic(Validate(TaskWith(R"("Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"},
                                     {"ErrorEquals": ["E"], "Next": "B"}])")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0/ErrorEquals", "last");
}

TEST(ValidatorCatch, NextIsRequiredAndResolved) {
  ExpectDiagnostic(Validate(TaskWith(R"("Catch": [{"ErrorEquals": ["E"]}])")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0", "[Next]");
  ExpectDiagnostic(Validate(TaskWith(R"("Catch": [{"ErrorEquals": ["E"], "Next": "Z"}])")),
                   "MISSING_TRANSITION_TARGET", "/States/A/Catch/0/Next",
                   "Missing 'Next' target: Z");
  ExpectDiagnostic(
      Validate(TaskWith(R"("Catch": [{"ErrorEquals": ["E"], "Next": "B", "ResultPath": "$$.x"}])")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0/ResultPath", "");
}

TEST(ValidatorRetry, OnlyTaskParallelAndMapRetry) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "End": true,
                                              "Retry": [{"ErrorEquals": ["E"]}]})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Retry", "not supported");
}

// --- Choice ---

std::string ChoiceWith(std::string_view rules) {
  return Machine(R"("A": {"Type": "Choice", "Default": "B", "Choices": [)" + std::string(rules) +
                 R"(]}, "B": {"Type": "Succeed"}, "C": {"Type": "Succeed"})");
}

TEST(ValidatorChoice, EveryOperatorFamilyIsAccepted) {
  ExpectValid(ChoiceWith(R"(
      {"Variable": "$.s", "StringEquals": "x", "Next": "C"},
      {"Variable": "$.s", "StringMatches": "x*", "Next": "C"},
      {"Variable": "$.s", "StringLessThanEqualsPath": "$.t", "Next": "C"},
      {"Variable": "$.n", "NumericGreaterThan": 1.5, "Next": "C"},
      {"Variable": "$.b", "BooleanEquals": false, "Next": "C"},
      {"Variable": "$.t", "TimestampEquals": "2024-01-02T03:04:05Z", "Next": "C"},
      {"Variable": "$$.Execution.Id", "IsPresent": true, "Next": "C"},
      {"Variable": "$var", "IsNull": false, "Next": "C"},
      {"And": [{"Variable": "$.a", "IsString": true},
               {"Not": {"Variable": "$.b", "IsNumeric": true}}], "Next": "C", "Comment": "c"},
      {"Or": [{"Variable": "$.a", "IsBoolean": true}], "Next": "C",
       "Assign": {"x": 1}})"));
}

TEST(ValidatorChoice, ChoicesAreRequiredAndNonEmpty) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Choice", "Choices": []})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Choices", "Value cannot be empty");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Choice", "Default": "A"})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A", "[Choices]");
}

TEST(ValidatorChoice, RuleShape) {
  const Diagnostics d = Validate(ChoiceWith(R"(
      {"Variable": "$.s", "StringEquals": "x"},
      {"Variable": "$.s", "StringEquals": "x", "IsNull": true, "Next": "C"},
      {"Variable": "$.s", "Next": "C"},
      {"StringEquals": "x", "Next": "C"},
      {"And": [{"Variable": "$.s", "IsNull": true, "Next": "C"}], "Next": "C"},
      {"Variable": "$.s", "Not": {"Variable": "$.s", "IsNull": true}, "Next": "C"},
      {"Or": [], "Next": "C"},
      {"Variable": "$.s", "Unknown": 1, "IsNull": true, "Next": "Z"})"));
  const std::string at = "/States/A/Choices/";
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "0", "[Next]");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "1", "exactly one");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "2", "comparison operator");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "3", "[Variable]");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "4/And/0/Next", "not supported");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "5/Variable", "'Not'");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "6/Or", "empty");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "7/Unknown", "not supported");
  ExpectDiagnostic(d, "MISSING_TRANSITION_TARGET", at + "7/Next", "Z");
}

TEST(ValidatorChoice, OperandTypes) {
  const Diagnostics d = Validate(ChoiceWith(R"(
      {"Variable": "$.s", "StringEquals": 1, "Next": "C"},
      {"Variable": "$.s", "NumericEquals": "1", "Next": "C"},
      {"Variable": "$.s", "BooleanEquals": "true", "Next": "C"},
      {"Variable": "$.s", "TimestampLessThan": "2024-13-01T00:00:00Z", "Next": "C"},
      {"Variable": "$.s", "IsPresent": 1, "Next": "C"},
      {"Variable": "$.s", "NumericEqualsPath": "nope", "Next": "C"},
      {"Variable": "s", "IsNull": true, "Next": "C"})"));
  const std::string at = "/States/A/Choices/";
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "0/StringEquals", "STRING");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "1/NumericEquals", "NUMBER");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "2/BooleanEquals", "BOOLEAN");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "3/TimestampLessThan", "timestamp");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "4/IsPresent", "BOOLEAN");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "5/NumericEqualsPath", "JSONPath");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", at + "6/Variable", "JSONPath");
}

TEST(ValidatorChoice, DefaultMustExist) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Choice", "Default": "Z",
          "Choices": [{"Variable": "$.x", "IsNull": true, "Next": "B"}]},
          "B": {"Type": "Succeed"})")),
                   "MISSING_TRANSITION_TARGET", "/States/A/Default", "Z");
}

TEST(ValidatorChoice, DeeplyNestedNotIsBounded) {
  std::string rule = R"({"Variable": "$.x", "IsNull": true})";
  for (int i = 0; i < 200; ++i) {
    rule = R"({"Not": )" + rule + "}";
  }
  const Diagnostics d = Validate(ChoiceWith(rule.substr(0, rule.size() - 1) + R"(, "Next": "C"})"));
  EXPECT_TRUE(HasErrors(d));
  bool too_deep = false;
  for (const Diagnostic& diagnostic : d) {
    too_deep = too_deep || diagnostic.code == "TOO_DEEPLY_NESTED";
  }
  EXPECT_TRUE(too_deep) << Dump(d);
}

// --- Wait, Fail ---

TEST(ValidatorWait, ExactlyOneDelayField) {
  ExpectValid(Machine(R"("A": {"Type": "Wait", "Seconds": 0, "End": true})"));
  ExpectValid(Machine(R"("A": {"Type": "Wait", "SecondsPath": "$.s", "End": true})"));
  ExpectValid(
      Machine(R"("A": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "End": true})"));
  ExpectValid(Machine(R"("A": {"Type": "Wait", "TimestampPath": "$.t", "End": true})"));
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Wait", "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A", "Exactly one");
  ExpectDiagnostic(
      Validate(
          Machine(R"("A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true})")),
      "SCHEMA_VALIDATION_FAILED", "/States/A", "Exactly one");
}

TEST(ValidatorWait, FieldValues) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Wait", "Seconds": -1, "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Seconds", "between 0");
  ExpectDiagnostic(
      Validate(
          Machine(R"("A": {"Type": "Wait", "Timestamp": "2016-03-14 01:59:00", "End": true})")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/Timestamp", "ISO-8601");
  ExpectDiagnostic(
      Validate(Machine(R"("A": {"Type": "Wait", "SecondsPath": "$..s", "End": true})")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/SecondsPath", "Reference Path");
}

TEST(ValidatorFail, ErrorAndCauseFields) {
  ExpectValid(Machine(R"("A": {"Type": "Fail", "Error": "E", "Cause": "C"})"));
  ExpectValid(Machine(R"js("A": {"Type": "Fail", "ErrorPath": "$.e",
                                "CausePath": "States.Format('{}', $.c)"})js"));
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e",
                                                  "Cause": 3, "CausePath": "$.c[*]"})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A", "[Error, ErrorPath]");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A", "[Cause, CausePath]");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Cause", "STRING");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/CausePath", "Reference Path");
  ExpectDiagnostic(
      Validate(Machine(R"js("A": {"Type": "Fail", "ErrorPath": "States.Bogus(1)"})js")),
      "SCHEMA_VALIDATION_FAILED", "/States/A/ErrorPath", "intrinsic");
}

// --- Parallel and Map ---

TEST(ValidatorParallel, BranchesAreNonEmptyScopes) {
  EXPECT_EQ(
      Describe(Validate(Machine(R"("A": {"Type": "Parallel", "Branches": [], "End": true})"))),
      "SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/A/Branches");
  ExpectValid(Machine(R"("A": {"Type": "Parallel", "End": true, "Branches": [
      {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
      {"StartAt": "B2", "Comment": "c", "States": {"B2": {"Type": "Succeed"}}}]})"));
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Parallel", "End": true, "Branches": [
      {"States": {"B1": {"Type": "Pass", "End": true}}, "Extra": 1}]})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Branches/0", "[StartAt]");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Branches/0/Extra", "not supported");
}

TEST(ValidatorParallel, NoJumpsAcrossScopes) {
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Parallel", "Next": "Out", "Branches": [
      {"StartAt": "In", "States": {"In": {"Type": "Pass", "Next": "Out"}}}]},
      "Out": {"Type": "Succeed"})"));
  ExpectDiagnostic(d, "MISSING_TRANSITION_TARGET", "/States/A/Branches/0/States/In/Next", "Out");
}

TEST(ValidatorMap, ProcessorAndLimits) {
  ExpectValid(Machine(R"("A": {"Type": "Map", "End": true, "ItemsPath": "$.items",
      "MaxConcurrency": 0, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
      "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I",
                        "States": {"I": {"Type": "Succeed"}}}})"));
  ExpectValid(Machine(R"("A": {"Type": "Map", "End": true, "Iterator": {"StartAt": "I",
                                "States": {"I": {"Type": "Succeed"}}}})"));
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Map", "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A", "[ItemProcessor]");
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Map", "End": true,
      "MaxConcurrency": -1, "ToleratedFailurePercentage": 101, "ToleratedFailureCount": 1,
      "ToleratedFailureCountPath": "$.c", "ItemsPath": "$.a[*]",
      "ItemProcessor": {"ProcessorConfig": {"Mode": "FAST"}, "StartAt": "I",
                        "States": {"I": {"Type": "Succeed"}}}})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/MaxConcurrency", "between 0");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/ToleratedFailurePercentage", "100");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A", "[ToleratedFailureCount, ");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/ItemsPath", "Reference Path");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/ItemProcessor/ProcessorConfig/Mode",
                   "[INLINE, DISTRIBUTED]");
}

TEST(ValidatorMap, LabelRules) {
  ExpectValid(Machine(R"("A": {"Type": "Map", "End": true, "Label": "TestMap",
      "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}})"));
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Map", "End": true, "Label": "a~b",
      "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}})")),
                   "INVALID_LABEL_NAME", "/States/A/Label",
                   "Label contains invalid character: '~'");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Map", "End": true, "Label": ")" +
                                    std::string(41, 'x') + R"(",
      "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}})")),
                   "INVALID_LABEL_NAME", "/States/A/Label", "40");
}

// --- Transitions, reachability, termination, names ---

TEST(ValidatorGraph, MissingNextTargetUsesAwsText) {
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Pass", "Next": "X"})"));
  ExpectDiagnostic(d, "MISSING_TRANSITION_TARGET", "/States/A/Next", "Missing 'Next' target: X");
}

TEST(ValidatorGraph, UnreachableStatesAreReported) {
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Succeed"}, "B": {"Type": "Succeed"})"));
  ASSERT_EQ(d.size(), 1u) << Dump(d);
  EXPECT_EQ(Describe(d), "MISSING_TRANSITION_TARGET: State \"B\" is not reachable. at /States/B");
}

TEST(ValidatorGraph, WorkflowNeedsATerminalState) {
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Pass", "Next": "B"},
                                            "B": {"Type": "Pass", "Next": "A"})"));
  ExpectDiagnostic(d, "MISSING_END_STATE", "/", "Workflow has no terminal state");
}

TEST(ValidatorGraph, CyclesNeedAnExit) {
  ExpectValid(Machine(R"("A": {"Type": "Pass", "Next": "C"},
      "C": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true,
            "Next": "D"}], "Default": "A"}, "D": {"Type": "Succeed"})"));
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Choice", "Default": "D",
      "Choices": [{"Variable": "$.loop", "BooleanEquals": true, "Next": "L1"}]},
      "L1": {"Type": "Pass", "Next": "L2"}, "L2": {"Type": "Wait", "Seconds": 1, "Next": "L1"},
      "D": {"Type": "Succeed"})"));
  ExpectDiagnostic(d, "MISSING_END_STATE", "/States/L1", "terminal");
  ExpectDiagnostic(d, "MISSING_END_STATE", "/States/L2", "terminal");
}

TEST(ValidatorGraph, CatchIsAnExit) {
  ExpectValid(Machine(R"("A": {"Type": "Task", "Resource": "arn:aws:x", "Next": "A",
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "D"}]}, "D": {"Type": "Succeed"})"));
}

TEST(ValidatorGraph, DuplicateNamesAcrossScopes) {
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Parallel", "End": true, "Branches": [
      {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}]})"));
  ExpectDiagnostic(d, "DUPLICATE_STATE_NAME", "/States/A/Branches/0/States/A", "A");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Succeed"}, "A": {"Type": "Succeed"})")),
                   "DUPLICATE_STATE_NAME", "/States/A", "");
}

TEST(ValidatorGraph, ReportsEveryProblemAtOnce) {
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Pass", "Next": "X", "Bad": 1},
      "B": {"Type": "Wait", "End": true}, "C": {"Type": "Nope"})"));
  EXPECT_GE(d.size(), 5u) << Dump(d);
}

// --- Variables ---

TEST(ValidatorAssign, VariableNames) {
  ExpectValid(Machine(R"("A": {"Type": "Pass", "End": true,
      "Assign": {"x": 1, "y.$": "$.y", "_z9": {"k.$": "$x"}, "café": 2}})"));
  const Diagnostics d = Validate(Machine(R"("A": {"Type": "Pass", "End": true,
      "Assign": {"x.y": 1, "a[2]": 1, "states": 1, "9x": 1}})"));
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/x.y", "identifier");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/a[2]", "identifier");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/states", "reserved");
  ExpectDiagnostic(d, "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/9x", "identifier");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "End": true,
      "Assign": {")" + std::string(81, 'v') +
                                    R"(": 1}})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/" + std::string(81, 'v'), "80");
}

TEST(ValidatorAssign, NotOnSucceedOrFail) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Succeed", "Assign": {"x": 1}})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Assign", "not supported");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Fail", "Assign": {"x": 1}})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Assign", "not supported");
}

// --- Query language ---

TEST(ValidatorQueryLanguage, JsonataIsNotSupportedYet) {
  const Diagnostics top = Validate(R"({"QueryLanguage": "JSONata", "StartAt": "A",
      "States": {"A": {"Type": "Pass", "Output": "{% $states.input %}", "End": true}}})");
  ASSERT_EQ(top.size(), 1u) << Dump(top);
  EXPECT_EQ(Describe(top),
            "UNSUPPORTED_FEATURE: stepd does not support the JSONata query language yet at "
            "/QueryLanguage");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "QueryLanguage": "JSONata",
                                              "End": true})")),
                   "UNSUPPORTED_FEATURE", "/States/A/QueryLanguage", "JSONata");
}

TEST(ValidatorMap, FieldsThatNeedAmazonS3AreNotSupportedYet) {
  for (std::string_view field : {"ItemReader", "ItemBatcher", "ResultWriter"}) {
    const Diagnostics d = Validate(Machine(R"("A": {"Type": "Map", ")" + std::string(field) +
                                           R"(": {}, "ItemProcessor": {"StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": true}}}, "End": true})"));
    ASSERT_EQ(d.size(), 1u) << Dump(d);
    EXPECT_EQ(Describe(d), "UNSUPPORTED_FEATURE: stepd does not support the Map field '" +
                               std::string(field) + "' yet at /States/A/" + std::string(field));
  }
}

TEST(ValidatorQueryLanguage, FieldsBelongToOneLanguage) {
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "Output": {}, "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Output", "QueryLanguage 'JSONPath'");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "QueryLanguage": "JSONata",
                                              "InputPath": "$", "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath", "QueryLanguage 'JSONata'");
  ExpectDiagnostic(Validate(Machine(R"("A": {"Type": "Pass", "QueryLanguage": "SQL",
                                              "End": true})")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage", "[JSONPath, JSONata]");
}

TEST(ValidatorQueryLanguage, NoDowngradeFromJsonata) {
  ExpectDiagnostic(Validate(R"({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
      "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}})"),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage", "downgrade");
}

// --- Express restrictions ---

TEST(ValidatorExpress, UnsupportedIntegrationPatterns) {
  const auto task = [](std::string_view resource) {
    return Machine(R"("A": {"Type": "Task", "Resource": ")" + std::string(resource) +
                   R"(", "End": true})");
  };
  EXPECT_EQ(Describe(Validate(task("arn:aws:states:us-east-1:111111111111:activity:work"))),
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at "
            "/States/A/Resource");
  EXPECT_EQ(Describe(Validate(task("arn:aws:states:::states:startExecution.sync"))),
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service "
            "integration at /States/A/Resource");
  ExpectDiagnostic(Validate(task("arn:aws:states:::states:startExecution.sync:2")),
                   "SCHEMA_VALIDATION_FAILED", "/States/A/Resource", "'.sync'");
  EXPECT_EQ(Describe(Validate(task("arn:aws:states:::sqs:sendMessage.waitForTaskToken"))),
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support "
            "'.waitForTaskToken' service integration  at /States/A/Resource");
  EXPECT_TRUE(Validate(task("arn:aws:states:::lambda:invoke")).empty());
  for (std::string_view resource : {"arn:aws:states:us-east-1:111111111111:activity:work",
                                    "arn:aws:states:::states:startExecution.sync",
                                    "arn:aws:states:::sqs:sendMessage.waitForTaskToken"}) {
    EXPECT_TRUE(Validate(task(resource), MachineType::kStandard).empty()) << resource;
  }
}

// --- Hostile input ---

TEST(ValidatorHostile, TenThousandStatesIsFast) {
  std::string states;
  constexpr int kStates = 10000;
  for (int i = 0; i < kStates; ++i) {
    states += "\"S" + std::to_string(i) + "\": {\"Type\": \"Pass\", " +
              (i + 1 < kStates ? "\"Next\": \"S" + std::to_string(i + 1) + "\"" : "\"End\": true") +
              "},";
  }
  states.pop_back();
  const std::string text = R"({"StartAt": "S0", "States": {)" + states + "}}";
  const auto start = std::chrono::steady_clock::now();
  const Diagnostics d = Validate(text);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(d.empty()) << Dump(d);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(ValidatorHostile, DiagnosticsAreCapped) {
  std::string states;
  for (int i = 0; i < 10000; ++i) {
    states += "\"S" + std::to_string(i) + "\": {\"Type\": \"Pass\", \"Next\": \"Nowhere\"},";
  }
  states.pop_back();
  const Diagnostics d = Validate(R"({"StartAt": "S0", "States": {)" + states + "}}");
  EXPECT_EQ(d.size(), 100u);
}

TEST(ValidatorHostile, LongCycleWithoutExit) {
  std::string states;
  constexpr int kStates = 10000;
  for (int i = 0; i < kStates; ++i) {
    states += "\"S" + std::to_string(i) + "\": {\"Type\": \"Pass\", \"Next\": \"S" +
              std::to_string((i + 1) % kStates) + "\"},";
  }
  states.pop_back();
  const Diagnostics d = Validate(R"({"StartAt": "S0", "States": {)" + states + "}}");
  ExpectDiagnostic(d, "MISSING_END_STATE", "/", "");
}

std::string NestedParallel(int levels) {
  std::string text = R"({"Type": "Succeed"})";
  for (int i = 0; i < levels; ++i) {
    text = R"({"Type": "Parallel", "End": true, "Branches": [{"StartAt": "P)" + std::to_string(i) +
           R"(", "States": {"P)" + std::to_string(i) + R"(": )" + text + "}}]}";
  }
  return R"({"StartAt": "Top", "States": {"Top": )" + text + "}}";
}

TEST(ValidatorHostile, DeepNestingIsTooDeeplyNested) {
  const Diagnostics moderate = Validate(NestedParallel(20));
  EXPECT_TRUE(moderate.empty()) << Dump(moderate);
  for (int levels : {150, 1000}) {
    const Diagnostics d = Validate(NestedParallel(levels));
    ASSERT_FALSE(d.empty());
    EXPECT_EQ(d[0].code, "TOO_DEEPLY_NESTED") << Dump(d);
  }
}

// Builds {"Type": "Parallel", ...} nested `levels` deep in an arena: deeper than any parsed
// text can be, so only the validator's own bounds protect the stack.
Value NestedParallelInMemory(int levels, Arena& arena, std::deque<std::string>& names) {
  const auto object = [&arena](std::initializer_list<Member> members) {
    Member* out = arena.AllocateArray<Member>(members.size());
    std::copy(members.begin(), members.end(), out);
    return Value::Object(out, members.size());
  };
  Value state = object({{"Type", Value::String("Succeed")}});
  for (int i = 0; i < levels; ++i) {
    const std::string_view name = names.emplace_back("P" + std::to_string(i));
    Value* branches = arena.AllocateArray<Value>(1);
    branches[0] = object({{"StartAt", Value::String(name)}, {"States", object({{name, state}})}});
    state = object({{"Type", Value::String("Parallel")},
                    {"End", Value::Bool(true)},
                    {"Branches", Value::Array(branches, 1)}});
  }
  return object({{"StartAt", Value::String("Top")}, {"States", object({{"Top", state}})}});
}

TEST(ValidatorHostile, DeepInMemoryDefinitionIsBounded) {
  Arena arena;
  std::deque<std::string> names;
  EXPECT_TRUE(ValidateDefinition(NestedParallelInMemory(10, arena, names)).empty());
  const Diagnostics d = ValidateDefinition(NestedParallelInMemory(100000, arena, names));
  ASSERT_EQ(d.size(), 1u) << Dump(d);
  EXPECT_EQ(d[0].code, "TOO_DEEPLY_NESTED");
}

TEST(ValidatorHostile, EveryPrefixOfADefinitionIsHandled) {
  const std::string text = Machine(R"js("A": {"Type": "Task", "Resource": "arn:aws:x",
      "Parameters": {"a.$": "States.Format('{}', $.x)"}, "Retry": [{"ErrorEquals": ["E"]}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "B"}], "Next": "B"},
      "B": {"Type": "Choice", "Choices": [{"Not": {"Variable": "$.x", "IsNull": true},
            "Next": "C"}], "Default": "C"}, "C": {"Type": "Succeed"})js");
  ASSERT_TRUE(Validate(text).empty()) << Dump(Validate(text));
  for (std::size_t size = 0; size < text.size(); ++size) {
    EXPECT_TRUE(HasErrors(Validate(text.substr(0, size)))) << size;
  }
}

TEST(ValidatorHostile, WrongTypesEverywhere) {
  // Every field with a value of every wrong kind must produce diagnostics, never a crash.
  for (std::string_view value : {"null", "1", "-1.5", "\"s\"", "true", "[]", "{}", "[{}]"}) {
    std::string states;
    for (std::string_view type :
         {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}) {
      std::string fields;
      for (std::string_view field :
           {"Next",      "End",         "Resource",  "Parameters", "ResultPath",
            "InputPath", "Retry",       "Catch",     "Choices",    "Default",
            "Seconds",   "Timestamp",   "ErrorPath", "Branches",   "ItemProcessor",
            "Iterator",  "Credentials", "Assign",    "Label",      "MaxConcurrency"}) {
        fields += ", \"" + std::string(field) + "\": " + std::string(value);
      }
      states += std::string(states.empty() ? "" : ",") + "\"" + std::string(type) +
                "\": {\"Type\": \"" + std::string(type) + "\"" + fields + "}";
    }
    const Diagnostics d = Validate(R"({"StartAt": "Task", "States": {)" + states + "}}");
    EXPECT_TRUE(HasErrors(d)) << value;
  }
}

// --- The conformance corpus: every definition there was accepted by AWS ---

bool UsesJsonata(const std::string& text) { return text.find("\"JSONata\"") != std::string::npos; }

// Map fields stepd refuses as unsupported (they read or write Amazon S3).
bool UsesUnsupportedMapField(const std::string& text) {
  for (std::string_view field : {"\"ItemReader\"", "\"ItemBatcher\"", "\"ResultWriter\""}) {
    if (text.find(field) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct CorpusCounts {
  int accepted = 0;
  int rejected_jsonata = 0;
  int rejected_map_fields = 0;
};

// Expects `definition` accepted, or rejected as unsupported when it uses JSONata.
void CheckCorpusDefinition(Value definition, MachineType type, const std::string& name,
                           CorpusCounts& counts) {
  const std::string text =
      definition.IsString() ? std::string(definition.AsString()) : ToJson(definition);
  const Diagnostics d = Validate(text, type);
  const bool jsonata = UsesJsonata(text);
  const bool map_fields = UsesUnsupportedMapField(text);
  if (!jsonata && !map_fields) {
    EXPECT_FALSE(HasErrors(d)) << name << "\n" << Dump(d);
    ++counts.accepted;
    return;
  }
  // Every error must be an unsupported feature the definition uses.
  for (const Diagnostic& diagnostic : d) {
    const bool names_jsonata = diagnostic.message.find("JSONata") != std::string::npos;
    const bool names_map_field = diagnostic.message.find("Map field") != std::string::npos;
    EXPECT_TRUE(diagnostic.code == "UNSUPPORTED_FEATURE" &&
                ((jsonata && names_jsonata) || (map_fields && names_map_field)))
        << name << "\n"
        << Dump(d);
  }
  EXPECT_TRUE(HasErrors(d)) << name;
  ++(jsonata ? counts.rejected_jsonata : counts.rejected_map_fields);
}

TEST(ValidatorCorpus, AcceptsEveryAwsAcceptedDefinition) {
  const std::filesystem::path root =
      std::filesystem::path(STEPD_SHARED_DIR) / "conformance" / "cases";
  if (!std::filesystem::exists(root)) {
    GTEST_SKIP() << "no corpus at " << root;
  }
  CorpusCounts counts;
  Document document;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".json") {
      continue;
    }
    auto parsed = document.Parse(ReadFile(entry.path()));
    ASSERT_TRUE(parsed.has_value()) << entry.path();
    const Value test_case = *parsed;
    const Value type = test_case.Find("type");
    const MachineType machine_type = type.IsString() && type.AsString() == "EXPRESS"
                                         ? MachineType::kExpress
                                         : MachineType::kStandard;
    CheckCorpusDefinition(test_case.Find("definition"), machine_type, entry.path().string(),
                          counts);
    // Machines the case starts as children; their type is not recorded, so Standard.
    test_case.Find("state_machines").ForEachMember([&](std::string_view arn, Value definition) {
      CheckCorpusDefinition(definition, MachineType::kStandard,
                            entry.path().string() + " " + std::string(arn), counts);
    });
  }
  std::printf(
      "[ corpus   ] %d definitions accepted; rejected as unsupported: %d using JSONata, %d "
      "using ItemReader, ItemBatcher or ResultWriter\n",
      counts.accepted, counts.rejected_jsonata, counts.rejected_map_fields);
  EXPECT_GT(counts.accepted, 700);
}

}  // namespace
}  // namespace stepd::runtime
