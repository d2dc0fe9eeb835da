#include "jsonpath/value.h"

#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

Value ParseOrDie(Document& doc, std::string_view text) {
  auto v = doc.Parse(text);
  EXPECT_TRUE(v.has_value()) << text;
  return v.has_value() ? *v : Value::Missing();
}

TEST(ValueTest, ParsesAndReserializesCompactlyKeepingKeyOrder) {
  Document doc;
  const Value root = ParseOrDie(doc, R"({ "b": 1, "a": [true, null, "x\"y", 2.5, -3], "c": {} })");
  EXPECT_EQ(ToJson(root), R"({"b":1,"a":[true,null,"x\"y",2.5,-3],"c":{}})");
}

TEST(ValueTest, ScalarsFromDocumentsAreInlineAndContainersAreViews) {
  Document doc;
  const Value root = ParseOrDie(doc, R"({"n": 7, "s": "text", "o": {"k": [1]}})");
  EXPECT_TRUE(root.IsDomView());
  EXPECT_TRUE(root.Find("o").IsDomView());
  EXPECT_TRUE(root.Find("o").Find("k").IsDomView());
  EXPECT_FALSE(root.Find("n").IsDomView());
  EXPECT_EQ(root.Find("n").AsInt(), 7);
  EXPECT_EQ(root.Find("s").AsString(), "text");
  EXPECT_TRUE(root.Find("missing").IsMissing());
  EXPECT_TRUE(root.Find("o").Find("k").At(1).IsMissing());
}

TEST(ValueTest, IntegersStayExactAndDoublesStayDoubles) {
  Document doc;
  const Value root = ParseOrDie(
      doc, R"([9007199254740993, -9223372036854775808, 18446744073709551615, 1.0, 1e2])");
  EXPECT_EQ(root.At(0).number_kind(), NumberKind::kInt64);
  EXPECT_EQ(root.At(0).AsInt(), 9007199254740993LL);
  EXPECT_EQ(root.At(1).AsInt(), INT64_MIN);
  EXPECT_EQ(root.At(2).number_kind(), NumberKind::kUint64);
  EXPECT_EQ(root.At(3).number_kind(), NumberKind::kDouble);
  EXPECT_EQ(ToJson(root), "[9007199254740993,-9223372036854775808,18446744073709551615,1.0,100.0]");
}

TEST(ValueTest, DocumentContainersCountPastTheTapesCountField) {
  // simdjson's tape holds a container's count in 24 bits, saturating; beyond that it is counted
  // by walking the container.
  constexpr std::size_t kElements = (std::size_t{1} << 24) + 2;
  std::string text;
  text.reserve(2 * kElements + 8);
  text += "{\"a\":[";
  for (std::size_t i = 0; i < kElements; ++i) {
    text += i + 1 == kElements ? "7]}" : "0,";
  }
  Document doc(std::numeric_limits<std::size_t>::max());  // the DOM, whatever the size
  const Value array = ParseOrDie(doc, text).Find("a");
  ASSERT_TRUE(array.IsDomView());
  EXPECT_EQ(array.Size(), kElements);
  EXPECT_EQ(array.At(kElements - 1).AsInt(), 7);
  EXPECT_TRUE(array.At(kElements).IsMissing());
}

TEST(ValueTest, DeepEqualsIgnoresKeyOrderAndComparesNumbersByValue) {
  Document a;
  Document b;
  EXPECT_TRUE(DeepEquals(ParseOrDie(a, R"({"x":1,"y":[1,{"z":null}]})"),
                         ParseOrDie(b, R"({"y":[1.0,{"z":null}],"x":1})")));
  EXPECT_FALSE(DeepEquals(ParseOrDie(a, "[1,2]"), ParseOrDie(b, "[2,1]")));
  EXPECT_FALSE(DeepEquals(ParseOrDie(a, R"({"x":1})"), ParseOrDie(b, R"({"x":1,"y":2})")));
  EXPECT_FALSE(DeepEquals(ParseOrDie(a, "true"), ParseOrDie(b, "1")));
  EXPECT_FALSE(DeepEquals(ParseOrDie(a, "null"), ParseOrDie(b, "0")));
  EXPECT_FALSE(DeepEquals(ParseOrDie(a, "9007199254740993"), ParseOrDie(b, "9007199254740992")));
}

TEST(ValueTest, ObjectsWithDuplicateKeysEqualThemselves) {
  Document a;
  Document b;
  EXPECT_TRUE(DeepEquals(ParseOrDie(a, R"({"a":1,"a":2})"), ParseOrDie(b, R"({"a":1,"a":2})")));
}

TEST(ValueTest, DeepHashAgreesWithDeepEquals) {
  Document a;
  Document b;
  EXPECT_EQ(DeepHash(ParseOrDie(a, R"({"x":1,"y":[2]})")),
            DeepHash(ParseOrDie(b, R"({"y":[2.0],"x":1.0})")));
}

TEST(ValueTest, DeepCopyOutlivesItsDocument) {
  Arena arena;
  Value copy;
  {
    Document doc;
    copy = DeepCopy(ParseOrDie(doc, R"({"k":["v",{"n":1.5}]})"), arena);
  }
  EXPECT_FALSE(copy.IsDomView());
  EXPECT_EQ(ToJson(copy), R"({"k":["v",{"n":1.5}]})");
}

TEST(ValueTest, ArrayCursorWalksDocumentAndArenaArrays) {
  Document doc;
  const Value array = ParseOrDie(doc, "[1,2,3]");
  Arena arena;
  for (const Value v : {array, DeepCopy(array, arena)}) {
    std::string seen;
    for (ArrayCursor c(v); !c.Done(); c.Next()) {
      seen += ToJson(c.Get());
    }
    EXPECT_EQ(seen, "123");
  }
  EXPECT_TRUE(ArrayCursor(Value::Int(1)).Done());
}

TEST(ValueTest, ArenaObjectsSkipMissingMembersWhenWritten) {
  Member members[] = {{"a", Value::Int(1)}, {"gone", Value::Missing()}, {"b", Value::Null()}};
  EXPECT_EQ(ToJson(Value::Object(members, 3)), R"({"a":1,"b":null})");
}

// The writer ends a container by turning the comma after its last element into the bracket:
// empty containers, nested closings and skipped last elements must all read right.
TEST(ValueTest, ContainersCloseWhateverTheirLastElement) {
  const Value none[] = {Value::Missing(), Value::Missing()};
  const Value some[] = {Value::Missing(), Value::Int(1), Value::Missing()};
  const Value empty_array = Value::Array(none, 0);
  const Value nested_items[] = {Value::Array(&empty_array, 1)};
  const Member inner[] = {{"b", Value::Object(nullptr, 0)}};
  const Member members[] = {{"a", Value::Object(inner, 1)},
                            {"skipped", Value::Array(none, 2)},
                            {"some", Value::Array(some, 3)},
                            {"nested", Value::Array(nested_items, 1)},
                            {"gone", Value::Missing()}};
  const Value object = Value::Object(members, 5);
  EXPECT_EQ(ToJson(object), R"({"a":{"b":{}},"skipped":[],"some":[1],"nested":[[[]]]})");
  std::string quoted;
  AppendJsonAsString(object, quoted);
  EXPECT_EQ(quoted, R"("{\"a\":{\"b\":{}},\"skipped\":[],\"some\":[1],\"nested\":[[[]]]}")");
  EXPECT_EQ(ToJson(Value::Missing()), "");
  quoted.clear();
  AppendJsonAsString(Value::Missing(), quoted);
  EXPECT_EQ(quoted, R"("")");
}

TEST(DocumentTest, RejectsInvalidJsonWithTheParserMessage) {
  Document doc;
  for (std::string_view bad :
       {"", "{", "{\"a\":}", "[1,]", "nul", "{\"a\" 1}", "\"\xff\xfe\"", "{\"a\":1}}", "01"}) {
    auto v = doc.Parse(bad);
    ASSERT_FALSE(v.has_value()) << bad;
    EXPECT_EQ(v.error().code, ErrorCode::kInvalidJson);
    EXPECT_FALSE(v.error().cause.empty());
  }
}

TEST(DocumentTest, RejectsNestingDeeperThanTheLimit) {
  Document doc;
  const std::string deep(Document::kMaxDepth + 1, '[');
  EXPECT_FALSE(doc.Parse(deep + std::string(Document::kMaxDepth + 1, ']')).has_value());
  const std::string fine(100, '[');
  EXPECT_TRUE(doc.Parse(fine + std::string(100, ']')).has_value());
}

TEST(DocumentTest, ReparsingReusesTheDocument) {
  Document doc;
  EXPECT_EQ(ToJson(ParseOrDie(doc, R"({"a":"first"})")), R"({"a":"first"})");
  EXPECT_EQ(ToJson(ParseOrDie(doc, "[2]")), "[2]");
  EXPECT_EQ(ToJson(doc.root()), "[2]");
}

TEST(ArenaTest, ResetKeepsBlocksForReuse) {
  Arena arena(1024);
  const void* first = arena.Allocate(100, 8);
  arena.Allocate(4000, 8);  // a second, larger block
  EXPECT_GE(arena.bytes_used(), 4100U);
  arena.Reset();
  EXPECT_EQ(arena.bytes_used(), 0U);
  EXPECT_EQ(arena.Allocate(100, 8), first);
}

TEST(ArenaTest, AllocationsAreAligned) {
  Arena arena(256);
  for (std::size_t align : {1U, 2U, 4U, 8U, 16U, 32U}) {
    arena.Allocate(3, 1);
    const auto p = reinterpret_cast<std::uintptr_t>(arena.Allocate(5, align));
    EXPECT_EQ(p % align, 0U) << align;
  }
}

TEST(ArenaTest, OnlyTheNewestGrowableArrayGrowsAndOnlyAtItsEnd) {
  Arena arena;
  int* older = arena.AllocateGrowable<int>(2, 1);
  int* newer = arena.AllocateGrowable<int>(3, 2);
  EXPECT_EQ(arena.GrowInPlace(older, 2), nullptr);  // no longer the newest
  EXPECT_EQ(arena.GrowInPlace(newer, 2), nullptr);  // not its end
  EXPECT_EQ(arena.GrowInPlace(newer, 3), newer + 3);
  EXPECT_EQ(arena.GrowInPlace(newer, 3), nullptr);  // that slot is taken: a second view copies
  EXPECT_EQ(arena.GrowInPlace(newer, 4), newer + 4);
  EXPECT_EQ(arena.GrowInPlace(newer, 5), nullptr);  // no room left
  int* plain = arena.AllocateArray<int>(1);
  EXPECT_EQ(arena.GrowInPlace(plain, 1), nullptr);
  int* last = arena.AllocateGrowable<int>(1, 1);
  arena.Reset();
  EXPECT_EQ(arena.GrowInPlace(last, 1), nullptr);
}

TEST(ArenaTest, EmptyStringsCopyToNonNullViews) {
  Arena arena;
  EXPECT_NE(arena.CopyString("").data(), nullptr);
  EXPECT_EQ(arena.CopyString("abc"), "abc");
}

TEST(WriterTest, WritesIntegersAsToString) {
  // Small integers take a shortcut: every one of them, and its neighbours, as std::to_string.
  for (std::int64_t i = -150; i <= 1500; ++i) {
    EXPECT_EQ(ToJson(Value::Int(i)), std::to_string(i));
  }
  EXPECT_EQ(ToJson(Value::Int(INT64_MIN)), std::to_string(INT64_MIN));
}

TEST(WriterTest, EscapesAsAwsDoes) {
  std::string out;
  AppendJsonString("q\"b\\n\n t\t r\r b\b f\f \x01 \x1f / é \x7f", out);
  EXPECT_EQ(out, R"("q\"b\\n\n t\t r\r b\b f\f \u0001 \u001F / é )"
                 "\x7f\"");
}

TEST(WriterTest, EscapesEveryPositionOfLongStrings) {
  // The fast path skips 16-byte blocks: a special character must be found at any offset.
  for (std::size_t at = 0; at < 70; ++at) {
    std::string text(70, 'a');
    text[at] = '"';
    std::string out;
    AppendJsonString(text, out);
    std::string expected = "\"" + text.substr(0, at) + "\\\"" + text.substr(at + 1) + "\"";
    EXPECT_EQ(out, expected) << at;
  }
}

// A byte-at-a-time escaper: what the writer's word-at-a-time paths must agree with.
std::string ReferenceJsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      const char* named = c == '\n'   ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                                      : nullptr;
      if (named != nullptr) {
        out += named;
      } else {
        constexpr char kHex[] = "0123456789ABCDEF";
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xF];
      }
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST(WriterTest, EscapesEveryByteOfEveryShortLength) {
  // Short strings and tails are checked with overlapping words and blocks: every length they
  // cover, with each kind of special byte (and the bytes just outside the special ranges) at
  // each position, must match the byte-at-a-time escape.
  for (std::size_t length = 0; length <= 48; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (const char special :
           {'"', '\\', '\n', '\x01', '\x1f', '\x00', ' ', '\x7f', '\x80', '\xff'}) {
        std::string text(length, 'a');
        if (at < length) {
          text[at] = special;
        }
        std::string out;
        AppendJsonString(text, out);
        EXPECT_EQ(out, ReferenceJsonString(text)) << "length " << length << ", at " << at;
        std::string quoted;  // the escape escaped again, as a payload held in a string
        AppendJsonAsString(Value::String(text), quoted);
        EXPECT_EQ(quoted, ReferenceJsonString(ReferenceJsonString(text))) << length << ", " << at;
      }
    }
  }
}

// AppendJsonAsString writes in one pass what quoting the JSON text would: compared with that
// on every kind of value, strings with each escape at each block offset, and verbatim subtrees
// of a lazily parsed (large) document, as views and as arena copies.
TEST(WriterTest, JsonAsStringIsTheQuotedJsonText) {
  std::string nasty;  // every escape, as a JSON string
  AppendJsonString("q\"b\\n\n t\t r\r b\b f\f \x01 \x1f / \xc3\xa9 \x7f", nasty);
  std::string texts[] = {
      R"(null)",
      R"(true)",
      R"(-12.5e3)",
      R"("plain")",
      R"({"a":[1,2.5,"x\"y\\z\n\u0001"],"b":{},"c":[],"\"k\"":null})",
      "{" + nasty + ":[" + nasty + "]}",
  };
  std::vector<std::string> all(std::begin(texts), std::end(texts));
  for (std::size_t at = 0; at < 20; ++at) {
    std::string text(20, 'a');
    text[at] = '"';
    all.push_back("[\"" + std::string(text.substr(0, at)) + "\\\"" + text.substr(at + 1) + "\"]");
  }
  std::string large = "{\"items\":[";
  for (int i = 0; i < 2000; ++i) {
    large += (i == 0 ? "" : ",") + std::string(R"({"id":"a\"b\\c","n":12})");
  }
  large += "],\"tail\":\"\\u00e9\"}";
  all.push_back(large);
  for (const std::string& text : all) {
    Document doc;
    Arena arena;  // arena-built values take their own path through the writer
    const Value parsed = ParseOrDie(doc, text);
    for (const Value v : {parsed, DeepCopy(parsed, arena)}) {
      std::string expected;
      AppendJsonString(ToJson(v), expected);
      std::string out = "prefix";
      AppendJsonAsString(v, out);
      EXPECT_EQ(out, "prefix" + expected) << text.substr(0, 200);
    }
  }
}

// The text a list of spans of `out` reads as.
std::string Joined(const std::string& out, const std::vector<TextSpan>& spans) {
  std::string text;
  for (const TextSpan span : spans) {
    text += out.substr(span.offset, span.length);
  }
  return text;
}

// With a memo, containers written before (earlier in the string or earlier in the same value)
// are referred to, not written again: the spans read as the JSON text, payload after payload,
// and what is appended shrinks.
TEST(WriterTest, MemoizedJsonSpansReadAsTheJsonText) {
  Document doc;
  const Value input = ParseOrDie(doc, R"({"a":{"q":"x\"y","n":[1,2]},"b":[{"c":"\\"}],"s":"t"})");
  const Value a = input.Find("a");
  const Value b = input.Find("b");
  const Value twice_items[] = {a, b, a, Value::Int(3), b};
  const Value twice = Value::Array(twice_items, 5);
  const Member merged_members[] = {{"s", input.Find("s")}, {"a", a}, {"both", twice}};
  const Value merged = Value::Object(merged_members, 3);
  const Member unseen_members[] = {{"k\"", Value::String("v\\")}};
  const Value unseen = Value::Object(unseen_members, 1);
  const Value repeated_items[] = {unseen, unseen};  // the second referred to within one call
  const Value repeated = Value::Array(repeated_items, 2);
  const Value payloads[] = {repeated, input, a, merged, twice, input, Value::String("\"s\""), b};

  JsonMemo memo;
  std::string out = "prefix";
  std::size_t written = 0;
  std::vector<TextSpan> spans;  // shared, as an execution log's payloads share theirs
  for (const Value v : payloads) {
    const std::size_t before = out.size();
    const std::size_t first = spans.size();
    AppendJsonSpans(v, out, memo, spans);
    EXPECT_EQ(Joined(out, std::vector<TextSpan>(spans.begin() + static_cast<std::ptrdiff_t>(first),
                                                spans.end())),
              ToJson(v));
    written += out.size() - before;
  }
  // Written: `repeated` but its second element, `input` whole, the punctuation, key and scalar
  // of `merged` and `twice` (which hold references, so are not remembered themselves), and
  // the string; `a`, `b` and `input` again are references only.
  const std::size_t expected =
      ToJson(repeated).size() - ToJson(unseen).size() + ToJson(input).size() +
      std::string_view(R"({"s":"t","a":,"both":[,,,3,]})").size() +
      std::string_view("[,,,3,]").size() + ToJson(Value::String("\"s\"")).size();
  EXPECT_EQ(written, expected);

  // After Clear() the memo forgets: a new string with other values at the old offsets.
  memo.Clear();
  Document other;
  const Value replaced = ParseOrDie(other, R"({"z":[true,false]})");
  std::string fresh;
  std::vector<TextSpan> first;
  std::vector<TextSpan> second;
  AppendJsonSpans(replaced, fresh, memo, first);
  AppendJsonSpans(replaced.Find("z"), fresh, memo, second);
  EXPECT_EQ(fresh, R"({"z":[true,false]})");  // the second is a reference into the first
  EXPECT_EQ(Joined(fresh, second), "[true,false]");
}

TEST(WriterTest, FormatsDoublesAsJavaDoubleToString) {
  const std::pair<double, std::string_view> cases[] = {
      {0.0, "0.0"},       {-0.0, "-0.0"},     {1.0, "1.0"},
      {1.5, "1.5"},       {0.1, "0.1"},       {100.0, "100.0"},
      {0.001, "0.001"},   {0.0001, "1.0E-4"}, {1234567.0, "1234567.0"},
      {1e7, "1.0E7"},     {1.5e10, "1.5E10"}, {-2.5e-7, "-2.5E-7"},
      {1e300, "1.0E300"}, {3.3, "3.3"},       {123.456, "123.456"},
  };
  for (const auto& [value, text] : cases) {
    char buffer[32];
    EXPECT_EQ(std::string_view(buffer, FormatDouble(value, buffer)), text) << value;
  }
}

TEST(WriterTest, ToJsonInArenaCopiesTheText) {
  Arena arena;
  Document doc;
  const std::string_view text = ToJsonInArena(ParseOrDie(doc, R"({"a":[1,"b"]})"), arena);
  ASSERT_TRUE(doc.Parse("null").has_value());  // reuses the document the value came from
  EXPECT_EQ(text, R"({"a":[1,"b"]})");
}

}  // namespace
}  // namespace stepd
