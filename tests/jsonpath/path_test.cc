#include "jsonpath/path.h"

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/eval_context.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

constexpr std::string_view kStore = R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
       "isbn": "0-553-21311-3", "price": 8},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord",
       "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10
})";

class PathTest : public ::testing::Test {
 protected:
  // The compact JSON of what `path` selects from `input` ("<missing>" for Missing), or
  // "error: <message>" when it does not compile.
  std::string Select(std::string_view path, std::string_view input,
                     PathKind kind = PathKind::kPath) {
    auto compiled = CompiledPath::Compile(path, kind, options_);
    if (!compiled.has_value()) {
      return "error: " + compiled.error().message;
    }
    auto parsed = input_doc_.Parse(input);
    if (!parsed.has_value()) {
      return "bad test input";
    }
    EvalContext ctx;
    ctx.input = *parsed;
    ctx.context = context_;
    ctx.variables = variables_;
    ctx.arena = &arena_;
    return Render(compiled->Select(ctx));
  }

  static std::string Render(Value v) { return v.IsMissing() ? "<missing>" : ToJson(v); }

  // The compile error message for `path`, or "compiled".
  std::string ErrorOf(std::string_view path, PathKind kind = PathKind::kPath) {
    auto compiled = CompiledPath::Compile(path, kind, options_);
    return compiled.has_value() ? "compiled" : compiled.error().message;
  }

  Document input_doc_;
  Document context_doc_;
  Arena arena_;
  VariableTable table_;
  CompileOptions options_{&table_};
  Value context_;
  std::vector<Value> variables_;
};

// --- Definite paths ---------------------------------------------------------------------------

TEST_F(PathTest, RootSelectsTheWholeInput) {
  EXPECT_EQ(Select("$", R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(Select("$", "7"), "7");
}

TEST_F(PathTest, DotAndBracketFields) {
  const std::string_view input = R"({"a":{"b":{"c":3}},"x-y":1,"$d":2,"é":3,"a b":4,"a.b":5})";
  EXPECT_EQ(Select("$.a.b.c", input), "3");
  EXPECT_EQ(Select("$['a']['b']", input), R"({"c":3})");
  EXPECT_EQ(Select(R"($["a"]["b"].c)", input), "3");
  EXPECT_EQ(Select("$.x-y", input), "1");
  EXPECT_EQ(Select("$.$d", input), "2");
  EXPECT_EQ(Select("$.é", input), "3");
  EXPECT_EQ(Select("$['a b']", input), "4");
  EXPECT_EQ(Select("$['a.b']", input), "5");
  EXPECT_EQ(Select("$[ 'a' ]", input), R"({"b":{"c":3}})");
}

TEST_F(PathTest, BracketNamesDecodeEscapes) {
  const std::string_view input = R"({"it's":1,"say \"hi\"":2,"é":3,"back\\slash":4,"":5})";
  EXPECT_EQ(Select(R"($['it\'s'])", input), "1");
  EXPECT_EQ(Select(R"($["it's"])", input), "1");
  EXPECT_EQ(Select(R"($["say \"hi\""])", input), "2");
  EXPECT_EQ(Select(R"($['\u00e9'])", input), "3");
  EXPECT_EQ(Select(R"($['back\\slash'])", input), "4");
  EXPECT_EQ(Select("$['']", input), "5");
}

TEST_F(PathTest, SurrogatePairEscapes) {
  EXPECT_EQ(Select(R"($['\ud83d\ude00'])", "{\"\xF0\x9F\x98\x80\":1}"), "1");
  EXPECT_NE(ErrorOf(R"($['\ud83d'])"), "compiled");
  EXPECT_NE(ErrorOf(R"($['\ude00'])"), "compiled");
  EXPECT_NE(ErrorOf(R"($['\u12'])"), "compiled");
  EXPECT_NE(ErrorOf(R"($['\q'])"), "compiled");
}

TEST_F(PathTest, IndexesCountFromEitherEnd) {
  const std::string_view input = R"({"a":[10,20,30]})";
  EXPECT_EQ(Select("$.a[0]", input), "10");
  EXPECT_EQ(Select("$.a[2]", input), "30");
  EXPECT_EQ(Select("$.a[-1]", input), "30");
  EXPECT_EQ(Select("$.a[-3]", input), "10");
  EXPECT_EQ(Select("$.a[-4]", input), "<missing>");
  EXPECT_EQ(Select("$.a[3]", input), "<missing>");
  EXPECT_EQ(Select("$.a[-9223372036854775808]", input), "<missing>");
  EXPECT_EQ(Select("$.a[9223372036854775807]", input), "<missing>");
  EXPECT_EQ(Select("$[0][1]", "[[1,2],[3]]"), "2");
}

TEST_F(PathTest, DefinitePathsYieldMissingWhenNothingMatches) {
  EXPECT_EQ(Select("$.nope", R"({"a":1})"), "<missing>");
  EXPECT_EQ(Select("$.a.b", R"({"a":1})"), "<missing>");
  EXPECT_EQ(Select("$.a", "[1]"), "<missing>");
  EXPECT_EQ(Select("$[0]", R"({"0":1})"), "<missing>");
  EXPECT_EQ(Select("$.a[0]", R"({"a":"text"})"), "<missing>");
  EXPECT_EQ(Select("$.a", R"({"a":null})"), "null");
}

TEST_F(PathTest, DefinitenessAndSteps) {
  auto path = CompiledPath::Compile("$.a['b c'][-2]", PathKind::kPath);
  ASSERT_TRUE(path.has_value());
  EXPECT_TRUE(path->is_definite());
  EXPECT_EQ(path->root(), PathRoot::kInput);
  EXPECT_EQ(path->text(), "$.a['b c'][-2]");
  const auto steps = path->steps();
  ASSERT_EQ(steps.size(), 3U);
  EXPECT_EQ(steps[0].kind, PathStep::Kind::kField);
  EXPECT_EQ(steps[0].name, "a");
  EXPECT_EQ(steps[1].name, "b c");
  EXPECT_EQ(steps[2].kind, PathStep::Kind::kIndex);
  EXPECT_EQ(steps[2].index, -2);

  for (std::string_view text :
       {"$[*]", "$.*", "$[0:1]", "$[0,1]", "$['a','b']", "$..a", "$[?(@.a)]", "$.a..b"}) {
    auto indefinite = CompiledPath::Compile(text, PathKind::kPath);
    ASSERT_TRUE(indefinite.has_value()) << text;
    EXPECT_FALSE(indefinite->is_definite()) << text;
    EXPECT_TRUE(indefinite->steps().empty()) << text;
  }
  auto root = CompiledPath::Compile("$", PathKind::kPath);
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->is_definite());
  EXPECT_TRUE(root->steps().empty());
}

TEST_F(PathTest, MovingKeepsStepViewsValid) {
  std::vector<CompiledPath> paths;
  for (int i = 0; i < 20; ++i) {
    auto path = CompiledPath::Compile("$['a rather long name that is not in SSO storage'].b",
                                      PathKind::kReferencePath);
    ASSERT_TRUE(path.has_value());
    paths.push_back(std::move(*path));  // reallocation moves earlier entries
  }
  CompiledPath moved = std::move(paths.front());
  EXPECT_EQ(moved.steps()[0].name, "a rather long name that is not in SSO storage");
  EXPECT_EQ(moved.steps()[1].name, "b");
  EXPECT_EQ(paths.back().steps()[1].name, "b");
}

// --- Indefinite paths -------------------------------------------------------------------------

TEST_F(PathTest, WildcardsOverArraysAndObjects) {
  const std::string_view input = R"({"a":[1,{"b":2},[3]],"o":{"z":1,"y":2},"s":"x"})";
  EXPECT_EQ(Select("$.a[*]", input), R"([1,{"b":2},[3]])");
  EXPECT_EQ(Select("$.a.*", input), R"([1,{"b":2},[3]])");
  EXPECT_EQ(Select("$.o.*", input), "[1,2]");  // key order as written
  EXPECT_EQ(Select("$.o[*]", input), "[1,2]");
  EXPECT_EQ(Select("$.s[*]", input), "[]");
  EXPECT_EQ(Select("$.nope[*]", input), "[]");
  EXPECT_EQ(Select("$.a[*].b", input), "[2]");
  EXPECT_EQ(Select("$.*.*", R"({"p":{"q":1},"r":[2,3]})"), "[1,2,3]");
}

TEST_F(PathTest, Slices) {
  const std::string_view input = "[0,1,2,3,4,5]";
  EXPECT_EQ(Select("$[1:3]", input), "[1,2]");
  EXPECT_EQ(Select("$[:2]", input), "[0,1]");
  EXPECT_EQ(Select("$[4:]", input), "[4,5]");
  EXPECT_EQ(Select("$[-2:]", input), "[4,5]");
  EXPECT_EQ(Select("$[:-4]", input), "[0,1]");
  EXPECT_EQ(Select("$[:]", input), "[0,1,2,3,4,5]");
  EXPECT_EQ(Select("$[::2]", input), "[0,2,4]");
  EXPECT_EQ(Select("$[1:6:2]", input), "[1,3,5]");
  EXPECT_EQ(Select("$[::-1]", input), "[5,4,3,2,1,0]");
  EXPECT_EQ(Select("$[4:1:-2]", input), "[4,2]");
  EXPECT_EQ(Select("$[-1:-3:-1]", input), "[5,4]");
  EXPECT_EQ(Select("$[-100:100]", input), "[0,1,2,3,4,5]");
  EXPECT_EQ(Select("$[100:]", input), "[]");
  EXPECT_EQ(Select("$[3:1]", input), "[]");
  EXPECT_EQ(Select("$[1:3:-1]", input), "[]");
  EXPECT_EQ(Select("$[ 1 : 3 ]", input), "[1,2]");
  EXPECT_EQ(Select("$[0:2]", R"({"a":1})"), "[]");
  EXPECT_EQ(Select("$[::-9223372036854775808]", input), "[5]");
  EXPECT_EQ(Select("$[-9223372036854775808:9223372036854775807]", input), "[0,1,2,3,4,5]");
}

TEST_F(PathTest, SlicesOverArenaArraysMatchDocumentArrays) {
  // The result of one indefinite path is an arena array; slicing it takes the other code path.
  EXPECT_EQ(Select("$[*][::-1]", "[[1,2,3]]"), "[3,2,1]");
  auto path = CompiledPath::Compile("$[::-2]", PathKind::kPath);
  ASSERT_TRUE(path.has_value());
  const Value items[] = {Value::Int(1), Value::Int(2), Value::Int(3)};
  EvalContext ctx;
  ctx.input = Value::Array(items, 3);
  ctx.arena = &arena_;
  EXPECT_EQ(Render(path->Select(ctx)), "[3,1]");
}

TEST_F(PathTest, UnionsKeepTheOrderWritten) {
  const std::string_view input = R"({"a":[10,20,30],"o":{"x":1,"y":2,"z":3}})";
  EXPECT_EQ(Select("$.a[0,2]", input), "[10,30]");
  EXPECT_EQ(Select("$.a[2,0]", input), "[30,10]");
  EXPECT_EQ(Select("$.a[0,-1,7]", input), "[10,30]");
  EXPECT_EQ(Select("$.a[1,1]", input), "[20,20]");
  EXPECT_EQ(Select("$.o['z','x']", input), "[3,1]");
  EXPECT_EQ(Select(R"($.o["y", 'nope'])", input), "[2]");
  EXPECT_EQ(Select("$.o[0,1]", input), "[]");
  EXPECT_EQ(Select("$.a['x','y']", input), "[]");
}

TEST_F(PathTest, RecursiveDescent) {
  const std::string_view input = R"({"a":1,"b":{"a":2,"c":[{"a":3},{"a":{"a":4}}]}})";
  EXPECT_EQ(Select("$..a", input), R"([1,2,3,{"a":4},4])");
  EXPECT_EQ(Select("$..['a']", input), R"([1,2,3,{"a":4},4])");
  EXPECT_EQ(Select("$.b..a", input), R"([2,3,{"a":4},4])");
  EXPECT_EQ(Select("$..c[1].a.a", input), "[4]");
  EXPECT_EQ(Select("$..[0]", input), R"([{"a":3}])");
  EXPECT_EQ(Select("$..nope", input), "[]");
  EXPECT_EQ(Select("$..*", R"({"p":{"q":1},"r":[2]})"), R"([{"q":1},[2],1,2])");
  EXPECT_EQ(Select("$..['x','y']", R"({"x":1,"k":{"y":2,"x":3}})"), "[1,3,2]");
  EXPECT_EQ(Select("$..book[*].author", kStore),
            R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])");
  EXPECT_EQ(Select("$..price", kStore), "[8.95,12.99,8,22.99,19.95]");
  EXPECT_EQ(Select("$..book[-1:].title", kStore), R"(["The Lord"])");
}

// --- Filters ----------------------------------------------------------------------------------

TEST_F(PathTest, FilterComparesNumbers) {
  const std::string_view input = R"([{"n":1},{"n":2.5},{"n":3},{"n":"3"},{"m":3}])";
  EXPECT_EQ(Select("$[?(@.n == 3)].n", input), "[3]");
  EXPECT_EQ(Select("$[?(@.n == 3.0)].n", input), "[3]");
  EXPECT_EQ(Select("$[?(@.n != 3)]", input), R"([{"n":1},{"n":2.5},{"n":"3"},{"m":3}])");
  EXPECT_EQ(Select("$[?(@.n < 2.5)].n", input), "[1]");
  EXPECT_EQ(Select("$[?(@.n <= 2.5)].n", input), "[1,2.5]");
  EXPECT_EQ(Select("$[?(@.n > 2)].n", input), "[2.5,3]");
  EXPECT_EQ(Select("$[?(@.n >= 3)].n", input), "[3]");
  EXPECT_EQ(Select("$[?(@.n > -1e3)].n", input), "[1,2.5,3]");
  EXPECT_EQ(Select("$[?(3 == @.n)].n", input), "[3]");
  EXPECT_EQ(Select("$[?(@.n<3)].n", input), "[1,2.5]");
}

TEST_F(PathTest, FilterComparesHugeIntegersExactly) {
  const std::string_view input = R"([18446744073709551615, 9223372036854775807, -5, 1.5])";
  EXPECT_EQ(Select("$[?(@ > 9223372036854775806)]", input),
            "[18446744073709551615,9223372036854775807]");
  EXPECT_EQ(Select("$[?(@ < 9223372036854775807)]", input), "[-5,1.5]");
  EXPECT_EQ(Select("$[?(@ == 18446744073709551615)]", input), "[18446744073709551615]");
}

TEST_F(PathTest, FilterComparesStringsByCodePoint) {
  const std::string_view input = R"(["apple","banana","Zebra","é","b"])";
  EXPECT_EQ(Select("$[?(@ == 'banana')]", input), R"(["banana"])");
  EXPECT_EQ(Select(R"($[?(@ == "banana")])", input), R"(["banana"])");
  EXPECT_EQ(Select("$[?(@ < 'b')]", input), R"(["apple","Zebra"])");
  EXPECT_EQ(Select("$[?(@ >= 'b')]", input), R"(["banana","é","b"])");
  EXPECT_EQ(Select("$[?(@ > 'z')]", input), R"(["é"])");
}

TEST_F(PathTest, FilterOnMismatchedTypesIsFalseNotAnError) {
  const std::string_view input = R"([1,"1",true,null,[1],{"a":1}])";
  EXPECT_EQ(Select("$[?(@ == 1)]", input), "[1]");
  EXPECT_EQ(Select("$[?(@ == '1')]", input), R"(["1"])");
  EXPECT_EQ(Select("$[?(@ == true)]", input), "[true]");
  EXPECT_EQ(Select("$[?(@ == false)]", input), "[]");
  EXPECT_EQ(Select("$[?(@ == null)]", input), "[null]");
  EXPECT_EQ(Select("$[?(@ > 0)]", input), "[1]");
  EXPECT_EQ(Select("$[?(@ < 'z')]", input), R"(["1"])");
  EXPECT_EQ(Select("$[?(@ < true)]", input), "[]");
  EXPECT_EQ(Select("$[?(@ == [1])]", input), "[[1]]");
  EXPECT_EQ(Select(R"($[?(@ == {'a': 1.0})])", input), R"([{"a":1}])");
  EXPECT_EQ(Select("$[?(@ != 1)]", input), R"(["1",true,null,[1],{"a":1}])");
}

TEST_F(PathTest, FilterExistenceAndNegation) {
  const std::string_view input = R"([{"a":1},{"a":null},{"a":false},{"b":1},5])";
  EXPECT_EQ(Select("$[?(@.a)]", input), R"([{"a":1},{"a":null},{"a":false}])");
  EXPECT_EQ(Select("$[?(!@.a)]", input), R"([{"b":1},5])");
  EXPECT_EQ(Select("$[?(!(@.a == 1))]", input), R"([{"a":null},{"a":false},{"b":1},5])");
  EXPECT_EQ(Select("$[?(!!@.b)]", input), R"([{"b":1}])");
  EXPECT_EQ(Select("$..book[?(@.isbn)].title", kStore), R"(["Moby Dick","The Lord"])");
  EXPECT_EQ(Select("$[?(@)]", "[0,false,null]"), "[0,false,null]");
}

TEST_F(PathTest, FilterLogicAndPrecedence) {
  const std::string_view input = R"([{"a":1,"b":1},{"a":1,"b":2},{"a":2,"b":1},{"a":2,"b":2}])";
  EXPECT_EQ(Select("$[?(@.a == 1 && @.b == 2)]", input), R"([{"a":1,"b":2}])");
  EXPECT_EQ(Select("$[?(@.a == 1 || @.b == 2)]", input),
            R"([{"a":1,"b":1},{"a":1,"b":2},{"a":2,"b":2}])");
  // && binds tighter than ||.
  EXPECT_EQ(Select("$[?(@.a == 2 || @.a == 1 && @.b == 2)]", input),
            R"([{"a":1,"b":2},{"a":2,"b":1},{"a":2,"b":2}])");
  EXPECT_EQ(Select("$[?((@.a == 2 || @.a == 1) && @.b == 2)]", input),
            R"([{"a":1,"b":2},{"a":2,"b":2}])");
  EXPECT_EQ(Select("$[?(@.a==1&&@.b==1||@.a==2&&@.b==2)]", input),
            R"([{"a":1,"b":1},{"a":2,"b":2}])");
  EXPECT_EQ(Select("$[?(@.a == 1 && @.b == 1 && @.a != 2 && @.b < 5)]", input),
            R"([{"a":1,"b":1}])");
}

TEST_F(PathTest, FilterInAndNin) {
  const std::string_view input = R"([{"c":"x"},{"c":"y"},{"c":1},{"c":[1]},{"d":0}])";
  EXPECT_EQ(Select("$[?(@.c in ['x', \"z\", 1])].c", input), R"(["x",1])");
  EXPECT_EQ(Select("$[?(@.c nin ['x','z',1])]", input), R"([{"c":"y"},{"c":[1]},{"d":0}])");
  EXPECT_EQ(Select("$[?(@.c in [[1], 2])].c", input), "[[1]]");
  EXPECT_EQ(Select("$[?(@.c in [])]", input), "[]");
  EXPECT_EQ(Select("$[?(@.c in 'x')]", input), "[]");
  // The right side may be a path: here one outside the element, via $.
  EXPECT_EQ(Select("$.items[?(@ in $.allowed)]", R"({"items":[1,2,3],"allowed":[3,1]})"), "[1,3]");
  EXPECT_EQ(Select("$[?(1 in @.list)].id", R"([{"id":1,"list":[1,2]},{"id":2,"list":[3]}])"),
            "[1]");
}

TEST_F(PathTest, FilterRegexMatchesTheWholeString) {
  const std::string_view input = R"(["foo","Foo","foobar","bar",3])";
  EXPECT_EQ(Select("$[?(@ =~ /foo/)]", input), R"(["foo"])");
  EXPECT_EQ(Select("$[?(@ =~ /foo.*/)]", input), R"(["foo","foobar"])");
  EXPECT_EQ(Select("$[?(@ =~ /foo/i)]", input), R"(["foo","Foo"])");
  EXPECT_EQ(Select("$[?(@ =~ /b.r|f\\w+/)]", input), R"(["foo","foobar","bar"])");
  EXPECT_EQ(Select(R"($[?(@ =~ /a\/b/)])", R"(["a/b","ab"])"), R"(["a/b"])");
  EXPECT_EQ(Select("$..book[?(@.author =~ /.*REES/i)].title", kStore), R"(["Sayings"])");
}

TEST_F(PathTest, RegexBackReferencesAndHugeRepetitionsAreRefused) {
  EXPECT_FALSE(
      CompiledPath::Compile("$[?(@ =~ /(a)\\66666666666666666666/)]", PathKind::kPath).has_value());
  EXPECT_FALSE(CompiledPath::Compile("$[?(@ =~ /a{99999}/)]", PathKind::kPath).has_value());
  EXPECT_EQ(Select("$[?(@ =~ /a{2,3}/)]", R"(["a","aa","aaa"])"), R"(["aa","aaa"])");
}

TEST_F(PathTest, StackedRegexQuantifiersAreRefused) {
  // Java reads `a*+` as possessive (which needs backtracking) and rejects a third quantifier.
  for (std::string_view stacked : {"/^.*+++++++++++++++++++++/", "/a**/", "/a{2}*/",
                                   "/a*?"
                                   "?/",
                                   "/a+?+/", "/(a)?*/"}) {
    const auto compiled =
        CompiledPath::Compile("$[?(@ =~ " + std::string(stacked) + ")]", PathKind::kPath);
    EXPECT_FALSE(compiled.has_value()) << stacked;
  }
  // One quantifier, its lazy form, escaped and bracketed quantifier characters are fine.
  EXPECT_EQ(Select(R"($[?(@ =~ /a+?b*?c?\+[+*?]{1,2}/)])", R"(["aabc+*","abc"])"), R"(["aabc+*"])");
}

TEST_F(PathTest, FilterRegexesTakeTimeLinearInTheText) {
  // A backtracking matcher hangs on the first and overflows its stack on the second.
  const std::string as = "[\"" + std::string(100000, 'a') + "\"]";
  EXPECT_EQ(Select("$[?(@ =~ /(a+)+b/)]", as), "[]");
  std::string abs = "[\"";
  for (int i = 0; i < 100000; ++i) {
    abs += "ab";
  }
  abs += "\"]";
  EXPECT_EQ(Select("$[?(@ =~ /(ab|c)*/)]", abs), abs);
}

TEST_F(PathTest, FilterAbsolutePathsReadTheInput) {
  EXPECT_EQ(Select("$..book[?(@.price < $.expensive)].title", kStore),
            R"(["Sayings","Moby Dick"])");
  EXPECT_EQ(Select("$.a[?(@ == $.b[0])]", R"({"a":[1,2],"b":[2]})"), "[2]");
}

TEST_F(PathTest, FilterOnAnObjectTestsTheObjectItself) {
  const std::string_view input = R"({"o":{"k":1,"v":2}})";
  EXPECT_EQ(Select("$.o[?(@.k == 1)]", input), R"([{"k":1,"v":2}])");
  EXPECT_EQ(Select("$.o[?(@.k == 2)]", input), "[]");
  EXPECT_EQ(Select("$.o[?(@.k == 1)].v", input), "[2]");
  EXPECT_EQ(Select("$.o.k[?(@ == 1)]", input), "[]");  // scalars are never filtered
}

TEST_F(PathTest, FilterUnderDescentYieldsEachMatchOnce) {
  EXPECT_EQ(Select("$..[?(@.a == 1)]", R"([{"a":1},{"b":{"a":1,"c":2}},{"a":2}])"),
            R"([{"a":1},{"a":1,"c":2}])");
  EXPECT_EQ(Select("$..[?(@.price > 20)].title", kStore), R"(["The Lord"])");
}

TEST_F(PathTest, FilterOperandsMayBeIndefiniteOrNested) {
  const std::string_view input =
      R"([{"id":1,"tags":[{"n":"a"},{"n":"b"}]},{"id":2,"tags":[{"n":"c"}]},{"id":3}])";
  EXPECT_EQ(Select("$[?(@.tags[?(@.n == 'b')])].id", input), "[1]");
  EXPECT_EQ(Select("$[?(@.tags[*].n)].id", input), "[1,2]");
  EXPECT_EQ(Select("$[?(@.tags[0]['n'] == 'c')].id", input), "[2]");
  EXPECT_EQ(Select("$[?(@.tags[-1].n == 'b')].id", input), "[1]");
  EXPECT_EQ(Select("$[?(@.tags[*].n == ['c'])].id", input), "[2]");
}

// --- Roots: $$ and variables ------------------------------------------------------------------

TEST_F(PathTest, ContextRoot) {
  auto context = context_doc_.Parse(
      R"({"Execution":{"Id":"arn:x"},"Map":{"Item":{"Index":2,"Value":{"v":[1,2]}}}})");
  ASSERT_TRUE(context.has_value());
  context_ = *context;
  EXPECT_EQ(Select("$$.Execution.Id", "{}"), R"("arn:x")");
  EXPECT_EQ(Select("$$.Map.Item.Value", "{}"), R"({"v":[1,2]})");
  EXPECT_EQ(Select("$$.Map.Item.Value.v[*]", "{}"), "[1,2]");
  EXPECT_EQ(Select("$$['Map']['Item']['Index']", "{}"), "2");
  EXPECT_EQ(Select("$$", "{}"), ToJson(*context));
  EXPECT_EQ(Select("$$.Nope", "{}"), "<missing>");
  auto path = CompiledPath::Compile("$$.Execution.Id", PathKind::kReferencePath);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->root(), PathRoot::kContext);
  EXPECT_EQ(path->normalized(), "$$['Execution']['Id']");
}

TEST_F(PathTest, ContextRootWhenUnavailable) {
  EXPECT_EQ(Select("$$.Execution.Id", "{}"), "<missing>");
  EXPECT_EQ(Select("$$..Id", "{}"), "[]");
}

TEST_F(PathTest, VariableRoots) {
  Document vars;
  auto items = vars.Parse(R"({"list":[1,5,10],"name":"x"})");
  ASSERT_TRUE(items.has_value());
  auto path = CompiledPath::Compile("$myVar.list[1]", PathKind::kPath, options_);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->root(), PathRoot::kVariable);
  EXPECT_EQ(table_.Name(path->variable()), "myVar");
  auto limit = CompiledPath::Compile("$limit", PathKind::kPath, options_);
  ASSERT_TRUE(limit.has_value());
  EXPECT_NE(limit->variable(), path->variable());

  variables_.resize(table_.size());
  variables_[path->variable()] = *items;
  variables_[limit->variable()] = Value::Int(4);
  EXPECT_EQ(Select("$myVar.list[1]", "{}"), "5");
  EXPECT_EQ(Select("$myVar", "{}"), R"({"list":[1,5,10],"name":"x"})");
  EXPECT_EQ(Select("$myVar.list[*]", "{}"), "[1,5,10]");
  EXPECT_EQ(Select("$limit", "{}"), "4");
  EXPECT_EQ(Select("$.a[?(@ > $limit)]", R"({"a":[3,4,5,6]})"), "[5,6]");
  EXPECT_EQ(Select("$myVar.list[?(@ > $limit)]", "{}"), "[5,10]");
  // Interned again, to the same id; a never-assigned variable is Missing.
  EXPECT_EQ(table_.size(), 2U);
  EXPECT_EQ(Select("$unset_1", "{}"), "<missing>");
  EXPECT_EQ(Select("$unset_1[*]", "{}"), "[]");
}

TEST_F(PathTest, VariableNamesAreUnicodeIdentifiers) {
  auto path = CompiledPath::Compile("$café_2.x", PathKind::kPath, options_);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(table_.Name(path->variable()), "café_2");
  EXPECT_EQ(path->normalized(), "$café_2['x']");
  EXPECT_NE(ErrorOf("$1abc"), "compiled");
  EXPECT_NE(ErrorOf("$-x"), "compiled");
}

TEST_F(PathTest, VariablesNeedATable) {
  for (std::string_view text : {"$x", "$x.y", "$.a[?(@ == $x)]"}) {
    auto path = CompiledPath::Compile(text, PathKind::kPath);
    ASSERT_FALSE(path.has_value()) << text;
    EXPECT_NE(path.error().message.find("variables are not available here"), std::string::npos)
        << path.error().message;
  }
}

// --- Reference paths --------------------------------------------------------------------------

TEST_F(PathTest, ReferencePathsAcceptOnlyFieldsAndIndexes) {
  EXPECT_EQ(ErrorOf("$", PathKind::kReferencePath), "compiled");
  EXPECT_EQ(ErrorOf("$.a.b[0]['c d'][-1]", PathKind::kReferencePath), "compiled");
  EXPECT_EQ(ErrorOf("$$.Execution.Input", PathKind::kReferencePath), "compiled");
  EXPECT_EQ(ErrorOf("$.a[*]", PathKind::kReferencePath),
            "'$.a[*]' is not a valid Reference Path: wildcards, filters, slices, unions and "
            "recursive descent are not allowed (found at offset 3)");
  for (std::string_view text :
       {"$.*", "$..a", "$.a[0:1]", "$.a[0,1]", "$['a','b']", "$.a[?(@.b)]", "$.x.y..z", "$[::2]"}) {
    auto path = CompiledPath::Compile(text, PathKind::kReferencePath);
    ASSERT_FALSE(path.has_value()) << text;
    EXPECT_NE(path.error().message.find("is not a valid Reference Path"), std::string::npos)
        << path.error().message;
  }
  auto at = CompiledPath::Compile("$.x.y..z", PathKind::kReferencePath);
  ASSERT_FALSE(at.has_value());
  EXPECT_EQ(at.error().position, 5U);
}

TEST_F(PathTest, SyntaxErrorsWinOverReferencePathErrors) {
  auto path = CompiledPath::Compile("$[*].a[", PathKind::kReferencePath);
  ASSERT_FALSE(path.has_value());
  EXPECT_NE(path.error().message.find("expected an index"), std::string::npos);
}

// --- normalized() -----------------------------------------------------------------------------

TEST_F(PathTest, NormalizedRenderingFollowsJayway) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"$", "$"},
      {"$.NoSuchInputPath", "$['NoSuchInputPath']"},
      {"$.a.b[0]", "$['a']['b'][0]"},
      {"$[\"a\"][-1]", "$['a'][-1]"},
      {"$.a[*]", "$['a'][*]"},
      {"$.a.*", "$['a'][*]"},
      {"$..a", "$..['a']"},
      {"$..*", "$..[*]"},
      {"$..[0]", "$..[0]"},
      {"$[1:2]", "$[1:2]"},
      {"$[:2]", "$[:2]"},
      {"$[-2:]", "$[-2:]"},
      {"$[::2]", "$[::2]"},
      {"$[0, 2]", "$[0,2]"},
      {"$['a', \"b\"]", "$['a','b']"},
      {"$.a[?(@.b == 1)].c", "$['a'][?]['c']"},
  };
  for (const auto& [text, normalized] : cases) {
    auto path = CompiledPath::Compile(text, PathKind::kPath);
    ASSERT_TRUE(path.has_value()) << text;
    EXPECT_EQ(path->normalized(), normalized) << text;
  }
}

// --- Arena use --------------------------------------------------------------------------------

TEST_F(PathTest, OnlyIndefinitePathsUseTheArena) {
  auto parsed = input_doc_.Parse(R"({"a":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]})");
  ASSERT_TRUE(parsed.has_value());
  auto definite = CompiledPath::Compile("$.a[3]", PathKind::kPath);
  auto indefinite = CompiledPath::Compile("$.a[*]", PathKind::kPath);
  ASSERT_TRUE(definite.has_value() && indefinite.has_value());
  EvalContext ctx;
  ctx.input = *parsed;
  EXPECT_EQ(Render(definite->Select(ctx)), "4");     // no arena needed
  EXPECT_TRUE(indefinite->Select(ctx).IsMissing());  // without an arena: nothing
  ctx.arena = &arena_;
  const Value all = indefinite->Select(ctx);
  EXPECT_GT(arena_.bytes_used(), 0U);
  ASSERT_EQ(all.Size(), 17U);  // grown past the first capacity
  EXPECT_EQ(Render(all.At(16)), "17");
  EXPECT_FALSE(all.IsDomView());
}

TEST_F(PathTest, MatchesAreViewsIntoTheInput) {
  EXPECT_EQ(Select("$.a", R"({"a":{"b":1}})"), R"({"b":1})");
  auto parsed = input_doc_.Parse(R"({"a":{"b":1},"c":[{"d":2}]})");
  ASSERT_TRUE(parsed.has_value());
  auto path = CompiledPath::Compile("$..d", PathKind::kPath);
  auto object = CompiledPath::Compile("$.a", PathKind::kPath);
  ASSERT_TRUE(path.has_value() && object.has_value());
  EvalContext ctx;
  ctx.input = *parsed;
  ctx.arena = &arena_;
  EXPECT_TRUE(object->Select(ctx).IsDomView());
  EXPECT_EQ(Render(path->Select(ctx)), "[2]");
}

// --- Hostile and invalid input ----------------------------------------------------------------

TEST_F(PathTest, ErrorMessagesNameThePathAndOffset) {
  EXPECT_EQ(ErrorOf("$.a["),
            "Invalid JSONPath '$.a[': expected an index, a name, '*' or a filter at offset 4");
  EXPECT_EQ(ErrorOf(""), "Invalid JSONPath '': a path must start with '$' at offset 0");
  EXPECT_EQ(ErrorOf("a.b"), "Invalid JSONPath 'a.b': a path must start with '$' at offset 0");
  EXPECT_EQ(ErrorOf("$."), "Invalid JSONPath '$.': expected a name or '*' after '.' at offset 2");
  EXPECT_EQ(ErrorOf("$.."),
            "Invalid JSONPath '$..': expected a name, '*' or '[' after '..' at offset 3");
  EXPECT_EQ(ErrorOf("$['a"), "Invalid JSONPath '$['a': unterminated string at offset 2");
  EXPECT_EQ(ErrorOf("$.a b"), "Invalid JSONPath '$.a b': unexpected character at offset 3");
  EXPECT_EQ(ErrorOf("$[99999999999999999999]"),
            "Invalid JSONPath '$[99999999999999999999]': the index is out of range at offset 2");
  EXPECT_EQ(ErrorOf("$.a.length()"),
            "Invalid JSONPath '$.a.length()': functions such as length() are not supported at "
            "offset 4");
}

TEST_F(PathTest, InvalidPathsAreCompileErrors) {
  const std::string_view cases[] = {
      "",
      " $",
      "$ ",
      "$a b",
      "@.a",
      "$.",
      "$..",
      "$...a",
      "$.a.",
      "$[",
      "$]",
      "$[]",
      "$[ ]",
      "$[0",
      "$[0,]",
      "$[,0]",
      "$[-]",
      "$[1:2:0]",
      "$[1:2:3:4]",
      "$['a'",
      "$['a',]",
      "$['a' 'b']",
      "$['a',1]",
      "$[0,'a']",
      "$[a]",
      "$[*",
      "$[**]",
      "$.*a",
      "$[?]",
      "$[?(]",
      "$[?(@.a]",
      "$[?(@.a)",
      "$[?(@.a))]",
      "$[?()]",
      "$[?(@.a ==)]",
      "$[?(== 1)]",
      "$[?(@.a = 1)]",
      "$[?(@.a === 1)]",
      "$[?(1)]",
      "$[?('a')]",
      "$[?(@.a =~ 'x')]",
      "$[?(@.a == /x/)]",
      "$[?(/x/)]",
      "$[?(@ =~ /x)]",
      "$[?(@ =~ /x/g)]",
      "$[?(@ =~ /(/)]",
      "$[?(@.a in [1,)]",
      "$[?(@.a in [1 2])]",
      "$[?(@.a == {'a' 1})]",
      "$[?(@.a == {1: 1})]",
      "$[?(@.a == 1 &&)]",
      "$[?(@.a == 1 || )]",
      "$[?(@.a & @.b)]",
      "$[?(!)]",
      "$[?(())]",
      "$[?(@.a == 1e999)]",
      "$[?(@.a == 01.)]",
      "$[?(@.a == -)]",
      "$[?(@.a == tru)]",
      "$[?(@.a in [1])",
      "$[99999999999999999999]",
      "$[-99999999999999999999]",
      "$[0:99999999999999999999]",
      "$$$",
      "$$.",
      "$.a[0]b",
      "$.a(",
      "$['a']x",
      "$.a)",
  };
  for (std::string_view text : cases) {
    auto path = CompiledPath::Compile(text, PathKind::kPath);
    ASSERT_FALSE(path.has_value()) << "compiled: " << text;
    EXPECT_EQ(path.error().message.rfind("Invalid JSONPath '", 0), 0U) << path.error().message;
    EXPECT_LE(path.error().position, text.size()) << text;
  }
}

TEST_F(PathTest, DeepNestingIsRejectedNotRecursedInto) {
  const std::string parens =
      "$[?(" + std::string(100000, '(') + "@.a" + std::string(100000, ')') + ")]";
  EXPECT_NE(ErrorOf(parens).find("nested too deeply"), std::string::npos);
  const std::string nots = "$[?(" + std::string(100000, '!') + "@.a)]";
  EXPECT_NE(ErrorOf(nots).find("nested too deeply"), std::string::npos);
  std::string filters = "$";
  for (int i = 0; i < 10000; ++i) {
    filters += "[?(@";
  }
  EXPECT_NE(ErrorOf(filters).find("nested too deeply"), std::string::npos);
  const std::string arrays = "$[?(@ in " + std::string(100000, '[') + ")]";
  EXPECT_NE(ErrorOf(arrays).find("nested too deeply"), std::string::npos);
  const std::string groups = "$[?(@ =~ /" + std::string(1000, '(') + std::string(1000, ')') + "/)]";
  EXPECT_NE(ErrorOf(groups).find("nested too deeply"), std::string::npos);
  // Within the limit, nesting works.
  const std::string ok = "$[?(" + std::string(60, '(') + "@ == 1" + std::string(60, ')') + ")]";
  EXPECT_EQ(Select(ok, "[1,2]"), "[1]");
}

TEST_F(PathTest, LongPaths) {
  // Definite steps are followed in a loop, so their number is not limited.
  std::string deep = "$";
  for (int i = 0; i < 100000; ++i) {
    deep += ".a";
  }
  EXPECT_EQ(Select(deep, R"({"a":{"a":1}})"), "<missing>");
  EXPECT_EQ(Select(deep + "[*]", R"({"b":1})"), "[]");
  // Steps that fan out recurse, so their number is bounded.
  std::string wide = "$";
  for (int i = 0; i < 1000; ++i) {
    wide += "[*]";
  }
  EXPECT_NE(ErrorOf(wide).find("too many wildcards"), std::string::npos);
  std::string at_limit = "$";
  for (int i = 0; i < 256; ++i) {
    at_limit += "[*]";
  }
  EXPECT_EQ(Select(at_limit, "[[[1]]]"), "[]");
  // Long unions and a filter with many clauses are flat, not deep.
  std::string union_path = "$[0";
  std::string filter = "$[?(@ == 0";
  for (int i = 1; i < 5000; ++i) {
    union_path += "," + std::to_string(i);
    filter += " || @ == " + std::to_string(i);
  }
  EXPECT_EQ(Select(union_path + "]", "[7,8]"), "[7,8]");
  EXPECT_EQ(Select(filter + ")]", "[7,8,-1]"), "[7,8]");
}

TEST_F(PathTest, RandomBytesNeverCrash) {
  // Fragments of real syntax glued at random find more corner cases than uniform noise.
  const std::string_view fragments[] = {
      "$",   "$$",   "@",    ".",
      "..",  "[",    "]",    "(",
      ")",   "?(",   "*",    "'",
      "\"",  "\\",   ",",    ":",
      "-",   "0",    "12",   "a",
      "b",   " ",    "==",   "!=",
      "<",   "<=",   ">",    ">=",
      "=~",  "/",    "i",    " in ",
      "nin", "&&",   "||",   "!",
      "{",   "}",    "true", "null",
      "1e5", "\xC3", "\xA9", std::string_view("\0", 1),
      "\\u", "$v",   "x.y",
  };
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(fragments) - 1);
  std::uniform_int_distribution<int> length(1, 24);
  auto parsed = input_doc_.Parse(
      R"({"a":[1,{"b":[2,3],"c":"x"},[4,[5]]],"b":{"a":null,"c":{"b":true}},"v":1.5})");
  ASSERT_TRUE(parsed.has_value());
  EvalContext ctx;
  ctx.input = *parsed;
  ctx.context = *parsed;
  ctx.arena = &arena_;
  int compiled = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string text = i % 2 == 0 ? "$" : "";
    const int n = length(rng);
    for (int j = 0; j < n; ++j) {
      text += fragments[pick(rng)];
    }
    auto path = CompiledPath::Compile(text, PathKind::kPath, options_);
    if (path.has_value()) {
      ++compiled;
      variables_.resize(table_.size(), *parsed);
      ctx.variables = variables_;
      static_cast<void>(ToJson(path->Select(ctx)));
      static_cast<void>(path->normalized());
    } else {
      EXPECT_FALSE(path.error().message.empty());
      EXPECT_LE(path.error().position, text.size());
    }
    arena_.Reset();
  }
  EXPECT_GT(compiled, 1000);  // enough valid paths to exercise evaluation too
}

}  // namespace
}  // namespace stepd
