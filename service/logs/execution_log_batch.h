#pragma once
// ExecutionLogBatch: the log events of one execution as the LogStore keeps them — a compact
// record per event plus, once, each distinct payload's JSON text — rendered into AWS's Express
// log message only when read (GetLogEvents, FilterLogEvents, --log-dir).
//
// Rendering when read is what keeps logging cheap: a message repeats the execution ARN, and a
// payload a state passes on appears, quoted, in one event after another, so the messages of an
// execution are several times larger than what they say. An ExecutionLogger fills a batch; once
// it is handed to the store it never changes, and any thread may read it.
//
// Each message is one JSON object (§4.3 of the reference), e.g.
//   {"id":"1","type":"ExecutionStarted","details":{"input":"{}","inputDetails":{"truncated":false},
//    "roleArn":"arn:aws:iam::123456789012:role/r"},"previous_event_id":"0",
//    "event_timestamp":"1700000000000","execution_arn":"arn:...","redrive_count":"0"}

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jsonpath/writer.h"
#include "runtime/events.h"
#include "service/logs/log_batch.h"

namespace stepd::logs {

class ExecutionLogBatch final : public LogBatch {
 public:
  // One event; its strings are spans of the batch's text, and its payload a run of spans.
  struct Record {
    std::int64_t timestamp_ms = 0;
    std::int64_t id = 0;
    std::int64_t previous_id = 0;
    std::int64_t number = 0;  // MapStateStarted: the item count; MapIteration*: the index
    TextSpan name;            // the state's (or the Map state's)
    TextSpan resource;
    TextSpan error;
    TextSpan cause;
    // The JSON text of the input, output or parameters the type carries: the text spans
    // spans()[payload_begin, payload_end), which share what earlier payloads already hold.
    std::uint32_t payload_begin = 0;
    std::uint32_t payload_end = 0;
    std::uint32_t stored_bytes = 0;
    runtime::EventType type = runtime::EventType::kExecutionStarted;
    runtime::StateType state_type = runtime::StateType::kPass;
    bool has_error = false;
    bool has_cause = false;
    bool has_payload = false;        // false when execution data is not included
    bool payload_truncated = false;  // cut at AWS's limit
  };

  // How much a batch holds, to give the next one room for as much from the start.
  struct Capacity {
    std::size_t records = 16;
    std::size_t spans = 64;
    std::size_t text_bytes = 4096;
  };

  explicit ExecutionLogBatch(const Capacity& capacity);
  Capacity used() const { return {records_.size(), spans_.size(), text_.size()}; }

  std::size_t size() const override { return records_.size(); }
  std::int64_t timestamp_ms(std::size_t i) const override { return records_[i].timestamp_ms; }
  std::uint64_t stored_bytes(std::size_t i) const override { return records_[i].stored_bytes; }
  std::string_view Message(std::size_t i, std::string& scratch) const override;

  // Building (the ExecutionLogger, before the batch is shared). Start() empties the batch for
  // an execution; its ARNs, which every message shows, open the text.
  void Start(std::string_view execution_arn, std::string_view role_arn);
  std::string& text() { return text_; }
  std::vector<TextSpan>& spans() { return spans_; }
  std::string_view text(TextSpan span) const {
    return std::string_view(text_).substr(span.offset, span.length);
  }
  TextSpan Copy(std::string_view s);  // appends `s` to the text
  // The text spans [begin, end) read as.
  std::string Joined(std::uint32_t begin, std::uint32_t end) const;
  void Add(const Record& record) { records_.push_back(record); }

 private:
  void AppendMessage(const Record& r, std::string& out) const;
  void AppendPayload(const Record& r, std::string_view key, std::string_view details_key,
                     std::string& out) const;
  void AppendResource(const Record& r, bool with_region, std::string& out) const;

  TextSpan execution_arn_;
  TextSpan role_arn_;
  TextSpan region_;  // of the execution ARN
  std::string text_;
  std::vector<TextSpan> spans_;
  std::vector<Record> records_;
};

}  // namespace stepd::logs
