#pragma once
// ResultPath merge, copy-on-write.
//
// MergeAtPath places `result` into `raw_input` at `path` (a Reference Path rooted at `$`).
// Only the objects on the spine from the root to the insertion point are new (built in the
// arena, each a shallow copy whose other members stay views); everything else is shared.
// A missing member on the way is created as an empty object; an existing member is replaced in
// place, keeping key order; a new member is appended. `$` returns `result` itself.
//
// Fails with States.ResultPathMatchFailure when the spine meets a value that is not an object
// (or, for an index step, not an array with that index), with AWS's wording.

#include "jsonpath/arena.h"
#include "jsonpath/error.h"
#include "jsonpath/path.h"
#include "jsonpath/value.h"

namespace stepd {

Result<Value> MergeAtPath(Value raw_input, const CompiledPath& path, Value result, Arena& arena);

}  // namespace stepd
