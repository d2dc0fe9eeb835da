#pragma once
// LogsApi: the CloudWatch Logs API subset a local reader needs, over a LogStore — protocol
// awsJson1_1, X-Amz-Target "Logs_20140328.<Action>".
//
// Actions: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, CreateLogStream, DeleteLogStream,
// DescribeLogStreams, GetLogEvents, FilterLogEvents, PutLogEvents, PutRetentionPolicy,
// DeleteRetentionPolicy. Timestamps are epoch milliseconds as JSON integers.
//
// Tokens are opaque to clients but readable here:
//  - GetLogEvents: "f/<timestamp>/<sequence>" (events after that key) and "b/<timestamp>/
//    <sequence>" (events before it). A page that reaches the end returns the token it was given,
//    which is how the CLI and SDK paginators stop.
//  - FilterLogEvents: "<timestamp>/<sequence>" of the last event considered; absent when done.
//  - DescribeLogGroups / DescribeLogStreams: the last name returned.
//
// Thread-safe (all state is in the LogStore); Handle() may run on any worker.

#include <optional>
#include <string>
#include <string_view>

#include "service/api/request.h"
#include "service/logs/log_store.h"

namespace stepd::logs {

struct LogsApiConfig {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::string partition = "aws";
};

class LogsApi {
 public:
  explicit LogsApi(LogStore& store, LogsApiConfig config = {});

  // Handles `action` (the part of X-Amz-Target after "Logs_20140328.") and returns the response
  // body, or nullopt when the action is not one of ours (the server answers
  // UnknownOperationException).
  std::optional<service::ApiResult<std::string>> Handle(std::string_view action,
                                                        const service::RequestBody& body);

  // "arn:aws:logs:<region>:<account>:log-group:<name>:*" (with_star) or without the ":*".
  std::string GroupArn(std::string_view name, bool with_star) const;

 private:
  using Result = service::ApiResult<std::string>;
  Result CreateLogGroup(const service::RequestBody& body);
  Result DeleteLogGroup(const service::RequestBody& body);
  Result DescribeLogGroups(const service::RequestBody& body);
  Result CreateLogStream(const service::RequestBody& body);
  Result DeleteLogStream(const service::RequestBody& body);
  Result DescribeLogStreams(const service::RequestBody& body);
  Result GetLogEvents(const service::RequestBody& body);
  Result FilterLogEvents(const service::RequestBody& body);
  Result PutLogEvents(const service::RequestBody& body);
  Result PutRetentionPolicy(const service::RequestBody& body, bool remove);

  LogStore& store_;
  LogsApiConfig config_;
};

}  // namespace stepd::logs
