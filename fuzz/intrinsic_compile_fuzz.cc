// Fuzzes CompiledIntrinsic::Compile with arbitrary text and evaluates whatever compiles against
// a small fixed document and context. Compile and evaluation errors are expected (they are
// values); crashes, sanitizer reports, leaks and hangs are bugs.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/error.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/intrinsics.h"
#include "jsonpath/value.h"
#include "jsonpath/writer.h"

namespace {

constexpr std::string_view kInput = R"({
  "a": "alpha", "b": 2, "c": 2.5, "n": -7, "t": true, "z": null,
  "list": [1, 2, 3, 2, "x", {"k": "v"}], "names": ["ann", "bob"], "empty": [],
  "obj": {"k": "v", "nested": {"deep": [1, {"x": 1}]}}, "json": "{\"q\": [1, 2]}",
  "b64": "aGVsbG8=", "csv": "a,b,,c", "big": 9007199254740993, "huge": 1e300
})";

constexpr std::string_view kContext = R"({
  "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:express:m:e", "Input": {"k": 1}},
  "State": {"Name": "Pass", "EnteredTime": "2024-01-01T00:00:00.001Z"}
})";

struct Fixture {
  stepd::Document input_document;
  stepd::Document context_document;
  stepd::Value input;
  stepd::Value context;
  stepd::Value variable;  // the value of `$x`
  stepd::Arena arena;
};

stepd::Value ParseOrDie(stepd::Document& document, std::string_view text) {
  stepd::Result<stepd::Value> parsed = document.Parse(text);
  if (!parsed) {
    std::abort();  // the fixed documents are valid JSON
  }
  return *parsed;
}

Fixture& GetFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture();
    f->input = ParseOrDie(f->input_document, kInput);
    f->context = ParseOrDie(f->context_document, kContext);
    f->variable = f->input.Find("obj");
    return f;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& fixture = GetFixture();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Compiling a template asks this of every ".$" value, so it sees arbitrary text too.
  static_cast<void>(stepd::LooksLikeIntrinsic(text));

  stepd::VariableTable variables;
  variables.Intern("x");
  stepd::CompileOptions options;
  options.variables = &variables;
  const stepd::CompileResult<stepd::CompiledIntrinsic> intrinsic =
      stepd::CompiledIntrinsic::Compile(text, options);
  if (!intrinsic) {
    return 0;
  }
  std::vector<stepd::Value> values(variables.size(), stepd::Value::Missing());
  values[0] = fixture.variable;

  fixture.arena.Reset();
  stepd::EvalContext ctx;
  ctx.input = fixture.input;
  ctx.context = fixture.context;
  ctx.variables = values;
  ctx.arena = &fixture.arena;
  const stepd::Result<stepd::Value> result = intrinsic->Evaluate(ctx);
  if (result) {
    const std::string out = stepd::ToJson(*result);
    static_cast<void>(out);
  }
  return 0;
}
