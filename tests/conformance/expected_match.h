#pragma once
// The conformance corpus' comparison rule (shared/conformance/README.md, "placeholder rule"):
// expected strings may hold placeholders like `<uuid:1>` that stand for any substring; objects
// compare by key set, arrays element-wise, numbers by value.

#include <string>
#include <string_view>

#include "jsonpath/value.h"

namespace stepd::conformance {

// True when `text` (an expected string) matches `actual` under the placeholder rule.
bool StringMatches(std::string_view expected, std::string_view actual);

// True when `actual` matches `expected`; on a mismatch `where` names the first differing place.
bool ValueMatches(Value expected, Value actual, std::string& where, const std::string& path = "$");

}  // namespace stepd::conformance
