#include "jsonpath/writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "jsonpath/arena.h"
#include "jsonpath/internal/bytes.h"

// The writer's inner loops have their callees inlined by force in optimised builds: a call per
// token would cost a good part of the token. Not at -O0, where every inlined local keeps a stack
// slot of its own, and the writer, which recurses once per level of nesting, would need several
// KB a level under AddressSanitizer.
#ifdef __OPTIMIZE__
#define STEPD_HOT_INLINE [[gnu::always_inline]] inline
#define STEPD_HOT_LAMBDA __attribute__((always_inline))
#else
#define STEPD_HOT_INLINE inline
#define STEPD_HOT_LAMBDA
#endif

namespace stepd {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// The output under construction: a growable array written through a cursor that the writers
// take and return, so that it lives in a register: a char store may alias any object, so a
// cursor kept in a member would be reloaded and stored back around every byte written. Writers
// check the room left once per token (Reserve), not once per byte. One per thread, reused, so
// serialising allocates only until it has grown to the largest output seen.
class Buffer {
 public:
  char* begin() { return data_.get(); }
  // `at`, or where the text moved to, with room for `extra` more bytes after it.
  char* Reserve(char* at, std::size_t extra) {
    if (static_cast<std::size_t>(limit_ - at) < extra) [[unlikely]] {
      return Grow(at, extra);
    }
    return at;
  }
  std::size_t OffsetOf(const char* at) const { return static_cast<std::size_t>(at - data_.get()); }
  std::string_view TextBefore(const char* end) const { return {data_.get(), OffsetOf(end)}; }

 private:
  char* Grow(char* at, std::size_t extra) {
    const std::size_t size = OffsetOf(at);
    const std::size_t capacity =
        std::max(static_cast<std::size_t>(limit_ - data_.get()) * 2, size + extra + 256);
    auto data = std::make_unique_for_overwrite<char[]>(capacity);
    if (size != 0) {
      std::memcpy(data.get(), data_.get(), size);
    }
    data_ = std::move(data);
    limit_ = data_.get() + capacity;
    return data_.get() + size;
  }

  std::unique_ptr<char[]> data_;
  char* limit_ = nullptr;
};

Buffer& ThreadBuffer() {
  thread_local Buffer buffer;
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

// Sixteen bytes, checked at once by vector compares (GCC's vector extensions: SSE2 on x86-64,
// NEON on ARM), where two words cost twice the SWAR test above.
using Words2 = std::uint64_t __attribute__((vector_size(16)));
using Bytes16 = unsigned char __attribute__((vector_size(16)));

bool NeedsEscape(Words2 words) {
  const auto bytes = reinterpret_cast<Bytes16>(words);
  const auto special = reinterpret_cast<Words2>((bytes < 0x20) | (bytes == '"') | (bytes == '\\'));
  return (special[0] | special[1]) != 0;
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

// Writes the escape of `c` at `at`, which needs kMaxEscapedByte<mode> bytes of room.
template <Mode mode>
char* PutEscaped(unsigned char c, char* at) {
  if (c == '"' || c == '\\') {  // the common escapes (payloads held as strings), inline
    if constexpr (mode == Mode::kQuoted) {
      *at++ = '\\';
      *at++ = '\\';
    }
    *at++ = '\\';
    *at++ = static_cast<char>(c);
    return at;
  }
  const Escape escape = EscapeOf(c);
  if constexpr (mode == Mode::kJson) {
    std::memcpy(at, escape.text, escape.size);
    return at + escape.size;
  } else {
    // The escape is itself string content: its backslash doubles, its quote gains one.
    for (std::size_t i = 0; i < escape.size; ++i) {
      const char e = escape.text[i];
      if (e == '\\' || e == '"') {
        *at++ = '\\';
      }
      *at++ = e;
    }
    return at;
  }
}

// A quote that delimits a JSON string: `"`, or `\"` inside a quoted payload.
template <Mode mode>
char* PutQuote(char* at) {
  if constexpr (mode == Mode::kQuoted) {
    *at++ = '\\';
  }
  *at++ = '"';
  return at;
}

// Copies a string of up to 16 bytes (most keys, many values) to `at` when it needs no escaping,
// with two overlapping loads instead of a loop, and returns the end; nullptr, having written
// nothing, when it needs escaping.
STEPD_HOT_INLINE char* PutShortClean(const char* data, std::size_t size, char* at) {
  using internal::LoadWord;
  if (size >= 8) {
    const Words2 words = {LoadWord<std::uint64_t>(data), LoadWord<std::uint64_t>(data + size - 8)};
    if (NeedsEscape(words)) {
      return nullptr;
    }
    const std::uint64_t low = words[0];
    const std::uint64_t high = words[1];
    std::memcpy(at, &low, 8);
    std::memcpy(at + size - 8, &high, 8);
  } else if (size >= 4) {
    const auto low = LoadWord<std::uint32_t>(data);
    const auto high = LoadWord<std::uint32_t>(data + size - 4);
    if (NeedsEscape(low | std::uint64_t{high} << 32)) {
      return nullptr;
    }
    std::memcpy(at, &low, 4);
    std::memcpy(at + size - 4, &high, 4);
  } else if (size != 0) {
    // 1 to 3 bytes: the first, the middle and the last cover them all; the other bytes of the
    // word are a letter, which needs no escaping.
    const auto first = static_cast<unsigned char>(data[0]);
    const auto middle = static_cast<unsigned char>(data[size / 2]);
    const auto last = static_cast<unsigned char>(data[size - 1]);
    constexpr std::uint64_t kLetters = 0x6161616161000000ULL;
    if (NeedsEscape(kLetters | first | std::uint64_t{middle} << 8 | std::uint64_t{last} << 16)) {
      return nullptr;
    }
    at[0] = static_cast<char>(first);
    at[size / 2] = static_cast<char>(middle);
    at[size - 1] = static_cast<char>(last);
  }
  return at + size;
}

// Writes the escaped bytes of `text`, without quotes, at `at`, which needs kMaxEscapedByte<mode>
// bytes of room per byte of text.
template <Mode mode>
[[gnu::noinline]] char* PutStringContent(std::string_view text, char* at) {
  const char* data = text.data();
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    // Most strings need no escaping: clean 16-byte blocks are copied as they are checked, with
    // no call to memcpy.
    const std::size_t clean_from = i;
    while (i + 16 <= size) {
      const Words2 block = internal::LoadWord<Words2>(data + i);
      if (NeedsEscape(block)) {
        break;
      }
      std::memcpy(at, &block, sizeof(block));
      at += sizeof(block);
      i += 16;
    }
    // A clean tail after a clean block: its last 16 bytes, overlapping what was just copied.
    if (i > clean_from && i + 16 > size) {
      const Words2 block = internal::LoadWord<Words2>(data + size - 16);
      if (!NeedsEscape(block)) {
        std::memcpy(at - (16 - (size - i)), &block, sizeof(block));
        return at + (size - i);
      }
    }
    // A block with something to escape, or the tail: byte by byte.
    const std::size_t end = std::min(i + 16, size);
    for (; i < end; ++i) {
      const auto c = static_cast<unsigned char>(data[i]);
      if (c >= 0x20 && c != '"' && c != '\\') {
        *at++ = static_cast<char>(c);
      } else {
        at = PutEscaped<mode>(c, at);
      }
    }
  }
  return at;
}

// Strings up to this long are copied whole (PutShortClean) when they need no escaping.
constexpr std::size_t kShortString = 16;

// The room PutStringUnchecked needs for `text`: every byte escaped, and two quotes of up to two
// bytes each.
template <Mode mode>
std::size_t StringReserve(std::string_view text) {
  return text.size() * kMaxEscapedByte<mode> + 4;
}

// Writes `text` as a JSON string, with its quotes, at `at`, which needs StringReserve<mode>(text)
// bytes of room. Inlined into the container loops with the short copy: most strings are short.
template <Mode mode>
STEPD_HOT_INLINE char* PutStringUnchecked(std::string_view text, char* at) {
  at = PutQuote<mode>(at);
  char* end = nullptr;
  if (text.size() <= kShortString) {
    end = PutShortClean(text.data(), text.size(), at);
  }
  if (end == nullptr) {
    end = PutStringContent<mode>(text, at);
  }
  return PutQuote<mode>(end);
}

// JSON text that is already JSON (a verbatim subtree): as it is, or escaped as string content.
// Leaves room for one more byte, as the value writers below do.
template <Mode mode>
char* PutJsonText(std::string_view json, char* at, Buffer& out) {
  if constexpr (mode == Mode::kJson) {
    at = out.Reserve(at, json.size() + 1);
    std::memcpy(at, json.data(), json.size());
    return at + json.size();
  } else {
    at = out.Reserve(at, json.size() * kMaxEscapedByte<mode> + 1);
    return PutStringContent<Mode::kJson>(json, at);
  }
}

// The room PutNumberUnchecked needs.
constexpr std::size_t kMaxNumberBytes = 32;

[[gnu::noinline]] char* PutNumberOutOfLine(Value v, char* at) {
  switch (v.number_kind()) {
    case NumberKind::kInt64:
      return std::to_chars(at, at + kMaxNumberBytes, v.AsInt()).ptr;
    case NumberKind::kUint64:
      return std::to_chars(at, at + kMaxNumberBytes, v.AsUint()).ptr;
    case NumberKind::kDouble:
      return at + FormatDouble(v.AsDouble(), at);
  }
  return at;
}

// Inlined into the container loops with Put.
STEPD_HOT_INLINE char* PutNumberUnchecked(Value v, char* at) {
  // Counts, indexes and codes are mostly one or two digits: written without a call.
  if (v.number_kind() == NumberKind::kInt64 && static_cast<std::uint64_t>(v.AsInt()) < 100) {
    const auto n = static_cast<unsigned>(v.AsInt());
    at[0] = static_cast<char>(n < 10 ? '0' + n : '0' + n / 10);
    at[1] = static_cast<char>('0' + n % 10);
    return at + (n < 10 ? 1 : 2);
  }
  return PutNumberOutOfLine(v, at);
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
  // `buffer_offset`: where the text written so far ends.
  bool ReferToKnown(Value v, std::size_t buffer_offset) {
    const auto& entry = JsonMemoAccess::SlotFor(memo_, v);
    if (entry.generation != JsonMemoAccess::generation(memo_) || !SameHandle(entry.key, v)) {
      return false;
    }
    EndRun(buffer_offset);
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
  void Finish(std::size_t buffer_offset) { EndRun(buffer_offset); }

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

// The value writers take the cursor and return it advanced, always with room for one more byte
// after it: the comma or bracket that follows a value in its container. Numbers, literals and
// punctuation read the same in both modes: only strings differ. `memo`, only ever given in
// Mode::kJson, refers to and records containers.
template <Mode mode>
char* PutContainer(Value v, char* at, Buffer& out, MemoScope* memo);

// Inlined into the container loops, so that a scalar costs no call.
template <Mode mode>
STEPD_HOT_INLINE char* Put(Value v, char* at, Buffer& out, MemoScope* memo) {
  switch (v.type()) {
    case JsonType::kMissing:
      return out.Reserve(at, 1);
    case JsonType::kNull:
      at = out.Reserve(at, 4 + 1);
      std::memcpy(at, "null", 4);
      return at + 4;
    case JsonType::kBool:
      at = out.Reserve(at, 5 + 1);
      if (v.AsBool()) {
        std::memcpy(at, "true", 4);
        return at + 4;
      }
      std::memcpy(at, "false", 5);
      return at + 5;
    case JsonType::kNumber:
      at = out.Reserve(at, kMaxNumberBytes + 1);
      return PutNumberUnchecked(v, at);
    case JsonType::kString:
      at = out.Reserve(at, StringReserve<mode>(v.AsString()) + 1);
      return PutStringUnchecked<mode>(v.AsString(), at);
    case JsonType::kArray:
    case JsonType::kObject:
      return PutContainer<mode>(v, at, out, memo);
  }
  return at;
}

// Ends a container whose elements were each followed by a comma: the last comma becomes the
// bracket, or an empty container gains it (its opening reserved the room).
char* Close(char* at, char bracket, Buffer& out) {
  if (at[-1] == ',') {
    at[-1] = bracket;
  } else {
    *at++ = bracket;
  }
  return out.Reserve(at, 1);
}

// Arrays and objects skip Missing elements, as an object skips a member whose value is Missing.
// Arena nodes (most output) are walked in loops of their own and document views through their
// callbacks, inlined, so that the cursor stays in a register. (One inlined callback for both
// costs more than either loop: the body is then inlined into every branch of the walk.)
template <Mode mode>
STEPD_HOT_INLINE char* PutElement(Value item, char* at, Buffer& out, MemoScope* memo) {
  if (item.IsMissing()) {
    return at;
  }
  at = Put<mode>(item, at, out, memo);
  *at++ = ',';
  return at;
}

template <Mode mode>
STEPD_HOT_INLINE char* PutMember(std::string_view key, Value item, char* at, Buffer& out,
                                 MemoScope* memo) {
  if (item.IsMissing()) {
    return at;
  }
  at = out.Reserve(at, StringReserve<mode>(key) + 1);  // the key and its colon
  at = PutStringUnchecked<mode>(key, at);
  *at++ = ':';
  at = Put<mode>(item, at, out, memo);
  *at++ = ',';
  return at;
}

template <Mode mode>
char* PutArray(Value v, char* at, Buffer& out, MemoScope* memo) {
  at = out.Reserve(at, 2);
  *at++ = '[';
  if (const std::span<const Value> items = v.ArenaElements(); !items.empty()) {
    for (const Value item : items) {
      at = PutElement<mode>(item, at, out, memo);
    }
  } else {
    v.AllElements([&](Value item) STEPD_HOT_LAMBDA {
      at = PutElement<mode>(item, at, out, memo);
      return true;
    });
  }
  return Close(at, ']', out);
}

template <Mode mode>
char* PutObject(Value v, char* at, Buffer& out, MemoScope* memo) {
  at = out.Reserve(at, 2);
  *at++ = '{';
  if (const std::span<const Member> members = v.ArenaMembers(); !members.empty()) {
    for (const Member& member : members) {
      at = PutMember<mode>(member.key, member.value, at, out, memo);
    }
  } else {
    v.AllMembers([&](std::string_view key, Value item) STEPD_HOT_LAMBDA {
      at = PutMember<mode>(key, item, at, out, memo);
      return true;
    });
  }
  return Close(at, '}', out);
}

// An array or object: referred to when the memo knows it, else written (as its verbatim text when
// it has one) and, when written in one piece, remembered.
template <Mode mode>
char* PutContainer(Value v, char* at, Buffer& out, MemoScope* memo) {
  if (memo != nullptr && memo->ReferToKnown(v, out.OffsetOf(at))) {
    return out.Reserve(at, 1);
  }
  const std::size_t start = out.OffsetOf(at);
  const std::size_t references = memo != nullptr ? memo->references() : 0;
  if (const std::string_view verbatim = v.VerbatimJson(); !verbatim.empty()) {
    at = PutJsonText<mode>(verbatim, at, out);
  } else if (v.type() == JsonType::kArray) {
    at = PutArray<mode>(v, at, out, memo);
  } else {
    at = PutObject<mode>(v, at, out, memo);
  }
  if (memo != nullptr && memo->references() == references) {
    memo->Remember(v, start, out.OffsetOf(at) - start);
  }
  return at;
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
  char* at = buffer.Reserve(buffer.begin(), StringReserve<Mode::kJson>(text));
  at = PutStringUnchecked<Mode::kJson>(text, at);
  out.append(buffer.TextBefore(at));
}

void AppendJson(Value v, std::string& out) {
  Buffer& buffer = ThreadBuffer();
  const char* end = Put<Mode::kJson>(v, buffer.begin(), buffer, nullptr);
  out.append(buffer.TextBefore(end));
}

void AppendJsonAsString(Value v, std::string& out) {
  Buffer& buffer = ThreadBuffer();
  char* at = buffer.Reserve(buffer.begin(), 1);
  *at++ = '"';
  at = Put<Mode::kQuoted>(v, at, buffer, nullptr);  // leaves room for the closing quote
  *at++ = '"';
  out.append(buffer.TextBefore(at));
}

void AppendJsonSpans(Value v, std::string& out, JsonMemo& memo, std::vector<TextSpan>& spans) {
  Buffer& buffer = ThreadBuffer();
  MemoScope scope(memo, out, spans);
  const char* end = Put<Mode::kJson>(v, buffer.begin(), buffer, &scope);
  scope.Finish(buffer.OffsetOf(end));
  out.append(buffer.TextBefore(end));
}

std::string ToJson(Value v) {
  std::string out;
  AppendJson(v, out);
  return out;
}

std::string_view ToJsonInArena(Value v, Arena& arena) {
  Buffer& buffer = ThreadBuffer();
  const char* end = Put<Mode::kJson>(v, buffer.begin(), buffer, nullptr);
  return arena.CopyString(buffer.TextBefore(end));
}

}  // namespace stepd
