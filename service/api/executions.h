#pragma once
// Starting executions from API requests and shaping their answers, without any I/O: the
// server parses a request into an ExecutionSlot here, drives the slot's Execution on its
// event loop, and comes back here to write the response.
//
// A slot holds everything one execution needs (input document, arena, the execution itself
// and the strings its context object points at) and is reused by the next execution on the
// same worker, so a steady stream of executions allocates nothing here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "runtime/execution.h"
#include "runtime/timestamp.h"
#include "service/api/api_error.h"
#include "service/api/config.h"
#include "service/api/registry.h"
#include "service/api/request.h"

namespace stepd::service {

// Lets the server attach an event sink (the execution log) to every execution a slot runs,
// without this layer knowing about logs.
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  // Before the execution starts: the sink for its events, or null for none.
  virtual runtime::EventSink* OnStart(const StateMachineRecord& machine,
                                      std::string_view execution_arn) = 0;
  // After it ended.
  virtual void OnEnd() = 0;
};

struct ExecutionSlot {
  Document input_document;
  Arena arena;
  std::optional<runtime::Execution> execution;
  RecordPtr machine;
  std::string execution_arn;
  std::string execution_name;
  std::string input_text;  // as the caller sent it: echoed back and owned past the request
  std::string trace_header;
  bool include_data = true;  // includedData: ALL_DATA (default) or METADATA_ONLY
  runtime::UnixNanos start_time = 0;
  runtime::UnixNanos stop_time = 0;
  std::unique_ptr<ExecutionObserver> observer;  // optional, lives as long as the slot

  // Ends the execution and drops what it held, ready for the next one.
  void Release();
};

runtime::UnixNanos NowUnixNanos();

// Everything an execution start needs besides the request.
struct StartContext {
  const ServiceConfig& config;
  Registry::Reader& machines;
  bool synchronous = true;  // StartSyncExecution (or the native endpoints) vs StartExecution
};

// StartSyncExecution / StartExecution: validates the request, finds the machine, parses the
// input and starts the execution in `slot`. On an error the slot is left released.
std::optional<ApiError> StartFromApiRequest(const RequestBody& body, const StartContext& context,
                                            ExecutionSlot& slot);

// The native endpoint: `input_text` is the raw JSON input of machine `name`.
std::optional<ApiError> StartFromNativeRequest(std::string_view name, std::string_view input_text,
                                               const StartContext& context, ExecutionSlot& slot);

// Response bodies once the slot's execution is done (or, for StartExecution, started).
void AppendStartSyncExecutionResponse(const ExecutionSlot& slot, std::string& out);
void AppendStartExecutionResponse(const ExecutionSlot& slot, std::string& out);
// The native answer: the output JSON on success; otherwise {"status":...,"error":...,"cause":...}.
// Returns true when the execution succeeded.
bool AppendNativeResponse(const ExecutionSlot& slot, std::string& out);

// One line of the native batch answer: {"status":"SUCCEEDED","output":...} or
// {"status":"FAILED","error":...,"cause":...}; a line that could not start is
// {"status":"REJECTED","error":"<API error code>","cause":"<message>"}.
void AppendNativeLineResponse(const ExecutionSlot& slot, std::string& out);
void AppendNativeLineError(const ApiError& error, std::string& out);

// Status names as AWS writes them.
std::string_view StatusName(runtime::ExecutionStatus status);

}  // namespace stepd::service
