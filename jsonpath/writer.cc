#include "jsonpath/writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "jsonpath/arena.h"

namespace stepd {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// The output under construction: a growable array written through a cursor, so that the inner
// loops pay one capacity check per token rather than one per character. One per thread,
// reused, so serialising allocates only until it has grown to the largest output seen.
class Buffer {
 public:
  void Clear() { size_ = 0; }
  void Reserve(std::size_t extra) {
    if (capacity_ - size_ < extra) {
      Grow(extra);
    }
  }
  // Only after Reserve(): the unchecked writers.
  void PutUnchecked(char c) { data_[size_++] = c; }
  void PutUnchecked(const char* p, std::size_t n) {
    if (n != 0) {  // empty views may have a null data(), which memcpy must not see
      std::memcpy(data_.get() + size_, p, n);
      size_ += n;
    }
  }
  char* cursor() { return data_.get() + size_; }
  void Advance(std::size_t n) { size_ += n; }

  void Put(char c) {
    Reserve(1);
    PutUnchecked(c);
  }
  void Put(std::string_view text) {
    Reserve(text.size());
    PutUnchecked(text.data(), text.size());
  }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  void Grow(std::size_t extra) {
    const std::size_t capacity = std::max(capacity_ * 2, size_ + extra + 256);
    auto data = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ != 0) {
      std::memcpy(data.get(), data_.get(), size_);
    }
    data_ = std::move(data);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

Buffer& ThreadBuffer() {
  thread_local Buffer buffer;
  buffer.Clear();
  return buffer;
}

// True when any of the 8 bytes in `word` is below 0x20, a quote or a backslash (SWAR: a zero
// byte test on the word and on its XOR with each special character).
bool NeedsEscape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  const std::uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
  return (below_space | has_zero(word ^ (kOnes * '"')) | has_zero(word ^ (kOnes * '\\'))) != 0;
}

// Needs 6 bytes reserved.
void PutEscaped(unsigned char c, Buffer& out) {
  const char* two = nullptr;
  switch (c) {
    case '"':
      two = "\\\"";
      break;
    case '\\':
      two = "\\\\";
      break;
    case '\n':
      two = "\\n";
      break;
    case '\r':
      two = "\\r";
      break;
    case '\t':
      two = "\\t";
      break;
    case '\b':
      two = "\\b";
      break;
    case '\f':
      two = "\\f";
      break;
    default: {
      const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.PutUnchecked(escaped, sizeof(escaped));
      return;
    }
  }
  out.PutUnchecked(two, 2);
}

void PutString(std::string_view text, Buffer& out) {
  const char* data = text.data();
  const std::size_t size = text.size();
  out.Reserve(size * 6 + 2);  // every byte escaped as \u00XX at worst
  out.PutUnchecked('"');
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
    out.PutUnchecked(data + run_start, i - run_start);
    PutEscaped(c, out);
    run_start = ++i;
  }
  out.PutUnchecked(data + run_start, size - run_start);
  out.PutUnchecked('"');
}

void PutNumber(Value v, Buffer& out) {
  constexpr std::size_t kMaxNumberBytes = 32;
  out.Reserve(kMaxNumberBytes);
  char* begin = out.cursor();
  char* end = begin;
  switch (v.number_kind()) {
    case NumberKind::kInt64:
      end = std::to_chars(begin, begin + kMaxNumberBytes, v.AsInt()).ptr;
      break;
    case NumberKind::kUint64:
      end = std::to_chars(begin, begin + kMaxNumberBytes, v.AsUint()).ptr;
      break;
    case NumberKind::kDouble:
      end = begin + FormatDouble(v.AsDouble(), begin);
      break;
  }
  out.Advance(static_cast<std::size_t>(end - begin));
}

void Put(Value v, Buffer& out) {
  switch (v.type()) {
    case JsonType::kMissing:
      return;
    case JsonType::kNull:
      out.Put("null");
      return;
    case JsonType::kBool:
      out.Put(v.AsBool() ? std::string_view("true") : std::string_view("false"));
      return;
    case JsonType::kNumber:
      PutNumber(v, out);
      return;
    case JsonType::kString:
      PutString(v.AsString(), out);
      return;
    case JsonType::kArray: {
      if (const std::string_view verbatim = v.VerbatimJson(); !verbatim.empty()) {
        out.Put(verbatim);
        return;
      }
      out.Put('[');
      bool first = true;
      v.ForEachElement([&](Value item) {
        if (!first) {
          out.Put(',');
        }
        first = false;
        Put(item, out);
      });
      out.Put(']');
      return;
    }
    case JsonType::kObject: {
      if (const std::string_view verbatim = v.VerbatimJson(); !verbatim.empty()) {
        out.Put(verbatim);
        return;
      }
      out.Put('{');
      bool first = true;
      v.ForEachMember([&](std::string_view key, Value item) {
        if (item.IsMissing()) {
          return;
        }
        if (!first) {
          out.Put(',');
        }
        first = false;
        PutString(key, out);
        out.Put(':');
        Put(item, out);
      });
      out.Put('}');
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

void AppendJsonString(std::string_view text, std::string& out) {
  Buffer& buffer = ThreadBuffer();
  PutString(text, buffer);
  out.append(buffer.view());
}

void AppendJson(Value v, std::string& out) {
  Buffer& buffer = ThreadBuffer();
  Put(v, buffer);
  out.append(buffer.view());
}

std::string ToJson(Value v) {
  std::string out;
  AppendJson(v, out);
  return out;
}

std::string_view ToJsonInArena(Value v, Arena& arena) {
  Buffer& buffer = ThreadBuffer();
  Put(v, buffer);
  return arena.CopyString(buffer.view());
}

}  // namespace stepd
