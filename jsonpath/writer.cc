#include "jsonpath/writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "jsonpath/arena.h"
#include "jsonpath/internal/bytes.h"

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
  void PutWordUnchecked(std::uint64_t word) {
    std::memcpy(data_.get() + size_, &word, sizeof(word));
    size_ += sizeof(word);
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
  std::size_t size() const { return size_; }

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

// The two ways text is written: as JSON, or as the contents of a JSON string holding that
// JSON (what AppendJsonString would make of it), so that a payload embedded as a string is
// escaped in the same pass that writes it.
enum class Mode { kJson, kQuoted };

// The JSON escape of one byte that needs it (quote, backslash, control character).
struct Escape {
  char text[6];
  std::size_t size;
};

Escape EscapeOf(unsigned char c) {
  switch (c) {
    case '"':
      return {{'\\', '"'}, 2};
    case '\\':
      return {{'\\', '\\'}, 2};
    case '\n':
      return {{'\\', 'n'}, 2};
    case '\r':
      return {{'\\', 'r'}, 2};
    case '\t':
      return {{'\\', 't'}, 2};
    case '\b':
      return {{'\\', 'b'}, 2};
    case '\f':
      return {{'\\', 'f'}, 2};
    default:
      return {{'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]}, 6};
  }
}

// The longest a byte of string content can become: \u00XX, and escaped again \\u00XX.
template <Mode mode>
constexpr std::size_t kMaxEscapedByte = mode == Mode::kJson ? 6 : 7;

// Needs kMaxEscapedByte<mode> bytes reserved.
template <Mode mode>
void PutEscaped(unsigned char c, Buffer& out) {
  if (c == '"' || c == '\\') {  // the common escapes (payloads held as strings), inline
    if constexpr (mode == Mode::kQuoted) {
      out.PutUnchecked('\\');
      out.PutUnchecked('\\');
    }
    out.PutUnchecked('\\');
    out.PutUnchecked(static_cast<char>(c));
    return;
  }
  const Escape escape = EscapeOf(c);
  if constexpr (mode == Mode::kJson) {
    out.PutUnchecked(escape.text, escape.size);
  } else {
    // The escape is itself string content: its backslash doubles, its quote gains one.
    for (std::size_t i = 0; i < escape.size; ++i) {
      const char e = escape.text[i];
      if (e == '\\' || e == '"') {
        out.PutUnchecked('\\');
      }
      out.PutUnchecked(e);
    }
  }
}

// A quote that delimits a JSON string: `"`, or `\"` inside a quoted payload.
template <Mode mode>
void PutQuoteUnchecked(Buffer& out) {
  if constexpr (mode == Mode::kQuoted) {
    out.PutUnchecked('\\');
  }
  out.PutUnchecked('"');
}

// Copies a string of up to 16 bytes (most keys, many values) when it needs no escaping, with
// two overlapping loads instead of a loop; false, having written nothing, when it needs
// escaping. Needs `size` bytes reserved.
inline bool PutShortCleanUnchecked(const char* data, std::size_t size, Buffer& out) {
  using internal::LoadWord;
  char* dst = out.cursor();
  if (size >= 8) {
    const auto low = LoadWord<std::uint64_t>(data);
    const auto high = LoadWord<std::uint64_t>(data + size - 8);
    if (NeedsEscape(low) || NeedsEscape(high)) {
      return false;
    }
    std::memcpy(dst, &low, 8);
    std::memcpy(dst + size - 8, &high, 8);
  } else if (size >= 4) {
    const auto low = LoadWord<std::uint32_t>(data);
    const auto high = LoadWord<std::uint32_t>(data + size - 4);
    if (NeedsEscape(low | std::uint64_t{high} << 32)) {
      return false;
    }
    std::memcpy(dst, &low, 4);
    std::memcpy(dst + size - 4, &high, 4);
  } else if (size != 0) {
    // 1 to 3 bytes: the first, the middle and the last cover them all; the other bytes of the
    // word are a letter, which needs no escaping.
    const auto first = static_cast<unsigned char>(data[0]);
    const auto middle = static_cast<unsigned char>(data[size / 2]);
    const auto last = static_cast<unsigned char>(data[size - 1]);
    constexpr std::uint64_t kLetters = 0x6161616161000000ULL;
    if (NeedsEscape(kLetters | first | std::uint64_t{middle} << 8 | std::uint64_t{last} << 16)) {
      return false;
    }
    dst[0] = static_cast<char>(first);
    dst[size / 2] = static_cast<char>(middle);
    dst[size - 1] = static_cast<char>(last);
  }
  out.Advance(size);
  return true;
}

// The escaped bytes of `text`, without quotes. Needs kMaxEscapedByte<mode> per byte reserved.
template <Mode mode>
void PutStringContentUnchecked(std::string_view text, Buffer& out) {
  const char* data = text.data();
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    // Most strings need no escaping: clean 8-byte blocks are copied as they are checked, a word
    // at a time, with no call to memcpy.
    const std::size_t clean_from = i;
    while (i + 8 <= size) {
      const auto word = internal::LoadWord<std::uint64_t>(data + i);
      if (NeedsEscape(word)) {
        break;
      }
      out.PutWordUnchecked(word);
      i += 8;
    }
    // A clean tail after a clean block: its last 8 bytes, overlapping what was just copied.
    if (i > clean_from && i + 8 > size) {
      const auto word = internal::LoadWord<std::uint64_t>(data + size - 8);
      if (!NeedsEscape(word)) {
        std::memcpy(out.cursor() - (8 - (size - i)), &word, sizeof(word));
        out.Advance(size - i);
        return;
      }
    }
    // A block with something to escape, or the tail: byte by byte.
    const std::size_t end = std::min(i + 8, size);
    for (; i < end; ++i) {
      const auto c = static_cast<unsigned char>(data[i]);
      if (c >= 0x20 && c != '"' && c != '\\') {
        out.PutUnchecked(static_cast<char>(c));
      } else {
        PutEscaped<mode>(c, out);
      }
    }
  }
}

// Strings up to this long are copied whole (PutShortCleanUnchecked) when they need no escaping.
constexpr std::size_t kShortString = 16;

// A string with its quotes. Needs StringReserve<mode>(text) bytes reserved.
template <Mode mode>
void PutStringUnchecked(std::string_view text, Buffer& out) {
  PutQuoteUnchecked<mode>(out);
  if (text.size() > kShortString || !PutShortCleanUnchecked(text.data(), text.size(), out)) {
    PutStringContentUnchecked<mode>(text, out);
  }
  PutQuoteUnchecked<mode>(out);
}

// The bytes PutStringUnchecked needs reserved for `text`: every byte escaped, and two quotes of
// up to two bytes each.
template <Mode mode>
std::size_t StringReserve(std::string_view text) {
  return text.size() * kMaxEscapedByte<mode> + 4;
}

template <Mode mode>
void PutString(std::string_view text, Buffer& out) {
  out.Reserve(StringReserve<mode>(text));
  PutStringUnchecked<mode>(text, out);
}

// JSON text that is already JSON (a verbatim subtree): as it is, or escaped as string content.
template <Mode mode>
void PutJsonText(std::string_view json, Buffer& out) {
  if constexpr (mode == Mode::kJson) {
    out.Put(json);
  } else {
    out.Reserve(json.size() * kMaxEscapedByte<mode>);
    PutStringContentUnchecked<Mode::kJson>(json, out);
  }
}

void PutNumber(Value v, Buffer& out) {
  constexpr std::size_t kMaxNumberBytes = 32;
  out.Reserve(kMaxNumberBytes);
  char* begin = out.cursor();
  char* end = begin;
  switch (v.number_kind()) {
    case NumberKind::kInt64:
      // Counts, indexes and codes are mostly one or two digits: written without to_chars.
      if (const std::int64_t i = v.AsInt(); i >= 0 && i < 100) {
        const auto n = static_cast<int>(i);
        begin[0] = static_cast<char>(n < 10 ? '0' + n : '0' + n / 10);
        begin[1] = static_cast<char>('0' + n % 10);
        end = begin + (n < 10 ? 1 : 2);
        break;
      }
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

}  // namespace

// The memo's table, for MemoScope.
class JsonMemoAccess {
 public:
  using Entry = JsonMemo::Entry;
  static Entry& SlotFor(JsonMemo& memo, Value v) {
    std::uint64_t halves[2];
    static_assert(sizeof(halves) == sizeof(Value));
    std::memcpy(halves, &v, sizeof(Value));
    const std::uint64_t hash =
        halves[0] * 0x9E3779B97F4A7C15ULL ^ halves[1] * 0xC2B2AE3D27D4EB4FULL;
    return memo.entries_[hash >> 56];  // the top 8 bits: 256 entries
  }
  static std::uint32_t generation(const JsonMemo& memo) { return memo.generation_; }
  static_assert(JsonMemo::kEntries == 256);
};

namespace {

// One AppendJsonSpans call's use of a memo. Text from before the call is in `earlier` (the output
// string); text the call writes goes to the buffer, whose byte 0 lands at earlier.size(). The
// value's text is cut into `spans`: runs of the buffer between references to known text.
class MemoScope {
 public:
  MemoScope(JsonMemo& memo, std::string_view earlier, std::vector<TextSpan>& spans)
      : memo_(memo), earlier_(earlier), spans_(spans), first_span_(spans.size()) {}

  // Refers to v's text, when the memo knows it, instead of writing it.
  bool ReferToKnown(Value v, const Buffer& out) {
    const auto& entry = JsonMemoAccess::SlotFor(memo_, v);
    if (entry.generation != JsonMemoAccess::generation(memo_) || !SameHandle(entry.key, v)) {
      return false;
    }
    EndRun(out.size());
    Push({entry.offset, entry.length});
    ++references_;
    return true;
  }

  // Only text written in one piece (with no reference inside) can be referred to later.
  std::size_t references() const { return references_; }

  void Remember(Value v, std::size_t buffer_offset, std::size_t length) {
    auto& entry = JsonMemoAccess::SlotFor(memo_, v);
    entry.key = v;
    entry.offset = static_cast<std::uint32_t>(earlier_.size() + buffer_offset);
    entry.length = static_cast<std::uint32_t>(length);
    entry.generation = JsonMemoAccess::generation(memo_);
  }

  // Closes the last run once the call has written everything.
  void Finish(const Buffer& out) { EndRun(out.size()); }

 private:
  void EndRun(std::size_t buffer_end) {
    if (buffer_end > run_start_) {
      Push({static_cast<std::uint32_t>(earlier_.size() + run_start_),
            static_cast<std::uint32_t>(buffer_end - run_start_)});
    }
    run_start_ = buffer_end;
  }

  void Push(TextSpan span) {
    if (spans_.size() > first_span_ && spans_.back().offset + spans_.back().length == span.offset) {
      spans_.back().length += span.length;  // adjacent pieces of this value read as one
    } else {
      spans_.push_back(span);
    }
  }

  JsonMemo& memo_;
  std::string_view earlier_;
  std::vector<TextSpan>& spans_;
  std::size_t first_span_;     // this call's first; earlier ones belong to other values
  std::size_t run_start_ = 0;  // where the buffer's current run began
  std::size_t references_ = 0;
};

// Numbers, literals and punctuation read the same in both modes: only strings differ.
template <Mode mode>
void Put(Value v, Buffer& out, MemoScope* memo = nullptr);

template <Mode mode>
void PutArray(Value v, Buffer& out, MemoScope* memo) {
  out.Put('[');
  bool first = true;
  v.ForEachElement([&](Value item) {
    if (!first) {
      out.Put(',');
    }
    first = false;
    Put<mode>(item, out, memo);
  });
  out.Put(']');
}

template <Mode mode>
void PutObject(Value v, Buffer& out, MemoScope* memo) {
  out.Put('{');
  bool first = true;
  v.ForEachMember([&](std::string_view key, Value item) {
    if (item.IsMissing()) {
      return;
    }
    out.Reserve(StringReserve<mode>(key) + 2);  // the key, a comma and a colon
    if (!first) {
      out.PutUnchecked(',');
    }
    first = false;
    PutStringUnchecked<mode>(key, out);
    out.PutUnchecked(':');
    Put<mode>(item, out, memo);
  });
  out.Put('}');
}

// An array or object: referred to when the memo knows it, else written (as its verbatim text when
// it has one) and, when written in one piece, remembered.
template <Mode mode>
void PutContainer(Value v, Buffer& out, MemoScope* memo) {
  if (memo != nullptr && memo->ReferToKnown(v, out)) {
    return;
  }
  const std::size_t start = out.size();
  const std::size_t references = memo != nullptr ? memo->references() : 0;
  if (const std::string_view verbatim = v.VerbatimJson(); !verbatim.empty()) {
    PutJsonText<mode>(verbatim, out);
  } else if (v.type() == JsonType::kArray) {
    PutArray<mode>(v, out, memo);
  } else {
    PutObject<mode>(v, out, memo);
  }
  if (memo != nullptr && memo->references() == references) {
    memo->Remember(v, start, out.size() - start);
  }
}

// `memo`, only ever given in Mode::kJson, refers to and records containers.
template <Mode mode>
void Put(Value v, Buffer& out, MemoScope* memo) {
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
      PutString<mode>(v.AsString(), out);
      return;
    case JsonType::kArray:
    case JsonType::kObject:
      PutContainer<mode>(v, out, memo);
      return;
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
  PutString<Mode::kJson>(text, buffer);
  out.append(buffer.view());
}

void AppendJson(Value v, std::string& out) {
  Buffer& buffer = ThreadBuffer();
  Put<Mode::kJson>(v, buffer);
  out.append(buffer.view());
}

void AppendJsonAsString(Value v, std::string& out) {
  Buffer& buffer = ThreadBuffer();
  buffer.Put('"');
  Put<Mode::kQuoted>(v, buffer);
  buffer.Put('"');
  out.append(buffer.view());
}

void AppendJsonSpans(Value v, std::string& out, JsonMemo& memo, std::vector<TextSpan>& spans) {
  Buffer& buffer = ThreadBuffer();
  MemoScope scope(memo, out, spans);
  Put<Mode::kJson>(v, buffer, &scope);
  scope.Finish(buffer);
  out.append(buffer.view());
}

std::string ToJson(Value v) {
  std::string out;
  AppendJson(v, out);
  return out;
}

std::string_view ToJsonInArena(Value v, Arena& arena) {
  Buffer& buffer = ThreadBuffer();
  Put<Mode::kJson>(v, buffer);
  return arena.CopyString(buffer.view());
}

}  // namespace stepd
