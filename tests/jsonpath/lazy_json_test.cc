// The lazy representation (jsonpath/internal/lazy_json.h) against the simdjson DOM: both must
// accept exactly the same texts, and give the same values and byte-identical output.

#include "jsonpath/internal/lazy_json.h"

#include <cstddef>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/document.h"
#include "jsonpath/value.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

constexpr std::size_t kNeverLazy = std::numeric_limits<std::size_t>::max();

// Parses `text` both ways and checks that they agree; returns whether it parsed.
bool ParsesAlike(std::string_view text) {
  Document dom(kNeverLazy);
  Document lazy(0);
  const Result<Value> a = dom.Parse(text);
  const Result<Value> b = lazy.Parse(text);
  EXPECT_EQ(a.has_value(), b.has_value()) << text;
  if (!a.has_value() || !b.has_value()) {
    if (!a.has_value() && !b.has_value()) {
      EXPECT_EQ(b.error().code, ErrorCode::kInvalidJson);
      EXPECT_EQ(a.error().cause, b.error().cause) << text;  // the first mistake, named alike
    }
    return false;
  }
  EXPECT_EQ(ToJson(*a), ToJson(*b)) << text;
  EXPECT_TRUE(DeepEquals(*a, *b)) << text;
  EXPECT_EQ(DeepHash(*a), DeepHash(*b)) << text;
  return true;
}

std::string ReadShared(const std::string& relative) {
  std::ifstream in(std::string(STEPD_SHARED_DIR) + "/" + relative, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `shape` with each % replaced by `percent` and each $ by `dollar`.
std::string Fill(std::string_view shape, std::string_view percent, std::string_view dollar) {
  std::string text;
  for (const char c : shape) {
    if (c == '%') {
      text += percent;
    } else if (c == '$') {
      text += dollar;
    } else {
      text += c;
    }
  }
  return text;
}

// A document of about `lines` * 120 bytes shaped like large_payload's input.
std::string BigDocument(int lines) {
  std::string text = R"({"id":"exp-1","meta":{"v":1,"w":"x"},"lines":[)";
  for (int i = 0; i < lines; ++i) {
    if (i != 0) {
      text += ',';
    }
    text += R"({"no":)" + std::to_string(i) + R"(,"sku":"SKU-)" + std::to_string(10000 + i) +
            R"(","qty":)" + std::to_string(i % 50) + R"(,"price":)" + std::to_string(i) +
            R"(.25,"ok":true,"note":null,"tags":["a","b\u00e9"],"more":{}})";
  }
  text += R"(],"tail":[[],{},-0,1e5,"x\/y"]})";
  return text;
}

TEST(LazyJsonTest, LargeDocumentsAreParsedLazilyAndSmallOnesAsDom) {
  Document doc;
  const std::string big = BigDocument(200);
  ASSERT_GE(big.size(), Document::kDefaultLazyThreshold);
  const Result<Value> root = doc.Parse(big);
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->IsDomView());
  EXPECT_EQ(root->Find("meta").VerbatimJson(), R"({"v":1,"w":"x"})");  // only lazy views are
  EXPECT_TRUE(root->Find("lines").VerbatimJson().empty());             // its elements hold doubles

  const Result<Value> small = doc.Parse(R"({"meta":{"v":1,"w":"x"}})");
  ASSERT_TRUE(small.has_value());
  EXPECT_TRUE(small->Find("meta").IsDomView());
  EXPECT_TRUE(small->Find("meta").VerbatimJson().empty());
}

TEST(LazyJsonTest, ValuesMatchTheDom) {
  for (std::string_view text : {
           R"({"b":1,"a":[true,false,null,"x\"y",2.5,-3],"c":{},"d":[]})",
           R"([9007199254740993,-9223372036854775808,18446744073709551615,1.0,1e2,-0,0,-0.0])",
           R"([1.5e300,1e-400,123456789012345678,0.30000000000000004,1E+2,1e-2,12345678])",
           R"({"esc":"\u00e9\/\b\f\n\r\t\\\"","pair":"\ud83d\ude00","ctl":"\u001f","k\u0065y":1})",
           R"({"dup":1,"dup":2,"raw":"é😀","empty":"","sp":" "})",
           " {\n  \"pretty\" : [ 1 , 2 ,\t{ \"x\" : \"y\" } ] ,\r\n \"n\" : null \n} \n",
           R"([[[[[]]]],{"a":{"b":{"c":[{}]}}}])",
       }) {
    EXPECT_TRUE(ParsesAlike(text)) << text;
  }
}

TEST(LazyJsonTest, RejectsWhatTheDomRejects) {
  for (std::string_view text : {
           "[1,]",
           "[,1]",
           "[1 2]",
           "[}",
           "{]",
           "[1]]",
           "[[1]",
           "[1],",
           "[1] 2",
           "{\"a\" 1}",
           "{\"a\":1,}",
           "{\"a\":}",
           "{\"a\"}",
           "{,}",
           "{1:2}",
           "{\"a\":\"b\":1}",
           "[\"a\":1]",
           "{\"a\":1}{\"b\":2}",
           "{\"a\":1 \"b\":2}",
           "[01]",
           "[1.]",
           "[-]",
           "[1e]",
           "[+1]",
           "[.5]",
           "[1.5e+]",
           "[100000000000000000000]",
           "[-9223372036854775809]",
           "[18446744073709551616]",
           "[1e400]",
           "[-1e400]",
           "[1x]",
           "[1\"a\"]",
           "[tru]",
           "[truex]",
           "[nul]",
           "[fals]",
           "[nan]",
           "[\"\\x\"]",
           "[\"\\u12\"]",
           "[\"\\ud800\"]",
           "[\"\\udc00\"]",
           "[\"\\ud800\\u0041\"]",
           "[\"a\x01\"]",
           "[\"\xff\"]",
           "[\"abc",
           "{\"a\":[1,2",
           "[",
           "{",
           "[\\]",
           "[1\\]",
           "{\"a\\q\":1}",
           "[\"a\"\\]",
           "[\"\x1f\"]",
           "[\"a\tb\"]",
           "{\"\x01\":1}",
           "[[1]",
           "{\"a\":[1,2]",
           "[{}",
           "{\"a\":1,",
           "[\"\\x\",01]",  // the bad escape comes first
           "[01,\"\\x\"]",  // the bad number comes first
           "{\"\\x\" 1}",   // a key is read before its colon
           "{\"a\" \"\\x\"}",
           "[1 \"\\x\"]",
           "[12\"a\"]",  // a number must end in whitespace or punctuation
           "{\"a\":12\"b\"}",
           "[1\x1a]",  // stage 1 takes 0x1a for ':' and \f for ','
           "[-1\f]",
           "[1,\f2]",
       }) {
    EXPECT_FALSE(ParsesAlike(text)) << text;
  }
}

// Short integers are checked inline and every other number by simdjson's parser; both must
// accept exactly what the DOM does, wherever the number stands.
TEST(LazyJsonTest, NumbersMatchTheDom) {
  for (std::string_view number : {
           "0",
           "-0",
           "7",
           "-7",
           "10",
           "1234567",
           "-1234567",
           "12345678",
           "-12345678",
           "123456789",
           "9223372036854775807",
           "9223372036854775808",
           "-9223372036854775808",
           "-9223372036854775809",
           "18446744073709551615",
           "18446744073709551616",
           "123456789012345678901234567890",
           "0.5",
           "-0.0",
           "1.5e3",
           "1E+2",
           "1e-2",
           "1e400",
           "-1e400",
           "1e-400",
           "1.7976931348623157e308",
           "1.8e308",
           "1e99999999999999999999",
           "01",
           "-01",
           "00",
           "-00",
           "1.",
           "-",
           "--1",
           "+1",
           ".5",
           "1e",
           "1e+",
           "1.5.",
           "1-",
           "0x1",
           "1_0",
           "12a",
           "-a",
           "1\\",
       }) {
    for (const char* context : {"[%]", "[%,1]", "[%, 1]", "[% ]", "[\n%\n]", "{\"a\":%}",
                                "{\"a\":%,\"b\":1}", "{\"a\": %\t}", "[[%],{\"b\":%}]"}) {
      ParsesAlike(Fill(context, number, ""));
    }
  }
  Document lazy(0);
  EXPECT_TRUE(lazy.Parse("[7,-7,0,-0,12345678,123456789,0.5]").has_value());
  EXPECT_FALSE(lazy.Parse("[1,01]").has_value());
  EXPECT_FALSE(lazy.Parse("[1,1.]").has_value());
  EXPECT_FALSE(lazy.Parse("[1,1e400]").has_value());
}

// Strings are checked by stage 1 and a scan for backslashes after the pass; put escapes, good
// and bad, on both sides of stage 1's 64-byte blocks, in keys and values, near and far apart.
TEST(LazyJsonTest, EscapesAnywhereAreValidatedAndDecoded) {
  for (std::size_t pad = 50; pad < 80; ++pad) {
    const std::string filler(pad, 'x');
    for (std::string_view escape : {"\\u00e9", "\\/", "\\\\", "\\\"", "\\n", "\\ud83d\\ude00",
                                    "\\x", "\\u12", "\\ud800", "\\"}) {
      for (std::string_view shape :
           {R"({"%":"$","k":["a$b",1]})", R"(["%$",{"$":"$"},"$"])", R"({"$%":true,"%":"z"})"}) {
        ParsesAlike(Fill(shape, filler, escape));
      }
    }
  }
  std::string spread = "[";
  for (int i = 0; i < 2000; ++i) {
    spread += i % 97 == 0 || i % 500 == 1 ? R"("a\u0041",)" : R"("plain",)";
  }
  spread += R"("\n"])";
  EXPECT_TRUE(ParsesAlike(spread));

  Document doc(0);
  const Result<Value> root = doc.Parse(R"({"k\u0065y":"v\u00e9","plain":"\/","n":{"\"":1}})");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Find("key").AsString(), "vé");
  EXPECT_EQ(root->Find("plain").AsString(), "/");
  EXPECT_EQ(root->Find("n").Find("\"").AsInt(), 1);
  EXPECT_TRUE(root->Find("n").VerbatimJson().empty());
  EXPECT_TRUE(root->Find("k\\u0065y").IsMissing());
}

// A key is matched by its decoded text, whatever spacing follows it and whatever escapes it holds
// (which make it shorter than it is written).
TEST(LazyJsonTest, KeysMatchWhateverTheirSpacingAndEscapes) {
  Document doc(0);
  const Result<Value> root = doc.Parse(
      R"({"ab" : 1, "a\u0062c"  :2, "abc":3, "x\\y"	:4, "\u0071" :5, "longer-key":6})");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Find("ab").AsInt(), 1);
  EXPECT_EQ(root->Find("abc").AsInt(), 2);  // the first member of that name
  EXPECT_EQ(root->Find("x\\y").AsInt(), 4);
  EXPECT_EQ(root->Find("q").AsInt(), 5);
  EXPECT_EQ(root->Find("longer-key").AsInt(), 6);
  for (const std::string_view absent : {"", "a", "abcd", "a\\u0062c", "x\\\\y", "longer-keys"}) {
    EXPECT_TRUE(root->Find(absent).IsMissing()) << absent;
  }
}

// Escaped strings are marked per token: a document parsed later into the same Document must
// not see the marks of an earlier one, whether its buffers grew in between or not.
TEST(LazyJsonTest, ReparsingForgetsEarlierEscapes) {
  Document doc(0);
  ASSERT_TRUE(doc.Parse(R"(["\u0041","\u0042",{"\u0043":"\u0044"}])").has_value());
  Result<Value> root = doc.Parse(R"(["a","b",{"c":"d"}])");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(ToJson(*root), R"(["a","b",{"c":"d"}])");
  EXPECT_EQ(root->At(0).AsString(), "a");
  EXPECT_EQ(root->At(2).Find("c").AsString(), "d");
  EXPECT_EQ(root->At(2).VerbatimJson(), R"({"c":"d"})");

  ASSERT_TRUE(doc.Parse(R"(["\u0041","\u0042"])").has_value());
  const std::string big = BigDocument(300);  // grows every buffer
  root = doc.Parse(big);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Find("id").AsString(), "exp-1");
  EXPECT_EQ(root->Find("lines").At(299).Find("tags").At(1).AsString(), "bé");
  EXPECT_TRUE(ParsesAlike(big));
}

TEST(LazyJsonTest, NestingLimitIsTheDoms) {
  for (std::size_t depth : {Document::kMaxDepth - 2, Document::kMaxDepth - 1, Document::kMaxDepth,
                            Document::kMaxDepth + 1}) {
    const std::string text = std::string(depth, '[') + std::string(depth, ']');
    ParsesAlike(text);
    Document lazy(0);
    EXPECT_EQ(lazy.Parse(text).has_value(), depth <= Document::kMaxDepth) << depth;
  }
}

// Mutations anywhere in a large document: the lazy parser must reject exactly what the DOM
// rejects (a mistake deep inside a subtree that no path reads still fails the parse), and
// print exactly what it prints when both accept.
TEST(LazyJsonTest, MalformedTextAnywhereInALargeDocumentIsRejected) {
  const std::string big = BigDocument(60);
  int rejected = 0;
  int accepted = 0;
  for (std::size_t at = 0; at < big.size(); at += 3) {
    for (std::string_view change : {"", ",", "}", "]", "\"", "\\", "0", " ", "x", ":"}) {
      std::string mutated = big;
      if (change.empty()) {
        mutated.erase(at, 1);
      } else {
        mutated.insert(at, change);
      }
      (ParsesAlike(mutated) ? accepted : rejected) += 1;
    }
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(accepted, 100);
}

TEST(LazyJsonTest, ReadsMembersElementsAndSizes) {
  Document doc(0);
  const Result<Value> root =
      doc.Parse(R"({"a":[10,[1,2],{"k":"v"},"s"],"b":{"x":1,"y":{"z":true}},"e":"\u0041"})");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Size(), 3U);
  const Value a = root->Find("a");
  EXPECT_EQ(a.Size(), 4U);
  EXPECT_EQ(a.At(0).AsInt(), 10);
  EXPECT_EQ(a.At(1).Size(), 2U);
  EXPECT_EQ(a.At(2).Find("k").AsString(), "v");
  EXPECT_EQ(a.At(3).AsString(), "s");
  EXPECT_TRUE(a.At(4).IsMissing());
  EXPECT_TRUE(root->Find("b").Find("y").Find("z").AsBool());
  EXPECT_TRUE(root->Find("nope").IsMissing());
  EXPECT_EQ(root->Find("e").AsString(), "A");
  std::string keys;
  for (ObjectCursor c(*root); !c.Done(); c.Next()) {
    keys += c.Key();
  }
  EXPECT_EQ(keys, "abe");
  int elements = 0;
  for (ArrayCursor c(a); !c.Done(); c.Next()) {
    elements += c.Get().IsMissing() ? 0 : 1;
  }
  EXPECT_EQ(elements, 4);
}

TEST(LazyJsonTest, VerbatimTextOnlyWhereTheWriterWouldPrintTheSameBytes) {
  Document doc(0);
  const Result<Value> root =
      doc.Parse(R"({"plain":{"a":[1,"é",true,null,{}],"b":-5},"float":[1.5],"minus_zero":[-0],)"
                R"("escaped":["\/"],"spaced":[1, 2],"nested":{"inner":[2.0]},)"
                R"("ints":[0,7,-7,12345678,-123456789]})");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Find("plain").VerbatimJson(), R"({"a":[1,"é",true,null,{}],"b":-5})");
  EXPECT_EQ(root->Find("ints").VerbatimJson(), "[0,7,-7,12345678,-123456789]");
  EXPECT_TRUE(root->Find("float").VerbatimJson().empty());
  EXPECT_TRUE(root->Find("minus_zero").VerbatimJson().empty());
  EXPECT_TRUE(root->Find("escaped").VerbatimJson().empty());
  EXPECT_TRUE(root->Find("spaced").VerbatimJson().empty());
  EXPECT_TRUE(root->Find("nested").VerbatimJson().empty());
  EXPECT_TRUE(root->VerbatimJson().empty());
  EXPECT_EQ(ToJson(*root),
            R"({"plain":{"a":[1,"é",true,null,{}],"b":-5},"float":[1.5],"minus_zero":[0],)"
            R"("escaped":["/"],"spaced":[1,2],"nested":{"inner":[2.0]},)"
            R"("ints":[0,7,-7,12345678,-123456789]})");
}

TEST(LazyJsonTest, LargePayloadPrintsByteIdenticallyToTheDom) {
  const std::string input = ReadShared("bench/workloads/large_payload/input.json");
  ASSERT_GT(input.size(), 100000U);
  EXPECT_TRUE(ParsesAlike(input));
  Document lazy;
  const Result<Value> root = lazy.Parse(input);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Find("lines").Size(), 700U);
  EXPECT_EQ(root->Find("lines").At(699).Find("lineNo").AsInt(), 700);
}

TEST(LazyJsonTest, ScalarRootsAndReparsingFallBackCleanly) {
  Document doc(0);
  EXPECT_EQ(ToJson(*doc.Parse("  12  ")), "12");
  EXPECT_EQ(ToJson(*doc.Parse(R"({"a":[1]})")), R"({"a":[1]})");
  EXPECT_EQ(ToJson(*doc.Parse(R"("s")")), R"("s")");
  EXPECT_FALSE(doc.Parse("").has_value());
  EXPECT_FALSE(doc.Parse("   ").has_value());
  EXPECT_EQ(ToJson(*doc.Parse("[2]")), "[2]");
  EXPECT_EQ(ToJson(doc.root()), "[2]");
}

}  // namespace
}  // namespace stepd
