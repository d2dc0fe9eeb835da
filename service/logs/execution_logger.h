#pragma once
// ExecutionLogger: an EventSink that writes an execution's history events as the CloudWatch
// Logs records AWS writes for Express executions, and hands them to a LogStore in one batch.
//
// Usage (one logger per execution slot, reused):
//
//   const LoggingSettings settings = ParseLoggingSettings(record.logging_configuration);  // once
//                                                                         // per machine record
//   if (settings.enabled()) {                 // level OFF: attach no sink at all
//     logger.Reset(settings, info.state_machine_name, info.execution_arn, info.role_arn);
//     Execution execution(machine, info, arena, &logger);  ... run ...
//     logger.Flush(store);                    // one LogStore call per execution
//   }
//
// Each event becomes one JSON message (§4.3 of the reference), e.g.
//   {"id":"1","type":"ExecutionStarted","details":{"input":"{}","inputDetails":{"truncated":false},
//    "roleArn":"arn:aws:iam::123456789012:role/r"},"previous_event_id":"0",
//    "event_timestamp":"1700000000000","execution_arn":"arn:...","redrive_count":"0"}
// with the event's timestamp as the CloudWatch event timestamp. Events the level does not
// select cost one table lookup.
//
// Stream naming: states/<machine name>/<YYYY-MM-DD-HH-MM of the execution start, UTC>/<8 hex>,
// where the 8 hex digits are the logger's `stream_id` (give each worker/slot its own). So each
// logger writes one stream per machine per minute, and one stream holds many executions, as
// on AWS.
//
// Buffers (message text, event offsets, scratch) are kept across Reset() calls: once warm, an
// execution allocates nothing here except what the LogStore copies. Not thread-safe: a logger
// belongs to one execution at a time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/writer.h"
#include "runtime/events.h"
#include "service/api/logging_settings.h"
#include "service/logs/log_store.h"

namespace stepd::logs {

using service::LoggingSettings;
using service::LogGroupNameFromArn;
using service::LogLevel;
using service::ParseLoggingSettings;

// Whether `level` logs events of this type (§4.4).
bool LevelSelects(LogLevel level, runtime::EventType type, runtime::StateType state_type);

class ExecutionLogger final : public runtime::EventSink {
 public:
  explicit ExecutionLogger(std::uint32_t stream_id = 0);

  // Prepares for a new execution; discards anything not flushed. The views need only live for
  // the call (they are copied into reused buffers).
  void Reset(const LoggingSettings& settings, std::string_view state_machine_name,
             std::string_view execution_arn, std::string_view role_arn);

  void OnEvent(const runtime::Event& event) override;

  // Appends the buffered events to the store (one AppendBatch) and empties the buffer.
  // Returns the number of events appended.
  std::size_t Flush(LogStore& store);

  // Inspection (tests): the buffered messages and the stream they will go to.
  std::size_t buffered_events() const { return events_.size(); }
  std::string_view buffered_message(std::size_t i) const;
  std::string_view stream_name() const { return stream_name_; }
  std::string_view log_group_name() const { return group_; }

 private:
  void AppendEventJson(const runtime::Event& event);
  void AppendPayload(std::string_view key, std::string_view details_key, Value value);
  bool AppendTruncated(Value value, std::size_t begin);
  void AppendResource(std::string_view resource, bool with_region);
  void UpdateStreamName(std::int64_t timestamp_ms);

  LogLevel level_ = LogLevel::kOff;
  bool include_data_ = false;
  std::uint32_t stream_id_;
  std::string group_;
  std::string machine_;
  std::string quoted_execution_arn_;  // as JSON strings
  std::string quoted_role_arn_;
  std::string quoted_region_;
  std::string stream_name_;
  std::int64_t stream_minute_ = -1;  // the minute stream_name_ was built for
  std::string text_;                 // every message of the execution, back to back
  std::vector<PackedEvent> events_;
  QuotedJsonMemo payload_memo_;  // payload members already in text_
  std::string scratch_;          // an oversized payload's JSON text, to be cut and quoted
};

}  // namespace stepd::logs
