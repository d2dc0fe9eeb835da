#include "jsonpath/intrinsics.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/internal/random.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

CompileError CompileErrorOf(std::string_view expression) {
  auto compiled = CompiledIntrinsic::Compile(expression);
  EXPECT_FALSE(compiled.has_value()) << expression;
  return compiled.has_value() ? CompileError{} : compiled.error();
}

// Compiles `expression`, evaluates it against `input` (JSON text) and returns the result.
class IntrinsicTest : public ::testing::Test {
 protected:
  Result<Value> Eval(std::string_view expression, std::string_view input = "{}",
                     std::string_view context = R"({"Execution":{"Name":"run-1"}})") {
    auto compiled = CompiledIntrinsic::Compile(expression, options_);
    if (!compiled.has_value()) {
      ADD_FAILURE() << "compile failed: " << compiled.error().message;
      return IntrinsicFailure("did not compile");
    }
    auto root = input_doc_.Parse(input);
    EXPECT_TRUE(root.has_value()) << input;
    auto ctx_root = context_doc_.Parse(context);
    EXPECT_TRUE(ctx_root.has_value()) << context;
    EvalContext ctx{*root, *ctx_root, variables_, &arena_};
    compiled_.push_back(std::move(compiled).value());
    return compiled_.back().Evaluate(ctx);
  }

  // The result as compact JSON, or "<error name>: <cause>".
  std::string EvalJson(std::string_view expression, std::string_view input = "{}") {
    const Result<Value> result = Eval(expression, input);
    if (!result.has_value()) {
      return std::string(result.error().name) + ": " + std::string(result.error().cause);
    }
    return ToJson(*result);
  }

  Error EvalError(std::string_view expression, std::string_view input = "{}") {
    const Result<Value> result = Eval(expression, input);
    EXPECT_FALSE(result.has_value()) << expression << " gave " << ToJson(*result);
    return result.has_value() ? Error{} : result.error();
  }

  CompileOptions options_;
  std::vector<Value> variables_;
  Document input_doc_;
  Document context_doc_;
  Arena arena_;
  std::vector<CompiledIntrinsic> compiled_;
};

// --- parsing ---

TEST(IntrinsicLooksLikeTest, RecognisesCalls) {
  EXPECT_TRUE(LooksLikeIntrinsic("States.Format('x')"));
  EXPECT_TRUE(LooksLikeIntrinsic("  States.UUID()"));
  EXPECT_TRUE(LooksLikeIntrinsic("States.NoSuchFunction(1)"));
  EXPECT_FALSE(LooksLikeIntrinsic("$.States.Format"));
  EXPECT_FALSE(LooksLikeIntrinsic("States."));
  EXPECT_FALSE(LooksLikeIntrinsic("States.Format"));
  EXPECT_FALSE(LooksLikeIntrinsic(""));
}

TEST(IntrinsicCompileTest, KeepsText) {
  auto compiled = CompiledIntrinsic::Compile("States.Array(1, 'a')");
  ASSERT_TRUE(compiled.has_value());
  EXPECT_EQ(compiled->text(), "States.Array(1, 'a')");
}

TEST(IntrinsicCompileTest, UnknownFunction) {
  const CompileError error = CompileErrorOf("States.Array(States.Nope(1))");
  EXPECT_EQ(error.position, 13U);
  EXPECT_NE(error.message.find("unknown intrinsic function 'States.Nope'"), std::string::npos)
      << error.message;
}

TEST(IntrinsicCompileTest, WrongArgumentCounts) {
  EXPECT_NE(CompileErrorOf("States.MathAdd(1)")
                .message.find("States.MathAdd takes 2 arguments, but 1 was given"),
            std::string::npos);
  EXPECT_NE(CompileErrorOf("States.UUID(1)").message.find("States.UUID takes 0 arguments"),
            std::string::npos);
  EXPECT_NE(CompileErrorOf("States.MathRandom(1, 2, 3, 4)").message.find("takes 2 to 3"),
            std::string::npos);
  EXPECT_NE(CompileErrorOf("States.Format()").message.find("takes at least 1"), std::string::npos);
  EXPECT_NE(CompileErrorOf("States.JsonMerge($.a, $.b)").message.find("takes 3 arguments"),
            std::string::npos);
}

TEST(IntrinsicCompileTest, FormatPlaceholdersMustMatchArguments) {
  const CompileError error = CompileErrorOf("States.Format('{} and {}', 1)");
  EXPECT_NE(error.message.find("2 '{}' placeholders, but 1 value follows it"), std::string::npos)
      << error.message;
  // Escaped braces are not placeholders.
  EXPECT_TRUE(CompiledIntrinsic::Compile(R"(States.Format('\{\} {}', 1))").has_value());
}

TEST(IntrinsicCompileTest, SyntaxErrorsCarryPositions) {
  struct Case {
    std::string_view text;
    std::size_t position;
    std::string_view fragment;
  };
  const Case cases[] = {
      {"States.Format('abc", 14, "unterminated string literal"},
      {"States.Format('a\\", 14, "unterminated string literal"},
      {R"(States.Format('a\n'))", 16, "invalid escape sequence"},
      {"States.Array(1))", 15, "unexpected text after the closing ')'"},
      {"States.Array(1 2)", 15, "expected ',' or ')'"},
      {"States.Array(1,,2)", 15, "expected an argument"},
      {"States.Array(1,", 15, "expected an argument"},
      {"States.Array(1", 14, "missing ')'"},
      {"States.Array", 12, "expected '('"},
      {"States.Array(01x)", 13, "malformed number"},
      {"States.Array(-)", 13, "malformed number"},
      {"States.Array(1.)", 13, "malformed number"},
      {"States.Array(1e999)", 13, "number out of range"},
      {"States.Array(True)", 13, "expected an argument"},
      {"States.Array(nullx)", 13, "expected an argument"},
      {"States.Array(\"x\")", 13, "expected an argument"},
      {"Format('x')", 0, "expected an intrinsic function"},
      {"", 0, "expected an intrinsic function"},
  };
  for (const Case& c : cases) {
    auto compiled = CompiledIntrinsic::Compile(c.text);
    ASSERT_FALSE(compiled.has_value()) << c.text;
    EXPECT_EQ(compiled.error().position, c.position) << c.text << ": " << compiled.error().message;
    EXPECT_NE(compiled.error().message.find(c.fragment), std::string::npos)
        << c.text << ": " << compiled.error().message;
  }
}

std::string Nested(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) {
    text += "States.Array(";
  }
  text += "1";
  text.append(static_cast<std::size_t>(depth), ')');
  return text;
}

TEST(IntrinsicCompileTest, NestingUpToTenLevels) {
  EXPECT_TRUE(CompiledIntrinsic::Compile(Nested(CompiledIntrinsic::kMaxNesting)).has_value());
  const CompileError error = CompileErrorOf(Nested(CompiledIntrinsic::kMaxNesting + 1));
  EXPECT_NE(error.message.find("nested more than 10 levels"), std::string::npos);
  EXPECT_EQ(error.position, 13U * 10);
  // Deep garbage must fail cleanly, not exhaust the stack.
  EXPECT_FALSE(CompiledIntrinsic::Compile(Nested(100000)).has_value());
}

TEST(IntrinsicCompileTest, NeverCrashesOnTruncationsAndMutations) {
  const std::string seeds[] = {
      R"(States.Format('a {} \{\} \' \\ b', States.ArrayGetItem(States.Array(1, 2.5e3, -4), 0)))",
      R"(States.JsonMerge(States.StringToJson('{"a": 1}'), States.StringToJson('{}'), false))",
      R"(States.MathRandom(-1, 1.5, 3))",
  };
  const char mutations[] = {'\'', '\\', '(', ')', ',', '$', '[', ']', '{', '}', ' ', 'S', '0'};
  for (const std::string& seed : seeds) {
    ASSERT_TRUE(CompiledIntrinsic::Compile(seed).has_value()) << seed;
    for (std::size_t cut = 0; cut < seed.size(); ++cut) {
      EXPECT_FALSE(CompiledIntrinsic::Compile(seed.substr(0, cut)).has_value());
      for (const char c : mutations) {
        std::string mutated = seed;
        mutated[cut] = c;
        (void)CompiledIntrinsic::Compile(mutated);
      }
    }
  }
}

// --- literal arguments ---

TEST_F(IntrinsicTest, FormatWithLiteralsAndEscapes) {
  EXPECT_EQ(EvalJson(R"(States.Format('Hello, {}!', 'World'))"), R"("Hello, World!")");
  EXPECT_EQ(EvalJson(R"(States.Format('{}{}{}', 1, 2.5, -3))"), R"("12.5-3")");
  EXPECT_EQ(EvalJson(R"(States.Format('{} {} {}', true, false, null))"), R"("true false null")");
  EXPECT_EQ(EvalJson(R"(States.Format('it\'s \{\} {} \\ done', 'x'))"), R"("it's {} x \\ done")");
  EXPECT_EQ(EvalJson(R"(States.Format('no placeholders'))"), R"("no placeholders")");
  EXPECT_EQ(EvalJson(R"(States.Format('a (b {}', 'c'))"), R"("a (b c")");
  EXPECT_EQ(EvalJson(R"(States.Format('{}', 1.0E10))"), R"("1.0E10")");
  EXPECT_EQ(EvalJson(R"(States.Format('{}', 'a, b)'))"), R"x("a, b)")x");
}

TEST_F(IntrinsicTest, FormatRendersContainersAsJavaDoes) {
  EXPECT_EQ(EvalJson(R"(States.Format('x {}', States.StringToJson('{"Arg1": 1, "Arg2": []}')))"),
            R"("x {Arg1=1, Arg2=[]}")");
  EXPECT_EQ(EvalJson(R"(States.Format('{}', States.Array('a', States.Array(1, null), 2.5)))"),
            R"("[a, [1, null], 2.5]")");
}

TEST_F(IntrinsicTest, StringToJson) {
  EXPECT_EQ(EvalJson(R"(States.StringToJson('{"a": [1, 2.5, "x"], "b": {}}'))"),
            R"({"a":[1,2.5,"x"],"b":{}})");
  EXPECT_EQ(EvalJson("States.StringToJson('')"), "null");
  EXPECT_EQ(EvalJson("States.StringToJson('  ')"), "null");
  EXPECT_EQ(EvalJson("States.StringToJson('null')"), "null");
  EXPECT_EQ(EvalJson("States.StringToJson('-0')"), "0");
  EXPECT_EQ(EvalJson("States.StringToJson(' [1, -0, -0.0] ')"), "[1,0,-0.0]");
  EXPECT_EQ(EvalJson("States.StringToJson('\"HelloWorld\"')"), R"("HelloWorld")");
  const Error error = EvalError("States.StringToJson('{oops')");
  EXPECT_EQ(error.name, "States.IntrinsicFailure");
  EXPECT_NE(error.cause.find("States.StringToJson: argument 1 is not valid JSON"),
            std::string_view::npos)
      << error.cause;
  EXPECT_NE(EvalError("States.StringToJson(1)").cause.find("must be a string, but it is a number"),
            std::string_view::npos);
}

// The values (number kinds included) and the errors are those of a Document parse, whatever
// the text: a guard for any faster way of parsing that StringToJson may take.
TEST_F(IntrinsicTest, StringToJsonMatchesTheDocumentParser) {
  const auto kinds = [](Value v) {
    std::string out;
    const auto visit = [&](auto&& self, Value x) -> void {
      out += std::to_string(static_cast<int>(x.type()));
      if (x.IsNumber()) {
        out += "n" + std::to_string(static_cast<int>(x.number_kind()));
      }
      x.ForEachElement([&](Value item) { self(self, item); });
      x.ForEachMember([&](std::string_view key, Value item) {
        out += std::string(key);
        self(self, item);
      });
    };
    visit(visit, v);
    return out;
  };
  const std::vector<std::string> texts = {
      R"({"a":1,"b":[true,false,null],"c":{"d":"e"}})",
      R"( { "k" : [ 1 , -2 , 3.5e2 , -0.0 , 0 , 1E-2 ] } )",
      R"(["tab\tquote\"slash\/back\\nl\nbs\bff\fcr\r"])",
      R"(["\u00e9", "\ud83d\ude00"])",
      R"(["\ud800"])",
      "[\"\xc3\xa9t\xc3\xa9\"]",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775808",
      "-9223372036854775809",
      "[1e-400, 2.5e-324]",
      "1.8e308",
      R"({"a":1,"a":2})",
      "[]",
      "{}",
      "[[], {}, [[]]]",
      std::string(70, '[') + std::string(70, ']'),
      "01",
      "1.",
      "-",
      "[1,]",
      "[1 2]",
      R"({"a" 1})",
      R"({1:2})",
      "tru",
      "nulls",
      "\"abc",
      "\"a\x01\"",
      "\"\\x\"",
  };
  for (const std::string& text : texts) {
    std::string input = R"({"s":)";
    AppendJsonString(text, input);
    input += "}";
    Document reference;
    const Result<Value> expected = reference.Parse(text);
    const Result<Value> actual = Eval("States.StringToJson($.s)", input);
    ASSERT_EQ(actual.has_value(), expected.has_value()) << text;
    if (expected.has_value()) {
      EXPECT_EQ(ToJson(*actual), ToJson(*expected)) << text;
      EXPECT_EQ(kinds(*actual), kinds(*expected)) << text;
    } else {
      EXPECT_EQ(actual.error().cause, "States.StringToJson: argument 1 is not valid JSON (" +
                                          std::string(expected.error().cause) + ")")
          << text;
    }
  }
}

TEST_F(IntrinsicTest, StringToJsonResultOutlivesTheNextParse) {
  const Result<Value> first = Eval(R"(States.StringToJson('{"keep": "me"}'))");
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(Eval(R"(States.StringToJson('{"other": "value"}'))").has_value());
  EXPECT_EQ(ToJson(*first), R"({"keep":"me"})");
}

TEST_F(IntrinsicTest, JsonToString) {
  EXPECT_EQ(
      EvalJson(R"(States.JsonToString(States.StringToJson('{"q": "say \\"hi\\"", "n": 1.5}')))"),
      R"("{\"q\":\"say \\\"hi\\\"\",\"n\":1.5}")");
  EXPECT_EQ(EvalJson("States.JsonToString('x')"), R"("\"x\"")");
  EXPECT_EQ(EvalJson("States.JsonToString(null)"), R"("null")");
}

TEST_F(IntrinsicTest, Array) {
  EXPECT_EQ(EvalJson("States.Array()"), "[]");
  EXPECT_EQ(EvalJson("States.Array( 1 , 'two' ,true,null, States.Array())"),
            R"([1,"two",true,null,[]])");
}

TEST_F(IntrinsicTest, ArrayPartition) {
  EXPECT_EQ(EvalJson("States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 2)"), "[[1,2],[3,4],[5]]");
  EXPECT_EQ(EvalJson("States.ArrayPartition(States.Array(1, 2, 3), 5)"), "[[1,2,3]]");
  EXPECT_EQ(EvalJson("States.ArrayPartition(States.Array(), 3)"), "[]");
  // Chunk sizes are rounded as Java's Math.round does.
  EXPECT_EQ(EvalJson("States.ArrayPartition(States.Array(1, 2, 3), 1.5)"), "[[1,2],[3]]");
  EXPECT_NE(EvalError("States.ArrayPartition(States.Array(1), 0)")
                .cause.find("chunk size (argument 2) must be greater than 0"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.ArrayPartition(States.Array(1), 0.4)").cause.find("greater than 0"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.ArrayPartition('abc', 1)").cause.find("must be an array"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, ArrayContainsUsesDeepEquality) {
  EXPECT_EQ(EvalJson("States.ArrayContains(States.Array(1, 2, 3), 2)"), "true");
  EXPECT_EQ(EvalJson("States.ArrayContains(States.Array(1, 2, 3), 2.0)"), "true");
  EXPECT_EQ(EvalJson("States.ArrayContains(States.Array(1, 2, 3), '2')"), "false");
  EXPECT_EQ(EvalJson("States.ArrayContains(States.Array(States.Array(1, 2)), States.Array(1, 2))"),
            "true");
  EXPECT_EQ(EvalJson(R"(States.ArrayContains(States.StringToJson('[{"a":1,"b":2}]'),
                                             States.StringToJson('{"b":2,"a":1}')))"),
            "true");
  EXPECT_EQ(EvalJson("States.ArrayContains(States.Array(), null)"), "false");
}

TEST_F(IntrinsicTest, ArrayRange) {
  EXPECT_EQ(EvalJson("States.ArrayRange(1, 9, 2)"), "[1,3,5,7,9]");
  EXPECT_EQ(EvalJson("States.ArrayRange(0, 10, 3)"), "[0,3,6,9]");
  EXPECT_EQ(EvalJson("States.ArrayRange(5, 1, -2)"), "[5,3,1]");
  EXPECT_EQ(EvalJson("States.ArrayRange(5, 1, 1)"), "[]");
  EXPECT_EQ(EvalJson("States.ArrayRange(3, 3, 1)"), "[3]");
  EXPECT_EQ(EvalJson("States.ArrayRange(0.5, 2.4, 1)"), "[1,2]");
  EXPECT_EQ(Eval("States.ArrayRange(1, 1000, 1)")->Size(), 1000U);
  EXPECT_NE(EvalError("States.ArrayRange(0, 1000, 1)").cause.find("1001 items; at most 1000"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.ArrayRange(0, 10, 0)").cause.find("must not be 0"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.ArrayRange(0, 3000000000, 1)").cause.find("must be between"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, ArrayGetItem) {
  EXPECT_EQ(EvalJson("States.ArrayGetItem(States.Array('a', 'b', 'c'), 1)"), R"("b")");
  EXPECT_EQ(EvalJson("States.ArrayGetItem(States.Array('a', 'b', 'c'), 2.0)"), R"("c")");
  const Error error = EvalError("States.ArrayGetItem(States.Array('a', 'b', 'c'), 3)");
  EXPECT_EQ(error.name, "States.IntrinsicFailure");
  EXPECT_EQ(error.cause,
            "States.ArrayGetItem: the index 3 is out of bounds for an array of 3 items");
  EXPECT_NE(EvalError("States.ArrayGetItem(States.Array('a'), -1)").cause.find("out of bounds"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.ArrayGetItem(States.Array('a'), 0.5)").cause.find("an integer"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.ArrayGetItem(States.Array('a'), '0')").cause.find("must be a number"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, ArrayLength) {
  EXPECT_EQ(EvalJson("States.ArrayLength(States.Array(1, 2, 3))"), "3");
  EXPECT_EQ(EvalJson("States.ArrayLength(States.Array())"), "0");
  EXPECT_EQ(EvalError("States.ArrayLength('abc')").cause,
            "States.ArrayLength: argument 1 must be an array, but it is a string");
}

TEST_F(IntrinsicTest, ArrayUniqueKeepsFirstOccurrences) {
  EXPECT_EQ(EvalJson(R"(States.ArrayUnique(States.StringToJson(
      '[null, null, true, true, false, 1, 1.0, 1.1, "1", [], [], [null], {"a": 1, "b": 2},
        {"b": 2, "a": 1}, {"a": 1, "b": 1}, 1]')))"),
            R"([null,true,false,1,1.1,"1",[],[null],{"a":1,"b":2},{"a":1,"b":1}])");
  EXPECT_EQ(EvalJson("States.ArrayUnique(States.Array())"), "[]");
}

TEST_F(IntrinsicTest, ArrayUniqueComparesByValue) {
  // Equal numbers of either kind (1 and 1.0) and equal containers are duplicates.
  EXPECT_EQ(EvalJson(R"(States.ArrayUnique(States.StringToJson(
      '[null, null, true, true, false, 1, 1.0, 1.1, "1", [], [], [null], {"a": 1, "b": 2},
        {"b": 2, "a": 1}, {"a": 1, "b": 1}, 1, 0]')))"),
            R"([null,true,false,1,1.1,"1",[],[null],{"a":1,"b":2},{"a":1,"b":1},0])");
}

TEST_F(IntrinsicTest, ArrayUniqueHandlesLargeArrays) {
  // 20000 items with 5000 distinct values: quadratic deduplication would take seconds.
  std::string items;
  for (int i = 0; i < 20000; ++i) {
    items += std::to_string((i * 7) % 5000);
    items += ',';
  }
  items += "0";
  const Result<Value> unique = Eval("States.ArrayUnique(States.StringToJson('[" + items + "]'))");
  ASSERT_TRUE(unique.has_value());
  ASSERT_EQ(unique->Size(), 5000U);
  EXPECT_EQ(unique->At(0).AsInt(), 0);
  EXPECT_EQ(unique->At(1).AsInt(), 7);
  EXPECT_EQ(unique->At(4999).AsInt(), 4993);
}

TEST_F(IntrinsicTest, Base64) {
  EXPECT_EQ(EvalJson("States.Base64Encode('Data to encode')"), R"("RGF0YSB0byBlbmNvZGU=")");
  EXPECT_EQ(EvalJson("States.Base64Encode('')"), R"("")");
  EXPECT_EQ(EvalJson("States.Base64Encode('a')"), R"("YQ==")");
  EXPECT_EQ(EvalJson("States.Base64Encode('ab')"), R"("YWI=")");
  EXPECT_EQ(EvalJson("States.Base64Encode('héllo')"), R"("aMOpbGxv")");
  EXPECT_EQ(EvalJson("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), R"("Data to encode")");
  EXPECT_EQ(EvalJson("States.Base64Decode('YVxi')"), R"("a\\b")");
  EXPECT_EQ(EvalJson("States.Base64Decode('YQ')"), R"("a")");
  EXPECT_EQ(EvalJson("States.Base64Decode('')"), R"("")");
  // Bytes that are not UTF-8 become U+FFFD, as Java's String constructor does.
  EXPECT_EQ(EvalJson("States.Base64Decode('/w==')"), "\"\xEF\xBF\xBD\"");
  EXPECT_NE(EvalError("States.Base64Decode('not base64!')").cause.find("not valid Base64"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.Base64Decode('YQ==YQ==')").cause.find("not valid Base64"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, Base64LimitIsTenThousandCharacters) {
  const std::string at_limit(10000, 'a');
  EXPECT_TRUE(Eval("States.Base64Encode('" + at_limit + "')").has_value());
  EXPECT_EQ(EvalError("States.Base64Encode('" + at_limit + "a')").cause,
            "States.Base64Encode: the input is longer than 10000 characters");
  // Characters, not bytes: 10000 two-byte characters are allowed.
  std::string accented;
  for (int i = 0; i < 10000; ++i) {
    accented += "é";
  }
  EXPECT_TRUE(Eval("States.Base64Encode('" + accented + "')").has_value());
  EXPECT_NE(EvalError("States.Base64Decode('" + std::string(10004, 'A') + "')")
                .cause.find("longer than 10000"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, HashAlgorithms) {
  EXPECT_EQ(EvalJson("States.Hash('input data', 'MD5')"), R"("812f45842bc6d66ee14572ce20db8e86")");
  EXPECT_EQ(EvalJson("States.Hash('input data', 'SHA-1')"),
            R"("aaff4a450a104cd177d28d18d74485e8cae074b7")");
  EXPECT_EQ(EvalJson("States.Hash('input data', 'SHA-256')"),
            R"("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")");
  EXPECT_EQ(
      EvalJson("States.Hash('input data', 'SHA-384')"),
      R"("d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562")");
  EXPECT_EQ(
      EvalJson("States.Hash('input data', 'SHA-512')"),
      R"("6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4")");
  EXPECT_EQ(EvalError("States.Hash('x', 'sha-256')").cause,
            "States.Hash: the algorithm 'sha-256' is not supported; use MD5, SHA-1, SHA-256, "
            "SHA-384 or SHA-512");
  // Data that is not a string is hashed as its JSON text.
  EXPECT_EQ(EvalJson("States.Hash(States.Array(1, 'a'), 'MD5')"),
            EvalJson(R"(States.Hash('[1,"a"]', 'MD5'))"));
  EXPECT_NE(EvalError("States.Hash('" + std::string(10001, 'x') + "', 'MD5')")
                .cause.find("longer than 10000"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, JsonMergeIsShallow) {
  EXPECT_EQ(EvalJson(R"(States.JsonMerge(
      States.StringToJson('{"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}'),
      States.StringToJson('{"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}'), false))"),
            R"({"a":{"a3":1,"a4":2},"b":2,"d":4,"c":3})");
  EXPECT_EQ(EvalError(R"(States.JsonMerge(States.StringToJson('{}'), States.StringToJson('{}'),
                                          true))")
                .cause,
            "States.JsonMerge: deep merging is not supported; argument 3 must be false");
  EXPECT_NE(EvalError("States.JsonMerge(States.Array(), States.StringToJson('{}'), false)")
                .cause.find("argument 1 must be an object, but it is an array"),
            std::string_view::npos);
  EXPECT_NE(EvalError("States.JsonMerge(States.StringToJson('{}'), States.StringToJson('{}'), 0)")
                .cause.find("argument 3 must be a boolean"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, MathAddRoundsHalfUp) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"States.MathAdd(-9, 3)", "-6"},
      {"States.MathAdd(1.49, 1.5)", "3"},
      {"States.MathAdd(1.5, 1.51)", "4"},
      {"States.MathAdd(-1.49, -1.5)", "-2"},
      {"States.MathAdd(-1.5, 0)", "-1"},
      {"States.MathAdd(-2.5, 0)", "-2"},
      {"States.MathAdd(-0.5, 0.5)", "1"},
      {"States.MathAdd(3.5, 0)", "4"},
      {"States.MathAdd(2147483647, 1)", "2147483648"},
      {"States.MathAdd(-2147483648, -1)", "-2147483649"},
  };
  for (const auto& [expression, expected] : cases) {
    EXPECT_EQ(EvalJson(expression), expected) << expression;
  }
  EXPECT_EQ(EvalError("States.MathAdd(2147483648, 0)").cause,
            "States.MathAdd: argument 1 (2147483648) must be between -2147483648 and 2147483647");
  EXPECT_NE(EvalError("States.MathAdd(1, '1')").cause.find("argument 2 must be a number"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, MathRandomStaysInRange) {
  for (int i = 0; i < 200; ++i) {
    const Result<Value> r = Eval("States.MathRandom(-3, 4)");
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->IsInteger());
    EXPECT_GE(r->AsInt(), -3);
    EXPECT_LT(r->AsInt(), 4);
  }
  EXPECT_EQ(EvalJson("States.MathRandom(7, 8)"), "7");
  EXPECT_NE(EvalError("States.MathRandom(5, 5)").cause.find("must be less than the end"),
            std::string_view::npos);
}

TEST_F(IntrinsicTest, MathRandomSeededMatchesJava) {
  // Expected values printed by `new java.util.Random(seed).nextInt(end - start) + start`.
  EXPECT_EQ(EvalJson("States.MathRandom(0, 10, 42)"), "0");
  EXPECT_EQ(EvalJson("States.MathRandom(0, 999, 3)"), "239");
  EXPECT_EQ(EvalJson("States.MathRandom(10, 110, 0)"), "70");
  EXPECT_EQ(EvalJson("States.MathRandom(-1000, 0, -7)"), "-338");
  EXPECT_EQ(EvalJson("States.MathRandom(0, 16, 123456789012)"), "0");
  EXPECT_EQ(EvalJson("States.MathRandom(0, 999, 3)"), EvalJson("States.MathRandom(0, 999, 3)"));
  internal::JavaRandom random(5);
  EXPECT_EQ(random.NextInt(2147483647), 1568779487);
}

// One delimiter is searched for a word at a time; a delimiter string that repeats it takes the
// general path. Both must cut every length at every position alike.
TEST_F(IntrinsicTest, StringSplitOnOneByteMatchesTheGeneralPath) {
  for (std::size_t length = 0; length <= 20; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (std::size_t also = at; also < length; also += 3) {
        std::string text(length, 'a');
        for (std::size_t i = 0; i < length; ++i) {
          text[i] = static_cast<char>('a' + i % 26);
        }
        text[at] = ',';
        text[also] = ',';
        const std::string fast = EvalJson("States.StringSplit('" + text + "', ',')");
        EXPECT_EQ(fast, EvalJson("States.StringSplit('" + text + "', ',,')")) << text;
        std::string expected = "[";  // the non-empty pieces, cut by hand
        std::size_t start = 0;
        for (std::size_t end = 0; end <= length; ++end) {
          if (end == length || text[end] == ',') {
            if (end > start) {
              expected +=
                  (expected.size() > 1 ? ",\"" : "\"") + text.substr(start, end - start) + "\"";
            }
            start = end + 1;
          }
        }
        EXPECT_EQ(fast, expected + "]") << text;
      }
    }
  }
}

TEST_F(IntrinsicTest, StringSplitOnEachDelimiterCharacter) {
  EXPECT_EQ(EvalJson("States.StringSplit('1,2,3,4,5', ',')"), R"(["1","2","3","4","5"])");
  EXPECT_EQ(EvalJson("States.StringSplit('This.is+a,test=string', '.+,=')"),
            R"(["This","is","a","test","string"])");
  EXPECT_EQ(EvalJson("States.StringSplit('a,,b', ',')"), R"(["a","b"])");
  EXPECT_EQ(EvalJson("States.StringSplit(',,,,', ',')"), "[]");
  EXPECT_EQ(EvalJson("States.StringSplit(', , ,', ',')"), R"([" "," "])");
  EXPECT_EQ(EvalJson("States.StringSplit('', ',')"), "[]");
  EXPECT_EQ(EvalJson("States.StringSplit('abc', '')"), R"(["abc"])");
  EXPECT_EQ(EvalJson("States.StringSplit('aébéc', 'é')"), R"(["a","b","c"])");
  EXPECT_EQ(EvalJson("States.StringSplit('x→y→z', '→,')"), R"(["x","y","z"])");
  EXPECT_EQ(EvalJson("States.StringSplit('Hello\nWorld', '\n')"), R"(["Hello","World"])");
}

TEST_F(IntrinsicTest, StringSplitOnOneCharacter) {
  // A one-byte delimiter takes a path of its own: runs of it, one at either end and none at
  // all split as on the general path.
  const std::string text = ",abcdefg,hijklmn,,o,p,qrstuvw,x,yz,,,,,,,,,0123456789abcdef,";
  std::string input = R"({"s":)";
  AppendJsonString(text, input);
  input += "}";
  EXPECT_EQ(EvalJson("States.StringSplit($.s, ',')", input),
            EvalJson("States.StringSplit($.s, ',,')", input));
  EXPECT_EQ(EvalJson("States.StringSplit($.s, ',')", input),
            R"(["abcdefg","hijklmn","o","p","qrstuvw","x","yz","0123456789abcdef"])");
  EXPECT_EQ(EvalJson("States.StringSplit('no delimiter here at all', '|')"),
            R"(["no delimiter here at all"])");
  EXPECT_EQ(EvalJson("States.StringSplit('', ',')"), "[]");
}

TEST_F(IntrinsicTest, UuidIsRandomVersion4) {
  const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const Result<Value> uuid = Eval("States.UUID()");
    ASSERT_TRUE(uuid.has_value());
    const std::string text(uuid->AsString());
    EXPECT_TRUE(std::regex_match(text, v4)) << text;
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 100U);
}

TEST_F(IntrinsicTest, NestedCalls) {
  EXPECT_EQ(EvalJson("States.ArrayGetItem(States.StringSplit('a-b-c', '-'), "
                     "States.MathAdd(States.ArrayLength(States.StringSplit('a-b-c', '-')), -1))"),
            R"("c")");
  EXPECT_EQ(EvalJson(Nested(CompiledIntrinsic::kMaxNesting)), "[[[[[[[[[[1]]]]]]]]]]");
}

TEST_F(IntrinsicTest, FormatOfStringsAndIntegers) {
  EXPECT_EQ(EvalJson("States.Format('{}-{}={}', 'a', -9223372036854775808, '')"),
            R"("a--9223372036854775808=")");
  EXPECT_EQ(EvalJson("States.Format('{}', '')"), R"("")");
  EXPECT_EQ(EvalJson("States.Format('{}{}', $.s, $.n)", R"({"s": "n=", "n": 42})"), R"("n=42")");
}

TEST_F(IntrinsicTest, ErrorsInNestedCallsPropagate) {
  EXPECT_EQ(EvalError("States.Array(1, States.ArrayLength('x'))").cause,
            "States.ArrayLength: argument 1 must be an array, but it is a string");
}

// --- path arguments ---

TEST_F(IntrinsicTest, PathArguments) {
  const std::string_view input = R"json({"name": "Arnav", "a": {"b,c": 1, "x)": 2},
      "xs": [1, 2, 3], "items": [{"v": 1}, {"v": 5}], "template": "Hi {}"})json";
  EXPECT_EQ(EvalJson("States.Format('Hello, {}.', $.name)", input), R"("Hello, Arnav.")");
  EXPECT_EQ(EvalJson("States.Format($.template, $.name)", input), R"("Hi Arnav")");
  EXPECT_EQ(EvalJson("States.Array($.a['b,c'], $.a['x)'])", input), "[1,2]");
  EXPECT_EQ(EvalJson("States.ArrayLength( $.xs )", input), "3");
  EXPECT_EQ(EvalJson("States.Array($)", R"({"k": 1})"), R"([{"k":1}])");
  EXPECT_EQ(EvalJson("States.ArrayLength($.items[?(@.v > 2)])", input), "1");
  EXPECT_EQ(EvalJson("States.Array($.xs[0], $.xs[-1])", input), "[1,3]");
  EXPECT_EQ(EvalJson("States.Format('{}', $$.Execution.Name)", input), R"("run-1")");
}

TEST_F(IntrinsicTest, VariableArguments) {
  VariableTable table;
  options_.variables = &table;
  const VariableId id = table.Intern("greeting");
  variables_.resize(table.size());
  variables_[id] = Value::String("hello");
  EXPECT_EQ(EvalJson("States.Format('{} world', $greeting)"), R"("hello world")");
}

TEST_F(IntrinsicTest, MissingPathIsRuntimeError) {
  const Error error = EvalError("States.Format('{}', $.missing)", R"({"a":1})");
  EXPECT_EQ(error.name, "States.Runtime");
  EXPECT_EQ(error.cause,
            "The JsonPath argument for the field '$.missing' could not be found in the input "
            "'{\"a\":1}'");
}

TEST_F(IntrinsicTest, TemplateFromPathIsCheckedAtRuntime) {
  const Error error = EvalError("States.Format($.t, 1)", R"({"t": "{} {}"})");
  EXPECT_EQ(error.name, "States.IntrinsicFailure");
  EXPECT_EQ(error.cause,
            "States.Format: the template has 2 '{}' placeholders, but 1 values follow it");
}

TEST(IntrinsicCompileTest, BadPathArgumentIsCompileError) {
  const CompileError error = CompileErrorOf("States.Array(1, $.a[)");
  EXPECT_GE(error.position, 16U);
  EXPECT_NE(error.message.find("Invalid intrinsic function call"), std::string::npos);
  EXPECT_NE(CompileErrorOf("States.Array($undeclared)").message.find("variable"),
            std::string::npos);
}

// --- the AWS-recorded conformance corpus ---

// An expected string matches as the corpus README says: a placeholder `<...>` stands for any
// substring, and a string that is one placeholder matches any value.
bool MatchesExpected(Value expected, Value actual) {
  static const std::regex kPlaceholder("<[A-Za-z][A-Za-z0-9_.:+-]*>");
  if (expected.IsString()) {
    const std::string text(expected.AsString());
    if (std::regex_match(text, kPlaceholder)) {
      return true;
    }
    if (!actual.IsString()) {
      return false;
    }
    std::string pattern;
    std::size_t last = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kPlaceholder);
         it != std::sregex_iterator(); ++it) {
      pattern +=
          std::regex_replace(text.substr(last, static_cast<std::size_t>(it->position()) - last),
                             std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
      pattern += "[\\s\\S]*";
      last = static_cast<std::size_t>(it->position() + it->length());
    }
    pattern +=
        std::regex_replace(text.substr(last), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
    return std::regex_match(std::string(actual.AsString()), std::regex(pattern));
  }
  if (expected.type() != actual.type()) {
    return false;
  }
  if (expected.IsArray()) {
    if (expected.Size() != actual.Size()) {
      return false;
    }
    for (std::size_t i = 0; i < expected.Size(); ++i) {
      if (!MatchesExpected(expected.At(i), actual.At(i))) {
        return false;
      }
    }
    return true;
  }
  if (expected.IsObject()) {
    return expected.Size() == actual.Size() &&
           expected.AllMembers([&](std::string_view key, Value value) {
             return MatchesExpected(value, actual.Find(key));
           });
  }
  return DeepEquals(expected, actual);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every case of the intrinsic_functions suite whose machine is one Pass state with only
// Parameters: each `.$` intrinsic evaluated against the case input must give the recorded
// output (or error).
TEST(IntrinsicCorpusTest, SinglePassCasesMatchAws) {
  const std::filesystem::path dir =
      std::filesystem::path(STEPD_SHARED_DIR) / "conformance/cases/intrinsic_functions";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name.find("_jsonata") == std::string::npos) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  int checked = 0;
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    Document case_doc;
    const Result<Value> root = case_doc.Parse(ReadFile(file));
    ASSERT_TRUE(root.has_value());
    const Value states = root->Find("definition").Find("States");
    if (states.Size() != 1) {
      continue;
    }
    Value state;
    states.ForEachMember([&](std::string_view, Value s) { state = s; });
    bool simple = state.Find("Type").IsString() && state.Find("Type").AsString() == "Pass";
    state.ForEachMember([&](std::string_view key, Value) {
      simple = simple && (key == "Type" || key == "Parameters" || key == "End" || key == "Comment");
    });
    if (!simple || !state.Find("Parameters").IsObject()) {
      continue;
    }
    const Value input = root->Find("input");
    // A context object shaped like AWS's; the corpus hides run-specific names behind
    // placeholders, so any names do.
    Document context_doc;
    const Result<Value> context = context_doc.Parse(
        R"({"Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:sm-name:run-name",
            "Input": )" +
        ToJson(input) + R"(, "Name": "run-name",
            "RoleArn": "arn:aws:iam::111111111111:role/sfn", "StartTime": "2024-01-01T00:00:00.000Z",
            "RedriveCount": 0},
            "State": {"EnteredTime": "2024-01-01T00:00:00.000Z", "Name": "State_0", "RetryCount": 0},
            "StateMachine": {"Id": "arn:aws:states:us-east-1:111111111111:stateMachine:sm-name",
                             "Name": "sm-name"}})");
    ASSERT_TRUE(context.has_value());
    Arena arena;
    const EvalContext ctx{input, *context, {}, &arena};
    std::vector<Member> output;
    std::vector<CompiledIntrinsic> compiled;
    std::optional<Error> failure;
    state.Find("Parameters").ForEachMember([&](std::string_view key, Value value) {
      if (failure.has_value()) {
        return;
      }
      if (!key.ends_with(".$")) {
        output.push_back({key, value});
        return;
      }
      ASSERT_TRUE(value.IsString() && LooksLikeIntrinsic(value.AsString())) << key;
      auto intrinsic = CompiledIntrinsic::Compile(value.AsString());
      ASSERT_TRUE(intrinsic.has_value()) << intrinsic.error().message;
      compiled.push_back(std::move(intrinsic).value());
      const Result<Value> result = compiled.back().Evaluate(ctx);
      if (!result.has_value()) {
        failure = result.error();
        return;
      }
      output.push_back({key.substr(0, key.size() - 2), *result});
    });
    const Value expect = root->Find("expect");
    if (expect.Find("status").AsString() == "SUCCEEDED") {
      ASSERT_FALSE(failure.has_value()) << failure->name << ": " << failure->cause;
      const Value actual = Value::Object(output.data(), output.size());
      EXPECT_TRUE(MatchesExpected(expect.Find("output"), actual))
          << "expected " << ToJson(expect.Find("output")) << "\n  actual " << ToJson(actual);
    } else {
      ASSERT_TRUE(failure.has_value());
      EXPECT_EQ(failure->name, expect.Find("error").AsString());
    }
    ++checked;
  }
  // The public split holds 100 such cases; fewer means the corpus moved or the filter broke.
  EXPECT_GE(checked, 100);
  std::cout << "[ corpus   ] checked " << checked << " intrinsic_functions cases\n";
}

}  // namespace
}  // namespace stepd
