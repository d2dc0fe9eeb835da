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

// Whether the token at `p` is a number that simdjson's parser rejects.
bool IsBadNumber(const unsigned char* p) {
  LazyJson::Number number;
  return (*p == '-' || static_cast<unsigned char>(*p - '0') < 10) && !SimdjsonNumber(p, number);
}

enum class NumberCheck { kInvalid, kVerbatim, kNotVerbatim };

// Whether the bytes from `digits` up to `end`, one to seven of them, are all digits; the caller
// has checked the first. Reads eight bytes, which the padding after the text allows. A byte b is
// flagged when b - '0' borrows into its high bit or b + 0x46 carries into it; a borrow or a carry
// only reaches the bytes above a flagged one, so the first flagged byte is the first non-digit.
bool AllDigitsUpTo(const unsigned char* digits, const unsigned char* end) {
  std::uint64_t word;
  std::memcpy(&word, digits, sizeof(word));
  const std::uint64_t flagged =
      ((word - 0x3030303030303030ULL) | (word + 0x4646464646464646ULL)) & 0x8080808080808080ULL;
  // The byte at `end` starts the next token, so it is flagged when it lies in the word; bit 63
  // keeps the count defined when it does not (a longer number, which then fails here).
  return std::countr_zero(flagged | (std::uint64_t{1} << 63)) == 8 * (end - digits) + 7;
}

// Validates the number at `p` (which starts with '-' or a digit) that the token at `end` follows.
// The pass checks the most common numbers, positive integers written right before the next
// token, inline with AllDigitsUpTo; this handles the rest. Short integers are settled here too,
// and anything else by simdjson's parser. Integers print as written, except "-0" (the writer
// prints 0); other numbers print in Java's format, which may differ from the input, so they are
// never copied verbatim.
[[gnu::noinline]] NumberCheck CheckNumber(const unsigned char* p, const unsigned char* end) {
  const unsigned char* digits = p + (*p == '-' ? 1 : 0);
  if (static_cast<unsigned char>(digits[0] - '1') < 9 && AllDigitsUpTo(digits, end)) {
    return NumberCheck::kVerbatim;
  }
  if (digits[0] == '0' && digits + 1 == end) {
    return digits == p ? NumberCheck::kVerbatim : NumberCheck::kNotVerbatim;
  }
  LazyJson::Number number;
  if (!SimdjsonNumber(p, number)) {
    return NumberCheck::kInvalid;
  }
  return number.kind == LazyJson::Number::Kind::kDouble ? NumberCheck::kNotVerbatim
                                                        : NumberCheck::kVerbatim;
}

// The byte that closes an object or an array.
unsigned char ClosingByte(bool object) { return object ? '}' : ']'; }

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
  escaped_bits_ = std::make_unique<std::uint64_t[]>(capacity / 64 + 1);  // all clear
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
  for (const Span& span : escaped_) {
    escaped_bits_[span.token / 64] = 0;
  }
  escaped_.clear();
  Checked grammar = Validate();
  // The pass lets a number end where the next token starts. The DOM reads the number first, and
  // rejects it when that token's first byte may not end a number (a quote, or a control
  // character that stage 1 takes for punctuation).
  if (grammar.error == simdjson::TAPE_ERROR && grammar.token != 0 &&
      IsBadNumber(reinterpret_cast<const unsigned char*>(text) + positions_[grammar.token - 1])) {
    grammar = {simdjson::NUMBER_ERROR, grammar.token - 1};
  }
  // The DOM parser reports the first mistake in the text: a bad escape in a string before the
  // token where the grammar failed comes first.
  const error_code strings =
      DecodeEscapes(grammar.error == simdjson::SUCCESS ? size : positions_[grammar.token]);
  return strings != simdjson::SUCCESS ? strings : grammar.error;
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
  escaped_bits_[t / 64] |= std::uint64_t{1} << (t % 64);
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
// writing no tape: each label is a state, and the byte at each token decides the next one. The
// pass costs a few instructions per token, so the common tokens take the shortest path: the two
// loops over members and elements handle strings, short integers and commas inline, and only
// containers, other scalars and mistakes leave them. It walks a pointer into the structural
// index, and computes a token's number only to record it. Whitespace between tokens is not
// tracked here, where it would cost a load per token, but when a container's text is about to
// be copied (VerbatimText).
LazyJson::Checked LazyJson::Validate() {
  const auto* text = reinterpret_cast<const unsigned char*>(text_);
  const Token* pos = positions_;
  Token* side = side_.get();
  Frame* const root_frame = stack_.get();  // [0] is unused
  Frame* const deepest = root_frame + max_depth_;
  const Token* const end = pos + tokens_;

  Frame* top = root_frame;
  std::uint32_t count = 0;  // elements so far in the innermost container
  std::uint32_t flags = 0;  // kNotVerbatim when the innermost container's text is not canonical
  bool in_object = false;   // the innermost container's kind
  const Token* at = pos;    // the current token's entry in the structural index
  const auto token = [pos](const Token* entry) { return static_cast<std::size_t>(entry - pos); };

  // As simdjson's stage 2 does, check first that the last token closes what the first opens.
  // Then no state moves past the last token: each expects more tokens after the one it is at
  // unless that one could close the root, and only `close` lets it. (A value's state also reads
  // the entry after its token: past the last one, stage 1 leaves the text's length there.)
  const unsigned char root = text[pos[0]];
  if ((root != '{' && root != '[') || text[end[-1]] != root + 2) {
    return {simdjson::TAPE_ERROR, 0};
  }
  unsigned char c = root;  // the current token's first byte, where a state passes it on

open :  // the token at `at` opens a container; c is its first byte
{
  if (top == deepest) [[unlikely]] {
    return {simdjson::DEPTH_ERROR, token(at)};
  }
  const bool object = c == '{';
  *++top = Frame{static_cast<Token>(token(at)), count, flags, in_object};
  count = 0;
  flags = 0;
  in_object = object;
  ++at;
  c = text[*at];
  if (c == ClosingByte(object)) {
    goto close;
  }
  if (!object) {
    goto element;
  }
}

member:  // the token at `at` should be a member's key
  for (;;) {
    if (text[*at] != '"') {
      return {simdjson::TAPE_ERROR, token(at)};
    }
    if (text[at[1]] != ':') {
      return {simdjson::TAPE_ERROR, token(at) + 1};  // the DOM reads the key first
    }
    ++count;
    at += 2;
    const Token next = at[1];
    c = text[*at];
    if (c != '"') {  // a string needs nothing more here
      if (static_cast<unsigned char>(c - '1') >= 9) {
        goto other_value;
      }
      if (!AllDigitsUpTo(text + *at, text + next)) {
        goto number;
      }
    }
    ++at;
    c = text[next];
    if (c != ',') {
      goto closer;
    }
    ++at;
  }

element:  // the token at `at` should be an array element
  for (;;) {
    ++count;
    const Token next = at[1];
    c = text[*at];
    if (c != '"') {  // a string needs nothing more here
      if (static_cast<unsigned char>(c - '1') >= 9) {
        goto other_value;
      }
      if (!AllDigitsUpTo(text + *at, text + next)) {
        goto number;
      }
    }
    ++at;
    c = text[next];
    if (c != ',') {
      goto closer;
    }
    ++at;
  }

other_value:  // the token at `at` should be a value, not a string or positive integer
  if ((c | 0x20) == '{') {
    goto open;
  }
  switch (c) {
    case '-':
    case '0':
      goto number;
    case 't':
      if (!IsAtom(text + *at, "true")) {
        return {simdjson::T_ATOM_ERROR, token(at)};
      }
      break;
    case 'f':
      if (!IsAtom(text + *at, "false")) {
        return {simdjson::F_ATOM_ERROR, token(at)};
      }
      break;
    case 'n':
      if (!IsAtom(text + *at, "null")) {
        return {simdjson::N_ATOM_ERROR, token(at)};
      }
      break;
    default:
      return {simdjson::TAPE_ERROR, token(at)};
  }
  ++at;
  goto after_value;

number :  // the token at `at` starts with '-' or a digit, and the loops above did not settle it
{
  const NumberCheck check = CheckNumber(text + *at, text + at[1]);
  if (check == NumberCheck::kInvalid) {
    return {simdjson::NUMBER_ERROR, token(at)};
  }
  if (check == NumberCheck::kNotVerbatim) {
    flags |= kNotVerbatim;
  }
  ++at;
}

after_value:  // ',' or the innermost container's closer
  c = text[*at];
  if (c == ',') {
    ++at;
    if (in_object) {
      goto member;
    }
    goto element;
  }

closer:  // the token at `at` should close the innermost container; c is its first byte
  if (c != ClosingByte(in_object)) {
    return {simdjson::TAPE_ERROR, token(at)};
  }

close :  // the token at `at` closes the innermost container
{
  const Frame& frame = *top--;
  side[frame.open] = static_cast<Token>(token(at));
  side[token(at)] = count | flags;
  count = frame.parent_count;
  flags |= frame.parent_flags;
  in_object = frame.parent_in_object;
  ++at;
}
  if (top == root_frame || at == end) [[unlikely]] {
    // Done when the root closes at the last token; either without the other is a mistake.
    return {top == root_frame && at == end ? simdjson::SUCCESS : simdjson::TAPE_ERROR, token(at)};
  }
  goto after_value;
}

error_code LazyJson::DecodeEscapes(std::size_t end) {
  const auto* text = reinterpret_cast<const unsigned char*>(text_);
  const Token* pos = positions_;
  std::size_t from = 0;
  Token t = 0;
  for (;;) {
    const void* found = std::memchr(text + from, '\\', end - from);
    if (found == nullptr) {
      return simdjson::SUCCESS;
    }
    // The token the backslash is in, the last one starting before it: a string, as the grammar
    // accepted every token before `end` and a backslash in any other token is a mistake. Strings
    // with escapes tend to come together, so search forward from the last one, galloping.
    const auto offset = static_cast<Token>(static_cast<const unsigned char*>(found) - text);
    Token below = t;
    Token step = 1;
    while (below + step < tokens_ && pos[below + step] <= offset) {
      below += step;
      step *= 2;
    }
    const Token* const limit = pos + std::min<std::size_t>(below + step, tokens_);
    t = static_cast<Token>(std::upper_bound(pos + below, limit, offset) - pos - 1);
    if (!DecodeEscaped(t)) {
      return simdjson::STRING_ERROR;
    }
    from = pos[t + 1];
  }
}

std::string_view LazyJson::VerbatimText(Token t) const {
  const Token close = side_[t];
  if ((side_[close] & kNotVerbatim) != 0) {
    return {};
  }
  // The writer re-escapes strings: \/ and \u00e9 print differently.
  const auto escaped =
      std::lower_bound(escaped_.begin(), escaped_.end(), t,
                       [](const Span& span, Token token) { return span.token < token; });
  if (escaped != escaped_.end() && escaped->token < close) {
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
