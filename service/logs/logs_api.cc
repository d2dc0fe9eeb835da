#include "service/logs/logs_api.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <utility>
#include <vector>

#include "jsonpath/expected.h"
#include "jsonpath/writer.h"
#include "service/logs/filter_pattern.h"

namespace stepd::logs {

namespace {

using service::ApiError;
using service::RequestBody;

ApiError Error(std::string_view code, std::string message) {
  return ApiError{std::string(code), std::move(message), 400};
}
ApiError InvalidParameter(std::string message) {
  return Error("InvalidParameterException", std::move(message));
}
ApiError NoGroup() {
  return Error("ResourceNotFoundException", "The specified log group does not exist.");
}
ApiError NoStream() {
  return Error("ResourceNotFoundException", "The specified log stream does not exist.");
}
ApiError StatusError(StoreStatus status, bool stream) {
  switch (status) {
    case StoreStatus::kNoGroup:
      return NoGroup();
    case StoreStatus::kNoStream:
      return NoStream();
    case StoreStatus::kAlreadyExists:
      return Error("ResourceAlreadyExistsException",
                   stream ? "The specified log stream already exists"
                          : "The specified log group already exists");
    case StoreStatus::kOk:
      break;
  }
  return service::InternalFailure("unexpected store status");
}

void Key(std::string_view key, std::string& out) {
  out += '"';
  out += key;
  out += "\":";
}

void Int(std::string_view key, std::int64_t value, std::string& out) {
  Key(key, out);
  out += std::to_string(value);
  out += ',';
}

void Str(std::string_view key, std::string_view value, std::string& out) {
  Key(key, out);
  AppendJsonString(value, out);
  out += ',';
}

// Replaces a trailing comma by `close`, or appends `close`.
void Close(char close, std::string& out) {
  if (!out.empty() && out.back() == ',') {
    out.back() = close;
  } else {
    out += close;
  }
}

bool ValidGroupName(std::string_view name) {
  if (name.empty() || name.size() > 512) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == '/' || c == '#';
  });
}

bool ValidStreamName(std::string_view name) {
  return !name.empty() && name.size() <= 512 && name.find(':') == std::string_view::npos &&
         name.find('*') == std::string_view::npos;
}

// "<timestamp>/<sequence>" -> key.
std::optional<EventKey> ParseKey(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  EventKey key;
  auto [p1, e1] = std::from_chars(text.data(), text.data() + slash, key.timestamp_ms);
  auto [p2, e2] = std::from_chars(text.data() + slash + 1, text.data() + text.size(), key.sequence);
  if (e1 != std::errc() || p1 != text.data() + slash || e2 != std::errc() ||
      p2 != text.data() + text.size()) {
    return std::nullopt;
  }
  return key;
}

std::string FormatKey(const EventKey& key) {
  return std::to_string(key.timestamp_ms) + "/" + std::to_string(key.sequence);
}

ApiError InvalidToken() { return InvalidParameter("The specified nextToken is invalid."); }

// The group a request names: logGroupName, or logGroupIdentifier (a name or an ARN).
service::ApiResult<std::string_view> GroupName(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(auto name, body.String("logGroupName"));
  STEPD_ASSIGN_OR_RETURN(auto identifier, body.String("logGroupIdentifier"));
  if (name && identifier) {
    return Unexpected(
        InvalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters."));
  }
  if (identifier) {
    std::string_view id = *identifier;
    if (id.starts_with("arn:")) {
      const std::size_t at = id.find(":log-group:");
      if (at == std::string_view::npos) {
        return Unexpected(InvalidParameter("Invalid log group identifier: " + std::string(id)));
      }
      id.remove_prefix(at + std::string_view(":log-group:").size());
      if (id.ends_with(":*")) {
        id.remove_suffix(2);
      }
    }
    return id;
  }
  if (!name) {
    return Unexpected(
        InvalidParameter("Should provide either logGroupName or logGroupIdentifier."));
  }
  return *name;
}

service::ApiResult<std::int64_t> Limit(const RequestBody& body, std::int64_t max,
                                       std::int64_t fallback) {
  STEPD_ASSIGN_OR_RETURN(auto limit, body.Integer("limit"));
  if (!limit) {
    return fallback;
  }
  if (*limit < 1 || *limit > max) {
    return Unexpected(service::ConstraintViolation(
        std::to_string(*limit), "limit",
        *limit < 1 ? "Member must have value greater than or equal to 1"
                   : "Member must have value less than or equal to " + std::to_string(max)));
  }
  return *limit;
}

void AppendEvent(const LogEventView& e, std::string_view message, bool with_stream,
                 std::string& out) {
  out += '{';
  if (with_stream) {
    Str("logStreamName", *e.stream_name, out);
  }
  Int("timestamp", e.timestamp_ms, out);
  Str("message", message, out);
  Int("ingestionTime", e.ingestion_time_ms, out);
  if (with_stream) {
    Str("eventId", std::to_string(e.sequence), out);
  }
  Close('}', out);
}

}  // namespace

LogsApi::LogsApi(LogStore& store, LogsApiConfig config)
    : store_(store), config_(std::move(config)) {}

std::string LogsApi::GroupArn(std::string_view name, bool with_star) const {
  std::string arn = "arn:" + config_.partition + ":logs:" + config_.region + ":" + config_.account +
                    ":log-group:" + std::string(name);
  if (with_star) {
    arn += ":*";
  }
  return arn;
}

std::optional<service::ApiResult<std::string>> LogsApi::Handle(std::string_view action,
                                                               const RequestBody& body) {
  if (action == "GetLogEvents") {
    return GetLogEvents(body);
  }
  if (action == "FilterLogEvents") {
    return FilterLogEvents(body);
  }
  if (action == "DescribeLogGroups") {
    return DescribeLogGroups(body);
  }
  if (action == "DescribeLogStreams") {
    return DescribeLogStreams(body);
  }
  if (action == "PutLogEvents") {
    return PutLogEvents(body);
  }
  if (action == "CreateLogGroup") {
    return CreateLogGroup(body);
  }
  if (action == "DeleteLogGroup") {
    return DeleteLogGroup(body);
  }
  if (action == "CreateLogStream") {
    return CreateLogStream(body);
  }
  if (action == "DeleteLogStream") {
    return DeleteLogStream(body);
  }
  if (action == "PutRetentionPolicy") {
    return PutRetentionPolicy(body, false);
  }
  if (action == "DeleteRetentionPolicy") {
    return PutRetentionPolicy(body, true);
  }
  return std::nullopt;
}

LogsApi::Result LogsApi::CreateLogGroup(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view name, body.RequiredString("logGroupName"));
  if (!ValidGroupName(name)) {
    return Unexpected(InvalidParameter(
        "1 validation error detected: Value '" + std::string(name) +
        "' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [\\.\\-_/#A-Za-z0-9]+"));
  }
  const StoreStatus status = store_.CreateGroup(name);
  if (status != StoreStatus::kOk) {
    return Unexpected(StatusError(status, false));
  }
  return std::string("{}");
}

LogsApi::Result LogsApi::DeleteLogGroup(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view name, body.RequiredString("logGroupName"));
  const StoreStatus status = store_.DeleteGroup(name);
  if (status != StoreStatus::kOk) {
    return Unexpected(StatusError(status, false));
  }
  return std::string("{}");
}

LogsApi::Result LogsApi::PutRetentionPolicy(const RequestBody& body, bool remove) {
  STEPD_ASSIGN_OR_RETURN(std::string_view name, body.RequiredString("logGroupName"));
  std::optional<std::int32_t> days;
  if (!remove) {
    STEPD_ASSIGN_OR_RETURN(auto value, body.Integer("retentionInDays"));
    if (!value || *value < 1 || *value > 3653) {
      return Unexpected(InvalidParameter("Invalid retentionInDays"));
    }
    days = static_cast<std::int32_t>(*value);
  }
  const StoreStatus status = store_.SetRetention(name, days);
  if (status != StoreStatus::kOk) {
    return Unexpected(StatusError(status, false));
  }
  return std::string("{}");
}

LogsApi::Result LogsApi::DescribeLogGroups(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(auto prefix, body.String("logGroupNamePrefix"));
  STEPD_ASSIGN_OR_RETURN(auto pattern, body.String("logGroupNamePattern"));
  STEPD_ASSIGN_OR_RETURN(auto token, body.String("nextToken"));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t limit, Limit(body, 50, 50));
  if (prefix && pattern) {
    return Unexpected(InvalidParameter(
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."));
  }
  const std::vector<LogGroupInfo> groups =
      store_.ListGroups(prefix.value_or(""), pattern.value_or(""));
  auto it = groups.begin();
  if (token) {
    it = std::upper_bound(groups.begin(), groups.end(), *token,
                          [](std::string_view t, const LogGroupInfo& g) { return t < g.name; });
  }
  std::string out = R"({"logGroups":[)";
  std::int64_t count = 0;
  for (; it != groups.end() && count < limit; ++it, ++count) {
    out += '{';
    Str("logGroupName", it->name, out);
    Int("creationTime", it->creation_time_ms, out);
    if (it->retention_in_days) {
      Int("retentionInDays", *it->retention_in_days, out);
    }
    Int("metricFilterCount", 0, out);
    Str("arn", GroupArn(it->name, true), out);
    Int("storedBytes", static_cast<std::int64_t>(it->stored_bytes), out);
    Str("logGroupClass", "STANDARD", out);
    Str("logGroupArn", GroupArn(it->name, false), out);
    Close('}', out);
    out += ',';
  }
  Close(']', out);
  if (it != groups.end() && count > 0) {
    out += ",\"nextToken\":";
    AppendJsonString(std::prev(it)->name, out);
  }
  out += '}';
  return out;
}

LogsApi::Result LogsApi::CreateLogStream(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view group, body.RequiredString("logGroupName"));
  STEPD_ASSIGN_OR_RETURN(std::string_view stream, body.RequiredString("logStreamName"));
  if (!ValidStreamName(stream)) {
    return Unexpected(InvalidParameter("1 validation error detected: Value '" +
                                       std::string(stream) +
                                       "' at 'logStreamName' failed to satisfy constraint: Member "
                                       "must satisfy regular expression pattern: [^:*]*"));
  }
  const StoreStatus status = store_.CreateStream(group, stream);
  if (status != StoreStatus::kOk) {
    return Unexpected(StatusError(status, true));
  }
  return std::string("{}");
}

LogsApi::Result LogsApi::DeleteLogStream(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view group, body.RequiredString("logGroupName"));
  STEPD_ASSIGN_OR_RETURN(std::string_view stream, body.RequiredString("logStreamName"));
  const StoreStatus status = store_.DeleteStream(group, stream);
  if (status != StoreStatus::kOk) {
    return Unexpected(StatusError(status, true));
  }
  return std::string("{}");
}

LogsApi::Result LogsApi::DescribeLogStreams(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view group, GroupName(body));
  STEPD_ASSIGN_OR_RETURN(auto prefix, body.String("logStreamNamePrefix"));
  STEPD_ASSIGN_OR_RETURN(auto order_by, body.String("orderBy"));
  STEPD_ASSIGN_OR_RETURN(auto descending, body.Bool("descending"));
  STEPD_ASSIGN_OR_RETURN(auto token, body.String("nextToken"));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t limit, Limit(body, 50, 50));
  const bool by_time = order_by && *order_by == "LastEventTime";
  if (order_by && !by_time && *order_by != "LogStreamName") {
    return Unexpected(service::ConstraintViolation(
        *order_by, "orderBy",
        "Member must satisfy enum value set: [LogStreamName, LastEventTime]"));
  }
  if (by_time && prefix) {
    return Unexpected(
        InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix."));
  }
  auto streams = store_.ListStreams(group);
  if (!streams) {
    return Unexpected(NoGroup());
  }
  if (prefix) {
    std::erase_if(*streams, [&](const LogStreamInfo& s) { return !s.name.starts_with(*prefix); });
  }
  if (by_time) {
    std::stable_sort(
        streams->begin(), streams->end(), [](const LogStreamInfo& a, const LogStreamInfo& b) {
          return a.last_event_timestamp_ms.value_or(0) < b.last_event_timestamp_ms.value_or(0);
        });
  }
  if (descending.value_or(false)) {
    std::reverse(streams->begin(), streams->end());
  }
  // The token is the index of the next stream in this order.
  std::size_t begin = 0;
  if (token) {
    std::size_t index = 0;
    auto [ptr, ec] = std::from_chars(token->data(), token->data() + token->size(), index);
    if (ec != std::errc() || ptr != token->data() + token->size()) {
      return Unexpected(InvalidToken());
    }
    begin = std::min(index, streams->size());
  }
  const std::size_t end = std::min(streams->size(), begin + static_cast<std::size_t>(limit));
  std::string out = R"({"logStreams":[)";
  for (std::size_t i = begin; i < end; ++i) {
    const LogStreamInfo& s = (*streams)[i];
    out += '{';
    Str("logStreamName", s.name, out);
    Int("creationTime", s.creation_time_ms, out);
    if (s.first_event_timestamp_ms) {
      Int("firstEventTimestamp", *s.first_event_timestamp_ms, out);
      Int("lastEventTimestamp", *s.last_event_timestamp_ms, out);
    }
    if (s.last_ingestion_time_ms) {
      Int("lastIngestionTime", *s.last_ingestion_time_ms, out);
    }
    Str("arn", GroupArn(group, false) + ":log-stream:" + s.name, out);
    Int("storedBytes", static_cast<std::int64_t>(s.stored_bytes), out);
    Close('}', out);
    out += ',';
  }
  Close(']', out);
  if (end < streams->size()) {
    out += ",\"nextToken\":\"" + std::to_string(end) + "\"";
  }
  out += '}';
  return out;
}

LogsApi::Result LogsApi::GetLogEvents(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view group, GroupName(body));
  STEPD_ASSIGN_OR_RETURN(std::string_view stream, body.RequiredString("logStreamName"));
  STEPD_ASSIGN_OR_RETURN(auto start, body.Integer("startTime"));
  STEPD_ASSIGN_OR_RETURN(auto end, body.Integer("endTime"));
  STEPD_ASSIGN_OR_RETURN(auto from_head, body.Bool("startFromHead"));
  STEPD_ASSIGN_OR_RETURN(auto token, body.String("nextToken"));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t limit, Limit(body, 10000, 10000));

  LogStore::StreamQuery query;
  query.start_ms = start.value_or(INT64_MIN);
  query.end_ms = end.value_or(INT64_MAX);
  query.limit = static_cast<std::size_t>(limit);
  query.from_head = from_head.value_or(false);
  bool forward_token = false;
  bool backward_token = false;
  std::optional<EventKey> token_key;
  if (token) {
    const std::string_view t = *token;
    forward_token = t.starts_with("f/");
    backward_token = t.starts_with("b/");
    token_key = (forward_token || backward_token) ? ParseKey(t.substr(2)) : std::nullopt;
    if (!token_key) {
      return Unexpected(InvalidToken());
    }
    if (forward_token) {
      query.after = token_key;
      query.from_head = true;
    } else {
      query.before = token_key;
      query.from_head = false;
    }
  }
  LogEventRange range;
  const StoreStatus status = store_.ReadStream(group, stream, query, range);
  if (status != StoreStatus::kOk) {
    return Unexpected(StatusError(status, true));
  }
  std::string out = R"({"events":[)";
  std::string scratch;
  for (const LogEventView& e : range.events) {
    AppendEvent(e, e.message(scratch), false, out);
    out += ',';
  }
  Close(']', out);
  // Forward: after the last event shown; backward: before the first one. An empty page keeps
  // the position it was asked about, so the same token comes back at either end.
  EventKey forward{0, 0};
  EventKey backward{0, 0};
  if (!range.events.empty()) {
    forward = {range.events.back().timestamp_ms, range.events.back().sequence};
    backward = {range.events.front().timestamp_ms, range.events.front().sequence};
  } else if (forward_token) {
    forward = *token_key;
    backward = {token_key->timestamp_ms, token_key->sequence + 1};
  } else if (backward_token) {
    backward = *token_key;
    forward = {token_key->timestamp_ms, token_key->sequence == 0 ? 0 : token_key->sequence - 1};
  } else if (start) {
    forward = {*start, 0};
    backward = {*start, 0};
  }
  out += ",\"nextForwardToken\":\"f/" + FormatKey(forward) + "\"";
  out += ",\"nextBackwardToken\":\"b/" + FormatKey(backward) + "\"}";
  return out;
}

LogsApi::Result LogsApi::FilterLogEvents(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view group, GroupName(body));
  STEPD_ASSIGN_OR_RETURN(auto prefix, body.String("logStreamNamePrefix"));
  STEPD_ASSIGN_OR_RETURN(auto start, body.Integer("startTime"));
  STEPD_ASSIGN_OR_RETURN(auto end, body.Integer("endTime"));
  STEPD_ASSIGN_OR_RETURN(auto pattern_text, body.String("filterPattern"));
  STEPD_ASSIGN_OR_RETURN(auto token, body.String("nextToken"));
  STEPD_ASSIGN_OR_RETURN(const std::int64_t limit, Limit(body, 10000, 10000));
  std::vector<std::string_view> names;
  const Value names_value = body.Get("logStreamNames");
  const bool has_names = !names_value.IsMissing() && !names_value.IsNull();
  if (has_names) {
    if (!names_value.IsArray()) {
      return Unexpected(service::SerializationException(
          "Unexpected value for member 'logStreamNames': expected an array"));
    }
    bool all_strings = true;
    names_value.ForEachElement([&](Value v) {
      all_strings &= v.IsString();
      if (v.IsString()) {
        names.push_back(v.AsString());
      }
    });
    if (!all_strings) {
      return Unexpected(service::SerializationException(
          "Unexpected value for member 'logStreamNames': expected an array of strings"));
    }
    if (names.empty() || names.size() > 100) {
      return Unexpected(InvalidParameter("logStreamNames must hold 1 to 100 names."));
    }
  }
  if (has_names && prefix) {
    return Unexpected(InvalidParameter(
        "logStreamNames and logStreamNamePrefix are mutually exclusive parameters."));
  }
  std::optional<FilterPattern> pattern = FilterPattern::Compile(pattern_text.value_or(""));
  if (!pattern) {
    return Unexpected(InvalidParameter("Invalid filter pattern"));
  }
  std::optional<EventKey> after;
  if (token) {
    after = ParseKey(*token);
    if (!after) {
      return Unexpected(InvalidToken());
    }
  }
  auto select = [&](std::string_view name) {
    if (has_names) {
      return std::find(names.begin(), names.end(), name) != names.end();
    }
    return !prefix || name.starts_with(*prefix);
  };
  // Candidates are taken in pages of at least 10,000 so that a selective pattern still makes
  // progress; a page that ends before `limit` matches returns a token to continue from.
  const std::size_t scan_limit = std::max<std::size_t>(static_cast<std::size_t>(limit), 10000);
  LogEventRange range;
  if (!store_.ReadGroup(group, select, start.value_or(INT64_MIN), end.value_or(INT64_MAX), after,
                        scan_limit, range)) {
    return Unexpected(NoGroup());
  }
  if (has_names) {
    // Every named stream must exist.
    for (const std::string_view name : names) {
      const bool found = std::any_of(range.stream_names.begin(), range.stream_names.end(),
                                     [&](const auto& s) { return *s == name; });
      if (!found) {
        return Unexpected(NoStream());
      }
    }
  }
  std::string out = R"({"events":[)";
  std::size_t matched = 0;
  std::optional<EventKey> next;
  std::string scratch;
  for (std::size_t i = 0; i < range.events.size(); ++i) {
    const LogEventView& e = range.events[i];
    const std::string_view message = e.message(scratch);
    if (!pattern->Matches(message)) {
      continue;
    }
    AppendEvent(e, message, true, out);
    out += ',';
    if (++matched == static_cast<std::size_t>(limit)) {
      if (i + 1 < range.events.size() || range.truncated) {
        next = EventKey{e.timestamp_ms, e.sequence};
      }
      break;
    }
  }
  if (!next && range.truncated && matched < static_cast<std::size_t>(limit)) {
    next = EventKey{range.events.back().timestamp_ms, range.events.back().sequence};
  }
  Close(']', out);
  out += ",\"searchedLogStreams\":[";
  for (const auto& name : range.stream_names) {
    out += "{\"logStreamName\":";
    AppendJsonString(*name, out);
    out += ",\"searchedCompletely\":";
    out += next ? "false}," : "true},";
  }
  Close(']', out);
  if (next) {
    out += ",\"nextToken\":\"" + FormatKey(*next) + "\"";
  }
  out += '}';
  return out;
}

LogsApi::Result LogsApi::PutLogEvents(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(std::string_view group, body.RequiredString("logGroupName"));
  STEPD_ASSIGN_OR_RETURN(std::string_view stream, body.RequiredString("logStreamName"));
  const Value events = body.Get("logEvents");
  if (events.IsMissing() || events.IsNull()) {
    return Unexpected(service::ValidationException(
        "1 validation error detected: Value null at 'logEvents' failed to satisfy constraint: "
        "Member must not be null"));
  }
  if (!events.IsArray()) {
    return Unexpected(service::SerializationException(
        "Unexpected value for member 'logEvents': expected an array"));
  }
  std::vector<LogEventInput> inputs;
  inputs.reserve(events.Size());
  bool well_formed = true;
  std::size_t batch_bytes = 0;
  events.ForEachElement([&](Value e) {
    const Value timestamp = e.Find("timestamp");
    const Value message = e.Find("message");
    if (!timestamp.IsInteger() || !message.IsString()) {
      well_formed = false;
      return;
    }
    inputs.push_back({timestamp.AsInt(), message.AsString()});
    batch_bytes += message.AsString().size() + 26;
  });
  if (!well_formed) {
    return Unexpected(service::SerializationException(
        "Each member of logEvents must have an integer timestamp and a string message"));
  }
  if (inputs.empty() || inputs.size() > 10000) {
    return Unexpected(service::ValidationException(
        "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member "
        "must have length between 1 and 10000"));
  }
  if (batch_bytes > 1'048'576) {
    return Unexpected(InvalidParameter("Upload too large: " + std::to_string(batch_bytes) +
                                       " bytes exceeds limit of 1048576"));
  }
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i].timestamp_ms < inputs[i - 1].timestamp_ms) {
      return Unexpected(InvalidParameter(
          "Log events in a single PutLogEvents request must be in chronological order."));
    }
  }
  constexpr std::int64_t kHour = 3'600'000;
  if (inputs.back().timestamp_ms - inputs.front().timestamp_ms > 24 * kHour) {
    return Unexpected(InvalidParameter(
        "The batch of log events in a single PutLogEvents request cannot span more than 24 "
        "hours."));
  }
  if (!store_.HasGroup(group)) {
    return Unexpected(NoGroup());
  }
  {
    auto streams = store_.ListStreams(group);
    if (!streams || std::none_of(streams->begin(), streams->end(),
                                 [&](const LogStreamInfo& s) { return s.name == stream; })) {
      return Unexpected(NoStream());
    }
  }
  // Too old (> 14 days) at the front, too new (> 2 hours ahead) at the back: rejected, the rest
  // stored.
  const std::int64_t now = NowMillis();
  std::size_t first = 0;
  while (first < inputs.size() && inputs[first].timestamp_ms < now - 14 * 24 * kHour) {
    ++first;
  }
  std::size_t last = inputs.size();
  while (last > first && inputs[last - 1].timestamp_ms > now + 2 * kHour) {
    --last;
  }
  store_.AppendBatch(group, stream,
                     std::span<const LogEventInput>(inputs.data() + first, last - first));
  std::string out = "{\"nextSequenceToken\":\"" + std::to_string(store_.written()) + "\"";
  if (first > 0 || last < inputs.size()) {
    out += ",\"rejectedLogEventsInfo\":{";
    if (last < inputs.size()) {
      Int("tooNewLogEventStartIndex", static_cast<std::int64_t>(last), out);
    }
    if (first > 0) {
      Int("tooOldLogEventEndIndex", static_cast<std::int64_t>(first - 1), out);
    }
    Close('}', out);
  }
  out += '}';
  return out;
}

}  // namespace stepd::logs
