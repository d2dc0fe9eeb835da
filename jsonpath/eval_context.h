#pragma once
// What a compiled path, template or intrinsic is evaluated against, and the table that turns
// workflow-variable names into dense ids at compile time.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jsonpath/error.h"
#include "jsonpath/value.h"

namespace stepd {

class Arena;

using VariableId = std::uint32_t;

// Evaluation in a loop returns a Value, Missing on failure with the Error stored aside: a
// Result<Value> would go through memory at every level it is passed up. This is that value as a
// Result, for the edges.
inline Result<Value> ValueOrError(Value value, const Error& error) {
  if (value.IsMissing()) {
    return Unexpected(error);
  }
  return value;
}

// No slot in EvalContext::input_fields.
inline constexpr std::uint32_t kNoSlot = 0xFFFFFFFF;

// Interns variable names (`$name`) while a definition compiles, so that evaluation indexes an
// array instead of looking names up. Owned by whatever owns the compiled objects; not
// thread-safe (compile time only).
class VariableTable {
 public:
  VariableId Intern(std::string_view name);
  std::optional<VariableId> Find(std::string_view name) const;
  std::string_view Name(VariableId id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, VariableId> ids_;
};

struct CompileOptions {
  // Where `$name` variable references are interned; when null they are a compile error
  // ("variables are not available here").
  VariableTable* variables = nullptr;
};

// Evaluation inputs. Cheap to copy; every member is a view.
struct EvalContext {
  Value input;                       // `$`: the value paths select from
  Value context;                     // `$$`: the context object (Missing where unavailable)
  std::span<const Value> variables;  // indexed by VariableId; Missing = never assigned
  Arena* arena = nullptr;            // where new nodes (multi-match arrays, results) are built
  // Inside PayloadTemplate::Build(): the members of `input` that the template's paths start
  // with, found in one pass and indexed by CompiledPath's input-field slot. Null elsewhere.
  const Value* input_fields = nullptr;

  Value Variable(VariableId id) const {
    return id < variables.size() ? variables[id] : Value::Missing();
  }
};

}  // namespace stepd
