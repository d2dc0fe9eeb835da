#pragma once
// ASL intrinsic functions (`States.Format(...)` and the other 17), compiled once into a call
// tree and evaluated into arena values.
//
// Arguments are string literals in single quotes (with \' \{ \} \\ escapes), numbers, true,
// false, null, Paths ($, $$, $name) and nested calls, at most 10 levels deep. Argument count
// and type rules, limits and error texts follow AWS; failures are States.IntrinsicFailure
// (or States.Runtime where AWS reports that) as values, never exceptions.
//
// A CompiledIntrinsic is immutable once compiled (a PayloadTemplate that owns it may still mark
// its paths while it compiles); evaluating it from many threads at once is safe (States.UUID and
// unseeded States.MathRandom use a per-thread generator).

#include <functional>
#include <memory>
#include <string_view>

#include "jsonpath/error.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/path.h"
#include "jsonpath/value.h"

namespace stepd {

namespace internal {
struct IntrinsicCall;
}

// True when `text` is written as an intrinsic call ("States.<Name>(" after optional spaces).
bool LooksLikeIntrinsic(std::string_view text);

class CompiledIntrinsic {
 public:
  static constexpr int kMaxNesting = 10;

  // Unknown function names, wrong argument counts, bad literals and syntax errors are compile
  // errors, with the position.
  static CompileResult<CompiledIntrinsic> Compile(std::string_view text,
                                                  const CompileOptions& options = {});

  CompiledIntrinsic(CompiledIntrinsic&&) noexcept;
  CompiledIntrinsic& operator=(CompiledIntrinsic&&) noexcept;
  ~CompiledIntrinsic();

  Result<Value> Evaluate(const EvalContext& ctx) const;
  // The same for callers that evaluate many in a row: the value, or Missing (which no intrinsic
  // gives) after storing the failure in `error`. A Value comes back in two registers, where a
  // Result<Value> goes through memory at every level it is passed up.
  Value Evaluate(const EvalContext& ctx, Error& error) const;
  std::string_view text() const;

  // For PayloadTemplate (template.h), at compile time: calls `fn` on every path argument.
  void ForEachPath(const std::function<void(CompiledPath&)>& fn);

 private:
  explicit CompiledIntrinsic(std::unique_ptr<internal::IntrinsicCall> call, std::string text);
  std::unique_ptr<internal::IntrinsicCall> call_;
  std::string text_;
};

}  // namespace stepd
