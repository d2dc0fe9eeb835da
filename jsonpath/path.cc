// CompiledPath evaluation. The compiler is in internal/path_compiler.cc.
//
// Semantics beyond the header, following Jayway JsonPath (which AWS Step Functions uses):
// - A filter applied to an array tests each element; applied to an object it tests the object
//   itself and yields it when it passes. Under `..` a filter yields what it yields on every
//   container whose own test passes, as Jayway's scan does.
// - Union members are yielded in the order written; `..` visits a node before its children.
// - In filters, == compares numbers by value and everything else with DeepEquals; values of
//   different types (or a path that matched nothing) are never equal, and never ordered.
//   != and nin are the negations of == and in, so a missing member is != anything, as in
//   Jayway. =~ matches the whole string (Java's Matcher.matches()).
// - A path operand that is indefinite yields the array of its matches; as a bare test it holds
//   when that array is non-empty.
//
// Select allocates nothing on the heap: definite paths walk a flat step array, and indefinite
// ones collect into an arena array that grows by doubling.

#include "jsonpath/path.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <utility>

#include "jsonpath/arena.h"
#include "jsonpath/internal/path_program.h"

namespace stepd {
namespace {

using internal::FilterNode;
using internal::FilterOp;
using internal::IsIndefinite;
using internal::Operand;
using internal::OperandKind;
using internal::PathProgram;
using internal::Range;
using internal::Step;
using internal::StepOp;

// Element `index` of `array`, negative indexes counting from the end; Missing when out of range.
Value ElementAt(Value array, std::int64_t index) {
  if (!array.IsArray()) {
    return Value::Missing();
  }
  if (index >= 0) {
    return array.At(static_cast<std::size_t>(index));
  }
  // -(index + 1) cannot overflow, even for INT64_MIN.
  const std::size_t from_end = static_cast<std::size_t>(-(index + 1)) + 1;
  const std::size_t size = array.Size();
  return from_end > size ? Value::Missing() : array.At(size - from_end);
}

Value WalkDefinite(Value v, std::span<const PathStep> steps) {
  for (const PathStep& step : steps) {
    v = step.kind == PathStep::Kind::kField ? v.Find(step.name) : ElementAt(v, step.index);
    if (v.IsMissing()) {
      break;
    }
  }
  return v;
}

std::span<const PathStep> DefiniteSteps(const PathProgram& program, Range range) {
  return std::span<const PathStep>(program.definite_steps).subspan(range.begin, range.count);
}

// Gathers matches into an arena array, doubling it when full (the old copies are left to the
// arena, which frees them with everything else).
class Collector {
 public:
  explicit Collector(Arena& arena) : arena_(arena) {}

  void Add(Value v) {
    if (size_ == capacity_) {
      Grow();
    }
    new (&items_[size_++]) Value(v);
  }
  Value Finish() const { return Value::Array(items_, size_); }

 private:
  void Grow() {
    capacity_ = capacity_ == 0 ? 8 : capacity_ * 2;
    Value* bigger = arena_.AllocateArray<Value>(capacity_);
    if (size_ != 0) {
      std::uninitialized_copy_n(items_, size_, bigger);
    }
    items_ = bigger;
  }

  Arena& arena_;
  Value* items_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// Orders two numbers: negative, zero or positive. Integers compare exactly; anything involving
// a double compares as doubles.
int CompareNumbers(Value a, Value b) {
  if (a.IsInteger() && b.IsInteger()) {
    const bool a_big = a.number_kind() == NumberKind::kUint64;
    const bool b_big = b.number_kind() == NumberKind::kUint64;
    if (a_big != b_big) {
      // A Uint is only stored when it exceeds every int64.
      return a_big ? 1 : -1;
    }
    if (a_big) {
      return (a.AsUint() > b.AsUint()) - (a.AsUint() < b.AsUint());
    }
    return (a.AsInt() > b.AsInt()) - (a.AsInt() < b.AsInt());
  }
  const double x = a.AsDouble();
  const double y = b.AsDouble();
  return (x > y) - (x < y);
}

bool Equal(Value a, Value b) { return !a.IsMissing() && !b.IsMissing() && DeepEquals(a, b); }

// Evaluates an ordering operator; values that are not two numbers or two strings never order.
bool Ordered(FilterOp op, Value a, Value b) {
  int order = 0;
  if (a.IsNumber() && b.IsNumber()) {
    order = CompareNumbers(a, b);
  } else if (a.IsString() && b.IsString()) {
    // char_traits<char> compares bytes as unsigned, so UTF-8 orders by code point.
    const int c = a.AsString().compare(b.AsString());
    order = (c > 0) - (c < 0);
  } else {
    return false;
  }
  switch (op) {
    case FilterOp::kLt:
      return order < 0;
    case FilterOp::kLe:
      return order <= 0;
    case FilterOp::kGt:
      return order > 0;
    default:
      return order >= 0;
  }
}

bool Contains(Value array, Value v) {
  return array.IsArray() && !array.AllElements([&](Value e) { return !Equal(v, e); });
}

bool Matches(Value v, const Regex& regex) { return v.IsString() && regex.FullMatch(v.AsString()); }

class Evaluator {
 public:
  Evaluator(const PathProgram& program, const EvalContext& ctx) : program_(program), ctx_(ctx) {}

  // Adds to `out` every match of steps [i, end) applied to `v`.
  void Walk(std::uint32_t i, std::uint32_t end, Value v, Collector& out) const {
    // Fields and indexes match at most once: follow them in a loop, and recurse only at steps
    // that can match several nodes (the compiler bounds how many of those there are).
    for (; i < end; ++i) {
      const Step& step = program_.steps[i];
      if (IsIndefinite(step)) {
        if (step.descent) {
          Descend(step, i, end, v, out);
        } else {
          Apply(step, i, end, v, out);
        }
        return;
      }
      v = step.op == StepOp::kField ? v.Find(step.name) : ElementAt(v, step.index);
      if (v.IsMissing()) {
        return;
      }
    }
    out.Add(v);
  }

  Value Root(OperandKind kind, VariableId variable, Value current) const {
    switch (kind) {
      case OperandKind::kCurrent:
        return current;
      case OperandKind::kInput:
        return ctx_.input;
      case OperandKind::kContext:
        return ctx_.context;
      case OperandKind::kVariable:
        return ctx_.Variable(variable);
      default:
        return Value::Missing();
    }
  }

  // Every match of a whole path (main or operand) from `root`, as a new arena array.
  Value Collect(Range steps, Value root) const {
    Collector out(*ctx_.arena);
    if (!root.IsMissing()) {
      Walk(steps.begin, steps.begin + steps.count, root, out);
    }
    return out.Finish();
  }

 private:
  // Applies `step` (the i-th) to `v` alone, continuing with the next steps on each match.
  void Apply(const Step& step, std::uint32_t i, std::uint32_t end, Value v, Collector& out) const {
    const auto next = [&](Value child) { Walk(i + 1, end, child, out); };
    switch (step.op) {
      case StepOp::kField: {
        const Value child = v.Find(step.name);
        if (!child.IsMissing()) {
          next(child);
        }
        return;
      }
      case StepOp::kIndex: {
        const Value child = ElementAt(v, step.index);
        if (!child.IsMissing()) {
          next(child);
        }
        return;
      }
      case StepOp::kWildcard:
        if (v.IsArray()) {
          v.ForEachElement(next);
        } else {
          v.ForEachMember([&](std::string_view, Value child) { next(child); });
        }
        return;
      case StepOp::kSlice:
        Slice(step, v, next);
        return;
      case StepOp::kFieldUnion:
        for (std::uint32_t j = 0; j < step.list.count && v.IsObject(); ++j) {
          const Value child = v.Find(program_.names[step.list.begin + j]);
          if (!child.IsMissing()) {
            next(child);
          }
        }
        return;
      case StepOp::kIndexUnion:
        for (std::uint32_t j = 0; j < step.list.count && v.IsArray(); ++j) {
          const Value child = ElementAt(v, program_.indexes[step.list.begin + j]);
          if (!child.IsMissing()) {
            next(child);
          }
        }
        return;
      case StepOp::kFilter:
        if (v.IsArray()) {
          v.ForEachElement([&](Value e) {
            if (Test(step.filter, e)) {
              next(e);
            }
          });
        } else if (v.IsObject() && Test(step.filter, v)) {
          next(v);
        }
        return;
    }
  }

  // `..step`: applies the step to `v` and to every container below it, parents first.
  void Descend(const Step& step, std::uint32_t i, std::uint32_t end, Value v,
               Collector& out) const {
    if (!v.IsContainer()) {
      return;
    }
    // Jayway scans an array with a filter only when the array itself passes it.
    if (step.op != StepOp::kFilter || v.IsObject() || Test(step.filter, v)) {
      Apply(step, i, end, v, out);
    }
    if (v.IsArray()) {
      v.ForEachElement([&](Value child) { Descend(step, i, end, child, out); });
    } else {
      v.ForEachMember([&](std::string_view, Value child) { Descend(step, i, end, child, out); });
    }
  }

  // [start:end:stride] with Python's rules for negative and missing bounds.
  template <typename Next>
  void Slice(const Step& step, Value v, const Next& next) const {
    if (!v.IsArray()) {
      return;
    }
    const auto len = static_cast<std::int64_t>(v.Size());
    const auto clamp = [](std::int64_t x, std::int64_t lo, std::int64_t hi) {
      return x < lo ? lo : (x > hi ? hi : x);
    };
    const auto from_end = [len](std::int64_t x) { return x < 0 ? x + len : x; };
    if (step.stride > 0) {
      const std::int64_t start = step.has_start ? clamp(from_end(step.index), 0, len) : 0;
      const std::int64_t stop = step.has_end ? clamp(from_end(step.end), 0, len) : len;
      std::int64_t index = 0;
      v.AllElements([&](Value e) {
        if (index >= stop) {
          return false;
        }
        if (index >= start && (index - start) % step.stride == 0) {
          next(e);
        }
        ++index;
        return true;
      });
      return;
    }
    const std::int64_t start = step.has_start ? clamp(from_end(step.index), -1, len - 1) : len - 1;
    const std::int64_t stop = step.has_end ? clamp(from_end(step.end), -1, len - 1) : -1;
    if (start <= stop || ctx_.arena == nullptr) {
      return;
    }
    // Document arrays have no random access (At() is O(index)), so copy the window out once and
    // walk it backwards.
    const auto count = static_cast<std::size_t>(start - stop);
    Value* window = ctx_.arena->AllocateArray<Value>(count);
    std::int64_t index = 0;
    v.AllElements([&](Value e) {
      if (index > start) {
        return false;
      }
      if (index > stop) {
        new (&window[index - stop - 1]) Value(e);
      }
      ++index;
      return true;
    });
    for (std::int64_t k = start; k > stop; k += step.stride) {
      next(window[k - stop - 1]);
    }
  }

  bool Test(std::uint32_t node_index, Value current) const {
    const FilterNode& node = program_.filter_nodes[node_index];
    const auto child = [&](std::uint32_t j) {
      return program_.filter_children[node.children.begin + j];
    };
    switch (node.op) {
      case FilterOp::kOr:
        for (std::uint32_t j = 0; j < node.children.count; ++j) {
          if (Test(child(j), current)) {
            return true;
          }
        }
        return false;
      case FilterOp::kAnd:
        for (std::uint32_t j = 0; j < node.children.count; ++j) {
          if (!Test(child(j), current)) {
            return false;
          }
        }
        return true;
      case FilterOp::kNot:
        return !Test(child(0), current);
      case FilterOp::kExists: {
        const Operand& operand = program_.operands[node.lhs];
        const Value v = Resolve(operand, current);
        return operand.definite ? !v.IsMissing() : v.Size() != 0;
      }
      default:
        break;
    }
    const Value lhs = Resolve(program_.operands[node.lhs], current);
    const Operand& rhs_operand = program_.operands[node.rhs];
    if (node.op == FilterOp::kMatch) {
      return Matches(lhs, *rhs_operand.regex);
    }
    const Value rhs = Resolve(rhs_operand, current);
    switch (node.op) {
      case FilterOp::kEq:
        return Equal(lhs, rhs);
      case FilterOp::kNe:
        return !Equal(lhs, rhs);
      case FilterOp::kIn:
        return Contains(rhs, lhs);
      case FilterOp::kNin:
        return !Contains(rhs, lhs);
      default:
        return Ordered(node.op, lhs, rhs);
    }
  }

  Value Resolve(const Operand& operand, Value current) const {
    if (operand.kind == OperandKind::kLiteral) {
      return operand.literal;
    }
    const Value root = Root(operand.kind, operand.variable, current);
    if (operand.definite) {
      return WalkDefinite(root, DefiniteSteps(program_, operand.definite_steps));
    }
    return ctx_.arena == nullptr ? Value::Missing() : Collect(operand.steps, root);
  }

  const PathProgram& program_;
  const EvalContext& ctx_;
};

OperandKind RootKind(PathRoot root) {
  switch (root) {
    case PathRoot::kContext:
      return OperandKind::kContext;
    case PathRoot::kVariable:
      return OperandKind::kVariable;
    default:
      return OperandKind::kInput;
  }
}

}  // namespace

CompiledPath::CompiledPath(std::unique_ptr<internal::PathProgram> program)
    : program_(std::move(program)) {}
CompiledPath::CompiledPath(CompiledPath&&) noexcept = default;
CompiledPath& CompiledPath::operator=(CompiledPath&&) noexcept = default;
CompiledPath::~CompiledPath() = default;

CompileResult<CompiledPath> CompiledPath::Compile(std::string_view text, PathKind kind,
                                                  const CompileOptions& options) {
  auto program = internal::CompilePathProgram(text, kind, options);
  if (!program.has_value()) {
    return Unexpected<CompileError>(std::move(program).error());
  }
  return CompiledPath(std::move(program).value());
}

Value CompiledPath::Select(const EvalContext& ctx) const {
  const PathProgram& program = *program_;
  if (input_field_slot_ != kNoSlot && ctx.input_fields != nullptr) {
    // The template found the first step's field already; walk the rest.
    return WalkDefinite(ctx.input_fields[input_field_slot_],
                        DefiniteSteps(program, program.main_definite).subspan(1));
  }
  const Evaluator evaluator(program, ctx);
  const Value root = evaluator.Root(RootKind(program.root), program.variable, Value::Missing());
  if (program.definite) {
    return WalkDefinite(root, DefiniteSteps(program, program.main_definite));
  }
  if (ctx.arena == nullptr) {
    return Value::Missing();  // a caller error: indefinite paths need somewhere to build
  }
  return evaluator.Collect(program.main, root);
}

bool CompiledPath::is_definite() const { return program_->definite; }
PathRoot CompiledPath::root() const { return program_->root; }
VariableId CompiledPath::variable() const { return program_->variable; }
std::string_view CompiledPath::text() const { return program_->text; }
std::string_view CompiledPath::normalized() const { return program_->normalized; }

std::span<const PathStep> CompiledPath::steps() const {
  return program_->definite ? DefiniteSteps(*program_, program_->main_definite)
                            : std::span<const PathStep>();
}

std::optional<std::string_view> CompiledPath::StartsWithInputField() const {
  const std::span<const PathStep> definite_steps = steps();
  if (program_->root != PathRoot::kInput || definite_steps.empty() ||
      definite_steps.front().kind != PathStep::Kind::kField) {
    return std::nullopt;
  }
  return definite_steps.front().name;
}

}  // namespace stepd
