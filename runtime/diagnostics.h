#pragma once
// Problems found in a state machine definition, shaped like AWS's
// ValidateStateMachineDefinition diagnostics. Compile-time only: these own their text.

#include <string>
#include <string_view>
#include <vector>

namespace stepd::runtime {

enum class Severity : unsigned char { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;      // AWS's code: "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET"...
  std::string message;   // AWS's sentence, e.g. "These fields are required: [States]"
  std::string location;  // JSON pointer into the definition, e.g. "/States/Fail/ErrorPath"
};

using Diagnostics = std::vector<Diagnostic>;

// True when any diagnostic is an error (warnings alone leave a definition valid).
bool HasErrors(const Diagnostics& diagnostics);

// AWS's one-line rendering used in InvalidDefinition messages: "<code>: <message> at <location>",
// several joined by ", ".
std::string Describe(const Diagnostics& diagnostics);

}  // namespace stepd::runtime
