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
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/value.h"

namespace stepd {

class Arena;

// Appends the compact JSON text of `v` to `out`. A Missing value appends nothing, and Missing
// array elements and object members are left out.
void AppendJson(Value v, std::string& out);

// Convenience for edges and tests.
std::string ToJson(Value v);

// The JSON text of `v`, stored in `arena` (for error causes and intrinsic results).
std::string_view ToJsonInArena(Value v, Arena& arena);

// Appends `text` as a quoted, escaped JSON string.
void AppendJsonString(std::string_view text, std::string& out);

// Appends the JSON text of `v` as a JSON string, exactly AppendJsonString(ToJson(v)), in one
// pass: how AWS embeds payloads (StartSyncExecution's output, execution logs' input/output).
void AppendJsonAsString(Value v, std::string& out);

// A piece of an output string: out.substr(offset, length).
struct TextSpan {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

// Where the JSON text of the arrays and objects already appended to one output string sits, so
// that a container written again is referred to rather than written again: an execution log
// repeats each state's input in its output, and states pass most members along unchanged. Keys
// are Value handles, which are equal only for the same view or node, so an entry stays true while
// the documents and arenas behind its Value live unchanged and the output string is only appended
// to: Clear() when either stops being so. Not thread-safe.
class JsonMemo {
 public:
  void Clear() { ++generation_; }

 private:
  friend class JsonMemoAccess;
  struct Entry {
    Value key;
    std::uint32_t offset = 0;  // in the output string
    std::uint32_t length = 0;
    std::uint32_t generation = 0;  // live when equal to generation_
  };
  static constexpr std::size_t kEntries = 256;  // direct-mapped: a collision replaces
  Entry entries_[kEntries];
  std::uint32_t generation_ = 1;
};

// Appends to `spans` the pieces of `out` whose concatenation is v's JSON text (AppendJson(v)):
// the containers `memo` knows are pieces already in `out`, and the rest is appended to `out`.
// Remembers the containers it writes. `out` must stay under 4 GiB.
void AppendJsonSpans(Value v, std::string& out, JsonMemo& memo, std::vector<TextSpan>& spans);

// Writes `d` as Java's Double.toString does into `buffer` (at least 32 bytes); returns the
// length. Non-finite numbers, which JSON cannot hold, are written as "null".
std::size_t FormatDouble(double d, char* buffer);

}  // namespace stepd
