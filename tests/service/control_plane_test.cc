#include "service/api/control_plane.h"

#include <atomic>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "runtime/diagnostics.h"
#include "runtime/validator.h"
#include "service/api/api_error.h"
#include "service/api/definitions_dir.h"
#include "service/api/registry.h"
#include "service/api/request.h"
#include "tests/service/parsed_json.h"

namespace stepd::service {
namespace {

constexpr std::string_view kPass = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
constexpr std::string_view kSucceed = R"({"StartAt":"S","States":{"S":{"Type":"Succeed"}}})";
constexpr std::string_view kRole = "arn:aws:iam::123456789012:role/r";
constexpr std::string_view kArnPrefix = "arn:aws:states:us-east-1:123456789012:stateMachine:";
constexpr std::string_view kLogGroup =
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo:*";

std::string Quote(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out;
}

std::string Arn(std::string_view name) { return std::string(kArnPrefix) + std::string(name); }

using Json = stepd::testing::ParsedJson;

class ControlPlaneTest : public ::testing::Test {
 protected:
  ApiResult<std::string> Call(std::string_view action, std::string_view json) {
    RequestBody body;
    if (std::optional<ApiError> error = body.Parse(json)) {
      ADD_FAILURE() << "bad test body: " << error->message;
      return Unexpected(std::move(*error));
    }
    std::optional<ApiResult<std::string>> result = control_plane_.Handle(action, body);
    if (!result) {
      ADD_FAILURE() << action << " not handled";
      return Unexpected(ApiError{"NotHandled", ""});
    }
    return std::move(*result);
  }

  // The response body of a call that must succeed.
  std::string Ok(std::string_view action, std::string_view json) {
    ApiResult<std::string> result = Call(action, json);
    EXPECT_TRUE(result.has_value())
        << action << " " << json << " -> " << result.error().code << ": " << result.error().message;
    return result ? *result : std::string("{}");
  }

  // The error of a call that must fail.
  ApiError Fails(std::string_view action, std::string_view json) {
    ApiResult<std::string> result = Call(action, json);
    EXPECT_FALSE(result.has_value()) << action << " " << json << " -> " << *result;
    return result ? ApiError{} : result.error();
  }

  // A CreateStateMachine body; `extra` is appended verbatim (",\"tags\":[...]").
  static std::string CreateBody(std::string_view name, std::string_view definition = kPass,
                                std::string_view extra = "") {
    return R"({"name":)" + Quote(name) + R"(,"definition":)" + Quote(definition) +
           R"(,"roleArn":)" + Quote(kRole) + R"(,"type":"EXPRESS")" + std::string(extra) + "}";
  }

  std::string Create(std::string_view name, std::string_view definition = kPass,
                     std::string_view extra = "") {
    return Ok("CreateStateMachine", CreateBody(name, definition, extra));
  }

  static std::string ArnBody(std::string_view member, std::string_view arn,
                             std::string_view extra = "") {
    return "{" + Quote(member) + ":" + Quote(arn) + std::string(extra) + "}";
  }

  Registry registry_;
  ControlPlane control_plane_{registry_, ServiceConfig{}};
};

// --- CreateStateMachine --------------------------------------------------------------------

TEST_F(ControlPlaneTest, CreateReturnsArnAndCreationDate) {
  const Json created(Create("orders"));
  EXPECT_EQ(created.Text("stateMachineArn"), Arn("orders"));
  ASSERT_TRUE(created["creationDate"].IsNumber());
  EXPECT_GT(created["creationDate"].AsDouble(), 1.6e9);
  const RecordPtr record = registry_.Find("orders");
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->type, "EXPRESS");
  EXPECT_EQ(record->definition, kPass);
  EXPECT_EQ(record->role_arn, kRole);
  ASSERT_NE(record->machine, nullptr);
}

TEST_F(ControlPlaneTest, CreateRefusesStandardAndTheDefaultType) {
  const std::string base =
      R"({"name":"m","definition":)" + Quote(kPass) + R"(,"roleArn":)" + Quote(kRole);
  for (const std::string& body : {base + "}", base + R"(,"type":"STANDARD"})"}) {
    const ApiError error = Fails("CreateStateMachine", body);
    EXPECT_EQ(error.code, "StateMachineTypeNotSupported");
    EXPECT_NE(error.message.find("EXPRESS"), std::string::npos) << error.message;
  }
  EXPECT_EQ(registry_.Find("m"), nullptr);
  const ApiError bad_type = Fails("CreateStateMachine", base + R"(,"type":"FAST"})");
  EXPECT_EQ(bad_type.code, "ValidationException");
  EXPECT_EQ(bad_type.message,
            "1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: "
            "Member must satisfy enum value set: [STANDARD, EXPRESS]");
}

TEST_F(ControlPlaneTest, CreateReportsEveryMissingMember) {
  const ApiError all = Fails("CreateStateMachine", R"({"type":"EXPRESS"})");
  EXPECT_EQ(all.code, "ValidationException");
  EXPECT_EQ(all.message,
            "3 validation errors detected: "
            "Value null at 'definition' failed to satisfy constraint: Member must not be null; "
            "Value null at 'name' failed to satisfy constraint: Member must not be null; "
            "Value null at 'roleArn' failed to satisfy constraint: Member must not be null");
  const ApiError role = Fails("CreateStateMachine", R"({"name":"m","definition":)" + Quote(kPass) +
                                                        R"(,"type":"EXPRESS"})");
  EXPECT_EQ(role.message,
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
            "Member must not be null");
  const ApiError wrong_type =
      Fails("CreateStateMachine", R"({"name":7,"definition":"{}","roleArn":"r"})");
  EXPECT_EQ(wrong_type.code, "SerializationException");
}

TEST_F(ControlPlaneTest, CreateChecksTheName) {
  EXPECT_EQ(Fails("CreateStateMachine", CreateBody("has space")).message,
            "Invalid Name: 'has space'");
  EXPECT_EQ(Fails("CreateStateMachine", CreateBody("a:b")).code, "InvalidName");
  const std::string long_name(81, 'x');
  const ApiError too_long = Fails("CreateStateMachine", CreateBody(long_name));
  EXPECT_EQ(too_long.code, "ValidationException");
  EXPECT_EQ(too_long.message, "1 validation error detected: Value '" + long_name +
                                  "' at 'name' failed to satisfy constraint: Member must have "
                                  "length less than or equal to 80");
  EXPECT_EQ(Fails("CreateStateMachine", CreateBody("")).code, "ValidationException");
  Create(std::string(80, 'y'));
  Create("caf\xC3\xA9-_.1");
}

TEST_F(ControlPlaneTest, CreateChecksTheRoleArn) {
  for (const std::string_view role :
       {"not-a-role", "arn:aws:iam::123:role/r", "arn:aws:iam::123456789012:user/u",
        "arn:aws:iam:us-east-1:123456789012:role/r", "arn:aws:iam::123456789012:role/"}) {
    const ApiError error =
        Fails("CreateStateMachine", R"({"name":"m","definition":)" + Quote(kPass) +
                                        R"(,"roleArn":)" + Quote(role) + R"(,"type":"EXPRESS"})");
    EXPECT_EQ(error.code, "InvalidArn") << role;
    EXPECT_EQ(error.message, "Invalid Arn: '" + std::string(role) + "'");
  }
  Ok("CreateStateMachine", R"({"name":"m","definition":)" + Quote(kPass) +
                               R"(,"roleArn":"arn:aws:iam::123456789012:role/service-role/x",)"
                               R"("type":"EXPRESS"})");
}

TEST_F(ControlPlaneTest, CreateCompilesTheDefinition) {
  const ApiError error = Fails("CreateStateMachine", CreateBody("m", "{}"));
  EXPECT_EQ(error.code, "InvalidDefinition");
  EXPECT_EQ(error.message, "Invalid State Machine Definition: '" +
                               runtime::Describe(runtime::ValidateDefinition("{}")) + "'");
  EXPECT_NE(error.message.find("SCHEMA_VALIDATION_FAILED"), std::string::npos) << error.message;

  const std::string not_json = Fails("CreateStateMachine", CreateBody("m", "not json")).code;
  EXPECT_EQ(not_json, "InvalidDefinition");

  // Express restrictions apply: an activity is refused.
  const std::string activity =
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":)"
      R"("arn:aws:states:us-east-1:123456789012:activity:a","End":true}}})";
  EXPECT_EQ(Fails("CreateStateMachine", CreateBody("m", activity)).code, "InvalidDefinition");
  EXPECT_EQ(registry_.Find("m"), nullptr);
}

TEST_F(ControlPlaneTest, CreateIsIdempotentOnTheSameRequest) {
  const std::string first = Create("same");
  const std::string again = Create("same");
  EXPECT_EQ(first, again);  // same ARN and creationDate, byte for byte
  EXPECT_EQ(registry_.Snapshot()->size(), 1u);

  // A different role or tags are ignored, and not applied.
  const std::string other_role =
      Ok("CreateStateMachine",
         R"({"name":"same","definition":)" + Quote(kPass) +
             R"(,"roleArn":"arn:aws:iam::123456789012:role/other","type":"EXPRESS",)"
             R"("tags":[{"key":"k","value":"v"}]})");
  EXPECT_EQ(other_role, first);
  EXPECT_EQ(registry_.Find("same")->role_arn, kRole);
  EXPECT_TRUE(registry_.Find("same")->tags.empty());

  // Explicit defaults equal omitted ones.
  EXPECT_EQ(
      Create("same", kPass, R"(,"loggingConfiguration":{"level":"OFF"},"tracingConfiguration":{})"),
      first);
}

TEST_F(ControlPlaneTest, CreateConflictsOnADifferentMachineWithTheSameName) {
  Create("taken");
  const std::string expected = "State Machine Already Exists: '" + Arn("taken") + "'";
  const ApiError definition = Fails("CreateStateMachine", CreateBody("taken", kSucceed));
  EXPECT_EQ(definition.code, "StateMachineAlreadyExists");
  EXPECT_EQ(definition.message, expected);
  const std::string logging =
      R"(,"loggingConfiguration":{"level":"ALL","destinations":[{"cloudWatchLogsLogGroup":)"
      R"({"logGroupArn":")" +
      std::string(kLogGroup) + R"("}}]})";
  EXPECT_EQ(Fails("CreateStateMachine", CreateBody("taken", kPass, logging)).message, expected);
  EXPECT_EQ(Fails("CreateStateMachine",
                  CreateBody("taken", kPass, R"(,"tracingConfiguration":{"enabled":true})"))
                .message,
            expected);
  EXPECT_EQ(registry_.Find("taken")->definition, kPass);
}

TEST_F(ControlPlaneTest, CreateRefusesVersions) {
  const ApiError description =
      Fails("CreateStateMachine", CreateBody("v", kPass, R"(,"versionDescription":"first")"));
  EXPECT_EQ(description.code, "ValidationException");
  EXPECT_EQ(description.message, "Version description can only be set when publish is true");
  EXPECT_EQ(Fails("CreateStateMachine",
                  CreateBody("v", kPass, R"(,"publish":false,"versionDescription":"x")"))
                .message,
            "Version description can only be set when publish is true");
  const ApiError publish =
      Fails("CreateStateMachine", CreateBody("v", kPass, R"(,"publish":true)"));
  EXPECT_EQ(publish.code, "ValidationException");
  EXPECT_NE(publish.message.find("versions"), std::string::npos) << publish.message;
  Create("v", kPass, R"(,"publish":false)");
}

TEST_F(ControlPlaneTest, LoggingConfigurationIsValidatedAndStoredCanonically) {
  Create("logged", kPass,
         R"(,"loggingConfiguration":{"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":")" +
             std::string(kLogGroup) + R"("}}],"includeExecutionData":true,"level":"ERROR"})");
  EXPECT_EQ(registry_.Find("logged")->logging_configuration,
            R"({"level":"ERROR","includeExecutionData":true,"destinations":[)"
            R"({"cloudWatchLogsLogGroup":{"logGroupArn":")" +
                std::string(kLogGroup) + R"("}}]})");
  Create("plain");
  EXPECT_EQ(registry_.Find("plain")->logging_configuration,
            R"({"level":"OFF","includeExecutionData":false})");

  const auto logging_error = [&](std::string_view config) {
    return Fails("CreateStateMachine",
                 CreateBody("bad", kPass, ",\"loggingConfiguration\":" + std::string(config)));
  };
  const std::string one =
      "Invalid Logging Configuration: Must specify exactly one Log Destination.";
  ApiError error = logging_error(R"({"level":"ALL"})");
  EXPECT_EQ(error.code, "InvalidLoggingConfiguration");
  EXPECT_EQ(error.message, one);
  EXPECT_EQ(logging_error(R"({"level":"FATAL","destinations":[]})").message, one);
  const std::string destination =
      R"({"cloudWatchLogsLogGroup":{"logGroupArn":")" + std::string(kLogGroup) + R"("}})";
  EXPECT_EQ(
      logging_error(R"({"level":"ALL","destinations":[)" + destination + "," + destination + "]}")
          .message,
      one);
  EXPECT_EQ(
      logging_error(R"({"level":"OFF","destinations":[)" + destination + "," + destination + "]}")
          .message,
      one);
  error =
      logging_error(R"({"level":"ALL","destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":)"
                    R"("arn:aws:logs:us-east-1:123456789012:log-group:demo"}}]})");
  EXPECT_EQ(error.code, "InvalidLoggingConfiguration");
  EXPECT_EQ(logging_error(R"({"level":"ALL","destinations":[{}]})").code,
            "InvalidLoggingConfiguration");
  error = logging_error(R"({"level":"DEBUG"})");
  EXPECT_EQ(error.code, "ValidationException");
  EXPECT_EQ(error.message,
            "1 validation error detected: Value 'DEBUG' at 'loggingConfiguration.level' failed to "
            "satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]");
  EXPECT_EQ(logging_error(R"({"includeExecutionData":"yes"})").code, "SerializationException");
  EXPECT_EQ(logging_error(R"("ALL")").code, "SerializationException");
  EXPECT_EQ(registry_.Find("bad"), nullptr);

  // OFF may keep a destination; it is echoed.
  Create("off", kPass,
         R"(,"loggingConfiguration":{"level":"OFF","destinations":[)" + destination + "]}");
  EXPECT_NE(registry_.Find("off")->logging_configuration.find("destinations"), std::string::npos);
}

TEST_F(ControlPlaneTest, TracingConfigurationIsEchoed) {
  Create("traced", kPass, R"(,"tracingConfiguration":{"enabled":true})");
  const Json described(Ok("DescribeStateMachine", ArnBody("stateMachineArn", Arn("traced"))));
  EXPECT_TRUE(described["tracingConfiguration"].Find("enabled").AsBool());
  EXPECT_EQ(Fails("CreateStateMachine",
                  CreateBody("t2", kPass, R"(,"tracingConfiguration":{"enabled":"1"})"))
                .code,
            "SerializationException");
}

TEST_F(ControlPlaneTest, CreateChecksTags) {
  Create("tagged", kPass,
         R"(,"tags":[{"key":"team","value":"core"},{"key":"empty","value":""},)"
         R"({"key":"team","value":"edge"}])");
  const std::vector<Tag>& tags = registry_.Find("tagged")->tags;
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].key, "team");
  EXPECT_EQ(tags[0].value, "edge");
  EXPECT_EQ(tags[1].key, "empty");

  std::string many = R"(,"tags":[)";
  for (int i = 0; i < 51; ++i) {
    many +=
        (i == 0 ? "" : ",") + std::string(R"({"key":"k)") + std::to_string(i) + R"(","value":"v"})";
  }
  many += "]";
  const ApiError too_many = Fails("CreateStateMachine", CreateBody("many", kPass, many));
  EXPECT_EQ(too_many.code, "TooManyTags");
  EXPECT_EQ(too_many.resource_name, Arn("many"));

  const std::string long_key(129, 'k');
  const ApiError key = Fails("CreateStateMachine",
                             CreateBody("k", kPass, R"(,"tags":[{"key":")" + long_key + R"("}])"));
  EXPECT_EQ(key.code, "ValidationException");
  EXPECT_EQ(key.message, "1 validation error detected: Value '" + long_key +
                             "' at 'tags.1.member.key' failed to satisfy constraint: Member must "
                             "have length less than or equal to 128");
  const ApiError value =
      Fails("CreateStateMachine", CreateBody("k", kPass,
                                             R"(,"tags":[{"key":"a","value":"b"},{"key":"c",)"
                                             R"("value":")" +
                                                 std::string(257, 'v') + R"("}])"));
  EXPECT_NE(value.message.find("'tags.2.member.value'"), std::string::npos) << value.message;
  EXPECT_EQ(Fails("CreateStateMachine", CreateBody("k", kPass, R"(,"tags":[{"key":""}])")).code,
            "ValidationException");
  const ApiError reserved =
      Fails("CreateStateMachine", CreateBody("k", kPass, R"(,"tags":[{"key":"aws:x"}])"));
  EXPECT_EQ(reserved.code, "ValidationException");
  EXPECT_NE(reserved.message.find("aws:"), std::string::npos);
  EXPECT_EQ(Fails("CreateStateMachine", CreateBody("k", kPass, R"(,"tags":{"key":"a"})")).code,
            "SerializationException");
}

// --- DescribeStateMachine ------------------------------------------------------------------

TEST_F(ControlPlaneTest, DescribeReturnsTheFullShape) {
  const Json created(Create("full", kPass,
                            R"(,"loggingConfiguration":{"level":"ALL","destinations":[)"
                            R"({"cloudWatchLogsLogGroup":{"logGroupArn":")" +
                                std::string(kLogGroup) + R"("}}]})"));
  const std::string text = Ok("DescribeStateMachine", ArnBody("stateMachineArn", Arn("full")));
  const Json described(text);
  EXPECT_EQ(described.Text("stateMachineArn"), Arn("full"));
  EXPECT_EQ(described.Text("name"), "full");
  EXPECT_EQ(described.Text("status"), "ACTIVE");
  EXPECT_EQ(described.Text("definition"), kPass);
  EXPECT_EQ(described.Text("roleArn"), kRole);
  EXPECT_EQ(described.Text("type"), "EXPRESS");
  ASSERT_TRUE(described["creationDate"].IsNumber());
  EXPECT_DOUBLE_EQ(described["creationDate"].AsDouble(), created["creationDate"].AsDouble());
  EXPECT_EQ(described["loggingConfiguration"].Find("level").AsString(), "ALL");
  EXPECT_FALSE(described["loggingConfiguration"].Find("includeExecutionData").AsBool());
  EXPECT_EQ(described["loggingConfiguration"]
                .Find("destinations")
                .At(0)
                .Find("cloudWatchLogsLogGroup")
                .Find("logGroupArn")
                .AsString(),
            kLogGroup);
  EXPECT_FALSE(described["tracingConfiguration"].Find("enabled").AsBool());
  EXPECT_TRUE(described["revisionId"].IsMissing());
  EXPECT_TRUE(described["description"].IsMissing());
  // Epoch seconds with milliseconds: a JSON number with a three-digit fraction.
  const std::size_t at = text.find("\"creationDate\":");
  ASSERT_NE(at, std::string::npos);
  const std::size_t dot = text.find('.', at);
  ASSERT_NE(dot, std::string::npos);
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(text[dot + 3])));
}

TEST_F(ControlPlaneTest, DescribeAnswersForMachinesThatAreNotHere) {
  ApiError error = Fails("DescribeStateMachine", ArnBody("stateMachineArn", Arn("nope")));
  EXPECT_EQ(error.code, "StateMachineDoesNotExist");
  EXPECT_EQ(error.message, "State Machine Does Not Exist: '" + Arn("nope") + "'");
  Create("here");
  const std::string elsewhere = "arn:aws:states:eu-west-1:123456789012:stateMachine:here";
  EXPECT_EQ(Fails("DescribeStateMachine", ArnBody("stateMachineArn", elsewhere)).code,
            "StateMachineDoesNotExist");
  EXPECT_EQ(Fails("DescribeStateMachine", ArnBody("stateMachineArn", Arn("here") + ":1")).code,
            "StateMachineDoesNotExist");
  error = Fails("DescribeStateMachine", ArnBody("stateMachineArn", "garbage"));
  EXPECT_EQ(error.code, "InvalidArn");
  EXPECT_EQ(error.message, "Invalid Arn: 'garbage'");
  error = Fails("DescribeStateMachine", "{}");
  EXPECT_EQ(error.message,
            "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy "
            "constraint: Member must not be null");
}

TEST_F(ControlPlaneTest, FindStateMachine) {
  Create("found");
  const ApiResult<RecordPtr> found = control_plane_.FindStateMachine(Arn("found"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ((*found)->name, "found");
  EXPECT_EQ(control_plane_.FindStateMachine("arn:aws:sqs:x").error().code, "InvalidArn");
  EXPECT_EQ(control_plane_.FindStateMachine(Arn("missing")).error().code,
            "StateMachineDoesNotExist");
  EXPECT_EQ(
      control_plane_.FindStateMachine("arn:aws:states:us-east-1:999999999999:stateMachine:found")
          .error()
          .code,
      "StateMachineDoesNotExist");
}

// --- UpdateStateMachine --------------------------------------------------------------------

TEST_F(ControlPlaneTest, UpdateNeedsSomethingToChange) {
  Create("u");
  const ApiError error = Fails("UpdateStateMachine", ArnBody("stateMachineArn", Arn("u")));
  EXPECT_EQ(error.code, "MissingRequiredParameter");
  EXPECT_EQ(error.message,
            "Either the definition, the role ARN, the LoggingConfiguration, or the "
            "TracingConfiguration must be specified");
  EXPECT_EQ(Fails("UpdateStateMachine", ArnBody("stateMachineArn", Arn("missing"),
                                                R"(,"roleArn":")" + std::string(kRole) + "\""))
                .code,
            "StateMachineDoesNotExist");
  EXPECT_EQ(Fails("UpdateStateMachine", ArnBody("stateMachineArn", "x", R"(,"roleArn":"r")")).code,
            "InvalidArn");
}

TEST_F(ControlPlaneTest, UpdatePublishesANewRecordAndKeepsTheOld) {
  Create("u");
  const RecordPtr before = registry_.Find("u");
  const Json first(Ok("UpdateStateMachine",
                      ArnBody("stateMachineArn", Arn("u"), ",\"definition\":" + Quote(kSucceed))));
  ASSERT_TRUE(first["updateDate"].IsNumber());
  const std::string revision = first.Text("revisionId");
  EXPECT_EQ(revision.size(), 36u);

  // The execution that holds the old record keeps the old definition and machine.
  EXPECT_EQ(before->definition, kPass);
  const RecordPtr after = registry_.Find("u");
  EXPECT_EQ(after->definition, kSucceed);
  EXPECT_NE(after->machine, before->machine);
  EXPECT_EQ(after->creation_date, before->creation_date);

  const Json described(Ok("DescribeStateMachine", ArnBody("stateMachineArn", Arn("u"))));
  EXPECT_EQ(described.Text("definition"), kSucceed);
  EXPECT_EQ(described.Text("revisionId"), revision);

  const Json second(
      Ok("UpdateStateMachine",
         ArnBody("stateMachineArn", Arn("u"),
                 R"(,"roleArn":"arn:aws:iam::123456789012:role/new",)"
                 R"("loggingConfiguration":{"level":"FATAL","destinations":[)"
                 R"({"cloudWatchLogsLogGroup":{"logGroupArn":")" +
                     std::string(kLogGroup) + R"("}}]},"tracingConfiguration":{"enabled":true})")));
  EXPECT_NE(second.Text("revisionId"), revision);
  const RecordPtr last = registry_.Find("u");
  EXPECT_EQ(last->role_arn, "arn:aws:iam::123456789012:role/new");
  EXPECT_EQ(last->definition, kSucceed);  // unchanged when not given
  EXPECT_NE(last->logging_configuration.find("FATAL"), std::string::npos);
  EXPECT_EQ(last->tracing_configuration, R"({"enabled":true})");
}

TEST_F(ControlPlaneTest, UpdateValidatesWhatItChanges) {
  Create("u");
  const ApiError definition =
      Fails("UpdateStateMachine", ArnBody("stateMachineArn", Arn("u"), R"(,"definition":"{}")"));
  EXPECT_EQ(definition.code, "InvalidDefinition");
  EXPECT_EQ(Fails("UpdateStateMachine",
                  ArnBody("stateMachineArn", Arn("u"), R"(,"roleArn":"arn:aws:s3:::bucket")"))
                .code,
            "InvalidArn");
  EXPECT_EQ(Fails("UpdateStateMachine", ArnBody("stateMachineArn", Arn("u"),
                                                R"(,"loggingConfiguration":{"level":"ALL"})"))
                .code,
            "InvalidLoggingConfiguration");
  EXPECT_EQ(Fails("UpdateStateMachine",
                  ArnBody("stateMachineArn", Arn("u"),
                          R"(,"roleArn":")" + std::string(kRole) + R"(","publish":true)"))
                .code,
            "ValidationException");
  EXPECT_EQ(registry_.Find("u")->definition, kPass);
  EXPECT_TRUE(registry_.Find("u")->revision_id.empty());
}

// --- DeleteStateMachine --------------------------------------------------------------------

TEST_F(ControlPlaneTest, DeleteIsIdempotent) {
  Create("d");
  EXPECT_EQ(Ok("DeleteStateMachine", ArnBody("stateMachineArn", Arn("d"))), "{}");
  EXPECT_EQ(registry_.Find("d"), nullptr);
  EXPECT_EQ(Fails("DescribeStateMachine", ArnBody("stateMachineArn", Arn("d"))).code,
            "StateMachineDoesNotExist");
  EXPECT_EQ(Ok("DeleteStateMachine", ArnBody("stateMachineArn", Arn("d"))), "{}");
  EXPECT_EQ(Ok("DeleteStateMachine",
               ArnBody("stateMachineArn", "arn:aws:states:eu-west-1:123456789012:stateMachine:d")),
            "{}");
  const ApiError error = Fails("DeleteStateMachine", ArnBody("stateMachineArn", "d"));
  EXPECT_EQ(error.code, "InvalidArn");
  EXPECT_EQ(error.message, "Invalid Arn: 'd'");
  // The name can be used again, for anything.
  Create("d", kSucceed);
}

// --- ListStateMachines ---------------------------------------------------------------------

TEST_F(ControlPlaneTest, ListIsSortedByName) {
  EXPECT_EQ(Ok("ListStateMachines", ""), R"({"stateMachines":[]})");
  for (const std::string_view name : {"charlie", "alpha", "bravo"}) {
    Create(name);
  }
  const Json listed(Ok("ListStateMachines", "{}"));
  const Value machines = listed["stateMachines"];
  ASSERT_EQ(machines.Size(), 3u);
  EXPECT_EQ(machines.At(0).Find("name").AsString(), "alpha");
  EXPECT_EQ(machines.At(1).Find("name").AsString(), "bravo");
  EXPECT_EQ(machines.At(2).Find("name").AsString(), "charlie");
  EXPECT_EQ(machines.At(0).Find("stateMachineArn").AsString(), Arn("alpha"));
  EXPECT_EQ(machines.At(0).Find("type").AsString(), "EXPRESS");
  EXPECT_TRUE(machines.At(0).Find("creationDate").IsNumber());
  EXPECT_TRUE(listed["nextToken"].IsMissing());
}

TEST_F(ControlPlaneTest, ListPaginates) {
  for (int i = 0; i < 5; ++i) {
    Create("m" + std::to_string(i));
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    const std::string body = token.empty() ? std::string(R"({"maxResults":2})")
                                           : R"({"maxResults":2,"nextToken":)" + Quote(token) + "}";
    const Json page(Ok("ListStateMachines", body));
    const Value machines = page["stateMachines"];
    EXPECT_LE(machines.Size(), 2u);
    machines.ForEachElement([&](Value m) { seen.emplace_back(m.Find("name").AsString()); });
    token = page["nextToken"].IsString() ? std::string(page["nextToken"].AsString()) : "";
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));

  // 0 is the default page size (100).
  EXPECT_EQ(Json(Ok("ListStateMachines", R"({"maxResults":0})"))["stateMachines"].Size(), 5u);
  // A token stays usable when its machine is deleted.
  const Json first(Ok("ListStateMachines", R"({"maxResults":2})"));
  const std::string next(first["nextToken"].AsString());
  Ok("DeleteStateMachine", ArnBody("stateMachineArn", Arn("m2")));
  const Json rest(Ok("ListStateMachines", R"({"nextToken":)" + Quote(next) + "}"));
  ASSERT_EQ(rest["stateMachines"].Size(), 2u);
  EXPECT_EQ(rest["stateMachines"].At(0).Find("name").AsString(), "m3");
}

TEST_F(ControlPlaneTest, ListChecksItsArguments) {
  ApiError error = Fails("ListStateMachines", R"({"maxResults":1001})");
  EXPECT_EQ(error.code, "ValidationException");
  EXPECT_EQ(error.message,
            "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy "
            "constraint: Member must have value less than or equal to 1000");
  EXPECT_EQ(Fails("ListStateMachines", R"({"maxResults":-1})").message,
            "1 validation error detected: Value '-1' at 'maxResults' failed to satisfy "
            "constraint: Member must have value greater than or equal to 0");
  error = Fails("ListStateMachines", R"({"nextToken":"garbage!"})");
  EXPECT_EQ(error.code, "InvalidToken");
  EXPECT_EQ(error.message, "Invalid Token: 'garbage!'");
  EXPECT_EQ(Fails("ListStateMachines", R"({"nextToken":"aGVsbG8="})").code, "InvalidToken");
  EXPECT_EQ(Fails("ListStateMachines", R"({"nextToken":")" + std::string(1025, 'A') + "\"}").code,
            "ValidationException");
  EXPECT_EQ(Fails("ListStateMachines", R"({"maxResults":"2"})").code, "SerializationException");
}

// --- ValidateStateMachineDefinition --------------------------------------------------------

TEST_F(ControlPlaneTest, ValidateAnswersOkAndFail) {
  const Json ok(Ok("ValidateStateMachineDefinition", "{\"definition\":" + Quote(kPass) + "}"));
  EXPECT_EQ(ok.Text("result"), "OK");
  EXPECT_EQ(ok["diagnostics"].Size(), 0u);
  EXPECT_FALSE(ok["truncated"].AsBool());

  const Json fail(Ok("ValidateStateMachineDefinition", R"({"definition":"{}"})"));
  EXPECT_EQ(fail.Text("result"), "FAIL");
  const runtime::Diagnostics expected = runtime::ValidateDefinition(
      "{}", runtime::ValidationOptions{runtime::MachineType::kStandard});
  ASSERT_GE(fail["diagnostics"].Size(), 1u);
  const Value first = fail["diagnostics"].At(0);
  EXPECT_EQ(first.Find("severity").AsString(), "ERROR");
  EXPECT_EQ(first.Find("code").AsString(), expected[0].code);
  EXPECT_EQ(first.Find("message").AsString(), expected[0].message);
  EXPECT_EQ(first.Find("location").AsString(), expected[0].location);

  const ApiError missing = Fails("ValidateStateMachineDefinition", "{}");
  EXPECT_EQ(missing.message,
            "1 validation error detected: Value null at 'definition' failed to satisfy "
            "constraint: Member must not be null");
  EXPECT_EQ(
      Fails("ValidateStateMachineDefinition", R"({"definition":"{}","maxResults":101})").message,
      "1 validation error detected: Value '101' at 'maxResults' failed to satisfy "
      "constraint: Member must have value less than or equal to 100");
  EXPECT_EQ(
      Fails("ValidateStateMachineDefinition", R"({"definition":"{}","severity":"INFO"})").code,
      "ValidationException");
  EXPECT_EQ(Fails("ValidateStateMachineDefinition", R"({"definition":"{}","type":"X"})").code,
            "ValidationException");
}

TEST_F(ControlPlaneTest, ValidateUsesTheTypeAndDefaultsToStandard) {
  const std::string activity =
      Quote(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":)"
            R"("arn:aws:states:us-east-1:123456789012:activity:a","End":true}}})");
  EXPECT_EQ(Json(Ok("ValidateStateMachineDefinition", "{\"definition\":" + activity + "}"))
                .Text("result"),
            "OK");
  EXPECT_EQ(Json(Ok("ValidateStateMachineDefinition",
                    "{\"definition\":" + activity + R"(,"type":"EXPRESS"})"))
                .Text("result"),
            "FAIL");
}

TEST_F(ControlPlaneTest, ValidateFiltersBySeverityAndTruncates) {
  // A definition with several errors, and one with warnings (whatever the validator finds).
  const std::string broken =
      R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Bogus"},)"
      R"("D":{"Type":"Wait","End":true}}})";
  const runtime::Diagnostics all = runtime::ValidateDefinition(
      broken, runtime::ValidationOptions{runtime::MachineType::kStandard});
  std::size_t errors = 0;
  for (const runtime::Diagnostic& d : all) {
    errors += d.severity == runtime::Severity::kError ? 1 : 0;
  }
  ASSERT_GE(errors, 2u);
  const Json default_severity(
      Ok("ValidateStateMachineDefinition", "{\"definition\":" + Quote(broken) + "}"));
  EXPECT_EQ(default_severity["diagnostics"].Size(), errors);
  const Json warnings(Ok("ValidateStateMachineDefinition",
                         "{\"definition\":" + Quote(broken) + R"(,"severity":"WARNING"})"));
  EXPECT_EQ(warnings["diagnostics"].Size(), all.size());
  const Json truncated(Ok("ValidateStateMachineDefinition",
                          "{\"definition\":" + Quote(broken) + R"(,"maxResults":1})"));
  EXPECT_EQ(truncated["diagnostics"].Size(), 1u);
  EXPECT_TRUE(truncated["truncated"].AsBool());
  EXPECT_EQ(truncated.Text("result"), "FAIL");

  const std::string dollar =
      R"({"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a":"$.x"},"End":true}}})";
  const runtime::Diagnostics dollar_all = runtime::ValidateDefinition(
      dollar, runtime::ValidationOptions{runtime::MachineType::kStandard});
  const Json dollar_warnings(Ok("ValidateStateMachineDefinition",
                                "{\"definition\":" + Quote(dollar) + R"(,"severity":"WARNING"})"));
  EXPECT_EQ(dollar_warnings["diagnostics"].Size(), dollar_all.size());
  EXPECT_EQ(dollar_warnings.Text("result"), runtime::HasErrors(dollar_all) ? "FAIL" : "OK");
}

// --- tags ----------------------------------------------------------------------------------

TEST_F(ControlPlaneTest, TagUntagAndList) {
  Create("t", kPass, R"(,"tags":[{"key":"a","value":"1"}])");
  EXPECT_EQ(Ok("TagResource", ArnBody("resourceArn", Arn("t"),
                                      R"(,"tags":[{"key":"b","value":"2"},{"key":"a",)"
                                      R"("value":"3"}])")),
            "{}");
  EXPECT_EQ(Ok("ListTagsForResource", ArnBody("resourceArn", Arn("t"))),
            R"({"tags":[{"key":"a","value":"3"},{"key":"b","value":"2"}]})");
  EXPECT_EQ(Ok("UntagResource", ArnBody("resourceArn", Arn("t"), R"(,"tagKeys":["a","zz"])")),
            "{}");
  EXPECT_EQ(Ok("ListTagsForResource", ArnBody("resourceArn", Arn("t"))),
            R"({"tags":[{"key":"b","value":"2"}]})");
  // Tagging publishes a new record but changes nothing else.
  EXPECT_EQ(registry_.Find("t")->definition, kPass);
  EXPECT_TRUE(registry_.Find("t")->revision_id.empty());
}

TEST_F(ControlPlaneTest, TaggingAnswersForMissingResources) {
  const std::string missing = Arn("ghost");
  for (const std::string& body :
       {ArnBody("resourceArn", missing, R"(,"tags":[{"key":"a","value":"b"}])"),
        ArnBody("resourceArn", missing, R"(,"tagKeys":["a"])"), ArnBody("resourceArn", missing)}) {
    for (const std::string_view action : {"TagResource", "UntagResource", "ListTagsForResource"}) {
      if ((action == "TagResource") != (body.find("\"tags\"") != std::string::npos) ||
          (action == "UntagResource") != (body.find("tagKeys") != std::string::npos)) {
        continue;
      }
      const ApiError error = Fails(action, body);
      EXPECT_EQ(error.code, "ResourceNotFound") << action;
      EXPECT_EQ(error.message, "Resource not found: '" + missing + "'");
      EXPECT_EQ(error.resource_name, missing);
      std::string wire;
      AppendErrorBody(error, wire);
      EXPECT_EQ(wire, R"({"__type":"ResourceNotFound","message":"Resource not found: ')" + missing +
                          R"('","resourceName":")" + missing + R"("})");
    }
  }
  EXPECT_EQ(Fails("ListTagsForResource", ArnBody("resourceArn", "nope")).code, "InvalidArn");
  EXPECT_EQ(Fails("TagResource", ArnBody("resourceArn", missing)).code, "ValidationException");
  EXPECT_EQ(Fails("UntagResource", ArnBody("resourceArn", missing)).code, "ValidationException");
}

TEST_F(ControlPlaneTest, TagResourceEnforcesTheLimit) {
  std::string fifty = R"(,"tags":[)";
  for (int i = 0; i < 50; ++i) {
    fifty +=
        (i == 0 ? "" : ",") + std::string(R"({"key":"k)") + std::to_string(i) + R"(","value":"v"})";
  }
  fifty += "]";
  Create("full", kPass, fifty);
  // Overwriting an existing key is fine; a 51st key is not.
  Ok("TagResource", ArnBody("resourceArn", Arn("full"), R"(,"tags":[{"key":"k0","value":"x"}])"));
  const ApiError error =
      Fails("TagResource", ArnBody("resourceArn", Arn("full"), R"(,"tags":[{"key":"new"}])"));
  EXPECT_EQ(error.code, "TooManyTags");
  EXPECT_EQ(error.resource_name, Arn("full"));
  EXPECT_EQ(registry_.Find("full")->tags.size(), 50u);
  EXPECT_EQ(
      Fails("TagResource", ArnBody("resourceArn", Arn("full"), R"(,"tags":[{"key":"aws:n"}])"))
          .code,
      "ValidationException");
}

// --- Express answers for execution actions -------------------------------------------------

TEST_F(ControlPlaneTest, ExpressExecutionsAreNotKept) {
  const std::string express =
      "arn:aws:states:us-east-1:123456789012:express:m:run:0c5e5a5e-1111-4222-8333-444455556666";
  const std::string standard = "arn:aws:states:us-east-1:123456789012:execution:m:run";
  for (const std::string_view action : {"DescribeExecution", "StopExecution", "GetExecutionHistory",
                                        "DescribeStateMachineForExecution"}) {
    ApiError error = Fails(action, ArnBody("executionArn", express));
    EXPECT_EQ(error.code, "InvalidArn") << action;
    EXPECT_EQ(error.message, "Invalid Arn: 'Resource type not valid in this context: express'");
    error = Fails(action, ArnBody("executionArn", standard));
    EXPECT_EQ(error.code, "ExecutionDoesNotExist") << action;
    EXPECT_EQ(error.message, "Execution Does Not Exist: '" + standard + "'");
    for (const std::string_view malformed :
         {"garbage", "arn:aws:states:us-east-1:123456789012:execution:m",
          "arn:aws:states:us-east-1:123456789012:stateMachine:m",
          "arn:aws:lambda:us-east-1:123456789012:express:m:r:u"}) {
      error = Fails(action, ArnBody("executionArn", malformed));
      EXPECT_EQ(error.code, "InvalidArn") << malformed;
      EXPECT_EQ(error.message, "Invalid Arn: '" + std::string(malformed) + "'");
    }
    EXPECT_EQ(Fails(action, "{}").code, "ValidationException");
  }
  EXPECT_EQ(
      Fails("GetExecutionHistory", ArnBody("executionArn", express, R"(,"maxResults":1001)")).code,
      "ValidationException");
  EXPECT_EQ(Fails("StopExecution",
                  ArnBody("executionArn", express, R"(,"error":")" + std::string(257, 'e') + "\""))
                .code,
            "ValidationException");
}

TEST_F(ControlPlaneTest, ListExecutionsIsNotForExpress) {
  Create("x");
  ApiError error = Fails("ListExecutions", ArnBody("stateMachineArn", Arn("x")));
  EXPECT_EQ(error.code, "StateMachineTypeNotSupported");
  EXPECT_EQ(error.message, "This operation is not supported by this type of state machine");
  error = Fails("ListExecutions", ArnBody("stateMachineArn", Arn("y")));
  EXPECT_EQ(error.code, "StateMachineDoesNotExist");
  EXPECT_EQ(Fails("ListExecutions", ArnBody("stateMachineArn", "y")).code, "InvalidArn");
  EXPECT_EQ(Fails("ListExecutions", "{}").code, "ValidationException");
  EXPECT_EQ(
      Fails("ListExecutions", ArnBody("stateMachineArn", Arn("x"), R"(,"statusFilter":"DONE")"))
          .code,
      "ValidationException");
}

TEST_F(ControlPlaneTest, OtherActionsAreNotHandledHere) {
  RequestBody body;
  ASSERT_FALSE(body.Parse("{}").has_value());
  EXPECT_FALSE(control_plane_.Handle("StartExecution", body).has_value());
  EXPECT_FALSE(control_plane_.Handle("StartSyncExecution", body).has_value());
  EXPECT_FALSE(control_plane_.Handle("TestState", body).has_value());
  EXPECT_FALSE(control_plane_.Handle("NoSuchThing", body).has_value());
}

// --- definitions directory -----------------------------------------------------------------

class DefinitionsDirTest : public ControlPlaneTest {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("stepd-defs-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Write(std::string_view file, std::string_view text) {
    std::ofstream(dir_ / file, std::ios::binary) << text;
  }
  ApiResult<std::size_t> Load() {
    warnings_.clear();
    return LoadDefinitionsDirectory(dir_, control_plane_, warnings_);
  }

  std::filesystem::path dir_;
  std::vector<std::string> warnings_;
};

TEST_F(DefinitionsDirTest, LoadsEveryDefinitionWithItsSidecar) {
  Write("hello.asl.json", kPass);
  Write("logged.asl.json", kSucceed);
  Write("logged.config.json",
        R"({"type":"EXPRESS","roleArn":"arn:aws:iam::123456789012:role/custom",)"
        R"("loggingConfiguration":{"level":"ALL","includeExecutionData":true,"destinations":[)"
        R"({"cloudWatchLogsLogGroup":{"logGroupArn":")" +
            std::string(kLogGroup) +
            R"("}}]},"tags":[{"key":"team","value":"core"}],"comment":"x"})");
  Write("orphan.config.json", "{}");
  Write("notes.txt", "ignored");
  std::filesystem::create_directories(dir_ / "nested.asl.json");

  const ApiResult<std::size_t> loaded = Load();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(*loaded, 2u);
  ASSERT_EQ(warnings_.size(), 2u);
  const std::string joined = warnings_[0] + "\n" + warnings_[1];
  EXPECT_NE(joined.find("orphan.config.json"), std::string::npos) << joined;
  EXPECT_NE(joined.find("'comment'"), std::string::npos) << joined;

  const RecordPtr hello = registry_.Find("hello");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->type, "EXPRESS");
  EXPECT_EQ(hello->role_arn, "arn:aws:iam::123456789012:role/stepd");
  EXPECT_EQ(hello->definition, kPass);
  EXPECT_EQ(hello->arn, Arn("hello"));

  const RecordPtr logged = registry_.Find("logged");
  ASSERT_NE(logged, nullptr);
  EXPECT_EQ(logged->role_arn, "arn:aws:iam::123456789012:role/custom");
  EXPECT_EQ(logged->logging_configuration,
            R"({"level":"ALL","includeExecutionData":true,"destinations":[)"
            R"({"cloudWatchLogsLogGroup":{"logGroupArn":")" +
                std::string(kLogGroup) + R"("}}]})");
  ASSERT_EQ(logged->tags.size(), 1u);
  EXPECT_EQ(logged->tags[0].value, "core");

  // Loading again changes nothing.
  const ApiResult<std::size_t> again = Load();
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(registry_.Snapshot()->size(), 2u);
}

TEST_F(DefinitionsDirTest, AnInvalidDefinitionNamesTheFile) {
  Write("good.asl.json", kPass);
  Write("broken.asl.json", R"({"StartAt":"Nowhere","States":{}})");
  const ApiResult<std::size_t> loaded = Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "InvalidDefinition");
  const std::string& message = loaded.error().message;
  EXPECT_EQ(message.rfind((dir_ / "broken.asl.json").string() + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("Invalid State Machine Definition: '"), std::string::npos) << message;
}

TEST_F(DefinitionsDirTest, SidecarProblemsNameTheFile) {
  Write("std.asl.json", kPass);
  Write("std.config.json", R"({"type":"STANDARD"})");
  ApiResult<std::size_t> loaded = Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "StateMachineTypeNotSupported");
  EXPECT_NE(loaded.error().message.find("std.asl.json"), std::string::npos);

  Write("std.config.json", "not json");
  loaded = Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "InvalidDefinitionsDirectory");
  EXPECT_NE(loaded.error().message.find("std.config.json"), std::string::npos);

  Write("std.config.json", R"({"loggingConfiguration":{"level":"ALL"}})");
  loaded = Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "InvalidLoggingConfiguration");
}

TEST_F(DefinitionsDirTest, AnInvalidFileNameOrMissingFolderIsAnError) {
  Write("bad name.asl.json", kPass);
  ApiResult<std::size_t> loaded = Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "InvalidName");

  std::vector<std::string> warnings;
  loaded = LoadDefinitionsDirectory(dir_ / "missing", control_plane_, warnings);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, "InvalidDefinitionsDirectory");
}

TEST_F(DefinitionsDirTest, AnEmptyFolderLoadsNothing) {
  const ApiResult<std::size_t> loaded = Load();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, 0u);
  EXPECT_TRUE(warnings_.empty());
}

}  // namespace
}  // namespace stepd::service
