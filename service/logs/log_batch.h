#pragma once
// LogBatch: the events one append hands to the LogStore, immutable from then on and shared by
// the store, its readers and its file writer (so every method must be safe to call from any
// thread at once).
//
// A batch keeps its messages in whatever form is cheapest to write: text the caller already has
// (PutLogEvents) is kept as text, while an execution's history is kept as compact records and
// rendered into message text only when somebody reads it (ExecutionLogBatch), because writing
// out every message as it happens costs more than running the execution.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stepd::logs {

class LogBatch {
 public:
  virtual ~LogBatch() = default;

  virtual std::size_t size() const = 0;
  // The CloudWatch timestamp of event i (i < size()).
  virtual std::int64_t timestamp_ms(std::size_t i) const = 0;
  // What event i counts against its group's byte bound and storedBytes: a text message's length
  // plus CloudWatch's 26 bytes of overhead, or what a rendered event's compact form holds.
  virtual std::uint64_t stored_bytes(std::size_t i) const = 0;
  // Event i's message: a view into the batch, or into `scratch` when it has to be rendered
  // (then valid until `scratch` changes).
  virtual std::string_view Message(std::size_t i, std::string& scratch) const = 0;
};

}  // namespace stepd::logs
