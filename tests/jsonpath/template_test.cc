#include "jsonpath/template.h"

#include <string>

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

class TemplateTest : public ::testing::Test {
 protected:
  PayloadTemplate CompileOrDie(std::string_view json) {
    auto parsed = template_doc_.Parse(json);
    EXPECT_TRUE(parsed.has_value());
    auto compiled = PayloadTemplate::Compile(*parsed, options_);
    EXPECT_TRUE(compiled.has_value()) << (compiled ? "" : compiled.error().message);
    return std::move(compiled).value();
  }

  CompileError CompileFailureOf(std::string_view json) {
    auto compiled = PayloadTemplate::Compile(*template_doc_.Parse(json), options_);
    EXPECT_FALSE(compiled.has_value()) << json;
    return compiled ? CompileError{} : compiled.error();
  }

  Result<Value> Build(const PayloadTemplate& t, std::string_view input) {
    EvalContext ctx;
    ctx.input = *input_doc_.Parse(input);
    ctx.context = *context_doc_.Parse(R"({"Execution":{"Id":"arn:x"},"Map":{"Item":{"Index":3}}})");
    ctx.variables = variables_;
    ctx.arena = &arena_;
    return t.Build(ctx);
  }

  VariableTable variable_table_;
  CompileOptions options_{&variable_table_};
  Document template_doc_, input_doc_, context_doc_;
  Arena arena_;
  std::span<const Value> variables_;
};

TEST_F(TemplateTest, ReplacesDynamicKeysAndKeepsStaticOnes) {
  const PayloadTemplate t = CompileOrDie(R"json({
      "static": {"deep": [1, "$.not.a.path"]},
      "value.$": "$.a.b",
      "nested": {"ctx.$": "$$.Execution.Id", "sum.$": "States.MathAdd($.n, 1)"},
      "list": [{"x.$": "$.n"}, 2]})json");
  auto built = Build(t, R"({"a":{"b":"B"},"n":41})");
  ASSERT_TRUE(built.has_value()) << built.error().cause;
  EXPECT_EQ(ToJson(*built), R"({"static":{"deep":[1,"$.not.a.path"]},"value":"B",)"
                            R"("nested":{"ctx":"arn:x","sum":42},"list":[{"x":41},2]})");
}

TEST_F(TemplateTest, SelectedSubtreesAreViewsNotCopies) {
  const PayloadTemplate t = CompileOrDie(R"({"sub.$": "$.big"})");
  auto built = Build(t, R"({"big":{"k":[1,2,3]}})");
  ASSERT_TRUE(built.has_value());
  EXPECT_TRUE(built->Find("sub").IsDomView());
}

TEST_F(TemplateTest, FullyStaticTemplatesAllocateNothingPerBuild) {
  const PayloadTemplate t = CompileOrDie(R"({"a": {"b": [1, 2, {"c": null}]}})");
  ASSERT_TRUE(Build(t, "{}").has_value());
  const std::size_t used = arena_.bytes_used();
  auto again = Build(t, "{}");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(arena_.bytes_used(), used);
  EXPECT_EQ(ToJson(*again), R"({"a":{"b":[1,2,{"c":null}]}})");
}

TEST_F(TemplateTest, MissingPathIsARuntimeErrorQuotingFieldAndInput) {
  const PayloadTemplate t = CompileOrDie(R"({"value.$": "$.no_such_jsonpath"})");
  auto built = Build(t, R"({"a":1})");
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().name, "States.Runtime");
  EXPECT_EQ(built.error().cause,
            "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be "
            "found in the input '{\"a\":1}'");
}

TEST_F(TemplateTest, IndefinitePathsYieldArraysEvenWhenEmpty) {
  const PayloadTemplate t = CompileOrDie(R"({"skus.$": "$.items[*].sku"})");
  auto built = Build(t, R"({"items":[]})");
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ(ToJson(*built), R"({"skus":[]})");
}

TEST_F(TemplateTest, VariablesResolveThroughTheTable) {
  const PayloadTemplate t = CompileOrDie(R"({"v.$": "$answer.value"})");
  const VariableId id = *variable_table_.Find("answer");
  Document value_doc;
  std::vector<Value> values(variable_table_.size());
  values[id] = *value_doc.Parse(R"({"value":42})");
  variables_ = values;
  auto built = Build(t, "{}");
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ(ToJson(*built), R"({"v":42})");
}

TEST_F(TemplateTest, RejectsBadDynamicValuesNamingTheKey) {
  EXPECT_NE(CompileFailureOf(R"({"x.$": 1})").message.find("'x.$'"), std::string::npos);
  EXPECT_NE(CompileFailureOf(R"({"x.$": "not a path"})").message.find("'x.$'"), std::string::npos);
  EXPECT_NE(CompileFailureOf(R"json({"x.$": "States.Nope()"})json").message.find("'x.$'"),
            std::string::npos);
  EXPECT_NE(CompileFailureOf(R"({"x.$": "$.a", "x": 1})").message.find("more than once"),
            std::string::npos);
}

// Several paths starting with fields of a large enough input find those fields in one pass;
// values and errors are those of a lookup per path.
TEST_F(TemplateTest, PathsIntoOneInputShareTheFieldLookups) {
  const PayloadTemplate t = CompileOrDie(R"json({
      "a.$": "$.a", "b.$": "$.b.c", "dup.$": "$.dup", "list.$": "States.Array($.a, $.h[1])",
      "ctx.$": "$$.Execution.Id", "five.$": "$.fiver", "long.$": "$.a_longer_field_name"})json");
  // Near misses (same length and first byte) come before the fields they resemble.
  const std::string input =
      R"({"a":1,"b":{"c":2},"dup":"first","d":4,"fivex":5,"fiver":55,"g":7,"h":[8,9],)"
      R"("a_longer_field_namX":0,"a_longer_field_name":10,"dup":"second"})";
  auto built = Build(t, input);
  ASSERT_TRUE(built.has_value()) << built.error().cause;
  EXPECT_EQ(ToJson(*built),
            R"({"a":1,"b":2,"dup":"first","list":[1,9],"ctx":"arn:x","five":55,"long":10})");

  const std::string without_b = R"({"a":1,"d":4,"e":5,"f":6,"g":7,"h":[8,9],"i":0,"j":0})";
  auto missing = Build(t, without_b);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().cause,
            "The JSONPath '$.b.c' specified for the field 'b.$' could not be found in the input '" +
                without_b + "'");
  auto not_object = Build(t, "[1,2,3,4,5,6,7,8,9]");
  ASSERT_FALSE(not_object.has_value());
  EXPECT_EQ(not_object.error().cause,
            "The JSONPath '$.a' specified for the field 'a.$' could not be found in the input "
            "'[1,2,3,4,5,6,7,8,9]'");
}

TEST_F(TemplateTest, CompiledExpressionEvaluatesPathsAndIntrinsics) {
  auto path = CompiledExpression::Compile("$.a");
  auto call = CompiledExpression::Compile("States.Format('{}!', $.a)");
  ASSERT_TRUE(path.has_value());
  ASSERT_TRUE(call.has_value());
  EXPECT_NE(path->path(), nullptr);
  EXPECT_EQ(call->path(), nullptr);
  EvalContext ctx;
  ctx.input = *input_doc_.Parse(R"({"a":"hi"})");
  ctx.arena = &arena_;
  EXPECT_EQ(ToJson(*path->Evaluate(ctx, "f")), R"("hi")");
  EXPECT_EQ(ToJson(*call->Evaluate(ctx, "f")), R"("hi!")");
}

}  // namespace
}  // namespace stepd
