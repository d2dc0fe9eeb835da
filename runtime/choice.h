#pragma once
// Choice rule conditions (JSONPath query language): the 39 comparison operators, the type
// tests and And/Or/Not, compiled once into a flat tree and evaluated against a state's input.
//
// A condition is one element of a Choice state's `Choices` (its `Next`, `Assign`, `Comment`
// are the caller's business and ignored here) or a rule nested inside And/Or/Not.
// Immutable after Compile(); evaluating from many threads at once is safe.

#include <memory>

#include "jsonpath/error.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/value.h"

namespace stepd::runtime {

namespace internal {
struct ChoiceProgram;
}

class ChoiceCondition {
 public:
  // And/Or/Not nested deeper than this is a compile error, which also bounds the recursion of
  // Compile() and Evaluate().
  static constexpr int kMaxNestingDepth = 100;

  // Expects a rule the validator accepted; still returns a CompileError (never crashes) for
  // anything malformed, naming the operator or field.
  static CompileResult<ChoiceCondition> Compile(Value rule, const CompileOptions& options = {});

  ChoiceCondition(ChoiceCondition&&) noexcept;
  ChoiceCondition& operator=(ChoiceCondition&&) noexcept;
  ~ChoiceCondition();

  // True when the rule matches `ctx.input`. Comparing values of different types is false, not
  // an error; a `Variable` path that matches nothing is false for IsPresent and an error
  // (States.Runtime, AWS's text) for every other operator, as is a `...Path` operand that
  // matches nothing. The error's cause is owned by this condition. Does not allocate, except
  // through `ctx.arena` when a path is indefinite (wildcards, filters).
  Result<bool> Evaluate(const EvalContext& ctx) const;

 private:
  explicit ChoiceCondition(std::unique_ptr<internal::ChoiceProgram> program);
  std::unique_ptr<internal::ChoiceProgram> program_;
};

}  // namespace stepd::runtime
