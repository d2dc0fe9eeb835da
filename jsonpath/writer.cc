#include "jsonpath/writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "jsonpath/arena.h"

namespace stepd {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

void AppendInt(std::int64_t i, std::string& out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), i);
  out.append(buffer, result.ptr);
}

void AppendUint(std::uint64_t u, std::string& out) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), u);
  out.append(buffer, result.ptr);
}

void AppendNumber(Value v, std::string& out) {
  switch (v.number_kind()) {
    case NumberKind::kInt64:
      AppendInt(v.AsInt(), out);
      return;
    case NumberKind::kUint64:
      AppendUint(v.AsUint(), out);
      return;
    case NumberKind::kDouble: {
      char buffer[32];
      out.append(buffer, FormatDouble(v.AsDouble(), buffer));
      return;
    }
  }
}

}  // namespace

std::size_t FormatDouble(double d, char* buffer) {
  if (!std::isfinite(d)) {
    std::memcpy(buffer, "null", 4);
    return 4;
  }
  char* out = buffer;
  if (std::signbit(d)) {
    *out++ = '-';
    d = -d;
  }
  if (d == 0) {
    std::memcpy(out, "0.0", 3);
    return static_cast<std::size_t>(out + 3 - buffer);
  }
  // Shortest round-trip digits in scientific form: "d[.ddd]e[+-]xx".
  char sci[32];
  const auto result = std::to_chars(sci, sci + sizeof(sci), d, std::chars_format::scientific);
  const char* e_pos =
      static_cast<const char*>(std::memchr(sci, 'e', static_cast<std::size_t>(result.ptr - sci)));
  char digits[24];
  std::size_t n = 0;
  for (const char* p = sci; p < e_pos; ++p) {
    if (*p != '.') {
      digits[n++] = *p;
    }
  }
  int exponent = 0;
  std::from_chars(e_pos + (e_pos[1] == '+' ? 2 : 1), result.ptr, exponent);

  if (exponent >= -3 && exponent < 7) {
    if (exponent >= 0) {
      const std::size_t int_digits = static_cast<std::size_t>(exponent) + 1;
      for (std::size_t i = 0; i < int_digits; ++i) {
        *out++ = i < n ? digits[i] : '0';
      }
      *out++ = '.';
      if (n > int_digits) {
        std::memcpy(out, digits + int_digits, n - int_digits);
        out += n - int_digits;
      } else {
        *out++ = '0';
      }
    } else {
      *out++ = '0';
      *out++ = '.';
      for (int i = -1; i > exponent; --i) {
        *out++ = '0';
      }
      std::memcpy(out, digits, n);
      out += n;
    }
    return static_cast<std::size_t>(out - buffer);
  }
  *out++ = digits[0];
  *out++ = '.';
  if (n > 1) {
    std::memcpy(out, digits + 1, n - 1);
    out += n - 1;
  } else {
    *out++ = '0';
  }
  *out++ = 'E';
  out = std::to_chars(out, buffer + 32, exponent).ptr;
  return static_cast<std::size_t>(out - buffer);
}

namespace {

// True when any of the 8 bytes in `word` is below 0x20, a quote or a backslash (SWAR: a zero byte
// test on the word and on its XOR with each special character).
bool NeedsEscape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const std::uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
  return (below_space | has_zero(word ^ (kOnes * '"')) | has_zero(word ^ (kOnes * '\\'))) != 0;
}

void AppendEscaped(unsigned char c, std::string& out) {
  switch (c) {
    case '"':
      out.append("\\\"");
      break;
    case '\\':
      out.append("\\\\");
      break;
    case '\n':
      out.append("\\n");
      break;
    case '\r':
      out.append("\\r");
      break;
    case '\t':
      out.append("\\t");
      break;
    case '\b':
      out.append("\\b");
      break;
    case '\f':
      out.append("\\f");
      break;
    default: {
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(escaped, sizeof(escaped));
    }
  }
}

}  // namespace

void AppendJsonString(std::string_view text, std::string& out) {
  out.push_back('"');
  const char* data = text.data();
  const std::size_t size = text.size();
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < size) {
    // Most strings need no escaping: skip clean 8-byte blocks without looking at each byte.
    if (i + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, data + i, sizeof(word));
      if (!NeedsEscape(word)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(data[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(data + run_start, i - run_start);
    AppendEscaped(c, out);
    run_start = ++i;
  }
  out.append(data + run_start, size - run_start);
  out.push_back('"');
}

void AppendJson(Value v, std::string& out) {
  switch (v.type()) {
    case JsonType::kMissing:
      return;
    case JsonType::kNull:
      out.append("null");
      return;
    case JsonType::kBool:
      out.append(v.AsBool() ? "true" : "false");
      return;
    case JsonType::kNumber:
      AppendNumber(v, out);
      return;
    case JsonType::kString:
      AppendJsonString(v.AsString(), out);
      return;
    case JsonType::kArray: {
      out.push_back('[');
      bool first = true;
      v.ForEachElement([&](Value item) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        AppendJson(item, out);
      });
      out.push_back(']');
      return;
    }
    case JsonType::kObject: {
      out.push_back('{');
      bool first = true;
      v.ForEachMember([&](std::string_view key, Value item) {
        if (item.IsMissing()) {
          return;
        }
        if (!first) {
          out.push_back(',');
        }
        first = false;
        AppendJsonString(key, out);
        out.push_back(':');
        AppendJson(item, out);
      });
      out.push_back('}');
      return;
    }
  }
}

std::string ToJson(Value v) {
  std::string out;
  AppendJson(v, out);
  return out;
}

std::string_view ToJsonInArena(Value v, Arena& arena) {
  // One scratch buffer per thread: serialising for an error cause allocates only until the
  // buffer has grown to the largest value seen.
  thread_local std::string scratch;
  scratch.clear();
  AppendJson(v, scratch);
  return arena.CopyString(scratch);
}

}  // namespace stepd
