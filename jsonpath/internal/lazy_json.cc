#include "jsonpath/internal/lazy_json.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace stepd::internal {

namespace {

using simdjson::error_code;

// True for bytes that may not directly follow a number or an atom: anything but whitespace and
// the structural characters (simdjson's own table, so that both parsers agree).
bool EndsTokenBadly(unsigned char c) {
  return simdjson::internal::structural_or_whitespace_negated[c];
}

// Collects the value simdjson's number parser writes (its tape writer interface).
struct NumberWriter {
  LazyJson::Number* out;
  void append_s64(std::int64_t v) {
    out->kind = LazyJson::Number::Kind::kInt64;
    out->int64 = v;
  }
  void append_u64(std::uint64_t v) {
    out->kind = LazyJson::Number::Kind::kUint64;
    out->uint64 = v;
  }
  void append_double(double v) {
    out->kind = LazyJson::Number::Kind::kDouble;
    out->float64 = v;
  }
  void skip_double() {}
};

// simdjson's own number grammar and conversion, so that the lazy and the DOM parsers accept the
// same numbers and read the same values (its portable build, which any CPU runs).
bool SimdjsonNumber(const unsigned char* p, LazyJson::Number& out) {
  NumberWriter writer{&out};
  return simdjson::fallback::numberparsing::parse_number(p, writer) == simdjson::SUCCESS;
}

enum class NumberCheck { kInvalid, kVerbatim, kNotVerbatim };

// Validates the number starting at `p`. Short integers, by far the most common numbers, are
// checked eight bytes at a time; the rest goes through simdjson's parser. Integers print as
// written, except "-0" (the writer prints 0); other numbers print in Java's format, which may
// differ from the input, so they are never copied verbatim.
NumberCheck CheckNumber(const unsigned char* p) {
  const bool negative = *p == '-';
  const unsigned char* digits = p + (negative ? 1 : 0);
  std::uint64_t word;
  std::memcpy(&word, digits, sizeof(word));
  // A byte is a digit when (byte ^ '0') <= 9; the high bit of each lane marks the others.
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t x = word ^ 0x3030303030303030ULL;
  const std::uint64_t not_digit = (((x & kLow7) + 0x7676767676767676ULL) | x) & kHigh;
  if (not_digit != 0) {
    const int count = std::countr_zero(not_digit) / 8;
    const unsigned char next = digits[count];
    if (next != '.' && next != 'e' && next != 'E') {
      if (count == 0 || (digits[0] == '0' && count > 1) || EndsTokenBadly(next)) {
        return NumberCheck::kInvalid;
      }
      return negative && count == 1 && digits[0] == '0' ? NumberCheck::kNotVerbatim
                                                        : NumberCheck::kVerbatim;
    }
  }
  LazyJson::Number number;
  if (!SimdjsonNumber(p, number)) {
    return NumberCheck::kInvalid;
  }
  return number.kind == LazyJson::Number::Kind::kDouble ? NumberCheck::kNotVerbatim
                                                        : NumberCheck::kVerbatim;
}

// `atom` is "true", "false" or "null", which must end where the token ends.
template <std::size_t kSize>
bool IsAtom(const unsigned char* p, const char (&atom)[kSize]) {
  constexpr std::size_t kLength = kSize - 1;
  return std::memcmp(p, atom, kLength) == 0 && !EndsTokenBadly(p[kLength]);
}

}  // namespace

LazyJson::LazyJson() = default;
LazyJson::~LazyJson() = default;

error_code LazyJson::Reserve(std::size_t size, std::size_t max_depth) {
  if (max_depth > stack_depth_) {
    stack_ = std::make_unique_for_overwrite<Frame[]>(max_depth + 1);  // [0] is unused
    stack_depth_ = max_depth;
  }
  max_depth_ = max_depth;
  if (stage1_ != nullptr && size <= capacity_) {
    return simdjson::SUCCESS;
  }
  const std::size_t capacity = std::max({size, capacity_ * 2, std::size_t{64}});
  // Stage 1 never looks at the depth; the smallest value keeps its unused stage 2 buffers small.
  const error_code error =
      stage1_ == nullptr ? simdjson::get_active_implementation()->create_dom_parser_implementation(
                               capacity, 1, stage1_)
                         : stage1_->set_capacity(capacity);
  if (error != simdjson::SUCCESS) {
    return error;
  }
  // Stage 1 writes at most one token per byte and two sentinels after them.
  side_ = std::make_unique_for_overwrite<Token[]>(capacity + 2);
  // Decoding never lengthens a string; simdjson's decoder may write a block past its end.
  decoded_ =
      std::make_unique_for_overwrite<std::uint8_t[]>(capacity + 2 * simdjson::SIMDJSON_PADDING);
  capacity_ = capacity;
  return simdjson::SUCCESS;
}

error_code LazyJson::Build(const char* text, std::size_t size, std::size_t max_depth) {
  tokens_ = 0;
  if (size > kMaxBytes) {
    return simdjson::CAPACITY;
  }
  if (const error_code error = Reserve(size, max_depth); error != simdjson::SUCCESS) {
    return error;
  }
  const error_code error = stage1_->stage1(reinterpret_cast<const std::uint8_t*>(text), size,
                                           simdjson::stage1_mode::regular);
  if (error != simdjson::SUCCESS) {
    return error;
  }
  text_ = text;
  size_ = size;
  positions_ = stage1_->structural_indexes.get();
  tokens_ = stage1_->n_structural_indexes;
  decoded_size_ = 0;
  escaped_.clear();
  return Validate();
}

bool LazyJson::DecodeEscaped(Token t) {
  const auto* begin = reinterpret_cast<const std::uint8_t*>(text_) + positions_[t] + 1;
  std::uint8_t* out = decoded_.get() + decoded_size_;
  const std::uint8_t* end = stage1_->parse_string(begin, out);
  if (end == nullptr) {
    return false;
  }
  const auto length = static_cast<std::uint32_t>(end - out);
  escaped_.push_back(Span{t, static_cast<std::uint32_t>(decoded_size_), length});
  side_[t] = t | kEscaped;
  decoded_size_ += length;
  return true;
}

std::string_view LazyJson::Decoded(Token t) const {
  // escaped_ is in token order.
  const auto it =
      std::lower_bound(escaped_.begin(), escaped_.end(), t,
                       [](const Span& span, Token token) { return span.token < token; });
  return {reinterpret_cast<const char*>(decoded_.get()) + it->offset, it->length};
}

// The grammar as a state machine over the tokens, in the style of simdjson's stage 2 but
// writing no tape: each label is a state, and the byte at each token decides the next one.
// Tokens at or past tokens_ are never read as values (stage 1 leaves the text's length after
// the last one, which is where a string at the end of a truncated text reads its end).
// Whitespace between tokens is not tracked here, where it would cost a load per token, but
// when a container's text is about to be copied (VerbatimText).
error_code LazyJson::Validate() {
  const auto* text = reinterpret_cast<const unsigned char*>(text_);
  const Token* pos = positions_;
  Token* side = side_.get();
  Frame* stack = stack_.get();
  const Token n = tokens_;

  // Backslashes appear only inside strings (anywhere else the text is invalid anyway), so one
  // memchr over the text finds every string that needs decoding; most texts have none.
  const auto find_backslash = [&](std::size_t from) -> std::size_t {
    const void* found = std::memchr(text + from, '\\', size_ - from);
    return found == nullptr
               ? size_
               : static_cast<std::size_t>(static_cast<const unsigned char*>(found) - text);
  };
  std::size_t backslash = find_backslash(0);

  std::size_t depth = 0;
  std::uint32_t count = 0;  // elements so far in the innermost container
  std::uint32_t flags = 0;  // kNotVerbatim when the innermost container's text is not canonical
  bool in_object = false;   // the innermost container's kind
  Token t = 0;

  const auto string_ok = [&](Token at) {
    side[at] = at;
    if (backslash < pos[at + 1]) [[unlikely]] {
      if (!DecodeEscaped(at)) {
        return false;
      }
      flags |= kNotVerbatim;  // the writer re-escapes: \/ and \u00e9 print differently
      backslash = find_backslash(pos[at + 1]);
    }
    return true;
  };

  if (text[pos[0]] != '{' && text[pos[0]] != '[') {
    return simdjson::TAPE_ERROR;
  }

value:
  if (t >= n) [[unlikely]] {
    return simdjson::INCOMPLETE_ARRAY_OR_OBJECT;
  }
  switch (text[pos[t]]) {
    case '"':
      if (!string_ok(t)) {
        return simdjson::STRING_ERROR;
      }
      break;
    case '{':
    case '[': {
      if (++depth > max_depth_) [[unlikely]] {
        return simdjson::DEPTH_ERROR;
      }
      const bool object = text[pos[t]] == '{';
      stack[depth] = Frame{t, count, flags, in_object};
      count = 0;
      flags = 0;
      in_object = object;
      ++t;
      if (t < n && text[pos[t]] == (object ? '}' : ']')) {
        goto close;
      }
      if (object) {
        goto key;
      }
      count = 1;
      goto value;
    }
    case 't':
      if (!IsAtom(text + pos[t], "true")) {
        return simdjson::T_ATOM_ERROR;
      }
      side[t] = t;
      break;
    case 'f':
      if (!IsAtom(text + pos[t], "false")) {
        return simdjson::F_ATOM_ERROR;
      }
      side[t] = t;
      break;
    case 'n':
      if (!IsAtom(text + pos[t], "null")) {
        return simdjson::N_ATOM_ERROR;
      }
      side[t] = t;
      break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': {
      const NumberCheck check = CheckNumber(text + pos[t]);
      if (check == NumberCheck::kInvalid) {
        return simdjson::NUMBER_ERROR;
      }
      if (check == NumberCheck::kNotVerbatim) {
        flags |= kNotVerbatim;
      }
      side[t] = t;
      break;
    }
    default:
      return simdjson::TAPE_ERROR;
  }
  ++t;
  goto after_value;  // inside a container: the root was checked to be one

close :  // token t closes the innermost container
{
  const Frame& frame = stack[depth];
  side[frame.open] = t;
  side[t] = count | flags;
  count = frame.parent_count;
  flags |= frame.parent_flags;
  in_object = frame.parent_in_object;
  --depth;
  ++t;
}
  if (depth == 0) {
    return t == n ? simdjson::SUCCESS : simdjson::TAPE_ERROR;
  }

after_value:  // ',' or the innermost container's closer
  if (t >= n) [[unlikely]] {
    return simdjson::INCOMPLETE_ARRAY_OR_OBJECT;
  }
  if (text[pos[t]] == ',') {
    ++t;
    if (!in_object) {
      ++count;
      goto value;
    }
    goto key;
  }
  if (text[pos[t]] != (in_object ? '}' : ']')) {
    return simdjson::TAPE_ERROR;
  }
  goto close;

key:  // a member: "key" ':' value
  if (t + 1 >= n) [[unlikely]] {
    return simdjson::INCOMPLETE_ARRAY_OR_OBJECT;
  }
  if (text[pos[t]] != '"' || text[pos[t + 1]] != ':') {
    return simdjson::TAPE_ERROR;
  }
  if (!string_ok(t)) {
    return simdjson::STRING_ERROR;
  }
  ++count;
  t += 2;
  goto value;
}

std::string_view LazyJson::VerbatimText(Token t) const {
  const Token close = side_[t];
  if ((side_[close] & kNotVerbatim) != 0) {
    return {};
  }
  // Compact text has no whitespace just before any of its tokens (what precedes a token is
  // the end of the previous one otherwise: punctuation, a quote or a scalar's last byte).
  const auto* text = reinterpret_cast<const unsigned char*>(text_);
  for (Token k = t + 1; k <= close; ++k) {
    if (text[positions_[k] - 1] <= ' ') {
      return {};
    }
  }
  return {text_ + positions_[t], positions_[close] - positions_[t] + 1};
}

LazyJson::Number LazyJson::ParseNumber(Token t) const {
  Number number;
  number.kind = Number::Kind::kInt64;
  number.int64 = 0;
  // Build() accepted this number, so the parse succeeds.
  static_cast<void>(
      SimdjsonNumber(reinterpret_cast<const unsigned char*>(text_) + positions_[t], number));
  return number;
}

}  // namespace stepd::internal
