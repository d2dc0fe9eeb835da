#pragma once
// The error vocabulary shared by every stepd module.
//
// `Error` is what the hot path returns instead of throwing: an ASL error name that Retry and
// Catch match ("States.Runtime", "States.IntrinsicFailure", a user's Fail error...) and a cause
// text. It is trivially copyable and never allocates: `name` and `cause` point at static text,
// at text owned by a compiled machine, or at text in the execution's Arena, and stay valid as
// long as that owner does.
//
// `CompileError` is what compiling a path, template or intrinsic returns. Compilation happens
// once per definition, off the hot path, so it owns its message.

#include <cstddef>
#include <string>
#include <string_view>

#include "jsonpath/expected.h"

namespace stepd {

enum class ErrorCode : unsigned char {
  kRuntime,            // States.Runtime: a path that matched nothing, a wrong type, ...
  kIntrinsicFailure,   // States.IntrinsicFailure
  kResultPathMatch,    // States.ResultPathMatchFailure
  kDataLimitExceeded,  // States.DataLimitExceeded
  kInvalidJson,        // input text that is not JSON
  kUser,               // an error raised by the definition (Fail state, task failure)
};

namespace error_names {
inline constexpr std::string_view kRuntime = "States.Runtime";
inline constexpr std::string_view kIntrinsicFailure = "States.IntrinsicFailure";
inline constexpr std::string_view kResultPathMatchFailure = "States.ResultPathMatchFailure";
inline constexpr std::string_view kDataLimitExceeded = "States.DataLimitExceeded";
}  // namespace error_names

struct [[nodiscard]] Error {
  ErrorCode code = ErrorCode::kRuntime;
  std::string_view name;   // ASL error name
  std::string_view cause;  // may be empty
};

template <typename T>
using Result = Expected<T, Error>;

inline Unexpected<Error> Fail(ErrorCode code, std::string_view name, std::string_view cause) {
  return Unexpected<Error>(Error{code, name, cause});
}
inline Unexpected<Error> RuntimeFailure(std::string_view cause) {
  return Fail(ErrorCode::kRuntime, error_names::kRuntime, cause);
}
inline Unexpected<Error> IntrinsicFailure(std::string_view cause) {
  return Fail(ErrorCode::kIntrinsicFailure, error_names::kIntrinsicFailure, cause);
}

struct CompileError {
  std::string message;       // complete sentence naming the problem, e.g. "unexpected ']' ..."
  std::size_t position = 0;  // byte offset in the compiled text where the problem starts
};

template <typename T>
using CompileResult = Expected<T, CompileError>;

inline Unexpected<CompileError> CompileFailure(std::string message, std::size_t position = 0) {
  return Unexpected<CompileError>(CompileError{std::move(message), position});
}

}  // namespace stepd
