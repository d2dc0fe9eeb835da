#include "service/logs/logs_api.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"
#include "service/api/request.h"
#include "tests/service/parsed_json.h"

namespace stepd::logs {
namespace {

struct Response {
  bool ok = false;
  std::string body;  // when ok
  std::string code;  // when not
  std::string message;
};

Response Call(LogsApi& api, std::string_view action, std::string_view body) {
  service::RequestBody request;
  EXPECT_FALSE(request.Parse(body).has_value()) << body;
  auto result = api.Handle(action, request);
  Response out;
  if (!result) {
    out.code = "<unknown action>";
    return out;
  }
  if (result->has_value()) {
    out.ok = true;
    out.body = **result;
  } else {
    out.code = result->error().code;
    out.message = result->error().message;
  }
  return out;
}

struct Json : stepd::testing::ParsedJson {
  using ParsedJson::ParsedJson;
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    root.Find("events").ForEachElement(
        [&](Value e) { out.emplace_back(e.Find("message").AsString()); });
    return out;
  }
};

class LogsApiTest : public ::testing::Test {
 protected:
  void Put(std::string_view group, std::string_view stream,
           std::vector<std::pair<std::int64_t, std::string>> events) {
    std::vector<LogEventInput> inputs;
    for (const auto& [t, m] : events) {
      inputs.push_back({t, m});
    }
    store.AppendBatch(group, stream, inputs);
  }
  LogStore store;
  LogsApi api{store};
};

TEST_F(LogsApiTest, UnknownActionIsNotOurs) {
  EXPECT_EQ(Call(api, "StartQuery", "{}").code, "<unknown action>");
}

TEST_F(LogsApiTest, CreateDescribeAndDeleteLogGroups) {
  EXPECT_TRUE(Call(api, "CreateLogGroup", R"({"logGroupName":"/aws/b"})").ok);
  EXPECT_TRUE(Call(api, "CreateLogGroup", R"({"logGroupName":"/aws/a"})").ok);
  const Response again = Call(api, "CreateLogGroup", R"({"logGroupName":"/aws/a"})");
  EXPECT_EQ(again.code, "ResourceAlreadyExistsException");
  EXPECT_EQ(again.message, "The specified log group already exists");
  EXPECT_EQ(Call(api, "CreateLogGroup", R"({"logGroupName":"bad name"})").code,
            "InvalidParameterException");
  EXPECT_EQ(Call(api, "CreateLogGroup", "{}").code, "ValidationException");

  const Response all = Call(api, "DescribeLogGroups", "{}");
  ASSERT_TRUE(all.ok);
  const Json j(all.body);
  ASSERT_EQ(j["logGroups"].Size(), 2U);
  const Value first = j["logGroups"].At(0);
  EXPECT_EQ(first.Find("logGroupName").AsString(), "/aws/a");
  EXPECT_EQ(first.Find("arn").AsString(), "arn:aws:logs:us-east-1:123456789012:log-group:/aws/a:*");
  EXPECT_EQ(first.Find("logGroupArn").AsString(),
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/a");
  EXPECT_TRUE(first.Find("creationTime").IsInteger());
  EXPECT_EQ(first.Find("storedBytes").AsInt(), 0);
  EXPECT_TRUE(j["nextToken"].IsMissing());

  const Json page1(Call(api, "DescribeLogGroups", R"({"limit":1})").body);
  ASSERT_EQ(page1["logGroups"].Size(), 1U);
  ASSERT_TRUE(page1["nextToken"].IsString());
  const Json page2(Call(api, "DescribeLogGroups",
                        R"({"limit":1,"nextToken":")" + page1.Text("nextToken") + "\"}")
                       .body);
  ASSERT_EQ(page2["logGroups"].Size(), 1U);
  EXPECT_EQ(page2["logGroups"].At(0).Find("logGroupName").AsString(), "/aws/b");
  EXPECT_TRUE(page2["nextToken"].IsMissing());
  EXPECT_EQ(
      Json(Call(api, "DescribeLogGroups", R"({"logGroupNamePrefix":"/aws/b"})").body)["logGroups"]
          .Size(),
      1U);
  EXPECT_EQ(Call(api, "DescribeLogGroups", R"({"limit":51})").code, "ValidationException");

  EXPECT_TRUE(Call(api, "DeleteLogGroup", R"({"logGroupName":"/aws/a"})").ok);
  const Response gone = Call(api, "DeleteLogGroup", R"({"logGroupName":"/aws/a"})");
  EXPECT_EQ(gone.code, "ResourceNotFoundException");
  EXPECT_EQ(gone.message, "The specified log group does not exist.");
}

TEST_F(LogsApiTest, DescribeLogStreamsOrdersAndPages) {
  Put("g", "b", {{300, "x"}});
  Put("g", "a", {{100, "x"}, {200, "y"}});
  Put("g", "c", {{150, "x"}});
  const Json by_name(Call(api, "DescribeLogStreams", R"({"logGroupName":"g"})").body);
  ASSERT_EQ(by_name["logStreams"].Size(), 3U);
  const Value a = by_name["logStreams"].At(0);
  EXPECT_EQ(a.Find("logStreamName").AsString(), "a");
  EXPECT_EQ(a.Find("firstEventTimestamp").AsInt(), 100);
  EXPECT_EQ(a.Find("lastEventTimestamp").AsInt(), 200);
  EXPECT_EQ(a.Find("storedBytes").AsInt(), 54);
  EXPECT_EQ(a.Find("arn").AsString(),
            "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:a");
  const Json by_time(
      Call(api, "DescribeLogStreams",
           R"({"logGroupIdentifier":"arn:aws:logs:us-east-1:123456789012:log-group:g:*",
                              "orderBy":"LastEventTime","descending":true,"limit":2})")
          .body);
  ASSERT_EQ(by_time["logStreams"].Size(), 2U);
  EXPECT_EQ(by_time["logStreams"].At(0).Find("logStreamName").AsString(), "b");
  EXPECT_EQ(by_time["logStreams"].At(1).Find("logStreamName").AsString(), "a");
  ASSERT_TRUE(by_time["nextToken"].IsString());
  const Json rest(Call(api, "DescribeLogStreams",
                       R"({"logGroupName":"g","orderBy":"LastEventTime","descending":true,)"
                       R"("nextToken":")" +
                           by_time.Text("nextToken") + "\"}")
                      .body);
  ASSERT_EQ(rest["logStreams"].Size(), 1U);
  EXPECT_EQ(rest["logStreams"].At(0).Find("logStreamName").AsString(), "c");
  EXPECT_EQ(
      Json(Call(api, "DescribeLogStreams", R"({"logGroupName":"g","logStreamNamePrefix":"c"})")
               .body)["logStreams"]
          .Size(),
      1U);
  EXPECT_EQ(Call(api, "DescribeLogStreams",
                 R"({"logGroupName":"g","logStreamNamePrefix":"c","orderBy":"LastEventTime"})")
                .code,
            "InvalidParameterException");
  EXPECT_EQ(Call(api, "DescribeLogStreams", R"({"logGroupName":"none"})").code,
            "ResourceNotFoundException");
}

TEST_F(LogsApiTest, GetLogEventsPagesBothWaysAndStopsOnTheSameToken) {
  Put("g", "s", {{1, "m1"}, {2, "m2"}, {3, "m3"}, {4, "m4"}, {5, "m5"}});
  // Default: the newest page.
  const Json newest(
      Call(api, "GetLogEvents", R"({"logGroupName":"g","logStreamName":"s","limit":2})").body);
  EXPECT_EQ(newest.Messages(), (std::vector<std::string>{"m4", "m5"}));
  const Value e = newest["events"].At(0);
  EXPECT_EQ(e.Find("timestamp").AsInt(), 4);
  EXPECT_TRUE(e.Find("ingestionTime").IsInteger());
  EXPECT_TRUE(e.Find("logStreamName").IsMissing());
  // Forward from the newest page: nothing more, and the same token comes back.
  const std::string forward = newest.Text("nextForwardToken");
  EXPECT_TRUE(forward.starts_with("f/"));
  const Json end(Call(api, "GetLogEvents",
                      R"({"logGroupName":"g","logStreamName":"s","nextToken":")" + forward + "\"}")
                     .body);
  EXPECT_TRUE(end.Messages().empty());
  EXPECT_EQ(end.Text("nextForwardToken"), forward);
  // Backward pages.
  const Json back(Call(api, "GetLogEvents",
                       R"({"logGroupName":"g","logStreamName":"s","limit":2,"nextToken":")" +
                           newest.Text("nextBackwardToken") + "\"}")
                      .body);
  EXPECT_EQ(back.Messages(), (std::vector<std::string>{"m2", "m3"}));
  const Json back2(Call(api, "GetLogEvents",
                        R"({"logGroupName":"g","logStreamName":"s","limit":2,"nextToken":")" +
                            back.Text("nextBackwardToken") + "\"}")
                       .body);
  EXPECT_EQ(back2.Messages(), (std::vector<std::string>{"m1"}));
  const Json back3(Call(api, "GetLogEvents",
                        R"({"logGroupName":"g","logStreamName":"s","limit":2,"nextToken":")" +
                            back2.Text("nextBackwardToken") + "\"}")
                       .body);
  EXPECT_TRUE(back3.Messages().empty());
  EXPECT_EQ(back3.Text("nextBackwardToken"), back2.Text("nextBackwardToken"));
  // From the head, forward through everything, as the JS paginator does.
  std::vector<std::string> all;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    std::string body = R"({"logGroupName":"g","logStreamName":"s","limit":2,"startFromHead":true)";
    if (!token.empty()) {
      body += R"(,"nextToken":")" + token + "\"";
    }
    const Json j(Call(api, "GetLogEvents", body + "}").body);
    for (auto& m : j.Messages()) {
      all.push_back(m);
    }
    if (j.Text("nextForwardToken") == token) {
      break;
    }
    token = j.Text("nextForwardToken");
  }
  EXPECT_EQ(all, (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"}));
  // Time window.
  const Json window(Call(api, "GetLogEvents",
                         R"({"logGroupName":"g","logStreamName":"s","startTime":2,"endTime":4,)"
                         R"("startFromHead":true})")
                        .body);
  EXPECT_EQ(window.Messages(), (std::vector<std::string>{"m2", "m3"}));
  EXPECT_EQ(Call(api, "GetLogEvents", R"({"logGroupName":"g","logStreamName":"x"})").message,
            "The specified log stream does not exist.");
  EXPECT_EQ(Call(api, "GetLogEvents", R"({"logGroupName":"x","logStreamName":"s"})").message,
            "The specified log group does not exist.");
  EXPECT_EQ(
      Call(api, "GetLogEvents", R"({"logGroupName":"g","logStreamName":"s","nextToken":"zz"})")
          .code,
      "InvalidParameterException");
}

TEST_F(LogsApiTest, FilterLogEventsInterleavesFiltersAndPages) {
  Put("g", "states/M/a",
      {{10, R"({"type":"ExecutionStarted","execution_arn":"e1"})"},
       {30, R"({"type":"ExecutionSucceeded","execution_arn":"e1"})"}});
  Put("g", "states/M/b",
      {{20, R"({"type":"ExecutionStarted","execution_arn":"e2"})"},
       {40, R"({"type":"ExecutionFailed","execution_arn":"e2"})"}});
  Put("g", "other", {{25, "plain ExecutionStarted text"}});

  const Json all(Call(api, "FilterLogEvents", R"({"logGroupName":"g"})").body);
  ASSERT_EQ(all["events"].Size(), 5U);
  const Value first = all["events"].At(0);
  EXPECT_EQ(first.Find("logStreamName").AsString(), "states/M/a");
  EXPECT_EQ(first.Find("timestamp").AsInt(), 10);
  EXPECT_TRUE(first.Find("eventId").IsString());
  EXPECT_TRUE(first.Find("ingestionTime").IsInteger());
  EXPECT_EQ(all["events"].At(2).Find("logStreamName").AsString(), "other");
  EXPECT_TRUE(all["nextToken"].IsMissing());
  EXPECT_EQ(all["searchedLogStreams"].Size(), 3U);

  const Json phrase(
      Call(api, "FilterLogEvents", R"({"logGroupName":"g","filterPattern":"\"ExecutionStarted\""})")
          .body);
  EXPECT_EQ(phrase["events"].Size(), 3U);
  const Json by_arn(
      Call(
          api, "FilterLogEvents",
          R"({"logGroupName":"g","logStreamNamePrefix":"states/","filterPattern":"{ $.execution_arn = \"e2\" }"})")
          .body);
  EXPECT_EQ(by_arn.Messages(),
            (std::vector<std::string>{R"({"type":"ExecutionStarted","execution_arn":"e2"})",
                                      R"({"type":"ExecutionFailed","execution_arn":"e2"})"}));
  const Json named(
      Call(api, "FilterLogEvents", R"({"logGroupName":"g","logStreamNames":["other"]})").body);
  EXPECT_EQ(named.Messages(), (std::vector<std::string>{"plain ExecutionStarted text"}));
  // start/end time as `aws logs tail` sends them.
  const Json tail(
      Call(api, "FilterLogEvents", R"({"logGroupName":"g","startTime":25,"interleaved":true})")
          .body);
  EXPECT_EQ(tail["events"].Size(), 3U);
  const Json window(
      Call(api, "FilterLogEvents", R"({"logGroupName":"g","startTime":20,"endTime":30})").body);
  EXPECT_EQ(window["events"].Size(), 2U);

  // Pages of 2 walk all 5 events.
  std::size_t seen = 0;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    std::string body = R"({"logGroupName":"g","limit":2)";
    if (!token.empty()) {
      body += R"(,"nextToken":")" + token + "\"";
    }
    const Json j(Call(api, "FilterLogEvents", body + "}").body);
    seen += j["events"].Size();
    if (!j["nextToken"].IsString()) {
      break;
    }
    token = j.Text("nextToken");
  }
  EXPECT_EQ(seen, 5U);

  const Response bad =
      Call(api, "FilterLogEvents", R"({"logGroupName":"g","filterPattern":"{ $.x = "})");
  EXPECT_EQ(bad.code, "InvalidParameterException");
  EXPECT_EQ(bad.message, "Invalid filter pattern");
  EXPECT_EQ(Call(api, "FilterLogEvents", R"({"logGroupName":"none"})").code,
            "ResourceNotFoundException");
  EXPECT_EQ(Call(api, "FilterLogEvents",
                 R"({"logGroupName":"g","logStreamNames":["a"],"logStreamNamePrefix":"a"})")
                .code,
            "InvalidParameterException");
  EXPECT_EQ(Call(api, "FilterLogEvents", R"({"logGroupName":"g","logStreamNames":["nope"]})").code,
            "ResourceNotFoundException");
}

TEST_F(LogsApiTest, CreateStreamAndPutLogEvents) {
  EXPECT_EQ(Call(api, "CreateLogStream", R"({"logGroupName":"g","logStreamName":"s"})").code,
            "ResourceNotFoundException");
  ASSERT_TRUE(Call(api, "CreateLogGroup", R"({"logGroupName":"g"})").ok);
  ASSERT_TRUE(Call(api, "CreateLogStream", R"({"logGroupName":"g","logStreamName":"s"})").ok);
  EXPECT_EQ(Call(api, "CreateLogStream", R"({"logGroupName":"g","logStreamName":"s"})").message,
            "The specified log stream already exists");
  const std::int64_t now = NowMillis();
  const std::string t = std::to_string(now);
  const Response put = Call(api, "PutLogEvents",
                            R"({"logGroupName":"g","logStreamName":"s","logEvents":[)"
                            R"({"timestamp":)" +
                                t +
                                R"(,"message":"one"},)"
                                R"({"timestamp":)" +
                                t + R"(,"message":"two"}]})");
  ASSERT_TRUE(put.ok) << put.message;
  EXPECT_TRUE(Json(put.body)["nextSequenceToken"].IsString());
  EXPECT_TRUE(Json(put.body)["rejectedLogEventsInfo"].IsMissing());
  const Json got(
      Call(api, "GetLogEvents", R"({"logGroupName":"g","logStreamName":"s","startFromHead":true})")
          .body);
  EXPECT_EQ(got.Messages(), (std::vector<std::string>{"one", "two"}));

  const std::string old = std::to_string(now - 15LL * 24 * 3600 * 1000);
  const std::string future = std::to_string(now + 3LL * 3600 * 1000);
  const Response partly = Call(api, "PutLogEvents",
                               R"({"logGroupName":"g","logStreamName":"s","logEvents":[)"
                               R"({"timestamp":)" +
                                   t +
                                   R"(,"message":"ok"},)"
                                   R"({"timestamp":)" +
                                   future + R"(,"message":"late"}]})");
  ASSERT_TRUE(partly.ok) << partly.message;
  EXPECT_EQ(Json(partly.body)["rejectedLogEventsInfo"].Find("tooNewLogEventStartIndex").AsInt(), 1);
  EXPECT_EQ(Call(api, "PutLogEvents",
                 R"({"logGroupName":"g","logStreamName":"s","logEvents":[)"
                 R"({"timestamp":)" +
                     t + R"(,"message":"b"},{"timestamp":)" + old + R"(,"message":"a"}]})")
                .message,
            "Log events in a single PutLogEvents request must be in chronological order.");
  EXPECT_EQ(Call(api, "PutLogEvents",
                 R"({"logGroupName":"g","logStreamName":"nope","logEvents":[{"timestamp":)" + t +
                     R"(,"message":"x"}]})")
                .message,
            "The specified log stream does not exist.");
  EXPECT_EQ(
      Call(api, "PutLogEvents", R"({"logGroupName":"g","logStreamName":"s","logEvents":[]})").code,
      "ValidationException");
  EXPECT_TRUE(Call(api, "DeleteLogStream", R"({"logGroupName":"g","logStreamName":"s"})").ok);
  EXPECT_EQ(Call(api, "DeleteLogStream", R"({"logGroupName":"g","logStreamName":"s"})").code,
            "ResourceNotFoundException");
}

}  // namespace
}  // namespace stepd::logs
