#pragma once
// Regex: the regular expressions of JSONPath's `=~` filter, in the syntax of java.util.regex
// (which Jayway hands them to), matched against a whole string or searched for in one in time
// linear in its length. CloudWatch Logs filter patterns' %regex% terms, a subset of that
// syntax, use it too.
//
// A backtracking matcher takes time exponential in the text for a nested repetition like
// `(a+)+b`, and libstdc++'s std::regex also recurses once per character, so a long text
// overflows the stack: a definition and an input could hang or crash a worker. Here the pattern
// becomes a Thompson NFA whose states are all followed at once over the text: time is
// O(text × pattern) and memory O(pattern), whatever either holds. What needs backtracking is
// refused when compiling, with a message that names it: back-references, lookaround, atomic
// groups, possessive quantifiers, inline flags and class intersections.
//
// Semantics are Java's Matcher: matches() for FullMatch, find() for Search. `.` is any code
// point but a line terminator, `$` matches at the end or before a final line terminator, \d \w
// \s and \b are ASCII-only, and `ignore_case` folds ASCII letters only (CASE_INSENSITIVE
// without UNICODE_CASE). Texts are UTF-8; a byte that starts no valid sequence is a code point
// of its own that only `.` and negated classes match. Thread-safe once compiled; matching
// allocates only to grow a per-thread buffer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/expected.h"

namespace stepd {

class Regex {
 public:
  // Patterns whose automaton would exceed this many instructions are refused (a repetition
  // count multiplies what it repeats).
  static constexpr std::size_t kMaxInstructions = 20000;
  // Groups nested deeper than this are refused (the compiler recurses on them).
  static constexpr int kMaxDepth = 64;

  // `pattern` compiled, or why it cannot be (a message for the user).
  static Expected<Regex, std::string> Compile(std::string_view pattern, bool ignore_case);

  // Whether the whole of `text` matches.
  bool FullMatch(std::string_view text) const;
  // Whether some part of `text` matches (`^` and `$` still mean its start and end).
  bool Search(std::string_view text) const;

 private:
  friend class RegexCompiler;

  enum class Op : std::uint8_t { kChar, kClass, kAny, kSplit, kJump, kAssert, kMatch };
  enum class Assertion : std::uint8_t {
    kBegin,          // ^ \A
    kEnd,            // \z
    kEndOrFinalEol,  // $ \Z: the end, or just before a line terminator that ends the text
    kWordBoundary,   // \b
    kNotWordBoundary,
  };
  struct Instruction {
    Op op = Op::kMatch;
    Assertion assertion = Assertion::kBegin;  // kAssert
    bool negated = false;                     // kClass
    char32_t c = 0;                           // kChar: the code point, folded when ignoring case
    std::uint32_t x = 0;  // kSplit, kJump: a target; kClass: its first range in ranges_
    std::uint32_t y = 0;  // kSplit: the other target; kClass: one past its last range
  };
  struct Range {
    char32_t low;
    char32_t high;
  };

  bool Run(std::string_view text, bool anywhere) const;
  bool Consumes(const Instruction& in, char32_t c) const;
  bool InRanges(const Instruction& in, char32_t c) const;

  std::vector<Instruction> program_;
  std::vector<Range> ranges_;  // every class's ranges, a slice each
  bool ignore_case_ = false;
};

}  // namespace stepd
