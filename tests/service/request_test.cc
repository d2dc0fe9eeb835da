#include "service/api/request.h"

#include <string>

#include <gtest/gtest.h>

#include "service/api/api_error.h"

namespace stepd::service {
namespace {

TEST(RequestTest, AnEmptyBodyIsAnEmptyObject) {
  RequestBody body;
  EXPECT_FALSE(body.Parse("").has_value());
  EXPECT_TRUE(body.root().IsObject());
  EXPECT_TRUE(body.Get("name").IsMissing());
}

TEST(RequestTest, TheBodyMustBeAJsonObject) {
  RequestBody body;
  std::optional<ApiError> error = body.Parse("[1]");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "SerializationException");
  error = body.Parse("{\"a\":");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "SerializationException");
  EXPECT_EQ(error->status, 400u);
}

TEST(RequestTest, TypedGetters) {
  RequestBody body;
  ASSERT_FALSE(body.Parse(R"({"s":"text","i":42,"b":true,"n":null,"d":1.5,"o":{}})").has_value());
  EXPECT_EQ(**body.String("s"), "text");
  EXPECT_FALSE(body.String("missing")->has_value());
  EXPECT_FALSE(body.String("n")->has_value());
  EXPECT_EQ(body.String("i").error().code, "SerializationException");
  EXPECT_EQ(body.String("i").error().message, "Unexpected value for member 'i': expected a string");
  EXPECT_EQ(**body.Integer("i"), 42);
  EXPECT_FALSE(body.Integer("missing")->has_value());
  EXPECT_EQ(body.Integer("d").error().code, "SerializationException");
  EXPECT_EQ(body.Integer("s").error().code, "SerializationException");
  EXPECT_TRUE(**body.Bool("b"));
  EXPECT_FALSE(body.Bool("n")->has_value());
  EXPECT_EQ(body.Bool("s").error().code, "SerializationException");
  EXPECT_TRUE(body.Get("o").IsObject());
}

TEST(RequestTest, RequiredStrings) {
  RequestBody body;
  ASSERT_FALSE(body.Parse(R"({"stateMachineArn":"arn","n":null,"i":1})").has_value());
  EXPECT_EQ(*body.RequiredString("stateMachineArn"), "arn");
  for (const char* member : {"missing", "n"}) {
    const ApiResult<std::string_view> missing = body.RequiredString(member);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, "ValidationException");
    EXPECT_EQ(missing.error().message, "1 validation error detected: Value null at '" +
                                           std::string(member) +
                                           "' failed to satisfy constraint: Member must not be "
                                           "null");
  }
  EXPECT_EQ(body.RequiredString("i").error().code, "SerializationException");
}

TEST(RequestTest, ReusedBodiesForgetThePreviousRequest) {
  RequestBody body;
  ASSERT_FALSE(body.Parse(R"({"name":"first"})").has_value());
  ASSERT_FALSE(body.Parse(R"({"other":1})").has_value());
  EXPECT_TRUE(body.Get("name").IsMissing());
  ASSERT_TRUE(body.Parse("nope").has_value());
  EXPECT_TRUE(body.Get("other").IsMissing());
}

TEST(RequestTest, ConstraintViolationText) {
  const ApiError error = ConstraintViolation("1001", "maxResults",
                                             "Member must have value less than or equal to 1000");
  EXPECT_EQ(error.code, "ValidationException");
  EXPECT_EQ(error.message,
            "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000");
}

TEST(ApiErrorTest, BodiesCarryTypeMessageAndResourceName) {
  std::string out;
  AppendErrorBody(InvalidArn("x\"y"), out);
  EXPECT_EQ(out, R"({"__type":"InvalidArn","message":"Invalid Arn: 'x\"y'"})");
  ApiError error = StateMachineDoesNotExist("a");
  EXPECT_EQ(error.message, "State Machine Does Not Exist: 'a'");
  error.resource_name = "a";
  out.clear();
  AppendErrorBody(error, out);
  EXPECT_EQ(out,
            R"({"__type":"StateMachineDoesNotExist","message":"State Machine Does Not Exist: 'a'",)"
            R"("resourceName":"a"})");
  EXPECT_EQ(InvalidName("n m").message, "Invalid Name: 'n m'");
  EXPECT_EQ(InternalFailure("boom").status, 500u);
}

}  // namespace
}  // namespace stepd::service
