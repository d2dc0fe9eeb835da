#include "service/logs/filter_pattern.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

namespace stepd::logs {

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  std::size_t star = std::string_view::npos;
  std::size_t resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// CloudWatch refuses more than two %regex% terms in one filter pattern.
constexpr int kMaxRegexes = 2;

// The characters CloudWatch allows in a %regex%: letters, digits, the symbols : _ # = @ / ; , -
// and the operators ^ $ ? [ ] { } | \ * + . ("Supported regular expressions (regex) syntax").
// Parentheses and multibyte characters are not among them.
bool IsCloudWatchRegex(std::string_view regex) {
  constexpr std::string_view kSymbols = ":_#=@/;,-^$?[]{}|\\*+.";
  return std::all_of(regex.begin(), regex.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           kSymbols.find(c) != std::string_view::npos;
  });
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') {
    ++begin;
  }
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

// Recursive descent over the pattern text. Every failure is the same "Invalid filter pattern".
class PatternParser {
 public:
  PatternParser(std::string_view text, FilterPattern& out) : text_(text), out_(out) {}

  bool ParseTerms() {
    for (;;) {
      SkipSpace();
      if (AtEnd()) {
        return true;
      }
      FilterPattern::Term term;
      if (Peek() == '?') {
        term.kind = FilterPattern::TermKind::kAny;
        ++pos_;
      } else if (Peek() == '-' && pos_ + 1 < text_.size() && !IsSpace(text_[pos_ + 1])) {
        term.kind = FilterPattern::TermKind::kExcluded;
        ++pos_;
      }
      if (AtEnd() || IsSpace(Peek())) {
        return false;
      }
      if (Peek() == '"') {
        if (!ParseQuoted(term.text)) {
          return false;
        }
      } else if (Peek() == '%') {
        const std::size_t close = text_.find('%', pos_ + 1);
        if (close == std::string_view::npos || close == pos_ + 1) {
          return false;
        }
        term.text = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
        pos_ = close + 1;
        if (!IsCloudWatchRegex(term.text) || ++regexes_ > kMaxRegexes) {
          return false;
        }
        auto regex = Regex::Compile(term.text, false);
        if (!regex) {
          return false;
        }
        term.regex = std::make_shared<const Regex>(std::move(*regex));
      } else {
        const std::size_t begin = pos_;
        while (!AtEnd() && !IsSpace(Peek())) {
          if (Peek() == '"') {
            return false;
          }
          ++pos_;
        }
        term.text = std::string(text_.substr(begin, pos_ - begin));
      }
      if (!AtEnd() && !IsSpace(Peek())) {
        return false;
      }
      out_.has_any_terms_ |= term.kind == FilterPattern::TermKind::kAny;
      out_.terms_.push_back(std::move(term));
    }
  }

  bool ParseJson() {
    SkipSpace();
    if (!Eat('{')) {
      return false;
    }
    auto root = ParseOr();
    SkipSpace();
    if (!root || !Eat('}')) {
      return false;
    }
    SkipSpace();
    if (!AtEnd()) {
      return false;
    }
    out_.root_ = *root;
    return true;
  }

 private:
  using Node = FilterPattern::Node;
  using Op = FilterPattern::Op;

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    if (!AtEnd() && Peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool EatWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) {
      return false;
    }
    const std::size_t after = pos_ + word.size();
    if (after < text_.size() && std::isalnum(static_cast<unsigned char>(text_[after])) != 0) {
      return false;
    }
    pos_ = after;
    return true;
  }

  bool ParseQuoted(std::string& out) {
    ++pos_;  // the opening quote
    while (!AtEnd()) {
      const char c = text_[pos_++];
      if (c == '"') {
        return true;
      }
      if (c == '\\' && !AtEnd()) {
        out += text_[pos_++];
      } else {
        out += c;
      }
    }
    return false;
  }

  std::uint32_t Add(Node&& node) {
    out_.nodes_.push_back(std::move(node));
    return static_cast<std::uint32_t>(out_.nodes_.size() - 1);
  }

  std::optional<std::uint32_t> ParseOr() {
    auto left = ParseAnd();
    while (left) {
      SkipSpace();
      if (text_.substr(pos_, 2) != "||") {
        break;
      }
      pos_ += 2;
      auto right = ParseAnd();
      if (!right) {
        return std::nullopt;
      }
      Node node;
      node.op = Op::kOr;
      node.left = *left;
      node.right = *right;
      left = Add(std::move(node));
    }
    return left;
  }

  std::optional<std::uint32_t> ParseAnd() {
    auto left = ParseUnary();
    while (left) {
      SkipSpace();
      if (text_.substr(pos_, 2) != "&&") {
        break;
      }
      pos_ += 2;
      auto right = ParseUnary();
      if (!right) {
        return std::nullopt;
      }
      Node node;
      node.op = Op::kAnd;
      node.left = *left;
      node.right = *right;
      left = Add(std::move(node));
    }
    return left;
  }

  std::optional<std::uint32_t> ParseUnary() {
    SkipSpace();
    if (Eat('(')) {
      auto inner = ParseOr();
      SkipSpace();
      if (!inner || !Eat(')')) {
        return std::nullopt;
      }
      return inner;
    }
    return ParseComparison();
  }

  static bool IsNameChar(char c) {
    return !IsSpace(c) && c != '.' && c != '[' && c != ']' && c != '=' && c != '!' && c != '<' &&
           c != '>' && c != '(' && c != ')' && c != '&' && c != '|' && c != '}' && c != '"';
  }

  std::optional<std::uint32_t> ParseComparison() {
    Node node;
    if (!Eat('$')) {
      return std::nullopt;
    }
    for (;;) {
      if (Eat('.')) {
        const std::size_t begin = pos_;
        while (!AtEnd() && IsNameChar(Peek())) {
          ++pos_;
        }
        if (pos_ == begin) {
          return std::nullopt;
        }
        node.path.push_back({std::string(text_.substr(begin, pos_ - begin)), -1});
      } else if (Eat('[')) {
        const std::size_t begin = pos_;
        while (!AtEnd() && std::isdigit(static_cast<unsigned char>(Peek())) != 0) {
          ++pos_;
        }
        std::int64_t index = 0;
        auto [ptr, ec] = std::from_chars(text_.data() + begin, text_.data() + pos_, index);
        if (pos_ == begin || ec != std::errc() || !Eat(']')) {
          return std::nullopt;
        }
        node.path.push_back({std::string(), index});
      } else {
        break;
      }
    }
    if (node.path.empty()) {
      return std::nullopt;
    }
    SkipSpace();
    if (EatWord("IS")) {
      SkipSpace();
      if (EatWord("NULL")) {
        node.op = Op::kIsNull;
      } else if (EatWord("TRUE")) {
        node.op = Op::kIsTrue;
      } else if (EatWord("FALSE")) {
        node.op = Op::kIsFalse;
      } else {
        return std::nullopt;
      }
      return Add(std::move(node));
    }
    if (EatWord("NOT")) {
      SkipSpace();
      if (!EatWord("EXISTS")) {
        return std::nullopt;
      }
      node.op = Op::kNotExists;
      return Add(std::move(node));
    }
    const std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("!=")) {
      node.op = Op::kNe;
    } else if (rest.starts_with("<=")) {
      node.op = Op::kLe;
    } else if (rest.starts_with(">=")) {
      node.op = Op::kGe;
    } else if (rest.starts_with("=")) {
      node.op = Op::kEq;
    } else if (rest.starts_with("<")) {
      node.op = Op::kLt;
    } else if (rest.starts_with(">")) {
      node.op = Op::kGt;
    } else {
      return std::nullopt;
    }
    pos_ += node.op == Op::kEq || node.op == Op::kLt || node.op == Op::kGt ? 1 : 2;
    SkipSpace();
    if (AtEnd()) {
      return std::nullopt;
    }
    if (Peek() == '"') {
      node.quoted = true;
      if (!ParseQuoted(node.text)) {
        return std::nullopt;
      }
    } else {
      const std::size_t begin = pos_;
      while (!AtEnd() && !IsSpace(Peek()) && Peek() != ')' && Peek() != '}' && Peek() != '&' &&
             Peek() != '|') {
        ++pos_;
      }
      if (pos_ == begin) {
        return std::nullopt;
      }
      node.text = std::string(text_.substr(begin, pos_ - begin));
      node.number = ParseNumber(node.text);
    }
    const bool ordering = node.op != Op::kEq && node.op != Op::kNe;
    if (ordering && !node.number) {
      return std::nullopt;  // < > <= >= compare numbers only
    }
    return Add(std::move(node));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int regexes_ = 0;
  FilterPattern& out_;
};

FilterPattern::~FilterPattern() = default;

std::optional<FilterPattern> FilterPattern::Compile(std::string_view text) {
  if (text.size() > 1024) {
    return std::nullopt;
  }
  std::size_t first = 0;
  while (first < text.size() && IsSpace(text[first])) {
    ++first;
  }
  FilterPattern pattern;
  if (first == text.size()) {
    return pattern;
  }
  PatternParser parser(text, pattern);
  if (text[first] == '{') {
    pattern.kind_ = Kind::kJson;
    if (!parser.ParseJson()) {
      return std::nullopt;
    }
    pattern.document_ = std::make_unique<Document>();
    return pattern;
  }
  if (text[first] == '[') {
    return std::nullopt;  // space-delimited patterns: not supported
  }
  pattern.kind_ = Kind::kTerms;
  if (!parser.ParseTerms()) {
    return std::nullopt;
  }
  return pattern;
}

bool FilterPattern::MatchTerms(std::string_view message) const {
  bool any_found = false;
  for (const Term& term : terms_) {
    const bool found = term.regex ? term.regex->Search(message)
                                  : message.find(term.text) != std::string_view::npos;
    switch (term.kind) {
      case TermKind::kRequired:
        if (!found) {
          return false;
        }
        break;
      case TermKind::kExcluded:
        if (found) {
          return false;
        }
        break;
      case TermKind::kAny:
        any_found |= found;
        break;
    }
  }
  return !has_any_terms_ || any_found;
}

bool FilterPattern::Compare(const Node& node, Value field) {
  switch (node.op) {
    case Op::kIsNull:
      return field.IsNull();
    case Op::kNotExists:
      return field.IsMissing();
    case Op::kIsTrue:
      return field.IsBool() && field.AsBool();
    case Op::kIsFalse:
      return field.IsBool() && !field.AsBool();
    default:
      break;
  }
  if (field.IsMissing()) {
    return false;
  }
  if (node.op == Op::kEq || node.op == Op::kNe) {
    bool equal = false;
    if (!node.quoted && node.text == "*") {
      equal = true;
    } else if (field.IsString()) {
      equal = WildcardMatch(node.text, field.AsString());
    } else if (field.IsNumber()) {
      equal = !node.quoted && node.number && field.AsDouble() == *node.number;
    } else if (field.IsBool()) {
      equal = !node.quoted && node.text == (field.AsBool() ? "true" : "false");
    } else if (field.IsNull()) {
      equal = !node.quoted && node.text == "null";
    }
    return node.op == Op::kEq ? equal : !equal;
  }
  if (!field.IsNumber()) {
    return false;
  }
  const double value = field.AsDouble();
  const double bound = *node.number;
  switch (node.op) {
    case Op::kLt:
      return value < bound;
    case Op::kGt:
      return value > bound;
    case Op::kLe:
      return value <= bound;
    case Op::kGe:
      return value >= bound;
    default:
      return false;
  }
}

bool FilterPattern::Eval(std::uint32_t index, Value root) const {
  const Node& node = nodes_[index];
  if (node.op == Op::kAnd) {
    return Eval(node.left, root) && Eval(node.right, root);
  }
  if (node.op == Op::kOr) {
    return Eval(node.left, root) || Eval(node.right, root);
  }
  Value field = root;
  for (const Step& step : node.path) {
    if (step.index >= 0) {
      field = field.IsArray() ? field.At(static_cast<std::size_t>(step.index)) : Value::Missing();
    } else {
      field = field.IsObject() ? field.Find(step.key) : Value::Missing();
    }
    if (field.IsMissing()) {
      break;
    }
  }
  return Compare(node, field);
}

bool FilterPattern::Matches(std::string_view message) {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kTerms:
      return MatchTerms(message);
    case Kind::kJson:
      break;
  }
  std::size_t first = 0;
  while (first < message.size() && IsSpace(message[first])) {
    ++first;
  }
  if (first == message.size() || message[first] != '{') {
    return false;
  }
  auto root = document_->Parse(message);
  if (!root || !root->IsObject()) {
    return false;
  }
  return Eval(root_, *root);
}

}  // namespace stepd::logs
