// Fuzzes CompiledPath::Compile with arbitrary text, as a Path and as a Reference Path, and
// evaluates whatever compiles against a small fixed document, printing the result. Compile
// errors are expected; crashes, sanitizer reports, leaks and hangs are bugs.

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
#include "jsonpath/path.h"
#include "jsonpath/value.h"
#include "jsonpath/writer.h"

namespace {

constexpr std::string_view kInput = R"({
  "a": {"b": [1, 2.5, "x", null, true, {"c": -3}], "x": "inner"},
  "b": "x", "n": 7, "s": "hello", "empty": {}, "none": [],
  "items": [{"a": 1, "b": "x", "x": 10}, {"a": 2, "b": "y"}, {"a": 0.5, "tags": ["t1", "t2"]}],
  "weird key": {"$": 1, "'": 2, "..": 3}, "x": [[1, 2], [3, [4, {"x": 5}]]]
})";

constexpr std::string_view kContext = R"({
  "Execution": {"Id": "arn:aws:states:us-east-1:123456789012:express:m:e", "Input": {"k": 1},
                "StartTime": "2024-01-01T00:00:00.000Z"},
  "State": {"Name": "Pass", "EnteredTime": "2024-01-01T00:00:00.001Z", "RetryCount": 0},
  "Map": {"Item": {"Index": 1, "Value": {"a": 2}}}
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
    f->variable = f->input.Find("items");
    return f;
  }();
  return *fixture;
}

void CompileAndSelect(std::string_view text, stepd::PathKind kind, Fixture& fixture) {
  stepd::VariableTable variables;
  variables.Intern("x");
  stepd::CompileOptions options;
  options.variables = &variables;
  const stepd::CompileResult<stepd::CompiledPath> path =
      stepd::CompiledPath::Compile(text, kind, options);
  if (!path) {
    return;
  }
  std::vector<stepd::Value> values(variables.size(), stepd::Value::Missing());
  values[0] = fixture.variable;

  fixture.arena.Reset();
  stepd::EvalContext ctx;
  ctx.input = fixture.input;
  ctx.context = fixture.context;
  ctx.variables = values;
  ctx.arena = &fixture.arena;
  const stepd::Value selected = path->Select(ctx);
  std::string out = stepd::ToJson(selected);
  out += path->normalized();
  if (path->is_definite()) {
    for (const stepd::PathStep& step : path->steps()) {
      out += step.name;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& fixture = GetFixture();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CompileAndSelect(text, stepd::PathKind::kPath, fixture);
  CompileAndSelect(text, stepd::PathKind::kReferencePath, fixture);
  return 0;
}
