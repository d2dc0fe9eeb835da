#pragma once
// Decoding one UTF-8 sequence, for code that walks text by code point (the intrinsics' repair
// and splitting, the regex matcher). Whole-text validation is simdjson's (IsValidUtf8).

#include <cstddef>
#include <string_view>

namespace stepd::internal {

struct Utf8Sequence {
  char32_t code_point;
  std::size_t length;  // 0: the bytes at the position form no well-formed sequence
};

// The sequence at text[i] (i < text.size()). Malformed: overlong forms, surrogates, code points
// beyond U+10FFFF, stray continuation bytes and sequences cut short by the end of the text.
inline Utf8Sequence DecodeUtf8(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const auto bits = [&](std::size_t k, unsigned mask) {
    return static_cast<char32_t>(byte(k) & mask);
  };
  const auto continues = [&](std::size_t count) {
    if (i + count > text.size()) {
      return false;
    }
    for (std::size_t k = 1; k < count; ++k) {
      if ((byte(k) & 0xC0) != 0x80) {
        return false;
      }
    }
    return true;
  };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    return {lead, 1};
  }
  if (lead >= 0xC2 && lead <= 0xDF && continues(2)) {
    return {bits(0, 0x1F) << 6 | bits(1, 0x3F), 2};
  }
  if (lead >= 0xE0 && lead <= 0xEF && continues(3)) {
    const char32_t c = bits(0, 0x0F) << 12 | bits(1, 0x3F) << 6 | bits(2, 0x3F);
    if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
      return {c, 3};
    }
  }
  if (lead >= 0xF0 && lead <= 0xF4 && continues(4)) {
    const char32_t c =
        bits(0, 0x07) << 18 | bits(1, 0x3F) << 12 | bits(2, 0x3F) << 6 | bits(3, 0x3F);
    if (c >= 0x10000 && c <= 0x10FFFF) {
      return {c, 4};
    }
  }
  return {0, 0};
}

}  // namespace stepd::internal
