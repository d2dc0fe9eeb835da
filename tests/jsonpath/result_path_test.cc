#include "jsonpath/result_path.h"

#include <cstddef>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

class ResultPathTest : public ::testing::Test {
 protected:
  // Parses `input` and `result`, merges, and returns the JSON (or "error: <cause>").
  std::string Merge(std::string_view path_text, std::string_view input, std::string_view result) {
    auto path = CompiledPath::Compile(path_text, PathKind::kReferencePath);
    if (!path.has_value()) {
      return "compile error: " + path.error().message;
    }
    auto in = input_doc_.Parse(input);
    auto res = result_doc_.Parse(result);
    if (!in.has_value() || !res.has_value()) {
      return "bad test input";
    }
    const std::string before = ToJson(*in);
    auto merged = MergeAtPath(*in, *path, *res, arena_);
    EXPECT_EQ(ToJson(*in), before);  // the input itself is never modified
    if (!merged.has_value()) {
      last_error_ = merged.error();
      return "error: " + std::string(merged.error().cause);
    }
    return ToJson(*merged);
  }

  Document input_doc_;
  Document result_doc_;
  Arena arena_;
  Error last_error_;
};

TEST_F(ResultPathTest, RootReplacesTheInput) {
  EXPECT_EQ(Merge("$", R"({"a":1})", R"("done")"), R"("done")");
  EXPECT_EQ(Merge("$", R"("scalar")", R"({"r":[1]})"), R"({"r":[1]})");
}

TEST_F(ResultPathTest, AppendsANewMember) {
  EXPECT_EQ(Merge("$.result", R"({"a":1,"b":2})", "[1,2]"), R"({"a":1,"b":2,"result":[1,2]})");
  EXPECT_EQ(Merge("$['odd key']", "{}", "true"), R"({"odd key":true})");
}

TEST_F(ResultPathTest, ReplacesAnExistingMemberInPlace) {
  EXPECT_EQ(Merge("$.b", R"({"a":1,"b":2,"c":3})", R"({"x":0})"), R"({"a":1,"b":{"x":0},"c":3})");
  EXPECT_EQ(Merge("$.a.b", R"({"z":0,"a":{"b":1,"c":2},"y":9})", "null"),
            R"({"z":0,"a":{"b":null,"c":2},"y":9})");
}

TEST_F(ResultPathTest, CreatesMissingObjectsOnTheWay) {
  EXPECT_EQ(Merge("$.x.y.z", R"({"a":1})", "5"), R"({"a":1,"x":{"y":{"z":5}}})");
  EXPECT_EQ(Merge("$.a.new.leaf", R"({"a":{"k":1}})", "5"), R"({"a":{"k":1,"new":{"leaf":5}}})");
}

TEST_F(ResultPathTest, IndexSteps) {
  EXPECT_EQ(Merge("$.list[1]", R"({"list":[1,2,3]})", R"("x")"), R"({"list":[1,"x",3]})");
  EXPECT_EQ(Merge("$.list[-1].v", R"({"list":[{"v":1},{"v":2}]})", "0"),
            R"({"list":[{"v":1},{"v":0}]})");
  EXPECT_EQ(Merge("$[0]", "[[1],[2]]", "7"), "[7,[2]]");
}

TEST_F(ResultPathTest, FailsWhenTheSpineIsNotAnObject) {
  EXPECT_EQ(Merge("$.a", R"("hello")", "1"),
            R"(error: Unable to apply ResultPath "$.a" to input ""hello"")");
  EXPECT_EQ(last_error_.code, ErrorCode::kResultPathMatch);
  EXPECT_EQ(last_error_.name, error_names::kResultPathMatchFailure);
  EXPECT_EQ(Merge("$.a.b", R"({"a":5})", "1"),
            R"(error: Unable to apply ResultPath "$.a.b" to input "{"a":5}")");
  EXPECT_EQ(Merge("$.a.b", R"({"a":null})", "1"),
            R"(error: Unable to apply ResultPath "$.a.b" to input "{"a":null}")");
  EXPECT_EQ(Merge("$.a.b", R"({"a":[1]})", "1"),
            R"(error: Unable to apply ResultPath "$.a.b" to input "{"a":[1]}")");
  EXPECT_EQ(Merge("$.a", "[1]", "1"), R"(error: Unable to apply ResultPath "$.a" to input "[1]")");
}

TEST_F(ResultPathTest, FailsWhenAnIndexDoesNotExist) {
  EXPECT_EQ(Merge("$.list[3]", R"({"list":[1,2,3]})", "0"),
            R"(error: Unable to apply ResultPath "$.list[3]" to input "{"list":[1,2,3]}")");
  EXPECT_EQ(Merge("$.list[-4]", R"({"list":[1,2,3]})", "0").rfind("error: ", 0), 0U);
  EXPECT_EQ(Merge("$.list[0]", R"({"list":{"0":1}})", "0").rfind("error: ", 0), 0U);
  EXPECT_EQ(Merge("$.missing[0]", "{}", "0").rfind("error: ", 0), 0U);
  EXPECT_EQ(Merge("$.list[0]", R"({"list":[]})", "0").rfind("error: ", 0), 0U);
}

TEST_F(ResultPathTest, UntouchedSubtreesStayDocumentViews) {
  auto path = CompiledPath::Compile("$.a.b", PathKind::kReferencePath);
  ASSERT_TRUE(path.has_value());
  auto input = input_doc_.Parse(R"({"keep":{"big":[1,2,3]},"a":{"sib":{"x":1},"b":0}})");
  ASSERT_TRUE(input.has_value());
  auto merged = MergeAtPath(*input, *path, Value::Int(9), arena_);
  ASSERT_TRUE(merged.has_value());
  EXPECT_FALSE(merged->IsDomView());
  EXPECT_TRUE(merged->Find("keep").IsDomView());
  EXPECT_FALSE(merged->Find("a").IsDomView());
  EXPECT_TRUE(merged->Find("a").Find("sib").IsDomView());
  EXPECT_EQ(ToJson(*merged), R"({"keep":{"big":[1,2,3]},"a":{"sib":{"x":1},"b":9}})");
}

TEST_F(ResultPathTest, ReplacesOnlyTheFirstOfDuplicateKeys) {
  EXPECT_EQ(Merge("$.k", R"({"k":1,"j":0,"k":2})", "3"), R"({"k":3,"j":0,"k":2})");
}

TEST_F(ResultPathTest, MergesIntoArenaValues) {
  auto path = CompiledPath::Compile("$.a.c", PathKind::kReferencePath);
  ASSERT_TRUE(path.has_value());
  const Member inner[] = {{"b", Value::Int(1)}};
  const Member outer[] = {{"a", Value::Object(inner, 1)}};
  auto merged = MergeAtPath(Value::Object(outer, 1), *path, Value::String("r"), arena_);
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(ToJson(*merged), R"({"a":{"b":1,"c":"r"}})");
  EXPECT_EQ(ToJson(Value::Object(outer, 1)), R"({"a":{"b":1}})");
}

TEST_F(ResultPathTest, MergesOntoOneBaseStayApart) {
  // A chain of ResultPaths appends in place (arena.h); a second merge onto the same base must
  // still copy, and neither may show in the other or in the base.
  auto first = CompiledPath::Compile("$.first", PathKind::kReferencePath);
  auto second = CompiledPath::Compile("$.second", PathKind::kReferencePath);
  auto third = CompiledPath::Compile("$.third", PathKind::kReferencePath);
  ASSERT_TRUE(first.has_value() && second.has_value() && third.has_value());
  auto input = input_doc_.Parse(R"({"a":1})");
  ASSERT_TRUE(input.has_value());
  auto base = MergeAtPath(*input, *first, Value::Int(1), arena_);
  ASSERT_TRUE(base.has_value());
  auto with_second = MergeAtPath(*base, *second, Value::Int(2), arena_);
  auto with_third = MergeAtPath(*base, *third, Value::Int(3), arena_);
  ASSERT_TRUE(with_second.has_value() && with_third.has_value());
  auto chained = MergeAtPath(*with_second, *third, Value::Int(3), arena_);
  ASSERT_TRUE(chained.has_value());
  EXPECT_EQ(ToJson(*base), R"({"a":1,"first":1})");
  EXPECT_EQ(ToJson(*with_second), R"({"a":1,"first":1,"second":2})");
  EXPECT_EQ(ToJson(*with_third), R"({"a":1,"first":1,"third":3})");
  EXPECT_EQ(ToJson(*chained), R"({"a":1,"first":1,"second":2,"third":3})");
}

TEST_F(ResultPathTest, LongChainsOfAppendsKeepEveryMember) {
  auto input = input_doc_.Parse(R"({"k0":0})");
  ASSERT_TRUE(input.has_value());
  Value merged = *input;
  std::string expected = R"({"k0":0)";
  for (int i = 1; i < 100; ++i) {
    const std::string key = "k" + std::to_string(i);
    auto path = CompiledPath::Compile("$." + key, PathKind::kReferencePath);
    ASSERT_TRUE(path.has_value());
    auto next = MergeAtPath(merged, *path, Value::Int(i), arena_);
    ASSERT_TRUE(next.has_value());
    merged = *next;
    expected += ",\"" + key + "\":" + std::to_string(i);
  }
  EXPECT_EQ(ToJson(merged), expected + "}");
}

TEST_F(ResultPathTest, RejectsPathsNotRootedAtTheInput) {
  auto context = CompiledPath::Compile("$$.Execution", PathKind::kReferencePath);
  ASSERT_TRUE(context.has_value());
  auto merged = MergeAtPath(Value::Null(), *context, Value::Int(1), arena_);
  ASSERT_FALSE(merged.has_value());
  EXPECT_EQ(merged.error().name, error_names::kRuntime);

  VariableTable table;
  auto variable = CompiledPath::Compile("$v.x", PathKind::kReferencePath, CompileOptions{&table});
  ASSERT_TRUE(variable.has_value());
  EXPECT_FALSE(MergeAtPath(Value::Null(), *variable, Value::Int(1), arena_).has_value());

  auto indefinite = CompiledPath::Compile("$.a[*]", PathKind::kPath);
  ASSERT_TRUE(indefinite.has_value());
  EXPECT_FALSE(MergeAtPath(Value::Null(), *indefinite, Value::Int(1), arena_).has_value());
}

TEST_F(ResultPathTest, VeryLongPathsDoNotRecurse) {
  std::string text = "$";
  constexpr int kDepth = 100000;
  for (int i = 0; i < kDepth; ++i) {
    text += ".n";
  }
  auto path = CompiledPath::Compile(text, PathKind::kReferencePath);
  ASSERT_TRUE(path.has_value());
  auto merged = MergeAtPath(Value::Object(nullptr, 0), *path, Value::Int(1), arena_);
  ASSERT_TRUE(merged.has_value());
  Value v = *merged;
  for (int i = 0; i < kDepth; ++i) {
    ASSERT_EQ(v.Size(), 1U);
    v = v.Find("n");
  }
  EXPECT_EQ(ToJson(v), "1");
}

}  // namespace
}  // namespace stepd
