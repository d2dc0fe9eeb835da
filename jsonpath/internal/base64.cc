#include "jsonpath/internal/base64.h"

#include <array>
#include <cstdint>

namespace stepd::internal {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t kInvalid = 0xFF;
constexpr std::uint8_t kSkip = 0xFE;

constexpr std::array<std::uint8_t, 256> MakeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) {
    entry = kInvalid;
  }
  for (std::uint8_t i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = i;
  }
  table[' '] = kSkip;
  table['\t'] = kSkip;
  table['\r'] = kSkip;
  table['\n'] = kSkip;
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

void Base64Encode(std::string_view data, char* out) {
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t triple =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | std::uint32_t{in[i + 2]};
    *out++ = kAlphabet[(triple >> 18) & 0x3F];
    *out++ = kAlphabet[(triple >> 12) & 0x3F];
    *out++ = kAlphabet[(triple >> 6) & 0x3F];
    *out++ = kAlphabet[triple & 0x3F];
  }
  const std::size_t rest = data.size() - i;
  if (rest == 0) {
    return;
  }
  const std::uint32_t triple =
      (std::uint32_t{in[i]} << 16) | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0U);
  *out++ = kAlphabet[(triple >> 18) & 0x3F];
  *out++ = kAlphabet[(triple >> 12) & 0x3F];
  *out++ = rest == 2 ? kAlphabet[(triple >> 6) & 0x3F] : '=';
  *out = '=';
}

std::ptrdiff_t Base64Decode(std::string_view text, char* out) {
  char* const begin = out;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  // Whole quads of alphabet symbols, the bulk of any input, become 3 bytes at a time; the loop
  // below takes over at the first padding, space or invalid byte (all have the top bits set in
  // the table) with no bits pending.
  std::size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const std::uint32_t a = kDecode[in[i]];
    const std::uint32_t b = kDecode[in[i + 1]];
    const std::uint32_t c = kDecode[in[i + 2]];
    const std::uint32_t d = kDecode[in[i + 3]];
    if (((a | b | c | d) & 0xC0) != 0) {
      break;
    }
    const std::uint32_t triple = (a << 18) | (b << 12) | (c << 6) | d;
    *out++ = static_cast<char>(triple >> 16);
    *out++ = static_cast<char>((triple >> 8) & 0xFF);
    *out++ = static_cast<char>(triple & 0xFF);
  }
  std::uint32_t accumulator = 0;
  int bits = 0;
  std::size_t padding = 0;
  std::size_t symbols = i;
  for (const char c : text.substr(i)) {
    const std::uint8_t value = kDecode[static_cast<unsigned char>(c)];
    if (value == kSkip) {
      continue;
    }
    if (c == '=') {
      ++padding;
      continue;
    }
    if (value == kInvalid || padding > 0) {
      return -1;  // not Base64, or data after the padding
    }
    ++symbols;
    accumulator = (accumulator << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out++ = static_cast<char>((accumulator >> bits) & 0xFF);
    }
  }
  // A lone trailing symbol carries fewer than 8 bits; padding never exceeds two.
  if (symbols % 4 == 1 || padding > 2 || (padding > 0 && (symbols + padding) % 4 != 0)) {
    return -1;
  }
  return out - begin;
}

}  // namespace stepd::internal
