#pragma once
// PathProgram: the compiled form of a CompiledPath (jsonpath/path.h), and the compiler that
// builds it.
//
// A program is flat: every path in it (the main path and each path operand of a filter) is a
// contiguous run of `steps`, and every filter is a small tree in `filter_nodes` whose leaves are
// `operands`. Built once by CompilePathProgram() and immutable afterwards, so evaluating it from
// many threads is safe. Names, literal strings and literal arrays live in `storage`; a
// CompiledPath owns its program through a unique_ptr, so these views survive moves.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/arena.h"
#include "jsonpath/error.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/path.h"
#include "jsonpath/regex.h"
#include "jsonpath/value.h"

namespace stepd::internal {

// A run of entries in one of the program's vectors.
struct Range {
  std::uint32_t begin = 0;
  std::uint32_t count = 0;
};

enum class StepOp : std::uint8_t {
  kField,       // .name, ['name']
  kIndex,       // [n]
  kWildcard,    // .*, [*]
  kSlice,       // [start:end:step]
  kFieldUnion,  // ['a','b']: `list` ranges over PathProgram::names
  kIndexUnion,  // [0,2]: `list` ranges over PathProgram::indexes
  kFilter,      // [?(...)]: `filter` is the root of the expression tree
};

struct Step {
  StepOp op = StepOp::kField;
  // Written `..`: the step applies to the current node and to every container below it.
  bool descent = false;
  bool has_start = false;  // kSlice bounds: absent bounds default by the sign of `stride`
  bool has_end = false;
  std::string_view name;   // kField
  std::int64_t index = 0;  // kIndex; also a slice's start
  std::int64_t end = 0;
  std::int64_t stride = 1;  // never 0
  Range list;
  std::uint32_t filter = 0;
};

// Whether `step` can match more than one node (and so makes its path indefinite).
inline bool IsIndefinite(const Step& step) {
  return step.descent || (step.op != StepOp::kField && step.op != StepOp::kIndex);
}

// Where a path (or a filter operand) starts.
enum class OperandKind : std::uint8_t {
  kLiteral,   // `literal`
  kRegex,     // `regex`; only as the right side of =~
  kCurrent,   // @
  kInput,     // $
  kContext,   // $$
  kVariable,  // $name
};

struct Operand {
  OperandKind kind = OperandKind::kLiteral;
  bool definite = true;          // path operands
  VariableId variable = 0;       // kVariable
  Range steps;                   // path operands: into PathProgram::steps
  Range definite_steps;          // definite path operands: into PathProgram::definite_steps
  Value literal;                 // kLiteral
  const Regex* regex = nullptr;  // kRegex
};

enum class FilterOp : std::uint8_t {
  kOr,      // children: PathProgram::filter_children[children]
  kAnd,     // likewise
  kNot,     // children.begin is the operand node
  kExists,  // a bare path: it matches something
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kMatch,  // =~
  kIn,
  kNin,
};

struct FilterNode {
  FilterOp op = FilterOp::kExists;
  Range children;
  std::uint32_t lhs = 0;  // operands
  std::uint32_t rhs = 0;
};

struct PathProgram {
  // Literal storage is small for almost every path; keep a compiled machine with hundreds of
  // paths from reserving a default-sized block for each.
  static constexpr std::size_t kStorageBlockBytes = 256;

  PathProgram() : storage(kStorageBlockBytes) {}

  std::string text;
  std::string normalized;
  PathRoot root = PathRoot::kInput;
  VariableId variable = 0;
  bool definite = true;
  Range main;           // the path itself, in `steps`
  Range main_definite;  // the same steps as PathSteps, when `definite`
  std::vector<Step> steps;
  std::vector<PathStep> definite_steps;  // definite runs, for the evaluator's tight loop
  std::vector<std::string_view> names;
  std::vector<std::int64_t> indexes;
  std::vector<FilterNode> filter_nodes;
  std::vector<std::uint32_t> filter_children;
  std::vector<Operand> operands;
  std::vector<std::unique_ptr<const Regex>> regexes;
  Arena storage;
};

// Compiles `text`; see CompiledPath::Compile for the syntax and the error format.
CompileResult<std::unique_ptr<PathProgram>> CompilePathProgram(std::string_view text, PathKind kind,
                                                               const CompileOptions& options);

}  // namespace stepd::internal
