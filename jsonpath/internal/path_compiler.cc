// The JSONPath compiler: text -> PathProgram (see path_program.h and path.h for the syntax).
//
// A recursive-descent parser over the path text. Every recursion into a filter, a parenthesis,
// a `!` or a literal array counts towards kMaxNesting, so hostile text is rejected instead of
// exhausting the stack. The first problem found ends compilation; its message names the path
// and the byte offset.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "jsonpath/internal/path_program.h"

namespace stepd::internal {
namespace {

constexpr int kMaxNesting = 64;
// The evaluator recurses once per step that can match several nodes; bound that depth too.
constexpr int kMaxIndefiniteSteps = 256;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// Variable names are Unicode identifiers; any non-ASCII byte is accepted as part of one
// rather than decoding UTF-8 and consulting the ID_Start/ID_Continue tables.
bool IsIdStart(char c) {
  return IsAsciiLetter(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdContinue(char c) { return IsIdStart(c) || IsDigit(c); }

// Ends a dot-notation name. Jayway stops names at '.', '[' and '(' and rejects blanks; ']' and
// ')' end them too, so that a stray bracket is reported rather than swallowed into a name.
// Inside a filter the expression's operators and separators end a name as well.
bool EndsDotName(char c, bool in_filter) {
  switch (c) {
    case '.':
    case '[':
    case ']':
    case '(':
    case ')':
    case ' ':
    case '\t':
    case '\n':
    case '\r':
      return true;
    case '=':
    case '!':
    case '<':
    case '>':
    case '&':
    case '|':
    case ',':
      return in_filter;
    default:
      return false;
  }
}

void AppendUtf8(std::uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

std::uint32_t ToIndex(std::size_t n) { return static_cast<std::uint32_t>(n); }

// What ParsePath learned about one path.
struct PathInfo {
  OperandKind root = OperandKind::kInput;
  VariableId variable = 0;
  std::size_t root_end = 0;  // offset just past the root, for rendering it as written
  Range steps;
  Range definite_steps;
  bool definite = true;
  std::size_t first_indefinite = 0;  // offset of the first step that makes it indefinite
};

class Compiler {
 public:
  Compiler(std::string_view text, const CompileOptions& options, PathProgram& program)
      : text_(text), options_(options), program_(program) {}

  // Parses the whole text into program_; returns false (with error()) on the first problem.
  bool Run(PathKind kind);
  CompileError& error() { return error_; }

 private:
  bool ParsePath(bool in_filter, int depth, PathInfo& info);
  bool ParseBracket(int depth, Step& step);
  bool ParseNames(Step& step);
  bool ParseIndexes(Step& step);
  bool ParseOptionalInt(std::optional<std::int64_t>& out);
  bool ParseFilterStep(int depth, Step& step);
  bool ParseOr(int depth, std::uint32_t& node);
  bool ParseAnd(int depth, std::uint32_t& node);
  bool ParseUnary(int depth, std::uint32_t& node);
  bool ParseComparison(int depth, std::uint32_t& node);
  bool ReadOperator(FilterOp& op);
  bool ParseOperand(int depth, std::uint32_t& index);
  bool ParseLiteral(int depth, Value& out);
  bool ParseNumber(Value& out);
  bool ParseRegex(Operand& operand);
  bool ParseQuoted(std::string& out);
  bool ParseUnicodeEscape(std::string& out);
  bool ReadHex4(std::uint32_t& out);

  std::string_view Store(std::string_view text);
  std::uint32_t AddNode(FilterOp op, const std::vector<std::uint32_t>& children);
  std::string Render(const PathInfo& info) const;

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool LookingAt(std::string_view token) const { return text_.substr(pos_).starts_with(token); }
  bool LookingAtWord(std::string_view word) const {
    return LookingAt(word) && !IsIdContinue(Peek(word.size()));
  }
  void SkipSpaces() {
    while (!AtEnd() && IsSpace(text_[pos_])) {
      ++pos_;
    }
  }
  // Records an error when `depth` exceeds the nesting limit.
  bool TooDeep(int depth) {
    if (depth <= kMaxNesting) {
      return false;
    }
    Fail("the filter is nested too deeply", pos_);
    return true;
  }
  bool Fail(std::string_view problem, std::size_t at);

  std::string_view text_;
  const CompileOptions& options_;
  PathProgram& program_;
  std::size_t pos_ = 0;
  int indefinite_steps_ = 0;  // in the whole program, nested paths included
  CompileError error_;
};

bool Compiler::Fail(std::string_view problem, std::size_t at) {
  error_.message = "Invalid JSONPath '";
  error_.message.append(text_);
  error_.message.append("': ");
  error_.message.append(problem);
  error_.message.append(" at offset ");
  error_.message.append(std::to_string(at));
  error_.position = at;
  return false;
}

// Copies `text` into the program. An empty name still gets a non-null pointer: simdjson's key
// comparison passes it to memcmp, which must not see null even for zero bytes.
std::string_view Compiler::Store(std::string_view text) {
  return text.empty() ? std::string_view("") : program_.storage.CopyString(text);
}

bool Compiler::Run(PathKind kind) {
  PathInfo info;
  if (!ParsePath(/*in_filter=*/false, 0, info)) {
    return false;
  }
  if (!AtEnd()) {
    return Fail("unexpected character", pos_);
  }
  if (kind == PathKind::kReferencePath && !info.definite) {
    error_.message = "'" + std::string(text_) +
                     "' is not a valid Reference Path: wildcards, filters, slices, unions and "
                     "recursive descent are not allowed (found at offset " +
                     std::to_string(info.first_indefinite) + ")";
    error_.position = info.first_indefinite;
    return false;
  }
  switch (info.root) {
    case OperandKind::kContext:
      program_.root = PathRoot::kContext;
      break;
    case OperandKind::kVariable:
      program_.root = PathRoot::kVariable;
      break;
    default:
      program_.root = PathRoot::kInput;
      break;
  }
  program_.variable = info.variable;
  program_.definite = info.definite;
  program_.main = info.steps;
  program_.main_definite = info.definite_steps;
  program_.normalized = Render(info);
  return true;
}

bool Compiler::ParsePath(bool in_filter, int depth, PathInfo& info) {
  const std::size_t start = pos_;
  if (in_filter && Peek() == '@') {
    info.root = OperandKind::kCurrent;
    ++pos_;
  } else if (Peek() == '$') {
    ++pos_;
    if (Peek() == '$') {
      info.root = OperandKind::kContext;
      ++pos_;
    } else if (IsIdStart(Peek())) {
      const std::size_t name_start = pos_;
      while (!AtEnd() && IsIdContinue(text_[pos_])) {
        ++pos_;
      }
      if (options_.variables == nullptr) {
        return Fail("variables are not available here", start);
      }
      info.root = OperandKind::kVariable;
      info.variable = options_.variables->Intern(text_.substr(name_start, pos_ - name_start));
    } else {
      info.root = OperandKind::kInput;
    }
  } else {
    return Fail(in_filter ? "expected a value or a path" : "a path must start with '$'", pos_);
  }
  info.root_end = pos_;

  std::vector<Step> steps;
  for (;;) {
    const std::size_t step_start = pos_;
    Step step;
    if (Peek() == '.') {
      step.descent = Peek(1) == '.';
      pos_ += step.descent ? 2 : 1;
      if (step.descent && Peek() == '[') {
        if (!ParseBracket(depth, step)) {
          return false;
        }
      } else if (Peek() == '*') {
        step.op = StepOp::kWildcard;
        ++pos_;
      } else if (AtEnd() || EndsDotName(Peek(), in_filter)) {
        return Fail(step.descent ? "expected a name, '*' or '[' after '..'"
                                 : "expected a name or '*' after '.'",
                    pos_);
      } else {
        const std::size_t name_start = pos_;
        while (!AtEnd() && !EndsDotName(text_[pos_], in_filter)) {
          ++pos_;
        }
        if (Peek() == '(') {
          return Fail("functions such as length() are not supported", name_start);
        }
        step.op = StepOp::kField;
        step.name = Store(text_.substr(name_start, pos_ - name_start));
      }
    } else if (Peek() == '[') {
      if (!ParseBracket(depth, step)) {
        return false;
      }
    } else {
      break;
    }
    if (IsIndefinite(step)) {
      if (++indefinite_steps_ > kMaxIndefiniteSteps) {
        return Fail("too many wildcards, slices, unions, filters and recursive descents",
                    step_start);
      }
      if (info.definite) {
        info.definite = false;
        info.first_indefinite = step_start;
      }
    }
    steps.push_back(step);
  }

  info.steps = {ToIndex(program_.steps.size()), ToIndex(steps.size())};
  program_.steps.insert(program_.steps.end(), steps.begin(), steps.end());
  if (info.definite) {
    info.definite_steps = {ToIndex(program_.definite_steps.size()), ToIndex(steps.size())};
    for (const Step& step : steps) {
      PathStep out;
      out.kind = step.op == StepOp::kField ? PathStep::Kind::kField : PathStep::Kind::kIndex;
      out.name = step.name;
      out.index = step.index;
      program_.definite_steps.push_back(out);
    }
  }
  return true;
}

bool Compiler::ParseBracket(int depth, Step& step) {
  ++pos_;  // '['
  SkipSpaces();
  const char c = Peek();
  bool ok = false;
  if (c == '*' && !AtEnd()) {
    step.op = StepOp::kWildcard;
    ++pos_;
    ok = true;
  } else if (c == '\'' || c == '"') {
    ok = ParseNames(step);
  } else if (c == '?') {
    ok = ParseFilterStep(depth, step);
  } else if (IsDigit(c) || c == '-' || c == ':') {
    ok = ParseIndexes(step);
  } else {
    return Fail("expected an index, a name, '*' or a filter", pos_);
  }
  if (!ok) {
    return false;
  }
  SkipSpaces();
  if (Peek() != ']' || AtEnd()) {
    return Fail("expected ']'", pos_);
  }
  ++pos_;
  return true;
}

bool Compiler::ParseNames(Step& step) {
  std::vector<std::string_view> names;
  std::string name;
  for (;;) {
    name.clear();
    if (!ParseQuoted(name)) {
      return false;
    }
    names.push_back(Store(name));
    SkipSpaces();
    if (Peek() != ',') {
      break;
    }
    ++pos_;
    SkipSpaces();
    if (Peek() != '\'' && Peek() != '"') {
      return Fail("expected a quoted name", pos_);
    }
  }
  if (names.size() == 1) {
    step.op = StepOp::kField;
    step.name = names.front();
    return true;
  }
  step.op = StepOp::kFieldUnion;
  step.list = {ToIndex(program_.names.size()), ToIndex(names.size())};
  program_.names.insert(program_.names.end(), names.begin(), names.end());
  return true;
}

bool Compiler::ParseIndexes(Step& step) {
  std::optional<std::int64_t> first;
  if (!ParseOptionalInt(first)) {
    return false;
  }
  SkipSpaces();
  if (Peek() == ':') {
    ++pos_;
    SkipSpaces();
    std::optional<std::int64_t> end;
    std::optional<std::int64_t> stride;
    if (!ParseOptionalInt(end)) {
      return false;
    }
    SkipSpaces();
    if (Peek() == ':') {
      ++pos_;
      SkipSpaces();
      const std::size_t stride_at = pos_;
      if (!ParseOptionalInt(stride)) {
        return false;
      }
      if (stride == 0) {
        return Fail("a slice step cannot be 0", stride_at);
      }
    }
    step.op = StepOp::kSlice;
    step.has_start = first.has_value();
    step.index = first.value_or(0);
    step.has_end = end.has_value();
    step.end = end.value_or(0);
    step.stride = stride.value_or(1);
    return true;
  }
  if (!first) {
    return Fail("expected an index", pos_);
  }
  if (Peek() != ',') {
    step.op = StepOp::kIndex;
    step.index = *first;
    return true;
  }
  std::vector<std::int64_t> indexes{*first};
  while (Peek() == ',') {
    ++pos_;
    SkipSpaces();
    std::optional<std::int64_t> next;
    if (!ParseOptionalInt(next)) {
      return false;
    }
    if (!next) {
      return Fail("expected an index", pos_);
    }
    indexes.push_back(*next);
    SkipSpaces();
  }
  step.op = StepOp::kIndexUnion;
  step.list = {ToIndex(program_.indexes.size()), ToIndex(indexes.size())};
  program_.indexes.insert(program_.indexes.end(), indexes.begin(), indexes.end());
  return true;
}

bool Compiler::ParseOptionalInt(std::optional<std::int64_t>& out) {
  const char c = Peek();
  if (!IsDigit(c) && c != '-') {
    return true;
  }
  const std::size_t start = pos_;
  if (c == '-') {
    ++pos_;
  }
  if (!IsDigit(Peek())) {
    return Fail("expected digits", pos_);
  }
  while (IsDigit(Peek())) {
    ++pos_;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value);
  if (ec != std::errc()) {
    return Fail("the index is out of range", start);
  }
  out = value;
  return true;
}

bool Compiler::ParseFilterStep(int depth, Step& step) {
  ++pos_;  // '?'
  SkipSpaces();
  if (Peek() != '(') {
    return Fail("expected '(' after '?'", pos_);
  }
  ++pos_;
  if (TooDeep(depth + 1)) {
    return false;
  }
  std::uint32_t node = 0;
  if (!ParseOr(depth + 1, node)) {
    return false;
  }
  SkipSpaces();
  if (Peek() != ')' || AtEnd()) {
    return Fail("expected ')' to close the filter", pos_);
  }
  ++pos_;
  step.op = StepOp::kFilter;
  step.filter = node;
  return true;
}

std::uint32_t Compiler::AddNode(FilterOp op, const std::vector<std::uint32_t>& children) {
  FilterNode node;
  node.op = op;
  node.children = {ToIndex(program_.filter_children.size()), ToIndex(children.size())};
  program_.filter_children.insert(program_.filter_children.end(), children.begin(), children.end());
  program_.filter_nodes.push_back(node);
  return ToIndex(program_.filter_nodes.size() - 1);
}

bool Compiler::ParseOr(int depth, std::uint32_t& node) {
  std::vector<std::uint32_t> children(1);
  if (!ParseAnd(depth, children[0])) {
    return false;
  }
  for (;;) {
    SkipSpaces();
    if (!LookingAt("||")) {
      break;
    }
    pos_ += 2;
    children.emplace_back();
    if (!ParseAnd(depth, children.back())) {
      return false;
    }
  }
  node = children.size() == 1 ? children[0] : AddNode(FilterOp::kOr, children);
  return true;
}

bool Compiler::ParseAnd(int depth, std::uint32_t& node) {
  std::vector<std::uint32_t> children(1);
  if (!ParseUnary(depth, children[0])) {
    return false;
  }
  for (;;) {
    SkipSpaces();
    if (!LookingAt("&&")) {
      break;
    }
    pos_ += 2;
    children.emplace_back();
    if (!ParseUnary(depth, children.back())) {
      return false;
    }
  }
  node = children.size() == 1 ? children[0] : AddNode(FilterOp::kAnd, children);
  return true;
}

bool Compiler::ParseUnary(int depth, std::uint32_t& node) {
  SkipSpaces();
  if (Peek() == '!' && Peek(1) != '=') {
    ++pos_;
    if (TooDeep(depth + 1)) {
      return false;
    }
    std::uint32_t child = 0;
    if (!ParseUnary(depth + 1, child)) {
      return false;
    }
    node = AddNode(FilterOp::kNot, {child});
    return true;
  }
  if (Peek() == '(') {
    ++pos_;
    if (TooDeep(depth + 1) || !ParseOr(depth + 1, node)) {
      return false;
    }
    SkipSpaces();
    if (Peek() != ')' || AtEnd()) {
      return Fail("expected ')'", pos_);
    }
    ++pos_;
    return true;
  }
  return ParseComparison(depth, node);
}

bool Compiler::ParseComparison(int depth, std::uint32_t& node) {
  const std::size_t lhs_at = pos_;
  std::uint32_t lhs = 0;
  if (!ParseOperand(depth, lhs)) {
    return false;
  }
  const OperandKind lhs_kind = program_.operands[lhs].kind;
  if (lhs_kind == OperandKind::kRegex) {
    return Fail("a regular expression may only follow =~", lhs_at);
  }
  SkipSpaces();
  FilterOp op = FilterOp::kExists;
  if (!ReadOperator(op)) {
    if (lhs_kind == OperandKind::kLiteral) {
      return Fail("expected a comparison operator", pos_);
    }
    node = AddNode(FilterOp::kExists, {});
    program_.filter_nodes[node].lhs = lhs;
    return true;
  }
  SkipSpaces();
  const std::size_t rhs_at = pos_;
  std::uint32_t rhs = 0;
  if (!ParseOperand(depth, rhs)) {
    return false;
  }
  const bool rhs_is_regex = program_.operands[rhs].kind == OperandKind::kRegex;
  if (op == FilterOp::kMatch && !rhs_is_regex) {
    return Fail("expected a regular expression /.../ after =~", rhs_at);
  }
  if (op != FilterOp::kMatch && rhs_is_regex) {
    return Fail("a regular expression may only follow =~", rhs_at);
  }
  node = AddNode(op, {});
  program_.filter_nodes[node].lhs = lhs;
  program_.filter_nodes[node].rhs = rhs;
  return true;
}

bool Compiler::ReadOperator(FilterOp& op) {
  struct Token {
    std::string_view text;
    FilterOp op;
  };
  // Longer tokens first, so that "<=" is not read as "<".
  static constexpr Token kSymbols[] = {
      {"==", FilterOp::kEq},    {"!=", FilterOp::kNe}, {"<=", FilterOp::kLe}, {">=", FilterOp::kGe},
      {"=~", FilterOp::kMatch}, {"<", FilterOp::kLt},  {">", FilterOp::kGt},
  };
  for (const Token& token : kSymbols) {
    if (LookingAt(token.text)) {
      op = token.op;
      pos_ += token.text.size();
      return true;
    }
  }
  if (LookingAtWord("in")) {
    op = FilterOp::kIn;
    pos_ += 2;
    return true;
  }
  if (LookingAtWord("nin")) {
    op = FilterOp::kNin;
    pos_ += 3;
    return true;
  }
  return false;
}

bool Compiler::ParseOperand(int depth, std::uint32_t& index) {
  SkipSpaces();
  Operand operand;
  const char c = Peek();
  if (!AtEnd() && (c == '@' || c == '$')) {
    PathInfo info;
    if (!ParsePath(/*in_filter=*/true, depth, info)) {
      return false;
    }
    operand.kind = info.root;
    operand.variable = info.variable;
    operand.definite = info.definite;
    operand.steps = info.steps;
    operand.definite_steps = info.definite_steps;
  } else if (c == '/') {
    if (!ParseRegex(operand)) {
      return false;
    }
  } else {
    operand.kind = OperandKind::kLiteral;
    if (!ParseLiteral(depth, operand.literal)) {
      return false;
    }
  }
  index = ToIndex(program_.operands.size());
  program_.operands.push_back(operand);
  return true;
}

bool Compiler::ParseLiteral(int depth, Value& out) {
  const char c = Peek();
  if (AtEnd()) {
    return Fail("expected a value or a path", pos_);
  }
  if (c == '\'' || c == '"') {
    std::string text;
    if (!ParseQuoted(text)) {
      return false;
    }
    out = Value::String(Store(text));
    return true;
  }
  if (c == '-' || IsDigit(c)) {
    return ParseNumber(out);
  }
  if (LookingAtWord("true") || LookingAtWord("false")) {
    out = Value::Bool(c == 't');
    pos_ += c == 't' ? 4 : 5;
    return true;
  }
  if (LookingAtWord("null")) {
    out = Value::Null();
    pos_ += 4;
    return true;
  }
  if (c != '[' && c != '{') {
    return Fail("expected a value or a path", pos_);
  }
  // A JSON literal (Jayway also accepts single quotes in it), for `in` and `nin` and ==.
  const bool is_array = c == '[';
  const char close = is_array ? ']' : '}';
  ++pos_;
  if (TooDeep(depth + 1)) {
    return false;
  }
  std::vector<Value> items;
  std::vector<Member> members;
  SkipSpaces();
  if (Peek() == close) {
    ++pos_;
  } else {
    for (;;) {
      SkipSpaces();
      Member member;
      if (!is_array) {
        std::string key;
        if ((Peek() != '\'' && Peek() != '"') || AtEnd()) {
          return Fail("expected a quoted key", pos_);
        }
        if (!ParseQuoted(key)) {
          return false;
        }
        member.key = Store(key);
        SkipSpaces();
        if (Peek() != ':' || AtEnd()) {
          return Fail("expected ':'", pos_);
        }
        ++pos_;
        SkipSpaces();
      }
      if (!ParseLiteral(depth + 1, member.value)) {
        return false;
      }
      if (is_array) {
        items.push_back(member.value);
      } else {
        members.push_back(member);
      }
      SkipSpaces();
      if (Peek() == ',' && !AtEnd()) {
        ++pos_;
        continue;
      }
      if (Peek() == close && !AtEnd()) {
        ++pos_;
        break;
      }
      return Fail(is_array ? "expected ',' or ']'" : "expected ',' or '}'", pos_);
    }
  }
  if (is_array) {
    Value* stored = program_.storage.AllocateArray<Value>(items.size());
    std::uninitialized_copy(items.begin(), items.end(), stored);
    out = Value::Array(stored, items.size());
  } else {
    Member* stored = program_.storage.AllocateArray<Member>(members.size());
    std::uninitialized_copy(members.begin(), members.end(), stored);
    out = Value::Object(stored, members.size());
  }
  return true;
}

bool Compiler::ParseNumber(Value& out) {
  const std::size_t start = pos_;
  bool integral = true;
  if (Peek() == '-') {
    ++pos_;
  }
  if (!IsDigit(Peek())) {
    return Fail("expected digits", pos_);
  }
  while (IsDigit(Peek())) {
    ++pos_;
  }
  if (Peek() == '.') {
    integral = false;
    ++pos_;
    if (!IsDigit(Peek())) {
      return Fail("expected digits", pos_);
    }
    while (IsDigit(Peek())) {
      ++pos_;
    }
  }
  if (Peek() == 'e' || Peek() == 'E') {
    integral = false;
    ++pos_;
    if (Peek() == '+' || Peek() == '-') {
      ++pos_;
    }
    if (!IsDigit(Peek())) {
      return Fail("expected digits", pos_);
    }
    while (IsDigit(Peek())) {
      ++pos_;
    }
  }
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  if (integral) {
    std::int64_t value = 0;
    if (std::from_chars(first, last, value).ec == std::errc()) {
      out = Value::Int(value);
      return true;
    }
  }
  double value = 0;
  if (std::from_chars(first, last, value).ec != std::errc()) {
    return Fail("the number is out of range", start);
  }
  out = Value::Double(value);
  return true;
}

bool Compiler::ParseRegex(Operand& operand) {
  const std::size_t start = pos_;
  ++pos_;  // '/'
  std::string pattern;
  for (;;) {
    if (AtEnd()) {
      return Fail("unterminated regular expression", start);
    }
    const char c = text_[pos_];
    if (c == '/') {
      ++pos_;
      break;
    }
    if (c == '\\' && pos_ + 1 < text_.size()) {
      // `\/` is how a pattern spells a slash; every other escape is Regex's business.
      if (text_[pos_ + 1] != '/') {
        pattern += c;
      }
      pattern += text_[pos_ + 1];
      pos_ += 2;
      continue;
    }
    pattern += c;
    ++pos_;
  }
  bool ignore_case = false;
  while (IsAsciiLetter(Peek())) {
    if (Peek() != 'i') {
      return Fail("unsupported regular expression flag", pos_);
    }
    ignore_case = true;
    ++pos_;
  }
  auto regex = Regex::Compile(pattern, ignore_case);
  if (!regex) {
    return Fail("invalid regular expression (" + regex.error() + ")", start);
  }
  program_.regexes.push_back(std::make_unique<const Regex>(std::move(regex).value()));
  operand.kind = OperandKind::kRegex;
  operand.regex = program_.regexes.back().get();
  return true;
}

bool Compiler::ParseQuoted(std::string& out) {
  const std::size_t start = pos_;
  const char quote = text_[pos_];
  ++pos_;
  for (;;) {
    if (AtEnd()) {
      return Fail("unterminated string", start);
    }
    const char c = text_[pos_];
    if (c == quote) {
      ++pos_;
      return true;
    }
    if (c != '\\') {
      out += c;
      ++pos_;
      continue;
    }
    ++pos_;
    if (AtEnd()) {
      return Fail("unterminated string", start);
    }
    const char escaped = text_[pos_];
    ++pos_;
    switch (escaped) {
      case '\\':
      case '\'':
      case '"':
      case '/':
        out += escaped;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u':
        if (!ParseUnicodeEscape(out)) {
          return false;
        }
        break;
      default:
        return Fail("invalid escape sequence", pos_ - 2);
    }
  }
}

bool Compiler::ReadHex4(std::uint32_t& out) {
  if (pos_ + 4 > text_.size()) {
    return Fail("expected four hex digits after \\u", pos_);
  }
  const char* first = text_.data() + pos_;
  const auto [end, ec] = std::from_chars(first, first + 4, out, 16);
  if (ec != std::errc() || end != first + 4) {
    return Fail("expected four hex digits after \\u", pos_);
  }
  pos_ += 4;
  return true;
}

bool Compiler::ParseUnicodeEscape(std::string& out) {
  const std::size_t at = pos_ - 2;
  std::uint32_t unit = 0;
  if (!ReadHex4(unit)) {
    return false;
  }
  if (unit >= 0xDC00 && unit <= 0xDFFF) {
    return Fail("unpaired surrogate in \\u escape", at);
  }
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    std::uint32_t low = 0;
    if (!LookingAt("\\u")) {
      return Fail("unpaired surrogate in \\u escape", at);
    }
    pos_ += 2;
    if (!ReadHex4(low)) {
      return false;
    }
    if (low < 0xDC00 || low > 0xDFFF) {
      return Fail("unpaired surrogate in \\u escape", at);
    }
    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }
  AppendUtf8(unit, out);
  return true;
}

// Jayway's rendering: every step bracketed, names in single quotes (not escaped, as Jayway
// does), filters as `[?]`. The root is written as in the text: `$`, `$$` or `$name`.
std::string Compiler::Render(const PathInfo& info) const {
  std::string out(text_.substr(0, info.root_end));
  const auto append_int = [&out](std::int64_t n) { out += std::to_string(n); };
  for (std::uint32_t i = 0; i < info.steps.count; ++i) {
    const Step& step = program_.steps[info.steps.begin + i];
    if (step.descent) {
      out += "..";
    }
    switch (step.op) {
      case StepOp::kField:
        out += "['";
        out += step.name;
        out += "']";
        break;
      case StepOp::kIndex:
        out += '[';
        append_int(step.index);
        out += ']';
        break;
      case StepOp::kWildcard:
        out += "[*]";
        break;
      case StepOp::kSlice:
        out += '[';
        if (step.has_start) {
          append_int(step.index);
        }
        out += ':';
        if (step.has_end) {
          append_int(step.end);
        }
        if (step.stride != 1) {
          out += ':';
          append_int(step.stride);
        }
        out += ']';
        break;
      case StepOp::kFieldUnion:
        out += '[';
        for (std::uint32_t j = 0; j < step.list.count; ++j) {
          out += j == 0 ? "'" : ",'";
          out += program_.names[step.list.begin + j];
          out += '\'';
        }
        out += ']';
        break;
      case StepOp::kIndexUnion:
        out += '[';
        for (std::uint32_t j = 0; j < step.list.count; ++j) {
          if (j != 0) {
            out += ',';
          }
          append_int(program_.indexes[step.list.begin + j]);
        }
        out += ']';
        break;
      case StepOp::kFilter:
        out += "[?]";
        break;
    }
  }
  return out;
}

}  // namespace

CompileResult<std::unique_ptr<PathProgram>> CompilePathProgram(std::string_view text, PathKind kind,
                                                               const CompileOptions& options) {
  auto program = std::make_unique<PathProgram>();
  program->text = std::string(text);
  Compiler compiler(text, options, *program);
  if (!compiler.Run(kind)) {
    return Unexpected<CompileError>(std::move(compiler.error()));
  }
  return program;
}

}  // namespace stepd::internal
