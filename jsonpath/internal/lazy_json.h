#pragma once
// LazyJson: JSON text validated in full but decoded only where it is read.
//
// Building a DOM costs time for every byte of the input, while a state machine reads a few
// fields of it. Build() runs simdjson's stage 1 (the structural index: where every token
// starts) and then checks the grammar in one tight pass over those positions, rejecting every
// text simdjson's DOM parser rejects. The same pass records, for every array and object, its
// closing token, its element count and whether its numbers are all integers the writer would
// print as written, so that skipping a value and ArrayLength are O(1) and an untouched subtree is
// serialised by copying its text. Strings need no work there (stage 1 has checked their UTF-8
// and control characters) unless they hold a backslash: a scan for backslashes after the pass
// finds those, and decodes them (they are rare). Numbers are parsed when read.
//
// Values refer to tokens: indexes into the structural index. Lifetimes: the text passed to
// Build() must stay unchanged, and this object alive, while any token or view is in use; the
// next Build() invalidates them. Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "jsonpath/internal/bytes.h"

namespace stepd::internal {

class LazyJson {
 public:
  using Token = std::uint32_t;

  // Texts above this size are left to the DOM parser: element counts (fewer than the text's
  // bytes) share their words in side_ with a flag.
  static constexpr std::size_t kMaxBytes = std::size_t{1} << 30;

  LazyJson();
  LazyJson(const LazyJson&) = delete;
  LazyJson& operator=(const LazyJson&) = delete;
  ~LazyJson();

  // Validates the `size` bytes at `text`, which must be followed by simdjson::SIMDJSON_PADDING
  // readable bytes, start (after whitespace) with '[' or '{' and be at most kMaxBytes long.
  // Returns SUCCESS, or the kind of error simdjson's DOM parser reports for the same mistake.
  // Containers may nest `max_depth` deep, as in simdjson. Allocates only to grow.
  simdjson::error_code Build(const char* text, std::size_t size, std::size_t max_depth);

  // --- Reading a built document. `t` is always the token of a value (or key) in it.

  static constexpr Token kRoot = 0;

  // The first byte of the value: '{', '[', '"', 't', 'f', 'n', '-' or a digit.
  char First(Token t) const { return text_[positions_[t]]; }
  // Elements of the array or members of the object at `t`. Its first element (or first key)
  // is token t + 1.
  std::uint32_t Count(Token t) const { return side_[side_[t]] & kCountMask; }
  // The next element (or key) in the same container after the value (or member value) at `t`.
  Token Skip(Token t) const { return (IsContainer(t) ? side_[t] : t) + 2; }
  // The decoded text of the string (value or key) at `t`: a view of the input when it has no
  // escapes, of this object's buffer otherwise.
  std::string_view String(Token t) const;
  // Whether the key at `t` decodes to `key` (Find's inner loop: usually settled by the length).
  bool KeyEquals(Token t, std::string_view key) const;
  // The text of the container at `t` when it is byte for byte what the writer prints for it;
  // empty otherwise. O(tokens in it): whitespace is looked for here, not while validating, as
  // are escaped strings.
  std::string_view VerbatimText(Token t) const;

  // The number at `t`, as simdjson's DOM would hold it.
  struct Number {
    enum class Kind : std::uint8_t { kInt64, kUint64, kDouble } kind;
    union {
      std::int64_t int64;
      std::uint64_t uint64;
      double float64;
    };
  };
  Number ParseNumber(Token t) const;

 private:
  // side_[t] for an opening token is its closing token; for a closing token, the element count
  // and kNotVerbatim. Other tokens have no entry: the pass would spend a store on each.
  static constexpr std::uint32_t kNotVerbatim = 1U << 31;
  static constexpr std::uint32_t kCountMask = kNotVerbatim - 1;

  struct Span {
    Token token;
    std::uint32_t offset;
    std::uint32_t length;
  };
  struct Frame {
    Token open;
    std::uint32_t parent_count;
    std::uint32_t parent_flags;
    bool parent_in_object;
  };
  // Where the grammar pass stopped: SUCCESS, or the error the DOM reports at `token`.
  struct Checked {
    simdjson::error_code error;
    std::size_t token;
  };

  bool IsContainer(Token t) const { return (First(t) | 0x20) == '{'; }  // '[' | 0x20 == '{'
  bool IsEscaped(Token t) const { return ((escaped_bits_[t / 64] >> (t % 64)) & 1) != 0; }
  simdjson::error_code Reserve(std::size_t size, std::size_t max_depth);
  Checked Validate();
  // Decodes, in text order, the strings holding a backslash that start before text offset `end`.
  simdjson::error_code DecodeEscapes(std::size_t end);
  // Decodes the escaped string at `t` into decoded_ (validating its escapes as simdjson does).
  bool DecodeEscaped(Token t);
  std::string_view Decoded(Token t) const;

  std::unique_ptr<simdjson::internal::dom_parser_implementation> stage1_;
  std::size_t capacity_ = 0;
  std::size_t max_depth_ = 0;
  std::size_t stack_depth_ = 0;  // frames in stack_, beyond the unused first one
  const char* text_ = nullptr;
  std::size_t size_ = 0;
  const Token* positions_ = nullptr;  // stage 1's structural index, owned by stage1_
  Token tokens_ = 0;
  std::unique_ptr<Token[]> side_;
  std::unique_ptr<Frame[]> stack_;
  std::unique_ptr<std::uint8_t[]> decoded_;
  std::size_t decoded_size_ = 0;
  std::vector<Span> escaped_;                      // in token order
  std::unique_ptr<std::uint64_t[]> escaped_bits_;  // one bit per token: set for those in escaped_
};

inline std::string_view LazyJson::String(Token t) const {
  if (IsEscaped(t)) [[unlikely]] {
    return Decoded(t);
  }
  // A string is always followed by another token (':', ',' or a closer); its closing quote is
  // the last '"' before that token.
  const std::uint32_t begin = positions_[t] + 1;
  std::uint32_t end = positions_[t + 1] - 1;
  while (text_[end] != '"') {
    --end;
  }
  return {text_ + begin, end - begin};
}

inline bool LazyJson::KeyEquals(Token t, std::string_view key) const {
  const std::uint32_t begin = positions_[t] + 1;
  const std::uint32_t next = positions_[t + 1];
  // The key's closing quote is at most just before the next token, and escapes only shorten
  // what it holds: most keys are ruled out before their text is read.
  const std::size_t longest = next - 1 - begin;
  if (longest < key.size()) {
    return false;
  }
  if (text_[next - 1] == '"' && !IsEscaped(t)) {  // compact and unescaped: exactly `longest`
    return longest == key.size() && ShortBytesEqual(text_ + begin, key.data(), longest);
  }
  return String(t) == key;
}

}  // namespace stepd::internal
