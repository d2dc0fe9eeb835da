#pragma once
// The call tree of an intrinsic function invocation, and the parser that builds it.
//
// ParseIntrinsic() turns `States.Format('{} x', $.a, States.UUID())` into an IntrinsicCall
// whose arguments are literals (strings unescaped into storage the tree owns), compiled paths
// and nested calls. The tree is immutable once built; CompiledIntrinsic (intrinsics.h) owns the
// root and evaluates it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "jsonpath/error.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/path.h"
#include "jsonpath/value.h"

namespace stepd::internal {

enum class IntrinsicFunction : std::uint8_t {
  kFormat,
  kStringToJson,
  kJsonToString,
  kArray,
  kArrayPartition,
  kArrayContains,
  kArrayRange,
  kArrayGetItem,
  kArrayLength,
  kArrayUnique,
  kBase64Encode,
  kBase64Decode,
  kHash,
  kJsonMerge,
  kMathRandom,
  kMathAdd,
  kStringSplit,
  kUuid,
};

struct IntrinsicSignature {
  std::string_view name;  // as written: "States.Format"
  IntrinsicFunction function;
  std::uint8_t min_args;
  std::uint8_t max_args;  // kVariadic: no upper bound
};

inline constexpr std::uint8_t kVariadic = 0xFF;

// The signature of `function`; every enumerator has one.
const IntrinsicSignature& SignatureOf(IntrinsicFunction function);

struct IntrinsicCall;

struct IntrinsicArg {
  enum class Kind : std::uint8_t { kLiteral, kPath, kCall };

  Kind kind = Kind::kLiteral;
  std::size_t position = 0;             // byte offset of the argument in the compiled text
  Value literal;                        // kLiteral; a string points into `storage`
  std::unique_ptr<char[]> storage;      // the unescaped bytes of a string literal
  std::optional<CompiledPath> path;     // kPath
  std::unique_ptr<IntrinsicCall> call;  // kCall
};

struct IntrinsicCall {
  IntrinsicFunction function = IntrinsicFunction::kArray;
  std::size_t position = 0;  // byte offset of `States.` in the compiled text
  std::vector<IntrinsicArg> args;
  // When the template of States.Format is a literal, it is split at its `{}` placeholders once
  // here (escaped `\{` `\}` are already plain braces in the pieces): pieces.size() - 1
  // placeholders. Views into args[0].storage. Empty for every other call.
  std::vector<std::string_view> format_pieces;
  bool has_literal_template = false;
};

// Parses a whole intrinsic invocation. Errors carry the byte offset of the problem in `text`.
CompileResult<std::unique_ptr<IntrinsicCall>> ParseIntrinsic(std::string_view text,
                                                             const CompileOptions& options);

}  // namespace stepd::internal
