#include "jsonpath/regex.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "jsonpath/internal/utf8.h"

namespace stepd {

namespace {

// Code points run to 0x10FFFF; a byte that starts no valid UTF-8 sequence reads as
// kInvalidByteBase + its value, beyond every real one, so only `.` and negated classes match it.
constexpr char32_t kInvalidByteBase = 0x110000;
constexpr char32_t kLastCodePoint = kInvalidByteBase + 0xFF;
constexpr char32_t kNoCodePoint = std::numeric_limits<char32_t>::max();  // before start, at end

struct Decoded {
  char32_t c;
  std::size_t length;
};

// The code point at text[offset] (offset < text.size()); a malformed byte stands for itself.
Decoded DecodeAt(std::string_view text, std::size_t offset) {
  const internal::Utf8Sequence sequence = internal::DecodeUtf8(text, offset);
  if (sequence.length == 0) {
    return {kInvalidByteBase + static_cast<unsigned char>(text[offset]), 1};
  }
  return {sequence.code_point, sequence.length};
}

bool IsAsciiLetter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char32_t FoldAscii(char32_t c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
bool IsWordChar(char32_t c) { return IsAsciiLetter(c) || (c >= '0' && c <= '9') || c == '_'; }
bool IsLineTerminator(char32_t c) {
  return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

// Whether the text from `rest` on is exactly one line terminator (where Java's `$` also matches).
bool IsFinalLineTerminator(std::string_view rest) {
  return rest == "\n" || rest == "\r\n" || rest == "\r" || rest == "\xC2\x85" ||
         rest == "\xE2\x80\xA8" || rest == "\xE2\x80\xA9";
}

}  // namespace

// Parses a pattern into a tree, then emits the tree as NFA instructions (Thompson's
// construction, in the layout of Russ Cox's "Regular Expression Matching: the Virtual Machine
// Approach").
class RegexCompiler {
 public:
  RegexCompiler(std::string_view pattern, bool ignore_case)
      : pattern_(pattern), ignore_case_(ignore_case) {}

  Expected<Regex, std::string> Compile() {
    Node root;
    if (!ParseAlternation(root, 0)) {
      return Unexpected(std::move(error_));
    }
    if (!AtEnd()) {  // only an unmatched ')' stops the top level early
      return Unexpected(std::string("unmatched ')'"));
    }
    if (Size(root) + 1 > Regex::kMaxInstructions) {
      return Unexpected(std::string("the regular expression is too large"));
    }
    regex_.ignore_case_ = ignore_case_;
    Emit(root);
    Add(Regex::Instruction{});  // kMatch
    return std::move(regex_);
  }

 private:
  using Op = Regex::Op;
  using Assertion = Regex::Assertion;
  using Range = Regex::Range;

  struct Node {
    enum class Kind : std::uint8_t {
      kEmpty,
      kChar,
      kClass,
      kAny,
      kAssert,
      kConcat,
      kAlternate,
      kRepeat
    };
    Kind kind = Kind::kEmpty;
    char32_t c = 0;                           // kChar
    Assertion assertion = Assertion::kBegin;  // kAssert
    bool negated = false;                     // kClass
    std::vector<Range> ranges;                // kClass
    std::vector<Node> children;               // kConcat, kAlternate; kRepeat: the one repeated
    std::size_t min = 0;                      // kRepeat
    std::size_t max = 0;                      // kRepeat; kUnbounded: no limit
  };
  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

  bool AtEnd() const { return pos_ >= pattern_.size(); }
  char Peek() const { return AtEnd() ? '\0' : pattern_[pos_]; }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // The next code point of the pattern (which is UTF-8 text).
  char32_t Next() {
    const Decoded d = DecodeAt(pattern_, pos_);
    pos_ += d.length;
    return d.c;
  }

  bool ParseAlternation(Node& out, int depth) {
    if (depth > Regex::kMaxDepth) {
      return Fail("the regular expression is nested too deeply");
    }
    out.kind = Node::Kind::kAlternate;
    for (;;) {
      Node branch;
      if (!ParseConcat(branch, depth)) {
        return false;
      }
      out.children.push_back(std::move(branch));
      if (Peek() != '|') {
        break;
      }
      ++pos_;
    }
    if (out.children.size() == 1) {
      Node only = std::move(out.children.front());
      out = std::move(only);
    }
    return true;
  }

  bool ParseConcat(Node& out, int depth) {
    out.kind = Node::Kind::kConcat;
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      if (pattern_.substr(pos_, 2) == "\\Q") {
        if (!ParseQuoted(out)) {
          return false;
        }
        continue;
      }
      Node atom;
      if (!ParseAtom(atom, depth) || !ParseQuantifiers(atom)) {
        return false;
      }
      out.children.push_back(std::move(atom));
    }
    return true;
  }

  // Reads `{n}`, `{n,}` or `{n,m}` after its '{'.
  bool ParseCount(std::size_t& min, std::size_t& max) {
    const auto number = [&](std::size_t& value) {
      const std::size_t start = pos_;
      value = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        value = std::min<std::size_t>(value * 10 + static_cast<std::size_t>(Peek() - '0'),
                                      Regex::kMaxInstructions + 1);
        ++pos_;
      }
      return pos_ > start;
    };
    if (!number(min)) {
      return Fail("a repetition needs a count, as in {2} or {2,5}");
    }
    max = min;
    if (Peek() == ',') {
      ++pos_;
      max = kUnbounded;
      if (Peek() != '}' && !number(max)) {
        return Fail("a repetition needs a count, as in {2} or {2,5}");
      }
    }
    if (Peek() != '}') {
      return Fail("unclosed repetition count");
    }
    ++pos_;
    if (max < min) {
      return Fail("a repetition's upper count is below its lower one");
    }
    return true;
  }

  bool ParseQuantifiers(Node& atom) {
    const char c = Peek();
    if (c != '*' && c != '+' && c != '?' && c != '{') {
      return true;
    }
    ++pos_;
    std::size_t min = 0;
    std::size_t max = kUnbounded;
    if (c == '+') {
      min = 1;
    } else if (c == '?') {
      max = 1;
    } else if (c == '{' && !ParseCount(min, max)) {
      return false;
    }
    // A lazy quantifier matches the same texts (only what it would capture differs).
    if (Peek() == '?') {
      ++pos_;
    } else if (Peek() == '+') {
      return Fail("possessive quantifiers (like a*+) are not supported");
    }
    if (Peek() == '*' || Peek() == '+' || Peek() == '?' || Peek() == '{') {
      return Fail("a quantifier cannot follow another (like a**)");
    }
    Node repeat;
    repeat.kind = Node::Kind::kRepeat;
    repeat.min = min;
    repeat.max = max;
    repeat.children.push_back(std::move(atom));
    atom = std::move(repeat);
    return true;
  }

  bool ParseAtom(Node& out, int depth) {
    const char c = Peek();
    switch (c) {
      case '(':
        ++pos_;
        return ParseGroup(out, depth);
      case '[':
        ++pos_;
        out.kind = Node::Kind::kClass;
        return ParseClass(out);
      case '.':
        ++pos_;
        out.kind = Node::Kind::kAny;
        return true;
      case '^':
        ++pos_;
        out.kind = Node::Kind::kAssert;
        out.assertion = Assertion::kBegin;
        return true;
      case '$':
        ++pos_;
        out.kind = Node::Kind::kAssert;
        out.assertion = Assertion::kEndOrFinalEol;
        return true;
      case '\\':
        ++pos_;
        return ParseEscape(out);
      case '*':
      case '+':
      case '?':
      case '{':
        return Fail(std::string("the quantifier '") + c + "' has nothing to repeat");
      default:
        out.kind = Node::Kind::kChar;
        out.c = Next();
        return true;
    }
  }

  // After '('.
  bool ParseGroup(Node& out, int depth) {
    if (Peek() == '?') {
      ++pos_;
      const char kind = Peek();
      if (kind == ':') {
        ++pos_;
      } else if (kind == '<' && pos_ + 1 < pattern_.size() && pattern_[pos_ + 1] != '=' &&
                 pattern_[pos_ + 1] != '!') {
        const std::size_t close = pattern_.find('>', pos_);
        if (close == std::string_view::npos) {
          return Fail("unclosed group name");
        }
        pos_ = close + 1;  // a named group matches what its contents match
      } else if (kind == '=' || kind == '!' || kind == '<') {
        return Fail("lookahead and lookbehind groups are not supported");
      } else if (kind == '>') {
        return Fail("atomic groups (?>...) are not supported");
      } else {
        return Fail("inline flags like (?i) are not supported; use the /i suffix");
      }
    }
    if (!ParseAlternation(out, depth + 1)) {
      return false;
    }
    if (Peek() != ')') {
      return Fail("unclosed group");
    }
    ++pos_;
    return true;
  }

  static void AddDigits(std::vector<Range>& ranges) { ranges.push_back({'0', '9'}); }
  static void AddWord(std::vector<Range>& ranges) {
    ranges.insert(ranges.end(), {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}});
  }
  static void AddSpace(std::vector<Range>& ranges) {
    ranges.insert(ranges.end(), {{'\t', '\r'}, {' ', ' '}});  // \t \n \x0B \f \r and space
  }
  // `ranges` complemented over every code point.
  static std::vector<Range> Complement(std::vector<Range> ranges) {
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& a, const Range& b) { return a.low < b.low; });
    std::vector<Range> out;
    char32_t next = 0;
    for (const Range& r : ranges) {
      if (r.low > next) {
        out.push_back({next, r.low - 1});
      }
      next = std::max<char32_t>(next, r.high + 1);
    }
    if (next <= kLastCodePoint) {
      out.push_back({next, kLastCodePoint});
    }
    return out;
  }

  // The ranges of \d \D \w \W \s \S for the letter after the backslash; false for others.
  static bool PredefinedClass(char letter, std::vector<Range>& ranges) {
    std::vector<Range> own;
    switch (letter | 0x20) {
      case 'd':
        AddDigits(own);
        break;
      case 'w':
        AddWord(own);
        break;
      case 's':
        AddSpace(own);
        break;
      default:
        return false;
    }
    if (letter >= 'A' && letter <= 'Z') {
      own = Complement(std::move(own));
    }
    ranges.insert(ranges.end(), own.begin(), own.end());
    return true;
  }

  // A single code point written as an escape (after the backslash): \t \n \r \f \a \e \0oct
  // \xhh \x{h...} \uhhhh \cX, or a non-alphanumeric character standing for itself.
  bool ParseEscapedCodePoint(char32_t& out) {
    if (AtEnd()) {
      return Fail("the regular expression ends with a lone backslash");
    }
    const char32_t c = Next();
    switch (c) {
      case 't':
        out = '\t';
        return true;
      case 'n':
        out = '\n';
        return true;
      case 'r':
        out = '\r';
        return true;
      case 'f':
        out = '\f';
        return true;
      case 'a':
        out = 0x07;
        return true;
      case 'e':
        out = 0x1B;
        return true;
      case '0': {
        out = 0;
        int digits = 0;
        while (digits < 3 && Peek() >= '0' && Peek() <= '7' &&
               out * 8 + static_cast<char32_t>(Peek() - '0') <= 0377) {
          out = out * 8 + static_cast<char32_t>(Peek() - '0');
          ++pos_;
          ++digits;
        }
        return digits > 0 || Fail("an octal escape needs digits, as in \\012");
      }
      case 'c':
        if (AtEnd()) {
          return Fail("\\c needs a letter after it");
        }
        out = Next() ^ 0x40;
        return true;
      case 'x':
      case 'u':
        return ParseHex(c, out);
      default:
        break;
    }
    if (IsAsciiLetter(c) || (c >= '0' && c <= '9')) {
      if (c >= '1' && c <= '9') {
        return Fail("back-references (like \\1) are not supported");
      }
      return Fail(std::string("the escape \\") + static_cast<char>(c) + " is not supported");
    }
    out = c;
    return true;
  }

  // \xhh, \x{h...} or \uhhhh, after the letter.
  bool ParseHex(char32_t letter, char32_t& out) {
    const bool braced = letter == 'x' && Peek() == '{';
    pos_ += braced ? 1 : 0;
    const std::size_t end = braced ? pattern_.find('}', pos_) : pos_ + (letter == 'u' ? 4 : 2);
    if (end > pattern_.size() || end == pos_) {
      return Fail("a malformed hexadecimal escape");
    }
    const char* first = pattern_.data() + pos_;
    const char* last = pattern_.data() + end;
    std::uint32_t value = 0;
    const auto [stop, error] = std::from_chars(first, last, value, 16);
    if (error != std::errc() || stop != last || value > 0x10FFFF) {
      return Fail("a malformed hexadecimal escape");
    }
    out = value;
    pos_ = end + (braced ? 1 : 0);
    return true;
  }

  // After a backslash outside a class.
  bool ParseEscape(Node& out) {
    const char letter = Peek();
    if (PredefinedClass(letter, out.ranges)) {
      ++pos_;
      out.kind = Node::Kind::kClass;
      return true;
    }
    out.kind = Node::Kind::kAssert;
    switch (letter) {
      case 'b':
        out.assertion = Assertion::kWordBoundary;
        break;
      case 'B':
        out.assertion = Assertion::kNotWordBoundary;
        break;
      case 'A':
        out.assertion = Assertion::kBegin;
        break;
      case 'z':
        out.assertion = Assertion::kEnd;
        break;
      case 'Z':
        out.assertion = Assertion::kEndOrFinalEol;
        break;
      case 'k':
        return Fail("back-references (like \\k<name>) are not supported");
      default:
        out.kind = Node::Kind::kChar;
        return ParseEscapedCodePoint(out.c);
    }
    ++pos_;
    return true;
  }

  // \Q...\E: every character up to \E (or the end) stands for itself, as if escaped, so a
  // quantifier after \E applies to the last one. Appends them to `concat`.
  bool ParseQuoted(Node& concat) {
    pos_ += 2;  // "\Q"
    const std::size_t end = std::min(pattern_.find("\\E", pos_), pattern_.size());
    while (pos_ < end) {
      Node literal;
      literal.kind = Node::Kind::kChar;
      literal.c = Next();
      concat.children.push_back(std::move(literal));
    }
    pos_ = std::min(end + 2, pattern_.size());
    return concat.children.empty() || ParseQuantifiers(concat.children.back());
  }

  // A class's contents, after '['.
  bool ParseClass(Node& out) {
    if (Peek() == '^') {
      out.negated = true;
      ++pos_;
    }
    bool first = true;
    for (;;) {
      if (AtEnd()) {
        return Fail("unclosed character class");
      }
      if (Peek() == ']' && !first) {
        ++pos_;
        return true;
      }
      first = false;
      if (pattern_.substr(pos_, 2) == "&&") {
        return Fail("character class intersections (&&) are not supported");
      }
      if (Peek() == '\\' && pos_ + 1 < pattern_.size() &&
          PredefinedClass(pattern_[pos_ + 1], out.ranges)) {
        pos_ += 2;
        continue;
      }
      char32_t low = 0;
      if (!ParseClassCodePoint(low)) {
        return false;
      }
      char32_t high = low;
      if (Peek() == '-' && pos_ + 1 < pattern_.size() && pattern_[pos_ + 1] != ']') {
        ++pos_;
        if (!ParseClassCodePoint(high)) {
          return false;
        }
        if (high < low) {
          return Fail("a character class range is out of order");
        }
      }
      out.ranges.push_back({low, high});
    }
  }

  // One code point of a class, written or escaped.
  bool ParseClassCodePoint(char32_t& out) {
    if (Peek() == '[') {
      return Fail("nested character classes are not supported");
    }
    if (Peek() == '\\') {
      ++pos_;
      return ParseEscapedCodePoint(out);
    }
    out = Next();
    return true;
  }

  // Instructions Emit() writes for `node`, saturating far above the limit.
  static std::size_t Size(const Node& node) {
    constexpr std::size_t kCap = Regex::kMaxInstructions + 1;
    switch (node.kind) {
      case Node::Kind::kEmpty:
        return 0;
      case Node::Kind::kChar:
      case Node::Kind::kClass:
      case Node::Kind::kAny:
      case Node::Kind::kAssert:
        return 1;
      case Node::Kind::kConcat:
      case Node::Kind::kAlternate: {
        std::size_t total = node.kind == Node::Kind::kAlternate ? 2 * node.children.size() : 0;
        for (const Node& child : node.children) {
          total = std::min(total + Size(child), kCap);
        }
        return total;
      }
      case Node::Kind::kRepeat: {
        const std::size_t each = Size(node.children.front());
        const std::size_t optional = node.max == kUnbounded ? 1 : node.max - node.min;
        const std::size_t copies = std::min(node.min + optional, kCap);
        return std::min(copies * (each + 2), kCap);
      }
    }
    return kCap;
  }

  std::uint32_t Here() const { return static_cast<std::uint32_t>(regex_.program_.size()); }
  std::uint32_t Add(Regex::Instruction in) {
    regex_.program_.push_back(in);
    return Here() - 1;
  }
  // A split whose first way is the instruction after it; the caller sets the other (y).
  std::uint32_t AddSplit() {
    Regex::Instruction split{Op::kSplit};
    split.x = Here() + 1;
    return Add(split);
  }

  void Emit(const Node& node) {
    Regex::Instruction in;
    switch (node.kind) {
      case Node::Kind::kEmpty:
        return;
      case Node::Kind::kChar:
        in.op = Op::kChar;
        in.c = ignore_case_ ? FoldAscii(node.c) : node.c;
        Add(in);
        return;
      case Node::Kind::kClass:
        in.op = Op::kClass;
        in.negated = node.negated;
        in.x = static_cast<std::uint32_t>(regex_.ranges_.size());
        regex_.ranges_.insert(regex_.ranges_.end(), node.ranges.begin(), node.ranges.end());
        in.y = static_cast<std::uint32_t>(regex_.ranges_.size());
        Add(in);
        return;
      case Node::Kind::kAny:
        in.op = Op::kAny;
        Add(in);
        return;
      case Node::Kind::kAssert:
        in.op = Op::kAssert;
        in.assertion = node.assertion;
        Add(in);
        return;
      case Node::Kind::kConcat:
        for (const Node& child : node.children) {
          Emit(child);
        }
        return;
      case Node::Kind::kAlternate:
        return EmitAlternation(node.children);
      case Node::Kind::kRepeat:
        return EmitRepeat(node);
    }
  }

  // split L1, next; L1: first; jump end; next: split L2, ...; last; end:
  void EmitAlternation(const std::vector<Node>& branches) {
    std::vector<std::uint32_t> jumps;
    for (std::size_t i = 0; i < branches.size(); ++i) {
      const bool last = i + 1 == branches.size();
      std::uint32_t split = 0;
      if (!last) {
        split = AddSplit();
      }
      Emit(branches[i]);
      if (!last) {
        jumps.push_back(Add({Op::kJump}));
        regex_.program_[split].y = Here();
      }
    }
    for (const std::uint32_t jump : jumps) {
      regex_.program_[jump].x = Here();
    }
  }

  // `min` copies, then either a loop (split body, end; body; jump back) or max - min optional
  // copies that each may skip to the end.
  void EmitRepeat(const Node& node) {
    const Node& body = node.children.front();
    for (std::size_t i = 0; i < node.min; ++i) {
      Emit(body);
    }
    if (node.max == kUnbounded) {
      const std::uint32_t split = AddSplit();
      Emit(body);
      Regex::Instruction back{Op::kJump};
      back.x = split;
      Add(back);
      regex_.program_[split].y = Here();
      return;
    }
    std::vector<std::uint32_t> splits;
    for (std::size_t i = node.min; i < node.max; ++i) {
      splits.push_back(AddSplit());
      Emit(body);
    }
    for (const std::uint32_t split : splits) {
      regex_.program_[split].y = Here();
    }
  }

  std::string_view pattern_;
  bool ignore_case_;
  std::size_t pos_ = 0;
  std::string error_;
  Regex regex_;
};

Expected<Regex, std::string> Regex::Compile(std::string_view pattern, bool ignore_case) {
  return RegexCompiler(pattern, ignore_case).Compile();
}

bool Regex::InRanges(const Instruction& in, char32_t c) const {
  for (std::uint32_t i = in.x; i < in.y; ++i) {
    if (c >= ranges_[i].low && c <= ranges_[i].high) {
      return true;
    }
  }
  return false;
}

bool Regex::Consumes(const Instruction& in, char32_t c) const {
  switch (in.op) {
    case Op::kChar:
      return (ignore_case_ ? FoldAscii(c) : c) == in.c;
    case Op::kAny:
      return !IsLineTerminator(c);
    case Op::kClass: {
      const bool in_class =
          InRanges(in, c) || (ignore_case_ && IsAsciiLetter(c) && InRanges(in, c ^ 0x20));
      return in_class != in.negated;
    }
    default:
      return false;
  }
}

namespace {

// The matcher's working memory, kept per thread so that matching allocates only to grow.
struct NfaScratch {
  std::vector<std::uint32_t> current;  // instructions waiting for the next code point
  std::vector<std::uint32_t> next;
  std::vector<std::uint32_t> stack;
  std::vector<std::uint32_t> marks;  // marks[pc] == stamp: pc is already on the list being built
  std::uint32_t stamp = 0;

  void NewList(std::size_t program_size) {
    if (marks.size() < program_size) {
      marks.resize(program_size, 0);
    }
    if (++stamp == 0) {  // wrapped: forget every old mark
      std::fill(marks.begin(), marks.end(), 0);
      stamp = 1;
    }
  }
};

// Where the matcher stands in the text: between `before` and `after` (kNoCodePoint at either
// end), `rest` being the text from there on.
struct Position {
  char32_t before;
  char32_t after;
  std::string_view rest;
};

}  // namespace

bool Regex::FullMatch(std::string_view text) const { return Run(text, false); }

bool Regex::Search(std::string_view text) const { return Run(text, true); }

// Follows every thread of the automaton over `text` at once. A search also starts a thread at
// every position, and ends as soon as any thread reaches the match.
bool Regex::Run(std::string_view text, bool anywhere) const {
  thread_local NfaScratch scratch;
  const auto holds = [](Assertion a, const Position& at) {
    switch (a) {
      case Assertion::kBegin:
        return at.before == kNoCodePoint;
      case Assertion::kEnd:
        return at.rest.empty();
      case Assertion::kEndOrFinalEol:
        return at.rest.empty() || IsFinalLineTerminator(at.rest);
      case Assertion::kWordBoundary:
        return IsWordChar(at.before) != IsWordChar(at.after);
      case Assertion::kNotWordBoundary:
        return IsWordChar(at.before) == IsWordChar(at.after);
    }
    return false;
  };
  // Adds `pc` and everything reachable from it without reading (jumps, splits and assertions
  // that hold at `at`) to `list`, each instruction once.
  const auto add = [&](std::vector<std::uint32_t>& list, std::uint32_t pc, const Position& at) {
    scratch.stack.push_back(pc);
    while (!scratch.stack.empty()) {
      const std::uint32_t i = scratch.stack.back();
      scratch.stack.pop_back();
      if (scratch.marks[i] == scratch.stamp) {
        continue;
      }
      scratch.marks[i] = scratch.stamp;
      const Instruction& in = program_[i];
      switch (in.op) {
        case Op::kJump:
          scratch.stack.push_back(in.x);
          break;
        case Op::kSplit:
          scratch.stack.push_back(in.y);
          scratch.stack.push_back(in.x);
          break;
        case Op::kAssert:
          if (holds(in.assertion, at)) {
            scratch.stack.push_back(i + 1);
          }
          break;
        default:
          list.push_back(i);
          break;
      }
    }
  };
  const auto decode_at = [&](std::size_t offset) {
    return offset < text.size() ? DecodeAt(text, offset) : Decoded{kNoCodePoint, 0};
  };

  const auto matched = [&] {
    return std::any_of(scratch.current.begin(), scratch.current.end(),
                       [&](std::uint32_t pc) { return program_[pc].op == Op::kMatch; });
  };

  std::size_t offset = 0;
  Decoded here = decode_at(0);
  scratch.current.clear();
  scratch.NewList(program_.size());
  add(scratch.current, 0, Position{kNoCodePoint, here.c, text});
  if (anywhere && matched()) {
    return true;
  }
  while (offset < text.size() && (anywhere || !scratch.current.empty())) {
    const std::size_t after = offset + here.length;
    const Decoded next = decode_at(after);
    const Position at{here.c, next.c, text.substr(after)};
    scratch.next.clear();
    scratch.NewList(program_.size());
    for (const std::uint32_t pc : scratch.current) {
      if (Consumes(program_[pc], here.c)) {
        add(scratch.next, pc + 1, at);
      }
    }
    if (anywhere) {
      add(scratch.next, 0, at);
    }
    std::swap(scratch.current, scratch.next);
    offset = after;
    here = next;
    if (anywhere && matched()) {
      return true;
    }
  }
  if (anywhere || offset < text.size()) {
    return false;  // no substring matched, or every thread died before the end
  }
  return matched();
}

}  // namespace stepd
