#include "jsonpath/intrinsics.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <utility>

#include <simdjson.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/internal/base64.h"
#include "jsonpath/internal/bytes.h"
#include "jsonpath/internal/hash.h"
#include "jsonpath/internal/intrinsic_parser.h"
#include "jsonpath/internal/random.h"
#include "jsonpath/internal/utf8.h"
#include "jsonpath/path.h"
#include "jsonpath/writer.h"

namespace stepd {

using internal::IntrinsicArg;
using internal::IntrinsicCall;
using internal::IntrinsicFunction;

namespace {

// AWS limits: the input of Base64Encode/Base64Decode and the data of Hash, in Java characters
// (UTF-16 code units); the length of an ArrayRange result.
constexpr std::size_t kMaxCodecChars = 10000;
constexpr std::int64_t kMaxRangeItems = 1000;

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Text of results built piece by piece (Format, Hash of non-strings, repaired UTF-8): one
// buffer per thread, so steady-state evaluation does not allocate. A function body never
// evaluates another call while it writes here, so one buffer suffices.
std::string& ResultScratch() {
  thread_local std::string scratch;
  scratch.clear();
  return scratch;
}

void AppendInt(std::int64_t i, std::string& out) {
  char buffer[24];
  const char* end = std::to_chars(buffer, buffer + sizeof(buffer), i).ptr;
  out.append(buffer, static_cast<std::size_t>(end - buffer));
}

// Error causes such as "States.MathAdd: argument 1 must be a number, but it is a string",
// built in a per-thread buffer and copied into the execution's arena (an Error never owns
// its text).
class Cause {
 public:
  explicit Cause(std::string_view function) : out_(Buffer()) {
    out_.clear();
    out_.append(function);
    out_.append(": ");
  }

  Cause& operator<<(std::string_view text) {
    out_.append(text);
    return *this;
  }
  Cause& operator<<(std::int64_t i) {
    AppendInt(i, out_);
    return *this;
  }
  Cause& operator<<(std::size_t u) {
    char buffer[24];
    const char* end = std::to_chars(buffer, buffer + sizeof(buffer), u).ptr;
    out_.append(buffer, static_cast<std::size_t>(end - buffer));
    return *this;
  }
  Cause& operator<<(Value v) {
    AppendJson(v, out_);
    return *this;
  }

  Unexpected<Error> Fail(Arena& arena) const { return IntrinsicFailure(arena.CopyString(out_)); }

 private:
  static std::string& Buffer() {
    thread_local std::string buffer;
    return buffer;
  }
  std::string& out_;
};

std::string_view WithArticle(JsonType type) {
  switch (type) {
    case JsonType::kMissing:
      return "missing";
    case JsonType::kNull:
      return "null";
    case JsonType::kBool:
      return "a boolean";
    case JsonType::kNumber:
      return "a number";
    case JsonType::kString:
      return "a string";
    case JsonType::kArray:
      return "an array";
    case JsonType::kObject:
      return "an object";
  }
  return "unknown";
}

// Java's Math.round: halves round up (1.5 -> 2, -1.5 -> -1, -2.5 -> -2), which is how AWS
// turns number arguments into integers. Exact: x - floor(x) never rounds for finite doubles.
double JavaRound(double x) {
  const double floor = std::floor(x);
  return x - floor >= 0.5 ? floor + 1 : floor;
}

// Counts Java characters (UTF-16 code units) in UTF-8 text: one per code point, two for
// code points beyond U+FFFF (4-byte sequences).
std::size_t Utf16Length(std::string_view text) {
  std::size_t units = 0;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) != 0x80) {
      units += byte >= 0xF0 ? 2 : 1;
    }
  }
  return units;
}

// Whether `text` is valid UTF-8: a word-at-a-time ASCII check first, as short texts usually are
// ASCII, and simdjson's validator (through its dispatch) otherwise.
bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    if ((internal::LoadWord<std::uint64_t>(text.data() + i) & 0x8080808080808080ULL) != 0) {
      return simdjson::validate_utf8(text.data(), text.size());
    }
  }
  for (; i < text.size(); ++i) {
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      return simdjson::validate_utf8(text.data(), text.size());
    }
  }
  return true;
}

// Whether `text` exceeds AWS's codec limit. UTF-8 never takes fewer bytes than UTF-16 code
// units, so only texts longer than the limit in bytes need counting.
bool ExceedsCodecLimit(std::string_view text) {
  return text.size() > kMaxCodecChars && Utf16Length(text) > kMaxCodecChars;
}

// One invocation being evaluated: the call node and its evaluated arguments.
struct Invocation {
  const IntrinsicCall& call;
  std::span<const Value> args;
  Arena& arena;

  std::string_view name() const { return internal::SignatureOf(call.function).name; }
  Cause Problem() const { return Cause(name()); }

  Unexpected<Error> WrongType(std::size_t index, std::string_view expected) const {
    return (Problem() << "argument " << index + 1 << " must be " << expected << ", but it is "
                      << WithArticle(args[index].type()))
        .Fail(arena);
  }

  Result<std::string_view> String(std::size_t index) const {
    if (!args[index].IsString()) {
      return WrongType(index, "a string");
    }
    return args[index].AsString();
  }

  // A number argument rounded to an integer as AWS does, within [min, max].
  Result<std::int64_t> Integer(std::size_t index, std::int64_t min, std::int64_t max) const {
    const Value v = args[index];
    if (!v.IsNumber()) {
      return WrongType(index, "a number");
    }
    bool in_range = false;
    std::int64_t i = 0;
    if (v.number_kind() == NumberKind::kInt64) {
      i = v.AsInt();
      in_range = true;
    } else if (v.number_kind() == NumberKind::kDouble) {
      const double rounded = JavaRound(v.AsDouble());
      // 2^63 is exact as a double; anything in [-2^63, 2^63) converts without overflow.
      if (std::isfinite(rounded) && rounded >= -9223372036854775808.0 &&
          rounded < 9223372036854775808.0) {
        i = static_cast<std::int64_t>(rounded);
        in_range = true;
      }
    }
    if (!in_range || i < min || i > max) {
      return (Problem() << "argument " << index + 1 << " (" << v << ") must be between " << min
                        << " and " << max)
          .Fail(arena);
    }
    return i;
  }
};

Unexpected<Error> PathNotFound(const CompiledPath& path, const EvalContext& ctx) {
  Value root = ctx.input;
  if (path.root() == PathRoot::kContext) {
    root = ctx.context;
  } else if (path.root() == PathRoot::kVariable) {
    root = ctx.Variable(path.variable());
  }
  std::string& cause = ResultScratch();
  cause.append("The JsonPath argument for the field '");
  cause.append(path.text());
  cause.append("' could not be found in the input '");
  AppendJson(root, cause);
  cause.append("'");
  return RuntimeFailure(ctx.arena->CopyString(cause));
}

// How States.Format prints a value, as Java's toString() does on AWS: strings raw, objects as
// {key=value, ...}, arrays as [a, b], numbers and literals as in JSON.
void AppendFormatted(Value v, std::string& out) {
  switch (v.type()) {
    case JsonType::kString:
      out.append(v.AsString());
      return;
    case JsonType::kArray: {
      out.push_back('[');
      bool first = true;
      v.ForEachElement([&](Value item) {
        out.append(first ? "" : ", ");
        first = false;
        AppendFormatted(item, out);
      });
      out.push_back(']');
      return;
    }
    case JsonType::kObject: {
      out.push_back('{');
      bool first = true;
      v.ForEachMember([&](std::string_view key, Value item) {
        out.append(first ? "" : ", ");
        first = false;
        out.append(key);
        out.push_back('=');
        AppendFormatted(item, out);
      });
      out.push_back('}');
      return;
    }
    default:
      AppendJson(v, out);
      return;
  }
}

// States.Format with a literal template whose values are all strings and int64 numbers, the
// usual case, written straight into the arena (their printed length is bounded up front);
// Missing when some value is of another kind.
Value FormatSimple(const std::vector<std::string_view>& pieces, std::span<const Value> values,
                   Arena& arena) {
  constexpr std::size_t kMaxIntChars = 20;
  std::size_t bound = 0;
  for (const std::string_view piece : pieces) {
    bound += piece.size();
  }
  for (const Value v : values) {
    if (v.IsString()) {
      bound += v.AsString().size();
    } else if (v.IsNumber() && v.number_kind() == NumberKind::kInt64) {
      bound += kMaxIntChars;
    } else {
      return Value::Missing();
    }
  }
  if (bound == 0) {
    return Value::String(std::string_view("", 0));
  }
  char* const out = arena.AllocateArray<char>(bound);
  char* at = out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::memcpy(at, pieces[i].data(), pieces[i].size());
    at += pieces[i].size();
    if (i < values.size()) {
      const Value v = values[i];
      if (v.IsString()) {
        std::memcpy(at, v.AsString().data(), v.AsString().size());
        at += v.AsString().size();
      } else {
        at = std::to_chars(at, at + kMaxIntChars, v.AsInt()).ptr;
      }
    }
  }
  return Value::String({out, static_cast<std::size_t>(at - out)});
}

Result<Value> Format(const Invocation& in) {
  const std::size_t values = in.args.size() - 1;
  if (in.call.has_literal_template) {
    // The parser checked that the pieces match the arguments.
    const std::vector<std::string_view>& pieces = in.call.format_pieces;
    if (const Value simple = FormatSimple(pieces, in.args.subspan(1), in.arena);
        !simple.IsMissing()) {
      return simple;
    }
    std::string& out = ResultScratch();
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      out.append(pieces[i]);
      if (i < values) {
        AppendFormatted(in.args[i + 1], out);
      }
    }
    return Value::String(in.arena.CopyString(out));
  }
  STEPD_ASSIGN_OR_RETURN(const std::string_view format, in.String(0));
  std::string& out = ResultScratch();
  std::size_t placeholders = 0;
  for (std::size_t at = format.find("{}"); at != std::string_view::npos;
       at = format.find("{}", at + 2)) {
    ++placeholders;
  }
  if (placeholders != values) {
    return (in.Problem() << "the template has " << placeholders << " '{}' placeholders, but "
                         << values << " values follow it")
        .Fail(in.arena);
  }
  std::size_t start = 0;
  for (std::size_t i = 1; i <= values; ++i) {
    const std::size_t at = format.find("{}", start);
    out.append(format.substr(start, at - start));
    AppendFormatted(in.args[i], out);
    start = at + 2;
  }
  out.append(format.substr(start));
  return Value::String(in.arena.CopyString(out));
}

Result<Value> StringToJson(const Invocation& in) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view text, in.String(0));
  // AWS answers null for an empty (or blank) string rather than failing.
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Value::Null();
  }
  // One parser per thread; its views die at the next parse, so the result is copied out.
  thread_local Document document;
  const Result<Value> parsed = document.Parse(text);
  if (!parsed.has_value()) {
    return (in.Problem() << "argument 1 is not valid JSON (" << parsed.error().cause << ")")
        .Fail(in.arena);
  }
  return DeepCopy(*parsed, in.arena);
}

Result<Value> ArrayPartition(const Invocation& in) {
  if (!in.args[0].IsArray()) {
    return in.WrongType(0, "an array");
  }
  STEPD_ASSIGN_OR_RETURN(const std::int64_t chunk, in.Integer(1, kInt32Min, kInt32Max));
  if (chunk <= 0) {
    return (in.Problem() << "the chunk size (argument 2) must be greater than 0, but it is "
                         << in.args[1])
        .Fail(in.arena);
  }
  const std::size_t size = in.args[0].Size();
  const auto chunk_size = static_cast<std::size_t>(chunk);
  const std::size_t chunks = (size + chunk_size - 1) / chunk_size;
  // All items in one flat block; each chunk is a view of its slice.
  Value* items = in.arena.AllocateArray<Value>(size);
  std::size_t i = 0;
  in.args[0].ForEachElement([&](Value item) { new (&items[i++]) Value(item); });
  Value* result = in.arena.AllocateArray<Value>(chunks);
  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t first = k * chunk_size;
    new (&result[k]) Value(Value::Array(items + first, std::min(chunk_size, size - first)));
  }
  return Value::Array(result, chunks);
}

// DeepEquals, deciding two int64 numbers (the common array item) without the call.
bool SameValue(Value a, Value b) {
  if (a.IsNumber() && b.IsNumber() && a.number_kind() == NumberKind::kInt64 &&
      b.number_kind() == NumberKind::kInt64) {
    return a.AsInt() == b.AsInt();
  }
  return DeepEquals(a, b);
}

Result<Value> ArrayContains(const Invocation& in) {
  if (!in.args[0].IsArray()) {
    return in.WrongType(0, "an array");
  }
  const Value needle = in.args[1];
  const bool absent = in.args[0].AllElements([&](Value item) { return !SameValue(item, needle); });
  return Value::Bool(!absent);
}

Result<Value> ArrayRange(const Invocation& in) {
  STEPD_ASSIGN_OR_RETURN(const std::int64_t start, in.Integer(0, kInt32Min, kInt32Max));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t end, in.Integer(1, kInt32Min, kInt32Max));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t step, in.Integer(2, kInt32Min, kInt32Max));
  if (step == 0) {
    return (in.Problem() << "the step (argument 3) must not be 0").Fail(in.arena);
  }
  std::int64_t count = 0;
  if ((step > 0 && start <= end) || (step < 0 && start >= end)) {
    count = (end - start) / step + 1;
  }
  if (count > kMaxRangeItems) {
    return (in.Problem() << "the range would have " << count << " items; at most " << kMaxRangeItems
                         << " are allowed")
        .Fail(in.arena);
  }
  const auto n = static_cast<std::size_t>(count);
  Value* items = in.arena.AllocateArray<Value>(n);
  for (std::size_t k = 0; k < n; ++k) {
    new (&items[k]) Value(Value::Int(start + static_cast<std::int64_t>(k) * step));
  }
  return Value::Array(items, n);
}

Result<Value> ArrayGetItem(const Invocation& in) {
  if (!in.args[0].IsArray()) {
    return in.WrongType(0, "an array");
  }
  const Value index = in.args[1];
  if (!index.IsNumber()) {
    return in.WrongType(1, "a number");
  }
  const double d = index.AsDouble();
  if (!index.IsInteger() && d != std::floor(d)) {
    return (in.Problem() << "the index (argument 2) must be an integer, but it is " << index)
        .Fail(in.arena);
  }
  const std::size_t size = in.args[0].Size();
  const bool in_bounds = index.IsInteger()
                             ? index.number_kind() == NumberKind::kInt64 && index.AsInt() >= 0 &&
                                   static_cast<std::uint64_t>(index.AsInt()) < size
                             : d >= 0 && d < static_cast<double>(size);
  if (!in_bounds) {
    return (in.Problem() << "the index " << index << " is out of bounds for an array of " << size
                         << (size == 1 ? " item" : " items"))
        .Fail(in.arena);
  }
  const auto at =
      index.IsInteger() ? static_cast<std::size_t>(index.AsInt()) : static_cast<std::size_t>(d);
  return in.args[0].At(at);
}

Result<Value> ArrayLength(const Invocation& in) {
  if (!in.args[0].IsArray()) {
    return in.WrongType(0, "an array");
  }
  return Value::Int(static_cast<std::int64_t>(in.args[0].Size()));
}

Result<Value> ArrayUnique(const Invocation& in) {
  if (!in.args[0].IsArray()) {
    return in.WrongType(0, "an array");
  }
  const std::size_t size = in.args[0].Size();
  Value* items = in.arena.AllocateArray<Value>(size);
  // Open addressing over the kept items (slot = index + 1, 0 = empty), at most half full, so
  // deduplication is linear rather than quadratic. Lives in the arena like the result.
  std::size_t capacity = 4;
  while (capacity < size * 2) {
    capacity *= 2;
  }
  auto* slots = in.arena.AllocateArray<std::uint32_t>(capacity);
  std::memset(slots, 0, capacity * sizeof(std::uint32_t));
  std::size_t kept = 0;
  in.args[0].ForEachElement([&](Value item) {
    std::size_t slot = DeepHash(item) & (capacity - 1);
    while (slots[slot] != 0) {
      if (SameValue(items[slots[slot] - 1], item)) {
        return;
      }
      slot = (slot + 1) & (capacity - 1);
    }
    new (&items[kept]) Value(item);
    slots[slot] = static_cast<std::uint32_t>(++kept);
  });
  return Value::Array(items, kept);
}

Result<Value> Base64Encode(const Invocation& in) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view text, in.String(0));
  if (ExceedsCodecLimit(text)) {
    return (in.Problem() << "the input is longer than " << kMaxCodecChars << " characters")
        .Fail(in.arena);
  }
  const std::size_t size = internal::Base64EncodedSize(text.size());
  char* out = in.arena.AllocateArray<char>(size);
  internal::Base64Encode(text, out);
  return Value::String({out, size});
}

// Decoded bytes become a string as Java's new String(bytes, UTF_8) does: each malformed
// sequence turns into U+FFFD, so that the result is always valid JSON text.
std::string_view RepairUtf8(std::string_view bytes, Arena& arena) {
  if (IsValidUtf8(bytes)) {
    return bytes;
  }
  std::string& out = ResultScratch();
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::size_t length = internal::DecodeUtf8(bytes, i).length;
    if (length == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
  return arena.CopyString(out);
}

Result<Value> Base64Decode(const Invocation& in) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view text, in.String(0));
  if (ExceedsCodecLimit(text)) {
    return (in.Problem() << "the input is longer than " << kMaxCodecChars << " characters")
        .Fail(in.arena);
  }
  char* out = in.arena.AllocateArray<char>(internal::Base64DecodedMaxSize(text.size()));
  const std::ptrdiff_t size = internal::Base64Decode(text, out);
  if (size < 0) {
    return (in.Problem() << "argument 1 is not valid Base64").Fail(in.arena);
  }
  return Value::String(RepairUtf8({out, static_cast<std::size_t>(size)}, in.arena));
}

Result<Value> Hash(const Invocation& in) {
  // Data that is not a string is hashed as its JSON text.
  std::string_view data;
  if (in.args[0].IsString()) {
    data = in.args[0].AsString();
  } else {
    std::string& text = ResultScratch();
    AppendJson(in.args[0], text);
    data = text;
  }
  if (ExceedsCodecLimit(data)) {
    return (in.Problem() << "the data is longer than " << kMaxCodecChars << " characters")
        .Fail(in.arena);
  }
  STEPD_ASSIGN_OR_RETURN(const std::string_view algorithm, in.String(1));
  char hex[internal::kMaxHexDigestSize];
  const std::size_t size = internal::HexDigest(algorithm, data, hex);
  if (size == 0) {
    return (in.Problem() << "the algorithm '" << algorithm
                         << "' is not supported; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512")
        .Fail(in.arena);
  }
  return Value::String(in.arena.CopyString({hex, size}));
}

// `object` with its members copied into a flat array in the arena: looking a key up there
// compares views, where a lookup in a parsed document walks its tape.
Value FlatObject(Value object, Arena& arena) {
  Member* members = arena.AllocateArray<Member>(object.Size());
  std::size_t n = 0;
  object.ForEachMember([&](std::string_view key, Value value) {
    new (&members[n++]) Member{key, value};
  });
  return Value::Object(members, n);
}

Result<Value> JsonMerge(const Invocation& in) {
  if (!in.args[0].IsObject()) {
    return in.WrongType(0, "an object");
  }
  if (!in.args[1].IsObject()) {
    return in.WrongType(1, "an object");
  }
  if (!in.args[2].IsBool()) {
    return in.WrongType(2, "a boolean");
  }
  if (in.args[2].AsBool()) {
    return (in.Problem() << "deep merging is not supported; argument 3 must be false")
        .Fail(in.arena);
  }
  // Shallow: the first object's keys in order, each value replaced by the second object's when
  // it has the key, then the second object's other keys.
  const Value base = FlatObject(in.args[0], in.arena);
  const Value overlay = FlatObject(in.args[1], in.arena);
  Member* members = in.arena.AllocateArray<Member>(base.Size() + overlay.Size());
  std::size_t n = 0;
  base.ForEachMember([&](std::string_view key, Value value) {
    const Value replacement = overlay.Find(key);
    new (&members[n++]) Member{key, replacement.IsMissing() ? value : replacement};
  });
  overlay.ForEachMember([&](std::string_view key, Value value) {
    if (base.Find(key).IsMissing()) {
      new (&members[n++]) Member{key, value};
    }
  });
  return Value::Object(members, n);
}

Result<Value> MathRandom(const Invocation& in) {
  STEPD_ASSIGN_OR_RETURN(const std::int64_t start, in.Integer(0, kInt32Min, kInt32Max));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t end, in.Integer(1, kInt32Min, kInt32Max));
  if (start >= end) {
    return (in.Problem() << "the start (" << start << ") must be less than the end (" << end << ")")
        .Fail(in.arena);
  }
  const std::int64_t span = end - start;
  if (in.args.size() < 3) {
    const auto offset = internal::ThreadRandom() % static_cast<std::uint64_t>(span);
    return Value::Int(start + static_cast<std::int64_t>(offset));
  }
  STEPD_ASSIGN_OR_RETURN(const std::int64_t seed, in.Integer(2, kInt64Min, kInt64Max));
  // AWS draws a seeded number as new java.util.Random(seed).nextInt(end - start) + start;
  // Java's int subtraction cannot hold a wider span.
  if (span > kInt32Max) {
    return (in.Problem() << "the range from " << start << " to " << end
                         << " is too wide for a seeded random number")
        .Fail(in.arena);
  }
  internal::JavaRandom random(seed);
  return Value::Int(start + random.NextInt(static_cast<std::int32_t>(span)));
}

Result<Value> MathAdd(const Invocation& in) {
  STEPD_ASSIGN_OR_RETURN(const std::int64_t a, in.Integer(0, kInt32Min, kInt32Max));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t b, in.Integer(1, kInt32Min, kInt32Max));
  return Value::Int(a + b);
}

// Bit 7 of each byte of `word` that equals `byte`, and no other bit (exact, unlike the quick
// zero-byte test, which may flag the byte above a match).
std::uint64_t BytesEqualMask(std::uint64_t word, char byte) {
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  const std::uint64_t x = word ^ (0x0101010101010101ULL * static_cast<unsigned char>(byte));
  return ~(((x & kLow7) + kLow7) | x | kLow7);
}

// Calls fn(i) for every i where text[i] == byte, in order: a word at a time, as the texts are
// short and a call to memchr per piece cost more than the search.
template <typename Fn>
void ForEachByte(std::string_view text, char byte, Fn&& fn) {
  static_assert(std::endian::native == std::endian::little, "byte i is bits 8i to 8i+7");
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    const auto word = internal::LoadWord<std::uint64_t>(text.data() + i);
    for (std::uint64_t match = BytesEqualMask(word, byte); match != 0; match &= match - 1) {
      fn(i + static_cast<std::size_t>(std::countr_zero(match)) / 8);
    }
  }
  for (; i < text.size(); ++i) {
    if (text[i] == byte) {
      fn(i);
    }
  }
}

// StringSplit on one ASCII delimiter, the common case: counts the delimiters to size the result,
// then cuts at each, where the general loop below tests every byte against a table.
Value SplitOnByte(std::string_view text, char delimiter, Arena& arena) {
  std::size_t delimiters = 0;
  ForEachByte(text, delimiter, [&](std::size_t) { ++delimiters; });
  Value* items = arena.AllocateArray<Value>(delimiters + 1);
  std::size_t count = 0;
  std::size_t start = 0;
  const auto cut = [&](std::size_t end) {
    if (end > start) {
      new (&items[count++]) Value(Value::String(text.substr(start, end - start)));
    }
    start = end + 1;
  };
  ForEachByte(text, delimiter, cut);
  cut(text.size());
  return Value::Array(items, count);
}

// Splits on every character of the delimiter string and drops empty pieces, as Java's
// StringTokenizer does. The pieces are views of the input string.
Result<Value> StringSplit(const Invocation& in) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view text, in.String(0));
  STEPD_ASSIGN_OR_RETURN(const std::string_view delimiters, in.String(1));
  if (delimiters.size() == 1 && static_cast<unsigned char>(delimiters[0]) < 0x80) {
    return SplitOnByte(text, delimiters[0], in.arena);
  }
  bool ascii_delimiter[128] = {};
  bool has_multibyte_delimiter = false;
  for (const char c : delimiters) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      ascii_delimiter[byte] = true;
    } else {
      has_multibyte_delimiter = true;
    }
  }
  // Length of the delimiter character at text[i], or 0 when text[i] starts no delimiter.
  const auto delimiter_at = [&](std::size_t i) -> std::size_t {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      return ascii_delimiter[byte] ? 1 : 0;
    }
    if (!has_multibyte_delimiter) {
      return 0;
    }
    const std::size_t length = std::max<std::size_t>(internal::DecodeUtf8(text, i).length, 1);
    const std::string_view character = text.substr(i, length);
    for (std::size_t d = 0; d < delimiters.size();) {
      const std::size_t d_length =
          std::max<std::size_t>(internal::DecodeUtf8(delimiters, d).length, 1);
      if (delimiters.substr(d, d_length) == character) {
        return length;
      }
      d += d_length;
    }
    return 0;
  };
  // Two passes (count, then fill) so the result is allocated once.
  const auto for_each_token = [&](auto&& fn) {
    std::size_t token_start = 0;
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t length = delimiter_at(i);
      if (length == 0) {
        ++i;
        continue;
      }
      if (i > token_start) {
        fn(text.substr(token_start, i - token_start));
      }
      i += length;
      token_start = i;
    }
    if (text.size() > token_start) {
      fn(text.substr(token_start));
    }
  };
  std::size_t count = 0;
  for_each_token([&](std::string_view) { ++count; });
  Value* items = in.arena.AllocateArray<Value>(count);
  std::size_t k = 0;
  for_each_token([&](std::string_view token) { new (&items[k++]) Value(Value::String(token)); });
  return Value::Array(items, count);
}

Value Uuid(Arena& arena) {
  std::uint8_t bytes[16];
  const std::uint64_t high = internal::ThreadRandom();
  const std::uint64_t low = internal::ThreadRandom();
  std::memcpy(bytes, &high, 8);
  std::memcpy(bytes + 8, &low, 8);
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  constexpr char kHex[] = "0123456789abcdef";
  char* out = arena.AllocateArray<char>(36);
  std::size_t at = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out[at++] = '-';
    }
    out[at++] = kHex[bytes[i] >> 4];
    out[at++] = kHex[bytes[i] & 0xF];
  }
  return Value::String({out, 36});
}

Result<Value> Dispatch(const Invocation& in);

// The call's value, or Missing (which no intrinsic gives) after storing the failure in `error`.
// A Value comes back in two registers, where a Result<Value> comes back through memory in two
// 8-byte stores, and copying it whole from there into the arguments stalls store forwarding.
Value EvaluateCall(const IntrinsicCall& call, const EvalContext& ctx, Error& error) {
  Arena& arena = *ctx.arena;
  // Arguments live in the arena: States.Array returns them as they are. Each branch stores its
  // value itself, for the same reason: a Value merged from the branches goes through the stack.
  const std::size_t count = call.args.size();
  Value* args = arena.AllocateArray<Value>(count);
  for (std::size_t i = 0; i < count; ++i) {
    const IntrinsicArg& arg = call.args[i];
    switch (arg.kind) {
      case IntrinsicArg::Kind::kLiteral:
        new (&args[i]) Value(arg.literal);
        break;
      case IntrinsicArg::Kind::kPath: {
        const Value selected = arg.path->Select(ctx);
        if (selected.IsMissing()) {
          error = PathNotFound(*arg.path, ctx).error();
          return selected;
        }
        new (&args[i]) Value(selected);
        break;
      }
      case IntrinsicArg::Kind::kCall: {
        const Value value = EvaluateCall(*arg.call, ctx, error);
        if (value.IsMissing()) {
          return value;
        }
        new (&args[i]) Value(value);
        break;
      }
    }
  }
  Result<Value> result = Dispatch(Invocation{call, {args, count}, arena});
  if (!result.has_value()) {
    error = std::move(result).error();
    return Value::Missing();
  }
  return *result;
}

Result<Value> Dispatch(const Invocation& in) {
  switch (in.call.function) {
    case IntrinsicFunction::kFormat:
      return Format(in);
    case IntrinsicFunction::kStringToJson:
      return StringToJson(in);
    case IntrinsicFunction::kJsonToString:
      return Value::String(ToJsonInArena(in.args[0], in.arena));
    case IntrinsicFunction::kArray:
      return Value::Array(in.args.data(), in.args.size());
    case IntrinsicFunction::kArrayPartition:
      return ArrayPartition(in);
    case IntrinsicFunction::kArrayContains:
      return ArrayContains(in);
    case IntrinsicFunction::kArrayRange:
      return ArrayRange(in);
    case IntrinsicFunction::kArrayGetItem:
      return ArrayGetItem(in);
    case IntrinsicFunction::kArrayLength:
      return ArrayLength(in);
    case IntrinsicFunction::kArrayUnique:
      return ArrayUnique(in);
    case IntrinsicFunction::kBase64Encode:
      return Base64Encode(in);
    case IntrinsicFunction::kBase64Decode:
      return Base64Decode(in);
    case IntrinsicFunction::kHash:
      return Hash(in);
    case IntrinsicFunction::kJsonMerge:
      return JsonMerge(in);
    case IntrinsicFunction::kMathRandom:
      return MathRandom(in);
    case IntrinsicFunction::kMathAdd:
      return MathAdd(in);
    case IntrinsicFunction::kStringSplit:
      return StringSplit(in);
    case IntrinsicFunction::kUuid:
      return Uuid(in.arena);
  }
  return Value::Missing();
}

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

bool LooksLikeIntrinsic(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || !text.substr(start).starts_with("States.")) {
    return false;
  }
  std::size_t i = start + 7;
  const std::size_t name_start = i;
  while (i < text.size() && IsNameChar(text[i])) {
    ++i;
  }
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
    ++i;
  }
  return i > name_start && i < text.size() && text[i] == '(';
}

CompileResult<CompiledIntrinsic> CompiledIntrinsic::Compile(std::string_view text,
                                                            const CompileOptions& options) {
  auto call = internal::ParseIntrinsic(text, options);
  if (!call.has_value()) {
    return Unexpected<CompileError>(std::move(call).error());
  }
  return CompiledIntrinsic(std::move(call).value(), std::string(text));
}

CompiledIntrinsic::CompiledIntrinsic(std::unique_ptr<internal::IntrinsicCall> call,
                                     std::string text)
    : call_(std::move(call)), text_(std::move(text)) {}

CompiledIntrinsic::CompiledIntrinsic(CompiledIntrinsic&&) noexcept = default;
CompiledIntrinsic& CompiledIntrinsic::operator=(CompiledIntrinsic&&) noexcept = default;
CompiledIntrinsic::~CompiledIntrinsic() = default;

Result<Value> CompiledIntrinsic::Evaluate(const EvalContext& ctx) const {
  Error error;
  return ValueOrError(EvaluateCall(*call_, ctx, error), error);
}

Value CompiledIntrinsic::Evaluate(const EvalContext& ctx, Error& error) const {
  return EvaluateCall(*call_, ctx, error);
}

std::string_view CompiledIntrinsic::text() const { return text_; }

namespace {

void ForEachPathIn(IntrinsicCall& call, const std::function<void(CompiledPath&)>& fn) {
  for (IntrinsicArg& arg : call.args) {
    if (arg.kind == IntrinsicArg::Kind::kPath) {
      fn(*arg.path);
    } else if (arg.kind == IntrinsicArg::Kind::kCall) {
      ForEachPathIn(*arg.call, fn);
    }
  }
}

}  // namespace

void CompiledIntrinsic::ForEachPath(const std::function<void(CompiledPath&)>& fn) {
  ForEachPathIn(*call_, fn);
}

}  // namespace stepd
