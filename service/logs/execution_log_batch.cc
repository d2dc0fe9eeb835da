#include "service/logs/execution_log_batch.h"

#include <array>
#include <charconv>

#include "jsonpath/writer.h"

namespace stepd::logs {

namespace {

using runtime::EventType;

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

}  // namespace

ExecutionLogBatch::ExecutionLogBatch(const Capacity& capacity) {
  records_.reserve(capacity.records);
  spans_.reserve(capacity.spans);
  text_.reserve(capacity.text_bytes);
}

void ExecutionLogBatch::Start(std::string_view execution_arn, std::string_view role_arn) {
  records_.clear();
  text_.clear();
  spans_.clear();
  execution_arn_ = Copy(execution_arn);
  role_arn_ = Copy(role_arn);
  const std::string_view region = ArnFields(execution_arn)[3];
  region_ = region.empty()
                ? TextSpan{}
                : TextSpan{execution_arn_.offset +
                               static_cast<std::uint32_t>(region.data() - execution_arn.data()),
                           static_cast<std::uint32_t>(region.size())};
}

TextSpan ExecutionLogBatch::Copy(std::string_view s) {
  const TextSpan ref{static_cast<std::uint32_t>(text_.size()),
                     static_cast<std::uint32_t>(s.size())};
  text_.append(s);
  return ref;
}

std::string ExecutionLogBatch::Joined(std::uint32_t begin, std::uint32_t end) const {
  std::string joined;
  for (std::uint32_t i = begin; i < end; ++i) {
    joined += text(spans_[i]);
  }
  return joined;
}

std::string_view ExecutionLogBatch::Message(std::size_t i, std::string& scratch) const {
  scratch.clear();
  AppendMessage(records_[i], scratch);
  return scratch;
}

// "input":"<json text>","inputDetails":{"truncated":false} — or nothing without execution data.
// Leaves a trailing comma; the caller's closing code removes it.
void ExecutionLogBatch::AppendPayload(const Record& r, std::string_view key,
                                      std::string_view details_key, std::string& out) const {
  if (!r.has_payload) {
    return;
  }
  out += '"';
  out += key;
  out += "\":";
  AppendJsonString(Joined(r.payload_begin, r.payload_end), out);
  out += ',';
  if (details_key.empty()) {
    return;  // TaskScheduled's parameters come without details
  }
  out += '"';
  out += details_key;
  out += r.payload_truncated ? "\":{\"truncated\":true}," : "\":{\"truncated\":false},";
}

// Service integrations ("arn:aws:states:::lambda:invoke") are logged as resourceType "lambda",
// resource "invoke"; SDK integrations as "aws-sdk:s3" / "getObject".
void ExecutionLogBatch::AppendResource(const Record& r, bool with_region, std::string& out) const {
  const std::string_view resource = text(r.resource);
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
  out += "\"resourceType\":";
  AppendJsonString(type, out);
  out += ",\"resource\":";
  AppendJsonString(name, out);
  out += ',';
  if (with_region) {
    out += "\"region\":";
    AppendJsonString(text(region_), out);
    out += ',';
  }
}

void ExecutionLogBatch::AppendMessage(const Record& r, std::string& out) const {
  out += "{\"id\":";
  AppendQuotedInt(r.id, out);
  out += ",\"type\":\"";
  out += runtime::EventTypeName(r.type, r.state_type);
  out += "\",\"details\":{";
  const std::size_t details_begin = out.size();
  auto name = [&] {
    out += "\"name\":";
    AppendJsonString(text(r.name), out);
    out += ',';
  };
  auto error_cause = [&] {
    if (r.has_error) {
      out += "\"error\":";
      AppendJsonString(text(r.error), out);
      out += ',';
    }
    if (r.has_cause) {
      out += "\"cause\":";
      AppendJsonString(text(r.cause), out);
      out += ',';
    }
  };
  switch (r.type) {
    case EventType::kExecutionStarted:
      AppendPayload(r, "input", "inputDetails", out);
      out += "\"roleArn\":";
      AppendJsonString(text(role_arn_), out);
      out += ',';
      break;
    case EventType::kExecutionSucceeded:
      AppendPayload(r, "output", "outputDetails", out);
      break;
    case EventType::kExecutionFailed:
    case EventType::kExecutionTimedOut:
    case EventType::kExecutionAborted:
    case EventType::kLambdaFunctionFailed:
    case EventType::kLambdaFunctionTimedOut:
    case EventType::kMapRunFailed:
      error_cause();
      break;
    case EventType::kStateEntered:
      name();
      AppendPayload(r, "input", "inputDetails", out);
      break;
    case EventType::kStateExited:
      name();
      AppendPayload(r, "output", "outputDetails", out);
      break;
    case EventType::kStateAborted:
    case EventType::kLambdaFunctionStarted:
    case EventType::kParallelStateStarted:
    case EventType::kParallelStateFailed:
    case EventType::kMapStateSucceeded:
    case EventType::kMapStateFailed:
    case EventType::kMapRunStarted:
    case EventType::kMapRunSucceeded:
      break;
    case EventType::kTaskScheduled:
      AppendResource(r, /*with_region=*/true, out);
      AppendPayload(r, "parameters", {}, out);
      break;
    case EventType::kTaskStarted:
      AppendResource(r, /*with_region=*/false, out);
      break;
    case EventType::kTaskSucceeded:
      AppendResource(r, /*with_region=*/false, out);
      AppendPayload(r, "output", "outputDetails", out);
      break;
    case EventType::kTaskFailed:
    case EventType::kTaskTimedOut:
      AppendResource(r, /*with_region=*/false, out);
      error_cause();
      break;
    case EventType::kLambdaFunctionScheduled:
      out += "\"resource\":";
      AppendJsonString(text(r.resource), out);
      out += ',';
      AppendPayload(r, "input", "inputDetails", out);
      break;
    case EventType::kLambdaFunctionSucceeded:
      AppendPayload(r, "output", "outputDetails", out);
      break;
    case EventType::kMapStateStarted:
      out += "\"length\":";
      AppendInt(r.number, out);
      out += ',';
      break;
    case EventType::kMapIterationStarted:
    case EventType::kMapIterationSucceeded:
    case EventType::kMapIterationFailed:
    case EventType::kMapIterationAborted:
      name();
      out += "\"index\":";
      AppendInt(r.number, out);
      out += ',';
      break;
  }
  if (out.size() > details_begin) {
    out.back() = '}';  // the trailing comma
  } else {
    out += '}';
  }
  out += ",\"previous_event_id\":";
  AppendQuotedInt(r.previous_id, out);
  out += ",\"event_timestamp\":";
  AppendQuotedInt(r.timestamp_ms, out);
  out += ",\"execution_arn\":";
  AppendJsonString(text(execution_arn_), out);
  out += ",\"redrive_count\":\"0\"}";
}

}  // namespace stepd::logs
