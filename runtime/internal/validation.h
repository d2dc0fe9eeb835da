#pragma once
// Building blocks of ValidateDefinition (runtime/validator.cc): a capped diagnostics sink, JSON
// pointers, and the field checks that states, retriers, catchers and choice rules share.
// Compile-time only; one FieldChecker per validation, not thread-safe.
//
// Every check looks at `object[field]`, does nothing when the field is absent, reports at
// `<at>/<field>` and returns false when the field is present but invalid. Locations are only
// built when something is wrong, so a valid definition costs no string work.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/eval_context.h"
#include "jsonpath/path.h"
#include "jsonpath/value.h"
#include "runtime/diagnostics.h"

namespace stepd::runtime::internal {

namespace codes {
inline constexpr std::string_view kSchema = "SCHEMA_VALIDATION_FAILED";
inline constexpr std::string_view kMissingTarget = "MISSING_TRANSITION_TARGET";
inline constexpr std::string_view kMissingEnd = "MISSING_END_STATE";
inline constexpr std::string_view kDuplicateState = "DUPLICATE_STATE_NAME";
inline constexpr std::string_view kInvalidStateName = "INVALID_STATE_NAME";
inline constexpr std::string_view kTooDeep = "TOO_DEEPLY_NESTED";
inline constexpr std::string_view kInvalidJson = "INVALID_JSON_DESCRIPTION";
inline constexpr std::string_view kInvalidResource = "INVALID_RESOURCE";
inline constexpr std::string_view kInvalidLabel = "INVALID_LABEL_NAME";
inline constexpr std::string_view kDuplicateLabel = "DUPLICATE_LABEL_NAME";
inline constexpr std::string_view kUnsupported = "UNSUPPORTED_FEATURE";
inline constexpr std::string_view kNoDollar = "NO_DOLLAR";
inline constexpr std::string_view kPassResultIsStatic = "PASS_RESULT_IS_STATIC";
}  // namespace codes

// The largest integer AWS accepts in its second-valued fields.
inline constexpr std::int64_t kMaxSeconds = 99999999;

// Characters as AWS counts them in names and labels: code points of valid UTF-8 text.
std::size_t CodePoints(std::string_view text);

// `parent` + "/" + `token`, with `~` and `/` escaped as RFC 6901 requires.
std::string ChildPointer(std::string_view parent, std::string_view token);
std::string IndexPointer(std::string_view parent, std::size_t index);

// Collects diagnostics, keeping at most kMaxDiagnostics (AWS's maxResults) so that a hostile
// definition cannot make the answer huge.
class Reporter {
 public:
  static constexpr std::size_t kMaxDiagnostics = 100;

  void Error(std::string_view code, std::string message, std::string location);
  void Warning(std::string_view code, std::string message, std::string location);
  // Once full, callers may skip further work: nothing more would be kept.
  bool full() const { return diagnostics_.size() >= kMaxDiagnostics; }
  Diagnostics Take() && { return std::move(diagnostics_); }

 private:
  void Add(Severity severity, std::string_view code, std::string message, std::string location);
  Diagnostics diagnostics_;
};

// Field names joined as AWS lists them: "[A, B]".
std::string BracketList(std::initializer_list<std::string_view> names);

class FieldChecker {
 public:
  explicit FieldChecker(Reporter& reporter) : reporter_(reporter) {}

  Reporter& reporter() { return reporter_; }

  // Reports `message` for `<at>/<field>` (or `at` itself when `field` is empty).
  void Fail(std::string_view at, std::string_view field, std::string message,
            std::string_view code = codes::kSchema);

  // Structure.
  bool IsObject(Value value, std::string_view at, std::string_view field);
  void RequireFields(Value object, std::initializer_list<std::string_view> fields,
                     std::string_view at);
  // Members not in `allowed` are reported one by one.
  void RejectUnknownFields(Value object, std::span<const std::string_view> allowed,
                           std::string_view at);
  // Both present: "Only one of these fields is allowed".
  void Exclusive(Value object, std::string_view a, std::string_view b, std::string_view at);

  // Scalars.
  bool String(Value object, std::string_view field, std::string_view at);
  bool Boolean(Value object, std::string_view field, std::string_view at);
  bool Integer(Value object, std::string_view field, std::string_view at, std::int64_t min,
               std::int64_t max);
  bool Number(Value object, std::string_view field, std::string_view at, double min, double max);
  bool OneOf(Value object, std::string_view field, std::string_view at,
             std::initializer_list<std::string_view> values);
  bool NonEmptyArray(Value object, std::string_view field, std::string_view at);

  // Paths. `Path` takes a Path or Reference Path (null allowed when `nullable`); ResultPath is a
  // nullable Reference Path on the state input only; `Expression` (ErrorPath, CausePath) is a
  // Reference Path or an intrinsic call.
  bool Path(Value object, std::string_view field, std::string_view at, PathKind kind,
            bool nullable);
  bool ResultPath(Value object, std::string_view field, std::string_view at);
  bool Expression(Value object, std::string_view field, std::string_view at);
  // A string that must be a valid Path, for callers that already hold the value.
  bool PathValue(Value value, std::string_view field, std::string_view at, PathKind kind);

  // Payload templates (Parameters, ResultSelector, ItemSelector, Credentials) and Assign.
  bool Template(Value object, std::string_view field, std::string_view at);
  bool Assign(Value object, std::string_view field, std::string_view at);

 private:
  void WarnNoDollar(Value json, std::string_view at, int depth);

  Reporter& reporter_;
  // Interns every `$name` seen, so that variable references compile.
  VariableTable variables_;
  CompileOptions options_{&variables_};
};

// A transition to resolve once every state of its scope is known.
struct Transition {
  std::uint32_t from = 0;   // index of the state in its scope
  std::string_view target;  // the state name as written
  std::string_view field;   // "Next" or "Default"
  std::string location;     // of the field naming the target
};

// Validates a JSONPath or JSONata Choice state's `Choices` array (the caller checked that it is
// a non-empty array) and appends each rule's `Next` to `transitions`.
void ValidateChoiceRules(FieldChecker& checker, Value choices, std::string_view at, bool jsonata,
                         std::uint32_t from, std::vector<Transition>& transitions);

}  // namespace stepd::runtime::internal
