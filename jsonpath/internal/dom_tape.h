#pragma once
// DomTape: reads a parsed simdjson DOM straight from its tape, whose layout simdjson documents
// (doc/tape.md): one 64-bit word per value (two for numbers), the type in the top byte.
//
// Walking a container this way costs one switch per value, where dom::element's accessors and
// the dom iterators check the type again at every step. Indexes are tape indexes, which stay
// below 2^32 (simdjson documents are limited to 4 GiB). Valid while the document is unchanged.

#include <cstdint>
#include <cstring>
#include <string_view>

#include <simdjson.h>

namespace stepd::internal {

class DomTape {
 public:
  explicit DomTape(const simdjson::dom::document& document)
      : tape_(document.tape.get()), strings_(document.string_buf.get()) {}

  // '{', '[', '"', 'l' (int64), 'u' (uint64), 'd' (double), 't', 'f' or 'n'.
  char Type(std::uint32_t i) const { return static_cast<char>(tape_[i] >> 56); }
  // For a container opening at `i`: the index of its closing word. Its first element (or key)
  // is at i + 1.
  std::uint32_t Close(std::uint32_t i) const { return static_cast<std::uint32_t>(tape_[i]) - 1; }
  // Elements (or members) of the container opening at `i`: the tape holds the count, up to
  // 2^24 - 1, which stands for "at least that many".
  std::uint32_t Count(std::uint32_t i) const {
    const auto count = static_cast<std::uint32_t>(tape_[i] >> 32) & kCountMask;
    if (count != kCountMask) [[likely]] {
      return count;
    }
    const bool object = Type(i) == '{';
    std::uint32_t n = 0;
    for (std::uint32_t j = i + 1, close = Close(i); j < close; j = Next(object ? j + 1 : j)) {
      ++n;
    }
    return n;
  }
  // The index just past the value at `i`.
  std::uint32_t Next(std::uint32_t i) const {
    switch (Type(i)) {
      case '{':
      case '[':
        return static_cast<std::uint32_t>(tape_[i]);
      case 'l':
      case 'u':
      case 'd':
        return i + 2;
      default:
        return i + 1;
    }
  }

  // The string (value or key) at `i`: a length, then the bytes, in the string buffer.
  std::string_view String(std::uint32_t i) const {
    const std::uint8_t* at = strings_ + (tape_[i] & kPayloadMask);
    std::uint32_t length;
    std::memcpy(&length, at, sizeof(length));
    return {reinterpret_cast<const char*>(at + sizeof(length)), length};
  }
  // The number at `i`, by its Type(): in the word after it.
  template <typename Number>
  Number NumberAt(std::uint32_t i) const {
    Number n;
    std::memcpy(&n, &tape_[i + 1], sizeof(n));
    return n;
  }

 private:
  static constexpr std::uint64_t kPayloadMask = (std::uint64_t{1} << 56) - 1;
  static constexpr std::uint32_t kCountMask = (std::uint32_t{1} << 24) - 1;
  const std::uint64_t* tape_;
  const std::uint8_t* strings_;
};

}  // namespace stepd::internal
