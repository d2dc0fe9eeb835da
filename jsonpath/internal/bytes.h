#pragma once
// Byte helpers for the short strings JSON is made of (keys, mostly): at these sizes a call to
// memcmp or memcpy costs more than the work, so they use word loads, overlapping where a length
// is not a multiple of the word, and never reading outside the string.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace stepd::internal {

// The bytes at p as a Word, whatever p's alignment.
template <typename Word>
Word LoadWord(const char* p) {
  Word word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

// Equal bytes in a[0, n) and b[0, n).
inline bool ShortBytesEqual(const char* a, const char* b, std::size_t n) {
  if (n >= 8) {
    if (n > 16) {
      return std::memcmp(a, b, n) == 0;
    }
    return LoadWord<std::uint64_t>(a) == LoadWord<std::uint64_t>(b) &&
           LoadWord<std::uint64_t>(a + n - 8) == LoadWord<std::uint64_t>(b + n - 8);
  }
  if (n >= 4) {
    return LoadWord<std::uint32_t>(a) == LoadWord<std::uint32_t>(b) &&
           LoadWord<std::uint32_t>(a + n - 4) == LoadWord<std::uint32_t>(b + n - 4);
  }
  // 1 to 3 bytes: the first, the middle and the last cover them all.
  return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]);
}

// String equality for object keys: memcmp only beyond 16 bytes.
inline bool KeyEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ShortBytesEqual(a.data(), b.data(), a.size());
}

}  // namespace stepd::internal
