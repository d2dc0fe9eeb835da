#include "jsonpath/internal/intrinsic_parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

#include "jsonpath/intrinsics.h"

namespace stepd::internal {

namespace {

constexpr std::array<IntrinsicSignature, 18> kSignatures = {{
    {"States.Format", IntrinsicFunction::kFormat, 1, kVariadic},
    {"States.StringToJson", IntrinsicFunction::kStringToJson, 1, 1},
    {"States.JsonToString", IntrinsicFunction::kJsonToString, 1, 1},
    {"States.Array", IntrinsicFunction::kArray, 0, kVariadic},
    {"States.ArrayPartition", IntrinsicFunction::kArrayPartition, 2, 2},
    {"States.ArrayContains", IntrinsicFunction::kArrayContains, 2, 2},
    {"States.ArrayRange", IntrinsicFunction::kArrayRange, 3, 3},
    {"States.ArrayGetItem", IntrinsicFunction::kArrayGetItem, 2, 2},
    {"States.ArrayLength", IntrinsicFunction::kArrayLength, 1, 1},
    {"States.ArrayUnique", IntrinsicFunction::kArrayUnique, 1, 1},
    {"States.Base64Encode", IntrinsicFunction::kBase64Encode, 1, 1},
    {"States.Base64Decode", IntrinsicFunction::kBase64Decode, 1, 1},
    {"States.Hash", IntrinsicFunction::kHash, 2, 2},
    {"States.JsonMerge", IntrinsicFunction::kJsonMerge, 3, 3},
    {"States.MathRandom", IntrinsicFunction::kMathRandom, 2, 3},
    {"States.MathAdd", IntrinsicFunction::kMathAdd, 2, 2},
    {"States.StringSplit", IntrinsicFunction::kStringSplit, 2, 2},
    {"States.UUID", IntrinsicFunction::kUuid, 0, 0},
}};

constexpr std::string_view kStatesPrefix = "States.";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c); }

class Parser {
 public:
  Parser(std::string_view text, const CompileOptions& options) : text_(text), options_(options) {}

  CompileResult<std::unique_ptr<IntrinsicCall>> ParseAll() {
    SkipSpaces();
    auto call = ParseCall(1);
    if (!call.has_value()) {
      return Unexpected<CompileError>(std::move(call).error());
    }
    SkipSpaces();
    if (pos_ < text_.size()) {
      return Failure("unexpected text after the closing ')'", pos_);
    }
    return std::move(call).value();
  }

 private:
  Unexpected<CompileError> Failure(std::string_view problem, std::size_t position) const {
    std::string message = "Invalid intrinsic function call '";
    message.append(text_);
    message.append("': ");
    message.append(problem);
    message.append(" at offset ");
    message.append(std::to_string(position));
    return CompileFailure(std::move(message), position);
  }

  void SkipSpaces() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) {
      ++pos_;
    }
  }

  bool AtCallStart() const { return text_.substr(pos_).starts_with(kStatesPrefix); }

  CompileResult<std::unique_ptr<IntrinsicCall>> ParseCall(int depth) {
    const std::size_t start = pos_;
    if (!AtCallStart()) {
      return Failure("expected an intrinsic function such as 'States.Format('", start);
    }
    if (depth > CompiledIntrinsic::kMaxNesting) {
      return Failure("intrinsic functions are nested more than 10 levels deep", start);
    }
    std::size_t end = start + kStatesPrefix.size();
    while (end < text_.size() && IsNameChar(text_[end])) {
      ++end;
    }
    const std::string_view name = text_.substr(start, end - start);
    const IntrinsicSignature* signature = nullptr;
    for (const IntrinsicSignature& candidate : kSignatures) {
      if (candidate.name == name) {
        signature = &candidate;
      }
    }
    if (signature == nullptr) {
      return Failure("unknown intrinsic function '" + std::string(name) + "'", start);
    }
    pos_ = end;
    SkipSpaces();
    if (pos_ >= text_.size() || text_[pos_] != '(') {
      return Failure("expected '(' after '" + std::string(name) + "'", pos_);
    }
    ++pos_;

    auto call = std::make_unique<IntrinsicCall>();
    call->function = signature->function;
    call->position = start;
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == ')') {
      ++pos_;
    } else {
      for (;;) {
        const bool is_template =
            signature->function == IntrinsicFunction::kFormat && call->args.empty();
        auto arg = ParseArg(depth, is_template ? call.get() : nullptr);
        if (!arg.has_value()) {
          return Unexpected<CompileError>(std::move(arg).error());
        }
        call->args.push_back(std::move(arg).value());
        SkipSpaces();
        if (pos_ >= text_.size()) {
          return Failure("missing ')' to close '" + std::string(name) + "('", pos_);
        }
        if (text_[pos_] == ')') {
          ++pos_;
          break;
        }
        if (text_[pos_] != ',') {
          return Failure("expected ',' or ')' after an argument", pos_);
        }
        ++pos_;
      }
    }
    return CheckArity(*signature, std::move(call));
  }

  CompileResult<std::unique_ptr<IntrinsicCall>> CheckArity(const IntrinsicSignature& signature,
                                                           std::unique_ptr<IntrinsicCall> call) {
    const std::size_t count = call->args.size();
    const bool too_few = count < signature.min_args;
    const bool too_many = signature.max_args != kVariadic && count > signature.max_args;
    if (too_few || too_many) {
      std::string problem(signature.name);
      if (signature.min_args == signature.max_args) {
        problem += " takes " + std::to_string(signature.min_args);
        problem += signature.min_args == 1 ? " argument" : " arguments";
      } else if (signature.max_args == kVariadic) {
        problem += " takes at least " + std::to_string(signature.min_args) + " argument";
      } else {
        problem += " takes " + std::to_string(signature.min_args) + " to " +
                   std::to_string(signature.max_args) + " arguments";
      }
      problem += ", but " + std::to_string(count) + (count == 1 ? " was" : " were") + " given";
      return Failure(problem, call->position);
    }
    if (call->has_literal_template && call->format_pieces.size() != count) {
      // pieces.size() - 1 placeholders must match count - 1 values.
      return Failure("States.Format template has " +
                         std::to_string(call->format_pieces.size() - 1) +
                         " '{}' placeholders, but " + std::to_string(count - 1) +
                         (count == 2 ? " value follows it" : " values follow it"),
                     call->position);
    }
    return call;
  }

  // `format_call` is set when the argument is the template of States.Format.
  CompileResult<IntrinsicArg> ParseArg(int depth, IntrinsicCall* format_call) {
    SkipSpaces();
    IntrinsicArg arg;
    arg.position = pos_;
    if (pos_ >= text_.size()) {
      return Failure("expected an argument", pos_);
    }
    const char c = text_[pos_];
    if (c == '\'') {
      return ParseString(std::move(arg), format_call);
    }
    if (c == '$') {
      return ParsePath(std::move(arg));
    }
    if (c == '-' || IsDigit(c)) {
      return ParseNumber(std::move(arg));
    }
    if (AtCallStart()) {
      auto call = ParseCall(depth + 1);
      if (!call.has_value()) {
        return Unexpected<CompileError>(std::move(call).error());
      }
      arg.kind = IntrinsicArg::Kind::kCall;
      arg.call = std::move(call).value();
      return arg;
    }
    for (const auto& [word, value] : {std::pair{std::string_view("true"), Value::Bool(true)},
                                      std::pair{std::string_view("false"), Value::Bool(false)},
                                      std::pair{std::string_view("null"), Value::Null()}}) {
      if (text_.substr(pos_).starts_with(word) && EndsToken(pos_ + word.size())) {
        pos_ += word.size();
        arg.literal = value;
        return arg;
      }
    }
    return Failure(
        "expected an argument: a 'string', a number, true, false, null, a path starting with "
        "'$' or an intrinsic function",
        pos_);
  }

  bool EndsToken(std::size_t at) const {
    return at >= text_.size() || IsSpace(text_[at]) || text_[at] == ',' || text_[at] == ')';
  }

  CompileResult<IntrinsicArg> ParseString(IntrinsicArg arg, IntrinsicCall* format_call) {
    const std::size_t open = pos_;
    ++pos_;
    // Unescaping only shortens the text, so the literal's length bounds the output.
    std::size_t close = pos_;
    std::string out;
    std::vector<std::size_t> placeholders;  // offsets in `out` of unescaped `{}`
    for (;;) {
      if (close >= text_.size()) {
        return Failure("unterminated string literal", open);
      }
      const char c = text_[close];
      if (c == '\'') {
        break;
      }
      if (c == '\\') {
        if (close + 1 >= text_.size()) {
          return Failure("unterminated string literal", open);
        }
        const char escaped = text_[close + 1];
        if (escaped != '\'' && escaped != '{' && escaped != '}' && escaped != '\\') {
          return Failure(
              "invalid escape sequence in a string literal (only \\', \\{, \\} and \\\\ are "
              "allowed)",
              close);
        }
        out.push_back(escaped);
        close += 2;
        continue;
      }
      if (format_call != nullptr && c == '{' && close + 1 < text_.size() &&
          text_[close + 1] == '}') {
        placeholders.push_back(out.size());
        close += 2;
        continue;
      }
      out.push_back(c);
      ++close;
    }
    pos_ = close + 1;
    arg.storage = std::make_unique<char[]>(out.size() + 1);
    std::memcpy(arg.storage.get(), out.data(), out.size());
    const std::string_view stored(arg.storage.get(), out.size());
    arg.literal = Value::String(stored);
    if (format_call != nullptr) {
      format_call->has_literal_template = true;
      std::size_t piece_start = 0;
      for (const std::size_t at : placeholders) {
        format_call->format_pieces.push_back(stored.substr(piece_start, at - piece_start));
        piece_start = at;
      }
      format_call->format_pieces.push_back(stored.substr(piece_start));
    }
    return arg;
  }

  CompileResult<IntrinsicArg> ParsePath(IntrinsicArg arg) {
    // The path ends at the first ',' or ')' outside brackets, parentheses and quotes, so that
    // `$.a['b,c']` and filters such as `$.a[?(@.x == ')')]` stay whole.
    const std::size_t start = pos_;
    int depth = 0;
    char quote = 0;
    std::size_t end = start;
    for (; end < text_.size(); ++end) {
      const char c = text_[end];
      if (quote != 0) {
        if (c == '\\') {
          ++end;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '[' || c == '(') {
        ++depth;
      } else if (c == ']' || (c == ')' && depth > 0)) {
        --depth;
      } else if (depth == 0 && (c == ',' || c == ')')) {
        break;
      }
    }
    end = std::min(end, text_.size());
    std::size_t trimmed = end;
    while (trimmed > start && IsSpace(text_[trimmed - 1])) {
      --trimmed;
    }
    auto path =
        CompiledPath::Compile(text_.substr(start, trimmed - start), PathKind::kPath, options_);
    if (!path.has_value()) {
      return Failure(path.error().message, start + path.error().position);
    }
    pos_ = end;
    arg.kind = IntrinsicArg::Kind::kPath;
    arg.path.emplace(std::move(path).value());
    return arg;
  }

  CompileResult<IntrinsicArg> ParseNumber(IntrinsicArg arg) {
    const std::size_t start = pos_;
    std::size_t end = start;
    const auto digits = [&] {
      const std::size_t from = end;
      while (end < text_.size() && IsDigit(text_[end])) {
        ++end;
      }
      return end > from;
    };
    if (text_[end] == '-') {
      ++end;
    }
    bool integral = true;
    bool valid = digits();
    if (valid && end < text_.size() && text_[end] == '.') {
      ++end;
      integral = false;
      valid = digits();
    }
    if (valid && end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      ++end;
      integral = false;
      if (end < text_.size() && (text_[end] == '+' || text_[end] == '-')) {
        ++end;
      }
      valid = digits();
    }
    if (!valid || !EndsToken(end)) {
      return Failure("malformed number", start);
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + end;
    if (integral) {
      std::int64_t i = 0;
      if (std::from_chars(first, last, i).ec == std::errc()) {
        arg.literal = Value::Int(i);
        pos_ = end;
        return arg;
      }
    }
    double d = 0;
    const auto parsed = std::from_chars(first, last, d);
    if (parsed.ec != std::errc() || !std::isfinite(d)) {
      return Failure("number out of range", start);
    }
    arg.literal = Value::Double(d);
    pos_ = end;
    return arg;
  }

  std::string_view text_;
  const CompileOptions& options_;
  std::size_t pos_ = 0;
};

}  // namespace

const IntrinsicSignature& SignatureOf(IntrinsicFunction function) {
  return kSignatures[static_cast<std::size_t>(function)];
}

CompileResult<std::unique_ptr<IntrinsicCall>> ParseIntrinsic(std::string_view text,
                                                             const CompileOptions& options) {
  return Parser(text, options).ParseAll();
}

}  // namespace stepd::internal
