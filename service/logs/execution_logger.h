#pragma once
// ExecutionLogger: an EventSink that records an execution's history events for the CloudWatch
// Logs records AWS writes for Express executions, and hands them to a LogStore in one batch (an
// ExecutionLogBatch, which renders the messages when they are read).
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
// Each event becomes one message (see execution_log_batch.h) with the event's timestamp as the
// CloudWatch event timestamp. Events the level does not select cost one table lookup. A payload
// is written as JSON once per execution however many events carry it, and a container it shares
// with an earlier payload is copied rather than written again.
//
// Stream naming: states/<machine name>/<YYYY-MM-DD-HH-MM of the execution start, UTC>/<8 hex>,
// where the 8 hex digits are the logger's `stream_id` (give each worker/slot its own). So each
// logger writes one stream per machine per minute, and one stream holds many executions, as
// on AWS.
//
// Each execution's batch is allocated with the capacity the previous one needed, so an execution
// costs three allocations here (the batch, its text and its records), which the store keeps.
// Not thread-safe: a logger belongs to one execution at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/writer.h"
#include "runtime/events.h"
#include "service/api/logging_settings.h"
#include "service/logs/execution_log_batch.h"
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
  // the call (they are copied).
  void Reset(const LoggingSettings& settings, std::string_view state_machine_name,
             std::string_view execution_arn, std::string_view role_arn);

  void OnEvent(const runtime::Event& event) override;

  // Appends the buffered events to the store (one AppendBatch) and empties the buffer.
  // Returns the number of events appended.
  std::size_t Flush(LogStore& store);

  // Inspection (tests): the buffered messages and the stream they will go to.
  std::size_t buffered_events() const { return batch_->size(); }
  std::string buffered_message(std::size_t i) const;
  std::string_view stream_name() const { return stream_name_; }
  std::string_view log_group_name() const { return group_; }

 private:
  void NewBatch(std::string_view execution_arn, std::string_view role_arn);
  void RecordPayload(Value value, ExecutionLogBatch::Record& record);
  TextSpan CopyName(std::string_view name);
  void UpdateStreamName(std::int64_t timestamp_ms);

  LogLevel level_ = LogLevel::kOff;
  bool include_data_ = false;
  std::uint32_t stream_id_;
  std::string group_;
  std::string machine_;
  std::string stream_name_;
  std::int64_t stream_minute_ = -1;           // the minute stream_name_ was built for
  std::shared_ptr<ExecutionLogBatch> batch_;  // never null
  std::size_t accounted_bytes_ = 0;  // text and span bytes already in a record's stored_bytes
  JsonMemo payload_memo_;            // containers already in the batch's text
  // The last payload and state name recorded: events in a row mostly repeat them (a state's
  // output is the next one's input, and a state's events share its name).
  Value last_payload_;
  std::uint32_t last_payload_begin_ = 0;
  std::uint32_t last_payload_end_ = 0;
  bool last_payload_truncated_ = false;
  std::string_view last_name_;
  TextSpan last_name_span_;
};

}  // namespace stepd::logs
