#include "service/api/arn.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace stepd::service {
namespace {

TEST(ArnTest, BuildsStateMachineAndExpressExecutionArns) {
  const ServiceConfig config;
  EXPECT_EQ(StateMachineArn(config, "orders"),
            "arn:aws:states:us-east-1:123456789012:stateMachine:orders");
  std::string out = "prefix|";
  AppendExpressExecutionArn(config, "orders", "run-1", "uuid", out);
  EXPECT_EQ(out, "prefix|arn:aws:states:us-east-1:123456789012:express:orders:run-1:uuid");

  ServiceConfig china;
  china.partition = "aws-cn";
  china.region = "cn-north-1";
  china.account = "000000000000";
  EXPECT_EQ(StateMachineArn(china, "m"),
            "arn:aws-cn:states:cn-north-1:000000000000:stateMachine:m");
}

TEST(ArnTest, ParsesStateMachineArns) {
  const ServiceConfig config;
  StateMachineArnParts parts =
      ParseStateMachineArn(config, "arn:aws:states:us-east-1:123456789012:stateMachine:orders");
  EXPECT_EQ(parts.check, ArnCheck::kOurs);
  EXPECT_EQ(parts.name, "orders");

  for (const char* elsewhere : {"arn:aws:states:eu-west-1:123456789012:stateMachine:orders",
                                "arn:aws:states:us-east-1:999999999999:stateMachine:orders",
                                "arn:aws-cn:states:us-east-1:123456789012:stateMachine:orders",
                                "arn:aws:states:us-east-1:123456789012:stateMachine:orders:1",
                                "arn:aws:states:us-east-1:123456789012:stateMachine:orders:prod"}) {
    parts = ParseStateMachineArn(config, elsewhere);
    EXPECT_EQ(parts.check, ArnCheck::kElsewhere) << elsewhere;
    EXPECT_EQ(parts.name, "orders") << elsewhere;
  }

  for (const char* malformed : {"", "orders", "arn:aws:states:us-east-1:123456789012:stateMachine:",
                                "arn:aws:states:us-east-1:123456789012:activity:orders",
                                "arn:aws:lambda:us-east-1:123456789012:stateMachine:orders",
                                "arn:aws:states::123456789012:stateMachine:orders",
                                "arn:aws:states:us-east-1::stateMachine:orders",
                                "xrn:aws:states:us-east-1:123456789012:stateMachine:orders",
                                "arn:aws:states:us-east-1:123456789012:execution:orders:run"}) {
    EXPECT_EQ(ParseStateMachineArn(config, malformed).check, ArnCheck::kMalformed) << malformed;
  }
  const std::string long_name(81, 'x');
  EXPECT_EQ(ParseStateMachineArn(config, StateMachineArn(config, long_name)).check,
            ArnCheck::kMalformed);
}

TEST(ArnTest, ResourceNamesFollowAwsRules) {
  EXPECT_TRUE(IsValidResourceName("orders"));
  EXPECT_TRUE(IsValidResourceName("a-b_c.d+e=f@g(h)!'"));
  EXPECT_TRUE(IsValidResourceName(std::string(80, 'n')));
  EXPECT_TRUE(IsValidResourceName("caf\xC3\xA9"));
  EXPECT_TRUE(IsValidResourceName(std::string(80, 'n').replace(0, 1, "\xC3\xA9")));  // 80 chars
  EXPECT_FALSE(IsValidResourceName(""));
  EXPECT_FALSE(IsValidResourceName(std::string(81, 'n')));
  for (const char c : std::string(" <>{}[]?*\"#%\\^|~`$&,;:/")) {
    EXPECT_FALSE(IsValidResourceName(std::string("a") + c + "b")) << c;
  }
  EXPECT_FALSE(IsValidResourceName(std::string("a\tb")));
  EXPECT_FALSE(IsValidResourceName(std::string("a\x7F")));
  EXPECT_FALSE(IsValidResourceName("a\xC2\x85"));      // U+0085, a C1 control
  EXPECT_FALSE(IsValidResourceName("a\xC2\xA0"));      // U+00A0, no-break space
  EXPECT_FALSE(IsValidResourceName("a\xE2\x80\x83"));  // U+2003, em space
  EXPECT_FALSE(IsValidResourceName("a\xED\xA0\x80"));  // a UTF-16 surrogate
  EXPECT_FALSE(IsValidResourceName("a\xEF\xBF\xBF"));  // U+FFFF
  EXPECT_FALSE(IsValidResourceName("a\xC3"));          // truncated sequence
  EXPECT_FALSE(IsValidResourceName("a\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidResourceName("a\xFF"));
}

TEST(ArnTest, RandomUuidsAreVersionFour) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const Uuid uuid = RandomUuid();
    const std::string text(uuid.view());
    ASSERT_EQ(text.size(), 36u);
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        EXPECT_EQ(text[k], '-') << text;
      } else {
        EXPECT_NE(std::string("0123456789abcdef").find(text[k]), std::string::npos) << text;
      }
    }
    EXPECT_EQ(text[14], '4') << text;
    EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << text;
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace stepd::service
