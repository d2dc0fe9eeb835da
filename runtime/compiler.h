#pragma once
// Definition text -> validated, immutable CompiledMachine.
//
// Compile() validates first (every problem reported at once, see validator.h) and only then
// builds the machine, so a CompiledMachine always describes a definition AWS would accept.

#include <memory>
#include <string_view>

#include "jsonpath/expected.h"
#include "runtime/diagnostics.h"
#include "runtime/machine.h"
#include "runtime/validator.h"

namespace stepd::runtime {

using MachineResult = Expected<std::shared_ptr<const CompiledMachine>, Diagnostics>;

MachineResult Compile(std::string_view definition_text, const ValidationOptions& options = {});

}  // namespace stepd::runtime
