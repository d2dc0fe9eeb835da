#pragma once
// Payload templates (Parameters, ResultSelector, ItemSelector, Assign in JSONPath mode) and the
// `.$` expressions inside them.
//
// Compile() walks the template once: a key ending in `.$` takes a Path (`$...`), a context path
// (`$$...`), a variable (`$name...`) or an intrinsic call, and loses its `.$` suffix; every
// subtree without such keys is copied once into the template's own arena and reused as it is.
// Build() then allocates only the objects on the way to dynamic values, in the execution's
// arena; their other members are views of the template or of the evaluated input. When several
// paths (intrinsic arguments included) start with fields of the input, Build() finds those
// fields in one pass over the input rather than once per path.
//
// A PayloadTemplate is immutable after Compile(); building from many threads at once is safe.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "jsonpath/error.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/intrinsics.h"
#include "jsonpath/path.h"
#include "jsonpath/value.h"

namespace stepd {

// The value of a `.$` key (or of ErrorPath, CausePath...): a Path or an intrinsic call.
class CompiledExpression {
 public:
  static CompileResult<CompiledExpression> Compile(std::string_view text,
                                                   const CompileOptions& options = {});

  // Evaluates into a value. A definite path that matches nothing is States.Runtime with AWS's
  // text: "The JSONPath '<path>' specified for the field '<field>' could not be found in the
  // input '<input>'", where `field` is how the caller names it ("value.$", "ErrorPath").
  Result<Value> Evaluate(const EvalContext& ctx, std::string_view field) const;
  // The same, as CompiledIntrinsic's: the value, or Missing after storing the failure in `error`.
  Value Evaluate(const EvalContext& ctx, std::string_view field, Error& error) const;

  const CompiledPath* path() const { return std::get_if<CompiledPath>(&expression_); }
  std::string_view text() const;

  // At compile time: calls `fn` on every path the expression evaluates.
  void ForEachPath(const std::function<void(CompiledPath&)>& fn);

 private:
  explicit CompiledExpression(std::variant<CompiledPath, CompiledIntrinsic> expression)
      : expression_(std::move(expression)) {}
  std::variant<CompiledPath, CompiledIntrinsic> expression_;
};

namespace internal {
struct TemplateNode;
}

class PayloadTemplate {
 public:
  // `json` is the template as written in the definition; it is copied, so it need not outlive
  // the template. Errors name the offending key, e.g. "The value for the field 'x.$' must be a
  // valid JSONPath or a valid intrinsic function call".
  static CompileResult<PayloadTemplate> Compile(Value json, const CompileOptions& options = {});

  PayloadTemplate(PayloadTemplate&&) noexcept;
  PayloadTemplate& operator=(PayloadTemplate&&) noexcept;
  ~PayloadTemplate();

  Result<Value> Build(const EvalContext& ctx) const;

 private:
  PayloadTemplate();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd
