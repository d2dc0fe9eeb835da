#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "runtime/compiler.h"
#include "runtime/diagnostics.h"
#include "runtime/driver.h"
#include "service/logs/execution_logger.h"
#include "tests/service/parsed_json.h"

namespace stepd::logs {
namespace {

using runtime::UnixNanos;

constexpr UnixNanos kStart = 1'700'000'000LL * 1'000'000'000LL;  // 2023-11-14T22:13:20Z
constexpr std::string_view kExecutionArn =
    "arn:aws:states:us-east-1:123456789012:express:M:e:11111111-2222";
constexpr std::string_view kRole = "arn:aws:iam::123456789012:role/r";
constexpr std::string_view kGroupArn =
    "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/demo:*";

std::string Config(std::string_view level, bool data) {
  return std::string(R"({"level":")") + std::string(level) + R"(","includeExecutionData":)" +
         (data ? "true" : "false") +
         R"(,"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":")" + std::string(kGroupArn) +
         R"("}}]})";
}

// Runs `definition` with the logger attached; returns the logger's buffered messages.
std::vector<std::string> RunLogged(ExecutionLogger& logger, std::string_view definition,
                                   std::string_view input, std::string_view level, bool data,
                                   runtime::TaskHandler tasks = {}) {
  auto machine = runtime::Compile(definition);
  EXPECT_TRUE(machine.has_value()) << (machine ? "" : runtime::Describe(machine.error()));
  if (!machine) {
    return {};
  }
  logger.Reset(ParseLoggingSettings(Config(level, data)), "M", kExecutionArn, kRole);
  runtime::FakeClock clock(kStart);
  runtime::RunOptions options;
  options.clock = &clock;
  options.sink = &logger;
  options.tasks = std::move(tasks);
  options.info.execution_arn = kExecutionArn;
  options.info.execution_name = "e";
  options.info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:M";
  options.info.state_machine_name = "M";
  options.info.role_arn = kRole;
  runtime::RunToCompletion(*machine, input, options);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < logger.buffered_events(); ++i) {
    out.emplace_back(logger.buffered_message(i));
  }
  return out;
}

struct Json : stepd::testing::ParsedJson {
  using ParsedJson::ParsedJson;
  std::string Detail(std::string_view key) const { return TextOf(root.Find("details").Find(key)); }
  std::string DetailsJson() const { return ToJson(root.Find("details")); }
};

std::vector<std::string> Types(const std::vector<std::string>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    out.push_back(Json(m).Text("type"));
  }
  return out;
}

constexpr std::string_view kPassMachine =
    R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"r":1},"End":true}}})";

TEST(LogsLoggerTest, FormatsEventsAsAwsExpressLogRecords) {
  ExecutionLogger logger(0x2a);
  const auto messages = RunLogged(logger, kPassMachine, R"({"a":"x"})", "ALL", true);
  ASSERT_EQ(Types(messages), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                                       "PassStateExited", "ExecutionSucceeded"}));
  const Json started(messages[0]);
  EXPECT_EQ(started.Text("id"), "1");
  EXPECT_EQ(started.Text("previous_event_id"), "0");
  EXPECT_EQ(started.Text("event_timestamp"), "1700000000000");
  EXPECT_EQ(started.Text("execution_arn"), kExecutionArn);
  EXPECT_EQ(started.Text("redrive_count"), "0");
  EXPECT_EQ(started.DetailsJson(),
            R"({"input":"{\"a\":\"x\"}","inputDetails":{"truncated":false},"roleArn":")" +
                std::string(kRole) + R"("})");
  // Key order as in the reference example.
  EXPECT_TRUE(messages[0].starts_with(R"({"id":"1","type":"ExecutionStarted","details":{)"))
      << messages[0];
  EXPECT_TRUE(messages[0].ends_with(R"(,"redrive_count":"0"})")) << messages[0];

  const Json entered(messages[1]);
  EXPECT_EQ(entered.Text("id"), "2");
  EXPECT_EQ(entered.DetailsJson(),
            R"({"name":"A","input":"{\"a\":\"x\"}","inputDetails":{"truncated":false}})");
  const Json exited(messages[2]);
  EXPECT_EQ(exited.Text("id"), "3");
  EXPECT_EQ(exited.Text("previous_event_id"), "2");
  EXPECT_EQ(exited.DetailsJson(),
            R"({"name":"A","output":"{\"r\":1}","outputDetails":{"truncated":false}})");
  const Json succeeded(messages[3]);
  EXPECT_EQ(succeeded.Text("id"), "4");
  EXPECT_EQ(succeeded.DetailsJson(),
            R"({"output":"{\"r\":1}","outputDetails":{"truncated":false}})");
}

TEST(LogsLoggerTest, WithoutExecutionDataInputAndOutputAreStripped) {
  ExecutionLogger logger;
  const auto messages = RunLogged(logger, kPassMachine, R"({"secret":1})", "ALL", false);
  ASSERT_EQ(messages.size(), 4U);
  EXPECT_EQ(Json(messages[0]).DetailsJson(), R"({"roleArn":")" + std::string(kRole) + R"("})");
  EXPECT_EQ(Json(messages[1]).DetailsJson(), R"({"name":"A"})");
  EXPECT_EQ(Json(messages[2]).DetailsJson(), R"({"name":"A"})");
  EXPECT_EQ(Json(messages[3]).DetailsJson(), "{}");
  for (const auto& m : messages) {
    EXPECT_EQ(m.find("secret"), std::string::npos) << m;
  }
}

// AWS cuts a payload's JSON text at 248 KiB (keeping UTF-8 whole) and says so in *Details. An
// escaped text over the limit whose JSON text is under it stays whole.
TEST(LogsLoggerTest, PayloadsOverTheLimitAreCutAndFlagged) {
  constexpr std::size_t kLimit = 248 * 1024;
  const auto payload_of = [](const std::string& message) {
    const Json parsed(message);
    return std::pair(parsed.Detail("input"),
                     parsed.DetailsJson().find(R"("truncated":true)") != std::string::npos);
  };
  // 250 KiB of "é" (2 bytes each) after 3 bytes: the "é" that the limit splits is dropped.
  const std::string long_text = "[\"a" + [] {
    std::string s;
    while (s.size() < 250 * 1024) {
      s += "\xc3\xa9";
    }
    return s;
  }() + "\"]";
  ExecutionLogger logger;
  auto messages = RunLogged(logger, kPassMachine, long_text, "ALL", true);
  ASSERT_EQ(messages.size(), 4U);
  auto [input, cut] = payload_of(messages[0]);
  EXPECT_TRUE(cut);
  EXPECT_EQ(input.size(), kLimit - 1);
  EXPECT_EQ(input, long_text.substr(0, kLimit - 1));

  // 200 KiB of backslashes (escaped pairs): 400 KiB escaped again, but the JSON text is under
  // the limit.
  const std::string backslashes = "[\"" + std::string(200 * 1024, '\\') + "\"]";
  messages = RunLogged(logger, kPassMachine, backslashes, "ALL", true);
  ASSERT_EQ(messages.size(), 4U);
  std::tie(input, cut) = payload_of(messages[1]);
  EXPECT_FALSE(cut);
  EXPECT_EQ(input, backslashes);
}

constexpr std::string_view kFailMachine = R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","Next":"F"},
    "F":{"Type":"Fail","Error":"Oops","Cause":"it broke"}}})";

TEST(LogsLoggerTest, LevelsSelectEventTypes) {
  ExecutionLogger logger;
  EXPECT_EQ(Types(RunLogged(logger, kFailMachine, "{}", "ALL", true)),
            (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                      "FailStateEntered", "ExecutionFailed"}));
  EXPECT_EQ(Types(RunLogged(logger, kFailMachine, "{}", "ERROR", true)),
            (std::vector<std::string>{"FailStateEntered", "ExecutionFailed"}));
  const auto fatal = RunLogged(logger, kFailMachine, "{}", "FATAL", true);
  EXPECT_EQ(Types(fatal), (std::vector<std::string>{"ExecutionFailed"}));
  ASSERT_EQ(fatal.size(), 1U);
  EXPECT_EQ(Json(fatal[0]).DetailsJson(), R"({"error":"Oops","cause":"it broke"})");
  EXPECT_EQ(Json(fatal[0]).Text("id"), "5");
  EXPECT_TRUE(RunLogged(logger, kPassMachine, "{}", "ERROR", true).empty());
  EXPECT_TRUE(RunLogged(logger, kPassMachine, "{}", "OFF", true).empty());
}

TEST(LogsLoggerTest, TaskEventsCarryResourceTypeAndResource) {
  ExecutionLogger logger;
  constexpr std::string_view kTask = R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}}})";
  const auto ok =
      RunLogged(logger, kTask, R"({"n":1})", "ALL", true, [](const runtime::TaskRequest&) {
        return runtime::TaskAnswer{true, R"({"Payload":2})", {}, {}};
      });
  ASSERT_EQ(Types(ok), (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                                 "TaskScheduled", "TaskStarted", "TaskSucceeded",
                                                 "TaskStateExited", "ExecutionSucceeded"}));
  EXPECT_EQ(Json(ok[2]).DetailsJson(),
            R"({"resourceType":"lambda","resource":"invoke","region":"us-east-1",)"
            R"("parameters":"{\"FunctionName\":\"f\",\"Payload\":{\"n\":1}}"})");
  EXPECT_EQ(Json(ok[3]).DetailsJson(), R"({"resourceType":"lambda","resource":"invoke"})");
  EXPECT_EQ(Json(ok[4]).DetailsJson(),
            R"({"resourceType":"lambda","resource":"invoke","output":"{\"Payload\":2}",)"
            R"("outputDetails":{"truncated":false}})");

  const auto failed =
      RunLogged(logger, kTask, "{}", "ERROR", false, [](const runtime::TaskRequest&) {
        return runtime::TaskAnswer{false, {}, "Lambda.Unknown", "boom"};
      });
  ASSERT_EQ(Types(failed), (std::vector<std::string>{"TaskFailed", "ExecutionFailed"}));
  EXPECT_EQ(Json(failed[0]).DetailsJson(),
            R"({"resourceType":"lambda","resource":"invoke","error":"Lambda.Unknown",)"
            R"("cause":"boom"})");
}

TEST(LogsLoggerTest, SdkIntegrationsAndMapIterations) {
  ExecutionLogger logger;
  constexpr std::string_view kMap = R"({"StartAt":"M","States":{
      "M":{"Type":"Map","ItemsPath":"$.items","End":true,
           "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
             "Resource":"arn:aws:states:::aws-sdk:s3:getObject","End":true}}}}}})";
  const auto messages =
      RunLogged(logger, kMap, R"({"items":[1]})", "ALL", false, [](const runtime::TaskRequest&) {
        return runtime::TaskAnswer{true, "{}", {}, {}};
      });
  bool saw_length = false;
  bool saw_iteration = false;
  bool saw_sdk = false;
  for (const auto& m : messages) {
    const Json j(m);
    const std::string type = j.Text("type");
    if (type == "MapStateStarted") {
      EXPECT_EQ(j.DetailsJson(), R"({"length":1})");
      saw_length = true;
    } else if (type == "MapIterationStarted") {
      EXPECT_EQ(j.DetailsJson(), R"({"name":"M","index":0})");
      saw_iteration = true;
    } else if (type == "TaskStarted") {
      EXPECT_EQ(j.DetailsJson(), R"({"resourceType":"aws-sdk:s3","resource":"getObject"})");
      saw_sdk = true;
    }
  }
  EXPECT_TRUE(saw_length && saw_iteration && saw_sdk);
}

TEST(LogsLoggerTest, FlushWritesOneStreamPerMinuteAndResets) {
  LogStore store;
  ExecutionLogger logger(0x2a);
  const auto messages = RunLogged(logger, kPassMachine, "{}", "ALL", true);
  EXPECT_EQ(logger.log_group_name(), "/aws/vendedlogs/states/demo");
  EXPECT_EQ(logger.stream_name(), "states/M/2023-11-14-22-13/0000002a");
  EXPECT_EQ(logger.Flush(store), 4U);
  EXPECT_EQ(logger.buffered_events(), 0U);
  EXPECT_EQ(logger.Flush(store), 0U);
  RunLogged(logger, kPassMachine, "{}", "ALL", true);  // the slot's next execution
  EXPECT_EQ(logger.Flush(store), 4U);
  LogEventRange range;
  ASSERT_EQ(store.ReadStream("/aws/vendedlogs/states/demo", "states/M/2023-11-14-22-13/0000002a",
                             {}, range),
            StoreStatus::kOk);
  ASSERT_EQ(range.events.size(), 8U);
  std::string scratch;
  EXPECT_EQ(range.events[0].message(scratch), messages[0]);
  EXPECT_EQ(range.events[0].timestamp_ms, 1'700'000'000'000);
}

TEST(LogsLoggerTest, ParsesLoggingSettings) {
  const LoggingSettings all = ParseLoggingSettings(Config("ALL", true));
  EXPECT_EQ(all.level, LogLevel::kAll);
  EXPECT_TRUE(all.include_execution_data);
  EXPECT_TRUE(all.enabled());
  EXPECT_EQ(all.log_group_name, "/aws/vendedlogs/states/demo");
  EXPECT_EQ(all.log_group_arn, kGroupArn);
  EXPECT_EQ(ParseLoggingSettings(Config("ERROR", false)).level, LogLevel::kError);
  EXPECT_EQ(ParseLoggingSettings(Config("FATAL", false)).level, LogLevel::kFatal);
  EXPECT_FALSE(ParseLoggingSettings(R"({"level":"OFF","includeExecutionData":false})").enabled());
  EXPECT_FALSE(ParseLoggingSettings(R"({"level":"ALL"})").enabled());  // no destination
  EXPECT_FALSE(ParseLoggingSettings("not json").enabled());
  EXPECT_EQ(LogGroupNameFromArn("arn:aws:logs:us-east-1:1:log-group:g:*"), "g");
  EXPECT_EQ(LogGroupNameFromArn("arn:aws:logs:us-east-1:1:log-group:g"), "g");
  EXPECT_EQ(LogGroupNameFromArn("arn:aws:s3:::bucket"), "");
}

TEST(LogsLoggerTest, LevelTable) {
  using runtime::EventType;
  using runtime::StateType;
  EXPECT_TRUE(LevelSelects(LogLevel::kError, EventType::kStateAborted, StateType::kTask));
  EXPECT_FALSE(LevelSelects(LogLevel::kError, EventType::kStateAborted, StateType::kPass));
  EXPECT_TRUE(LevelSelects(LogLevel::kError, EventType::kMapIterationFailed, StateType::kMap));
  EXPECT_FALSE(LevelSelects(LogLevel::kFatal, EventType::kTaskFailed, StateType::kTask));
  EXPECT_TRUE(LevelSelects(LogLevel::kFatal, EventType::kExecutionTimedOut, StateType::kPass));
  EXPECT_FALSE(LevelSelects(LogLevel::kError, EventType::kExecutionSucceeded, StateType::kPass));
  EXPECT_FALSE(LevelSelects(LogLevel::kOff, EventType::kExecutionFailed, StateType::kPass));
}

}  // namespace
}  // namespace stepd::logs
