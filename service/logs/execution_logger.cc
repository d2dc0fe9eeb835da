#include "service/logs/execution_logger.h"

#include <cstddef>
#include <string>

#include "jsonpath/writer.h"

namespace stepd::logs {

namespace {

using runtime::EventType;
using runtime::StateType;

// AWS cuts a payload's JSON text at 248 KiB and says so in *Details.
constexpr std::size_t kMaxPayloadBytes = 248 * 1024;
// Spans address the batch's text with 32 bits; payloads of an execution whose log has grown past
// this are left empty (and flagged as cut) rather than overflow them.
constexpr std::size_t kMaxBatchTextBytes = std::size_t{1} << 30;

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
    case EventType::kMapRunFailed:
    case EventType::kMapIterationFailed:
    case EventType::kMapIterationAborted:
      return true;
    default:
      return false;
  }
}

ExecutionLogger::ExecutionLogger(std::uint32_t stream_id)
    : stream_id_(stream_id),
      batch_(std::make_shared<ExecutionLogBatch>(ExecutionLogBatch::Capacity{})) {}

void ExecutionLogger::Reset(const LoggingSettings& settings, std::string_view state_machine_name,
                            std::string_view execution_arn, std::string_view role_arn) {
  level_ = settings.level;
  include_data_ = settings.include_execution_data;
  group_.assign(settings.log_group_name);
  if (machine_ != state_machine_name) {
    machine_.assign(state_machine_name);
    stream_minute_ = -1;
  }
  batch_->Start(execution_arn, role_arn);
  accounted_bytes_ = 0;
  payload_memo_.Clear();
  last_payload_ = Value::Missing();
  last_name_ = {};
}

std::string ExecutionLogger::buffered_message(std::size_t i) const {
  std::string message;
  batch_->Message(i, message);
  return message;
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
  stream_name_ += std::to_string(year);
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

namespace {

// The payload an event of this type carries, if any.
Value PayloadOf(const runtime::Event& e) {
  switch (e.type) {
    case EventType::kExecutionStarted:
    case EventType::kStateEntered:
      return e.input;
    case EventType::kExecutionSucceeded:
    case EventType::kStateExited:
    case EventType::kTaskSucceeded:
    case EventType::kLambdaFunctionSucceeded:
      return e.output;
    case EventType::kTaskScheduled:
    case EventType::kLambdaFunctionScheduled:
      return e.parameters;
    default:
      return Value::Missing();
  }
}

}  // namespace

void ExecutionLogger::OnEvent(const runtime::Event& event) {
  const std::int64_t timestamp_ms = event.timestamp_nanos / 1'000'000;
  if (event.type == EventType::kExecutionStarted) {
    UpdateStreamName(timestamp_ms);
  }
  if (!LevelSelects(level_, event.type, event.state_type)) {
    return;
  }
  ExecutionLogBatch::Record record;
  record.timestamp_ms = timestamp_ms;
  record.id = event.id;
  record.previous_id = event.previous_id;
  record.number = event.type == EventType::kMapStateStarted ? event.length : event.index;
  record.type = event.type;
  record.state_type = event.state_type;
  record.name = CopyName(event.state_name);
  if (!event.resource.empty()) {
    record.resource = batch_->Copy(event.resource);
  }
  record.has_error = event.has_error;
  record.has_cause = event.has_cause;
  if (event.has_error) {
    record.error = batch_->Copy(event.error);
  }
  if (event.has_cause) {
    record.cause = batch_->Copy(event.cause);
  }
  if (include_data_) {
    RecordPayload(PayloadOf(event), record);
  }
  const std::size_t bytes = batch_->text().size() + batch_->spans().size() * sizeof(TextSpan);
  record.stored_bytes = static_cast<std::uint32_t>(sizeof(record) + bytes - accounted_bytes_);
  accounted_bytes_ = bytes;
  batch_->Add(record);
}

// State names come from the compiled machine, so the same name has the same address.
TextSpan ExecutionLogger::CopyName(std::string_view name) {
  if (name.data() != last_name_.data() || name.size() != last_name_.size()) {
    last_name_ = name;
    last_name_span_ = batch_->Copy(name);
  }
  return last_name_span_;
}

// The payload's JSON text, cut at AWS's limit. A run of events carrying the same payload shares
// its spans, and a payload shares the containers earlier ones wrote.
void ExecutionLogger::RecordPayload(Value value, ExecutionLogBatch::Record& record) {
  if (value.IsMissing()) {
    return;
  }
  record.has_payload = true;
  if (!last_payload_.IsMissing() && SameHandle(value, last_payload_)) {
    record.payload_begin = last_payload_begin_;
    record.payload_end = last_payload_end_;
    record.payload_truncated = last_payload_truncated_;
    return;
  }
  std::string& text = batch_->text();
  std::vector<TextSpan>& spans = batch_->spans();
  const auto begin = static_cast<std::uint32_t>(spans.size());
  if (text.size() > kMaxBatchTextBytes) {
    record.payload_truncated = true;  // an execution's log this large: payloads stay empty
  } else {
    AppendJsonSpans(value, text, payload_memo_, spans);
    std::size_t length = 0;
    for (std::size_t i = begin; i < spans.size(); ++i) {
      length += spans[i].length;
    }
    if (length > kMaxPayloadBytes) {
      std::string cut = batch_->Joined(begin, static_cast<std::uint32_t>(spans.size()));
      std::size_t end = kMaxPayloadBytes;
      while (end > 0 && (static_cast<unsigned char>(cut[end]) & 0xC0u) == 0x80u) {
        --end;  // keep the text valid UTF-8
      }
      cut.resize(end);
      spans.resize(begin);
      spans.push_back(batch_->Copy(cut));
      record.payload_truncated = true;
    }
  }
  record.payload_begin = begin;
  record.payload_end = static_cast<std::uint32_t>(spans.size());
  last_payload_ = value;
  last_payload_begin_ = record.payload_begin;
  last_payload_end_ = record.payload_end;
  last_payload_truncated_ = record.payload_truncated;
}

std::size_t ExecutionLogger::Flush(LogStore& store) {
  const std::size_t n = batch_->size();
  if (n == 0) {
    return 0;
  }
  if (stream_name_.empty()) {
    UpdateStreamName(batch_->timestamp_ms(0));
  }
  const ExecutionLogBatch::Capacity used = batch_->used();
  store.AppendBatch(group_, stream_name_, std::move(batch_));  // the store keeps it
  batch_ = std::make_shared<ExecutionLogBatch>(used);
  return n;
}

}  // namespace stepd::logs
