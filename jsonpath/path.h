#pragma once
// CompiledPath: an ASL Path or Reference Path, parsed once and evaluated many times into views.
//
// Syntax (Jayway JsonPath, as AWS accepts it): a root `$` (state input), `$$` (context object)
// or `$name` (workflow variable), then `.name`, `['name']` / `["name"]`, `[n]` (negative counts
// from the end), `[*]` / `.*`, slices `[start:end:step]`, unions `[0,2]` / `['a','b']`,
// recursive descent `..name` / `..*` / `..[n]`, and filters `[?(<expr>)]` where <expr> combines
// `@`-relative (or `$`-absolute) paths and literals with == != < <= > >= =~ (a regex /.../ or
// /.../i in Java's syntax, matched in linear time: regex.h), in, nin, && || ! and
// parentheses; a bare path in a filter tests existence.
//
// A Reference Path (PathKind::kReferencePath) may only name one node: fields and indexes, no
// wildcards, slices, unions, filters or recursive descent. Compile() enforces that.
//
// Evaluation: a *definite* path (only fields and indexes) yields the one node it names or
// Missing. Any other path yields an array of every match in document order, built in the
// context's arena; no match yields an empty array. Nothing is copied: matches are views.
//
// A CompiledPath owns its program and is immutable once compiled (a PayloadTemplate that owns it
// may still give it an input-field slot while it compiles); evaluating it from many threads at
// once is safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "jsonpath/error.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/value.h"

namespace stepd {

enum class PathKind : std::uint8_t { kPath, kReferencePath };
enum class PathRoot : std::uint8_t { kInput, kContext, kVariable };

// One step of a definite path: a member name or an array index.
struct PathStep {
  enum class Kind : std::uint8_t { kField, kIndex };
  Kind kind = Kind::kField;
  std::string_view name;   // kField; points into the CompiledPath
  std::int64_t index = 0;  // kIndex; negative counts from the end
};

namespace internal {
struct PathProgram;
}

class CompiledPath {
 public:
  // Compiles `text`. Errors name the problem and its position, e.g.
  // "Invalid JSONPath '$.a[': expected an index, a name, '*' or a filter at offset 4".
  static CompileResult<CompiledPath> Compile(std::string_view text, PathKind kind,
                                             const CompileOptions& options = {});

  CompiledPath(CompiledPath&&) noexcept;
  CompiledPath& operator=(CompiledPath&&) noexcept;
  ~CompiledPath();

  // See the header comment for what is returned. `ctx.arena` is used only by indefinite paths.
  Value Select(const EvalContext& ctx) const;

  bool is_definite() const;
  PathRoot root() const;
  VariableId variable() const;    // when root() == kVariable
  std::string_view text() const;  // as written
  // Jayway's normalised rendering, which AWS quotes in errors: `$.a.b[0]` -> `$['a']['b'][0]`.
  std::string_view normalized() const;
  // The steps after the root, when is_definite(); empty for `$`.
  std::span<const PathStep> steps() const;

  // For PayloadTemplate (template.h), at compile time. A definite path from `$` whose first
  // step is a field can take its value from EvalContext::input_fields[slot] instead of looking
  // the field up in the input; StartsWithInputField() gives that field's name, or nullopt.
  std::optional<std::string_view> StartsWithInputField() const;
  void set_input_field_slot(std::uint32_t slot) { input_field_slot_ = slot; }

 private:
  explicit CompiledPath(std::unique_ptr<internal::PathProgram> program);
  std::unique_ptr<internal::PathProgram> program_;
  std::uint32_t input_field_slot_ = kNoSlot;
};

}  // namespace stepd
