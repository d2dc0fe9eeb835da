#include "service/logs/execution_logger.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <cstring>

#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd::logs {

namespace {

using runtime::EventType;
using runtime::StateType;

// AWS cuts a payload's JSON text at 248 KiB and says so in *Details.
constexpr std::size_t kMaxPayloadBytes = 248 * 1024;

void AppendInt(std::int64_t value, std::string& out) {
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, static_cast<std::size_t>(end - buffer));
}

void AppendQuotedInt(std::int64_t value, std::string& out) {
  out += '"';
  AppendInt(value, out);
  out += '"';
}

// Splits "arn:<partition>:<service>:<region>:<account>:<rest>" into its six fields.
std::array<std::string_view, 6> ArnFields(std::string_view arn) {
  std::array<std::string_view, 6> fields{};
  for (std::size_t i = 0; i < 5; ++i) {
    const std::size_t colon = arn.find(':');
    if (colon == std::string_view::npos) {
      return {};
    }
    fields[i] = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  fields[5] = arn;
  return fields;
}

// Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm).
void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

void AppendTwoDigits(unsigned value, std::string& out) {
  out += static_cast<char>('0' + value / 10 % 10);
  out += static_cast<char>('0' + value % 10);
}

}  // namespace

bool LevelSelects(LogLevel level, EventType type, StateType state_type) {
  switch (level) {
    case LogLevel::kOff:
      return false;
    case LogLevel::kAll:
      return true;
    case LogLevel::kFatal:
    case LogLevel::kError:
      break;
  }
  const bool fatal = type == EventType::kExecutionFailed || type == EventType::kExecutionAborted ||
                     type == EventType::kExecutionTimedOut;
  if (fatal || level == LogLevel::kFatal) {
    return fatal;
  }
  switch (type) {
    case EventType::kStateEntered:
      return state_type == StateType::kFail;
    case EventType::kStateAborted:
      return state_type == StateType::kTask || state_type == StateType::kWait ||
             state_type == StateType::kParallel || state_type == StateType::kMap;
    case EventType::kTaskFailed:
    case EventType::kTaskTimedOut:
    case EventType::kLambdaFunctionFailed:
    case EventType::kLambdaFunctionTimedOut:
    case EventType::kParallelStateFailed:
    case EventType::kMapStateFailed:
    case EventType::kMapIterationFailed:
    case EventType::kMapIterationAborted:
      return true;
    default:
      return false;
  }
}

ExecutionLogger::ExecutionLogger(std::uint32_t stream_id) : stream_id_(stream_id) {}

void ExecutionLogger::Reset(const LoggingSettings& settings, std::string_view state_machine_name,
                            std::string_view execution_arn, std::string_view role_arn) {
  level_ = settings.level;
  include_data_ = settings.include_execution_data;
  group_.assign(settings.log_group_name);
  if (machine_ != state_machine_name) {
    machine_.assign(state_machine_name);
    stream_minute_ = -1;
  }
  // Written into every event: quoted once here.
  quoted_execution_arn_.clear();
  AppendJsonString(execution_arn, quoted_execution_arn_);
  quoted_role_arn_.clear();
  AppendJsonString(role_arn, quoted_role_arn_);
  quoted_region_.clear();
  AppendJsonString(ArnFields(execution_arn)[3], quoted_region_);
  text_.clear();
  events_.clear();
  payload_memo_.Clear();
}

std::string_view ExecutionLogger::buffered_message(std::size_t i) const {
  return std::string_view(text_).substr(events_[i].offset, events_[i].length);
}

void ExecutionLogger::UpdateStreamName(std::int64_t timestamp_ms) {
  const std::int64_t minute =
      (timestamp_ms >= 0 ? timestamp_ms : timestamp_ms - 59'999) / 60'000;  // floor
  if (minute == stream_minute_ && !stream_name_.empty()) {
    return;
  }
  stream_minute_ = minute;
  const std::int64_t day = (minute >= 0 ? minute : minute - 1439) / 1440;
  const auto minute_of_day = static_cast<unsigned>(minute - day * 1440);
  std::int64_t year = 0;
  unsigned month = 0;
  unsigned dom = 0;
  CivilFromDays(day, year, month, dom);
  stream_name_.assign("states/");
  stream_name_ += machine_;
  stream_name_ += '/';
  AppendInt(year, stream_name_);
  stream_name_ += '-';
  AppendTwoDigits(month, stream_name_);
  stream_name_ += '-';
  AppendTwoDigits(dom, stream_name_);
  stream_name_ += '-';
  AppendTwoDigits(minute_of_day / 60, stream_name_);
  stream_name_ += '-';
  AppendTwoDigits(minute_of_day % 60, stream_name_);
  stream_name_ += '/';
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 28; shift >= 0; shift -= 4) {
    stream_name_ += kHex[(stream_id_ >> shift) & 0xFu];
  }
}

void ExecutionLogger::OnEvent(const runtime::Event& event) {
  const std::int64_t timestamp_ms = event.timestamp_nanos / 1'000'000;
  if (event.type == EventType::kExecutionStarted) {
    UpdateStreamName(timestamp_ms);
  }
  if (!LevelSelects(level_, event.type, event.state_type)) {
    return;
  }
  const std::size_t begin = text_.size();
  AppendEventJson(event);
  events_.push_back(PackedEvent{timestamp_ms, static_cast<std::uint32_t>(begin),
                                static_cast<std::uint32_t>(text_.size() - begin)});
}

// Rewrites the payload just appended at `begin` from its JSON text cut at AWS's limit, when
// that text is over it. Returns whether it was cut.
bool ExecutionLogger::AppendTruncated(Value value, std::size_t begin) {
  scratch_.clear();
  AppendJson(value, scratch_);
  if (scratch_.size() <= kMaxPayloadBytes) {
    return false;
  }
  std::size_t cut = kMaxPayloadBytes;
  while (cut > 0 && (static_cast<unsigned char>(scratch_[cut]) & 0xC0u) == 0x80u) {
    --cut;  // keep the text valid UTF-8
  }
  scratch_.resize(cut);
  text_.resize(begin);
  payload_memo_.Clear();  // it may point past the new end
  AppendJsonString(scratch_, text_);
  return true;
}

// "input":"<json text>","inputDetails":{"truncated":false} — or nothing without execution data.
// Leaves a trailing comma; the caller's closing code removes it.
void ExecutionLogger::AppendPayload(std::string_view key, std::string_view details_key,
                                    Value value) {
  if (!include_data_ || value.IsMissing()) {
    return;
  }
  text_ += '"';
  text_ += key;
  text_ += "\":";
  // A payload an earlier event carried (most are: a state's output is the next one's input) is
  // copied by the memo, whole or member by member.
  const std::size_t begin = text_.size();
  AppendJsonAsString(value, text_, payload_memo_);
  // Escaping only lengthens text, so a short escaped payload is short unescaped too.
  const bool truncated = text_.size() - begin > kMaxPayloadBytes && AppendTruncated(value, begin);
  text_ += ',';
  if (details_key.empty()) {
    return;  // TaskScheduled's parameters come without details
  }
  text_ += '"';
  text_ += details_key;
  text_ += truncated ? "\":{\"truncated\":true}," : "\":{\"truncated\":false},";
}

// Service integrations ("arn:aws:states:::lambda:invoke") are logged as resourceType "lambda",
// resource "invoke"; SDK integrations as "aws-sdk:s3" / "getObject".
void ExecutionLogger::AppendResource(std::string_view resource, bool with_region) {
  std::string_view type;
  std::string_view name = resource;
  const auto fields = ArnFields(resource);
  if (fields[0] == "arn" && fields[2] == "states" && fields[3].empty() && fields[4].empty()) {
    std::string_view rest = fields[5];
    std::size_t colon = rest.find(':');
    if (rest.starts_with("aws-sdk:") && colon != std::string_view::npos) {
      colon = rest.find(':', colon + 1);
    }
    if (colon != std::string_view::npos) {
      type = rest.substr(0, colon);
      name = rest.substr(colon + 1);
    }
  } else if (fields[0] == "arn") {
    type = fields[2];
  }
  text_ += "\"resourceType\":";
  AppendJsonString(type, text_);
  text_ += ",\"resource\":";
  AppendJsonString(name, text_);
  text_ += ',';
  if (with_region) {
    text_ += "\"region\":";
    text_ += quoted_region_;
    text_ += ',';
  }
}

void ExecutionLogger::AppendEventJson(const runtime::Event& e) {
  text_ += "{\"id\":";
  AppendQuotedInt(e.id, text_);
  text_ += ",\"type\":\"";
  text_ += runtime::EventTypeName(e.type, e.state_type);
  text_ += "\",\"details\":{";
  const std::size_t details_begin = text_.size();
  auto name = [&] {
    text_ += "\"name\":";
    AppendJsonString(e.state_name, text_);
    text_ += ',';
  };
  auto error_cause = [&] {
    if (e.has_error) {
      text_ += "\"error\":";
      AppendJsonString(e.error, text_);
      text_ += ',';
    }
    if (e.has_cause) {
      text_ += "\"cause\":";
      AppendJsonString(e.cause, text_);
      text_ += ',';
    }
  };
  switch (e.type) {
    case EventType::kExecutionStarted:
      AppendPayload("input", "inputDetails", e.input);
      text_ += "\"roleArn\":";
      text_ += quoted_role_arn_;
      text_ += ',';
      break;
    case EventType::kExecutionSucceeded:
      AppendPayload("output", "outputDetails", e.output);
      break;
    case EventType::kExecutionFailed:
    case EventType::kExecutionTimedOut:
    case EventType::kExecutionAborted:
    case EventType::kLambdaFunctionFailed:
    case EventType::kLambdaFunctionTimedOut:
      error_cause();
      break;
    case EventType::kStateEntered:
      name();
      AppendPayload("input", "inputDetails", e.input);
      break;
    case EventType::kStateExited:
      name();
      AppendPayload("output", "outputDetails", e.output);
      break;
    case EventType::kStateAborted:
    case EventType::kLambdaFunctionStarted:
    case EventType::kParallelStateStarted:
    case EventType::kParallelStateFailed:
    case EventType::kMapStateSucceeded:
    case EventType::kMapStateFailed:
      break;
    case EventType::kTaskScheduled:
      AppendResource(e.resource, /*with_region=*/true);
      AppendPayload("parameters", {}, e.parameters);
      break;
    case EventType::kTaskStarted:
      AppendResource(e.resource, /*with_region=*/false);
      break;
    case EventType::kTaskSucceeded:
      AppendResource(e.resource, /*with_region=*/false);
      AppendPayload("output", "outputDetails", e.output);
      break;
    case EventType::kTaskFailed:
    case EventType::kTaskTimedOut:
      AppendResource(e.resource, /*with_region=*/false);
      error_cause();
      break;
    case EventType::kLambdaFunctionScheduled:
      text_ += "\"resource\":";
      AppendJsonString(e.resource, text_);
      text_ += ',';
      AppendPayload("input", "inputDetails", e.parameters);
      break;
    case EventType::kLambdaFunctionSucceeded:
      AppendPayload("output", "outputDetails", e.output);
      break;
    case EventType::kMapStateStarted:
      text_ += "\"length\":";
      AppendInt(e.length, text_);
      text_ += ',';
      break;
    case EventType::kMapIterationStarted:
    case EventType::kMapIterationSucceeded:
    case EventType::kMapIterationFailed:
    case EventType::kMapIterationAborted:
      name();
      text_ += "\"index\":";
      AppendInt(e.index, text_);
      text_ += ',';
      break;
  }
  if (text_.size() > details_begin) {
    text_.back() = '}';  // the trailing comma
  } else {
    text_ += '}';
  }
  text_ += ",\"previous_event_id\":";
  AppendQuotedInt(e.previous_id, text_);
  text_ += ",\"event_timestamp\":";
  AppendQuotedInt(e.timestamp_nanos / 1'000'000, text_);
  text_ += ",\"execution_arn\":";
  text_ += quoted_execution_arn_;
  text_ += ",\"redrive_count\":\"0\"}";
}

std::size_t ExecutionLogger::Flush(LogStore& store) {
  if (events_.empty()) {
    return 0;
  }
  if (stream_name_.empty()) {
    UpdateStreamName(events_.front().timestamp_ms);
  }
  // The store keeps the text itself; the next execution's text starts at this one's size.
  const std::size_t capacity = text_.capacity();
  const std::size_t n = store.AppendBatch(group_, stream_name_, std::move(text_), events_);
  text_ = std::string();
  text_.reserve(capacity);
  events_.clear();
  payload_memo_.Clear();
  return n;
}

}  // namespace stepd::logs
