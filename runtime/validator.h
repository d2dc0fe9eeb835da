#pragma once
// The rules AWS enforces on a definition at CreateStateMachine and
// ValidateStateMachineDefinition: structure, the fields each state type allows and requires,
// their types and ranges, transitions and reachability, terminal states, Paths vs Reference
// Paths, payload templates and intrinsics, query-language rules and the Express restrictions.
// Every problem is reported at once, as AWS-shaped diagnostics.

#include <string_view>

#include "jsonpath/value.h"
#include "runtime/diagnostics.h"

namespace stepd::runtime {

enum class MachineType : unsigned char { kExpress, kStandard };

struct ValidationOptions {
  MachineType type = MachineType::kExpress;
};

// Validates definition text (which may not even be JSON).
Diagnostics ValidateDefinition(std::string_view definition_text,
                               const ValidationOptions& options = {});

// Validates an already parsed definition.
Diagnostics ValidateDefinition(Value definition, const ValidationOptions& options = {});

}  // namespace stepd::runtime
