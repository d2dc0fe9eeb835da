#pragma once
// Compact JSON text from a Value tree, byte for byte as AWS Step Functions prints it.
//
// Document views are re-emitted from the parsed tape and arena nodes from the arena, so
// serialising never builds an intermediate tree; a subtree of a lazily parsed input whose text
// is already exactly this output (Value::VerbatimJson) is copied as it is. Strings are escaped as
// AWS does (quote, backslash and control characters; everything else, including non-ASCII and '/',
// raw). Integers print exactly; other numbers print as Java's Double.toString does (1.5, 2.0,
// 1.0E10, 1.0E-5), which is how AWS prints them. Not thread-safe per buffer.

#include <cstddef>
#include <string>
#include <string_view>

#include "jsonpath/value.h"

namespace stepd {

class Arena;

// Appends the compact JSON text of `v` to `out`. A Missing value appends nothing.
void AppendJson(Value v, std::string& out);

// Convenience for edges and tests.
std::string ToJson(Value v);

// The JSON text of `v`, stored in `arena` (for error causes and intrinsic results).
std::string_view ToJsonInArena(Value v, Arena& arena);

// Appends `text` as a quoted, escaped JSON string.
void AppendJsonString(std::string_view text, std::string& out);

// Writes `d` as Java's Double.toString does into `buffer` (at least 32 bytes); returns the
// length. Non-finite numbers, which JSON cannot hold, are written as "null".
std::size_t FormatDouble(double d, char* buffer);

}  // namespace stepd
