#include "service/api/control_plane.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jsonpath/writer.h"
#include "runtime/compiler.h"
#include "runtime/diagnostics.h"
#include "runtime/validator.h"
#include "service/api/arn.h"
#include "service/api/aws_json.h"

namespace stepd::service {

namespace {

// --- errors AWS raises here, with its texts ---------------------------------------------------

ApiError MakeError(std::string_view code, std::string message) {
  return ApiError{std::string(code), std::move(message), 400};
}

ApiError InvalidDefinition(const runtime::Diagnostics& diagnostics) {
  return MakeError("InvalidDefinition",
                   "Invalid State Machine Definition: '" + runtime::Describe(diagnostics) + "'");
}

ApiError InvalidLoggingConfiguration(std::string_view detail) {
  return MakeError("InvalidLoggingConfiguration",
                   "Invalid Logging Configuration: " + std::string(detail));
}

ApiError StateMachineAlreadyExists(std::string_view arn) {
  return MakeError("StateMachineAlreadyExists",
                   "State Machine Already Exists: '" + std::string(arn) + "'");
}

ApiError StateMachineTypeNotSupported(std::string message) {
  return MakeError("StateMachineTypeNotSupported", std::move(message));
}

ApiError ResourceNotFound(std::string_view arn) {
  ApiError error = MakeError("ResourceNotFound", "Resource not found: '" + std::string(arn) + "'");
  error.resource_name = std::string(arn);
  return error;
}

ApiError TooManyTags(std::string_view arn, std::size_t count) {
  ApiError error =
      MakeError("TooManyTags", "Too many tags: a state machine can have at most 50 tags, not " +
                                   std::to_string(count));
  error.resource_name = std::string(arn);
  return error;
}

ApiError InvalidToken(std::string_view token) {
  return MakeError("InvalidToken", "Invalid Token: '" + std::string(token) + "'");
}

ApiError ExecutionDoesNotExist(std::string_view arn) {
  return MakeError("ExecutionDoesNotExist", "Execution Does Not Exist: '" + std::string(arn) + "'");
}

// The same wording as RequestBody's typed getters use for a member of the wrong JSON type.
ApiError WrongType(std::string_view member, std::string_view expected) {
  return SerializationException("Unexpected value for member '" + std::string(member) +
                                "': expected " + std::string(expected));
}

constexpr std::string_view kNotExpress =
    "stepd runs EXPRESS state machines only: pass \"type\": \"EXPRESS\" (STANDARD, which is also "
    "the default when type is omitted, is not supported)";
constexpr std::string_view kPublishUnsupported =
    "stepd does not support state machine versions: publish must be false or omitted";
constexpr std::string_view kTypeNotSupportedForOperation =
    "This operation is not supported by this type of state machine";

// --- request-shape validation ----------------------------------------------------------------

// AWS validates a request against its shape before anything else and reports every constraint
// violation at once: "2 validation errors detected: Value ... ; Value ...".
class Violations {
 public:
  void Add(std::string_view value, std::string_view member, std::string_view constraint) {
    items_.push_back("Value '" + std::string(value) + "' at '" + std::string(member) +
                     "' failed to satisfy constraint: " + std::string(constraint));
  }
  // Sensitive members (definitions) are never echoed back.
  void AddSensitive(std::string_view member, std::string_view constraint) {
    items_.push_back("Value at '" + std::string(member) +
                     "' failed to satisfy constraint: " + std::string(constraint));
  }
  void AddNull(std::string_view member) {
    items_.push_back("Value null at '" + std::string(member) +
                     "' failed to satisfy constraint: Member must not be null");
  }

  std::optional<ApiError> Error() const {
    if (items_.empty()) {
      return std::nullopt;
    }
    std::string message = std::to_string(items_.size());
    message +=
        items_.size() == 1 ? " validation error detected: " : " validation errors detected: ";
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (i != 0) {
        message += "; ";
      }
      message += items_[i];
    }
    return ValidationException(std::move(message));
  }

 private:
  std::vector<std::string> items_;
};

// Characters, as AWS counts string lengths (code points; our inputs are valid UTF-8).
std::size_t Length(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    count += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u ? 1 : 0;
  }
  return count;
}

void CheckLength(Violations& violations, std::string_view value, std::string_view member,
                 std::size_t min, std::size_t max, bool sensitive = false) {
  const std::size_t length = Length(value);
  std::string constraint;
  if (length < min) {
    constraint = "Member must have length greater than or equal to " + std::to_string(min);
  } else if (length > max) {
    constraint = "Member must have length less than or equal to " + std::to_string(max);
  } else {
    return;
  }
  if (sensitive) {
    violations.AddSensitive(member, constraint);
  } else {
    violations.Add(value, member, constraint);
  }
}

void CheckRange(Violations& violations, std::optional<std::int64_t> value, std::string_view member,
                std::int64_t min, std::int64_t max) {
  if (!value) {
    return;
  }
  if (*value < min) {
    violations.Add(std::to_string(*value), member,
                   "Member must have value greater than or equal to " + std::to_string(min));
  } else if (*value > max) {
    violations.Add(std::to_string(*value), member,
                   "Member must have value less than or equal to " + std::to_string(max));
  }
}

void CheckEnum(Violations& violations, std::optional<std::string_view> value,
               std::string_view member, std::initializer_list<std::string_view> allowed) {
  if (!value || std::find(allowed.begin(), allowed.end(), *value) != allowed.end()) {
    return;
  }
  std::string constraint = "Member must satisfy enum value set: [";
  bool first = true;
  for (const std::string_view option : allowed) {
    if (!first) {
      constraint += ", ";
    }
    first = false;
    constraint += option;
  }
  constraint += "]";
  violations.Add(*value, member, constraint);
}

constexpr std::size_t kMaxDefinitionLength = 1048576;
constexpr std::size_t kMaxArnLength = 256;
constexpr std::size_t kMaxTokenLength = 1024;
constexpr std::size_t kMaxTags = 50;
constexpr std::int64_t kDefaultPageSize = 100;

// --- small helpers ---------------------------------------------------------------------------

double NowEpochSeconds() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
  return static_cast<double>(ms) / 1000.0;
}

void AppendTimestamp(double seconds, std::string& out) {
  AppendEpochSeconds(std::llround(seconds * 1000.0), out);
}

std::vector<std::string_view> SplitColons(std::string_view text) {
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t colon = text.find(':');
    fields.push_back(text.substr(0, colon));
    if (colon == std::string_view::npos) {
      return fields;
    }
    text.remove_prefix(colon + 1);
  }
}

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// arn:<partition>:iam::<12-digit account>:role/<optional path/><name>
bool IsRoleArn(std::string_view arn) {
  const std::vector<std::string_view> f = SplitColons(arn);
  return f.size() == 6 && f[0] == "arn" && !f[1].empty() && f[2] == "iam" && f[3].empty() &&
         f[4].size() == 12 && IsDigits(f[4]) && f[5].size() > 5 && f[5].starts_with("role/") &&
         f[5].back() != '/';
}

// arn:<partition>:logs:<region>:<account>:log-group:<name>:*
bool IsLogGroupArn(std::string_view arn) {
  const std::vector<std::string_view> f = SplitColons(arn);
  return f.size() == 8 && f[0] == "arn" && !f[1].empty() && f[2] == "logs" && !f[3].empty() &&
         IsDigits(f[4]) && f[5] == "log-group" && !f[6].empty() && f[7] == "*";
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view data) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : data) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kBase64[(buffer >> bits) & 0x3Fu];
    }
  }
  if (bits > 0) {
    out += kBase64[(buffer << (6 - bits)) & 0x3Fu];
  }
  while (out.size() % 4 != 0) {
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const std::size_t digit = kBase64.find(c);
    if (digit == std::string_view::npos) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFFu);
    }
  }
  return out;
}

// ListStateMachines tokens: opaque to clients, the name to resume at behind a marker.
constexpr std::string_view kTokenMarker = "stepd/ListStateMachines/1:";

std::string EncodeListToken(std::string_view next_name) {
  return Base64Encode(std::string(kTokenMarker) + std::string(next_name));
}

std::optional<std::string> DecodeListToken(std::string_view token) {
  std::optional<std::string> decoded = Base64Decode(token);
  if (!decoded || !decoded->starts_with(kTokenMarker) || decoded->size() == kTokenMarker.size()) {
    return std::nullopt;
  }
  return decoded->substr(kTokenMarker.size());
}

// --- loggingConfiguration, tracingConfiguration, tags ------------------------------------------

// Validates a loggingConfiguration as AWS does and returns its canonical JSON (the shape
// DescribeStateMachine returns, with the defaults filled in).
ApiResult<std::string> CanonicalLoggingConfiguration(Value config) {
  if (!config.IsObject()) {
    return Unexpected(WrongType("loggingConfiguration", "a structure"));
  }
  std::string_view level = "OFF";
  const Value level_value = config.Find("level");
  if (!level_value.IsMissing() && !level_value.IsNull()) {
    if (!level_value.IsString()) {
      return Unexpected(WrongType("loggingConfiguration.level", "a string"));
    }
    level = level_value.AsString();
  }
  bool include_execution_data = false;
  const Value include_value = config.Find("includeExecutionData");
  if (!include_value.IsMissing() && !include_value.IsNull()) {
    if (!include_value.IsBool()) {
      return Unexpected(WrongType("loggingConfiguration.includeExecutionData", "a boolean"));
    }
    include_execution_data = include_value.AsBool();
  }
  const Value destinations = config.Find("destinations");
  if (!destinations.IsMissing() && !destinations.IsNull() && !destinations.IsArray()) {
    return Unexpected(WrongType("loggingConfiguration.destinations", "a list"));
  }
  Violations violations;
  CheckEnum(violations, level, "loggingConfiguration.level", {"ALL", "ERROR", "FATAL", "OFF"});
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  const std::size_t destination_count = destinations.IsArray() ? destinations.Size() : 0;
  if (destination_count > 1 || (level != "OFF" && destination_count == 0)) {
    return Unexpected(InvalidLoggingConfiguration("Must specify exactly one Log Destination."));
  }
  std::string out = R"({"level":)";
  AppendJsonString(level, out);
  out += include_execution_data ? R"(,"includeExecutionData":true)"
                                : R"(,"includeExecutionData":false)";
  if (destination_count == 1) {
    const Value group = destinations.At(0).Find("cloudWatchLogsLogGroup");
    const Value arn = group.Find("logGroupArn");
    if (!arn.IsString() || !IsLogGroupArn(arn.AsString())) {
      return Unexpected(InvalidLoggingConfiguration("Must set valid CloudWatch Log Group ARN."));
    }
    out += R"(,"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":)";
    AppendJsonString(arn.AsString(), out);
    out += "}}]";
  }
  out += '}';
  return out;
}

ApiResult<std::string> CanonicalTracingConfiguration(Value config) {
  if (!config.IsObject()) {
    return Unexpected(WrongType("tracingConfiguration", "a structure"));
  }
  const Value enabled = config.Find("enabled");
  if (!enabled.IsMissing() && !enabled.IsNull() && !enabled.IsBool()) {
    return Unexpected(WrongType("tracingConfiguration.enabled", "a boolean"));
  }
  return std::string(enabled.IsBool() && enabled.AsBool() ? R"({"enabled":true})"
                                                          : R"({"enabled":false})");
}

// Adds `tag` to `tags`, replacing the value of a tag with the same key.
void PutTag(std::vector<Tag>& tags, Tag&& tag) {
  for (Tag& existing : tags) {
    if (existing.key == tag.key) {
      existing.value = std::move(tag.value);
      return;
    }
  }
  tags.push_back(std::move(tag));
}

// Reads a TagList (`member`), checking each key and value as AWS does. Later duplicates win.
ApiResult<std::vector<Tag>> ParseTags(Value list, std::string_view member) {
  std::vector<Tag> tags;
  if (list.IsMissing() || list.IsNull()) {
    return tags;
  }
  if (!list.IsArray()) {
    return Unexpected(WrongType(member, "a list"));
  }
  Violations violations;
  std::optional<ApiError> type_error;
  std::string_view reserved_key;
  std::size_t index = 0;
  list.ForEachElement([&](Value item) {
    ++index;
    if (type_error) {
      return;
    }
    const std::string prefix = std::string(member) + "." + std::to_string(index) + ".member.";
    if (!item.IsObject()) {
      type_error = WrongType(std::string(member) + "." + std::to_string(index), "a structure");
      return;
    }
    const Value key = item.Find("key");
    const Value value = item.Find("value");
    if ((!key.IsMissing() && !key.IsNull() && !key.IsString()) ||
        (!value.IsMissing() && !value.IsNull() && !value.IsString())) {
      type_error = WrongType(prefix + (key.IsString() ? "value" : "key"), "a string");
      return;
    }
    const std::string_view key_text = key.IsString() ? key.AsString() : std::string_view();
    const std::string_view value_text = value.IsString() ? value.AsString() : std::string_view();
    CheckLength(violations, key_text, prefix + "key", 1, 128);
    CheckLength(violations, value_text, prefix + "value", 0, 256);
    if (key_text.starts_with("aws:") && reserved_key.empty()) {
      reserved_key = key_text;
    }
    PutTag(tags, Tag{std::string(key_text), std::string(value_text)});
  });
  if (type_error) {
    return Unexpected(std::move(*type_error));
  }
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  if (!reserved_key.empty()) {
    return Unexpected(ValidationException("Tag keys starting with 'aws:' are reserved: '" +
                                          std::string(reserved_key) + "'"));
  }
  return tags;
}

void AppendTags(const std::vector<Tag>& tags, std::string& out) {
  out += '[';
  for (std::size_t i = 0; i < tags.size(); ++i) {
    out += i == 0 ? R"({"key":)" : R"(,{"key":)";
    AppendJsonString(tags[i].key, out);
    out += R"(,"value":)";
    AppendJsonString(tags[i].value, out);
    out += '}';
  }
  out += ']';
}

// The publish / versionDescription pair of Create and Update: versions are out of scope.
std::optional<ApiError> CheckPublish(const RequestBody& body) {
  auto publish = body.Bool("publish");
  if (!publish) {
    return std::move(publish).error();
  }
  auto description = body.String("versionDescription");
  if (!description) {
    return std::move(description).error();
  }
  Violations violations;
  if (*description) {
    CheckLength(violations, **description, "versionDescription", 0, 256);
  }
  if (auto error = violations.Error()) {
    return error;
  }
  const bool publishing = publish->value_or(false);
  if (*description && !publishing) {
    return ValidationException("Version description can only be set when publish is true");
  }
  if (publishing) {
    return ValidationException(std::string(kPublishUnsupported));
  }
  return std::nullopt;
}

runtime::ValidationOptions ExpressOptions() {
  runtime::ValidationOptions options;
  options.type = runtime::MachineType::kExpress;
  return options;
}

ApiResult<std::shared_ptr<const runtime::CompiledMachine>> CompileExpress(
    std::string_view definition) {
  runtime::MachineResult compiled = runtime::Compile(definition, ExpressOptions());
  if (!compiled) {
    return Unexpected(InvalidDefinition(compiled.error()));
  }
  return std::move(compiled).value();
}

// --- the actions -----------------------------------------------------------------------------

ApiResult<std::string> CreateStateMachine(Registry& registry, const ServiceConfig& config,
                                          const RequestBody& body,
                                          metrics::ServiceMetrics* metrics) {
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> name, body.String("name"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> definition,
                         body.String("definition"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> role_arn, body.String("roleArn"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> type, body.String("type"));
  Violations violations;
  if (!definition) {
    violations.AddNull("definition");
  } else {
    CheckLength(violations, *definition, "definition", 0, kMaxDefinitionLength, true);
  }
  if (!name) {
    violations.AddNull("name");
  } else {
    CheckLength(violations, *name, "name", 1, 80);
  }
  if (!role_arn) {
    violations.AddNull("roleArn");
  } else {
    CheckLength(violations, *role_arn, "roleArn", 1, kMaxArnLength);
  }
  CheckEnum(violations, type, "type", {"STANDARD", "EXPRESS"});
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  if (auto error = CheckPublish(body)) {
    return Unexpected(std::move(*error));
  }
  if (!type || *type != "EXPRESS") {
    return Unexpected(StateMachineTypeNotSupported(std::string(kNotExpress)));
  }
  if (!IsValidResourceName(*name)) {
    return Unexpected(InvalidName(*name));
  }
  if (!IsRoleArn(*role_arn)) {
    return Unexpected(InvalidArn(*role_arn));
  }
  const std::string arn = StateMachineArn(config, *name);

  auto record = std::make_shared<StateMachineRecord>();
  if (metrics != nullptr) {
    record->metrics = metrics->ForStateMachine(*name);
  }
  const Value logging = body.Get("loggingConfiguration");
  if (!logging.IsMissing() && !logging.IsNull()) {
    STEPD_ASSIGN_OR_RETURN(record->logging_configuration, CanonicalLoggingConfiguration(logging));
    record->logging = ParseLoggingSettings(record->logging_configuration);
  }
  const Value tracing = body.Get("tracingConfiguration");
  if (!tracing.IsMissing() && !tracing.IsNull()) {
    STEPD_ASSIGN_OR_RETURN(record->tracing_configuration, CanonicalTracingConfiguration(tracing));
  }
  STEPD_ASSIGN_OR_RETURN(record->tags, ParseTags(body.Get("tags"), "tags"));
  if (record->tags.size() > kMaxTags) {
    return Unexpected(TooManyTags(arn, record->tags.size()));
  }
  STEPD_ASSIGN_OR_RETURN(record->machine, CompileExpress(*definition));
  record->name = std::string(*name);
  record->arn = arn;
  record->definition = std::string(*definition);
  record->role_arn = std::string(*role_arn);
  record->type = "EXPRESS";
  record->creation_date = NowEpochSeconds();

  // Idempotency as AWS: the same name, definition, type, logging and tracing answer with the
  // existing machine (a different role or tags are ignored); anything else is a conflict.
  RecordPtr existing;
  registry.Mutate([&](Registry::Map& map) {
    const auto it = map.find(record->name);
    if (it != map.end()) {
      existing = it->second;
      return false;
    }
    map.emplace(record->name, record);
    return true;
  });
  RecordPtr answer = record;
  if (existing) {
    if (existing->definition != record->definition || existing->type != record->type ||
        existing->logging_configuration != record->logging_configuration ||
        existing->tracing_configuration != record->tracing_configuration) {
      return Unexpected(StateMachineAlreadyExists(existing->arn));
    }
    answer = existing;
  }
  std::string out = R"({"stateMachineArn":)";
  AppendJsonString(answer->arn, out);
  out += R"(,"creationDate":)";
  AppendTimestamp(answer->creation_date, out);
  out += '}';
  return out;
}

ApiResult<std::string> DescribeStateMachine(const ControlPlane& control_plane,
                                            const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view arn, body.RequiredString("stateMachineArn"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> included_data,
                         body.String("includedData"));
  Violations violations;
  CheckLength(violations, arn, "stateMachineArn", 1, kMaxArnLength);
  CheckEnum(violations, included_data, "includedData", {"ALL_DATA", "METADATA_ONLY"});
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  STEPD_ASSIGN_OR_RETURN(const RecordPtr record, control_plane.FindStateMachine(arn));
  std::string out = R"({"stateMachineArn":)";
  AppendJsonString(record->arn, out);
  out += R"(,"name":)";
  AppendJsonString(record->name, out);
  out += R"(,"status":"ACTIVE","definition":)";
  AppendJsonString(record->definition, out);
  out += R"(,"roleArn":)";
  AppendJsonString(record->role_arn, out);
  out += R"(,"type":)";
  AppendJsonString(record->type, out);
  out += R"(,"creationDate":)";
  AppendTimestamp(record->creation_date, out);
  out += R"(,"loggingConfiguration":)";
  out += record->logging_configuration;
  out += R"(,"tracingConfiguration":)";
  out += record->tracing_configuration;
  if (!record->revision_id.empty()) {
    out += R"(,"revisionId":)";
    AppendJsonString(record->revision_id, out);
  }
  if (!record->description.empty()) {
    out += R"(,"description":)";
    AppendJsonString(record->description, out);
  }
  out += '}';
  return out;
}

ApiResult<std::string> UpdateStateMachine(const ControlPlane& control_plane, Registry& registry,
                                          const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view arn, body.RequiredString("stateMachineArn"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> definition,
                         body.String("definition"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> role_arn, body.String("roleArn"));
  Violations violations;
  CheckLength(violations, arn, "stateMachineArn", 1, kMaxArnLength);
  if (definition) {
    CheckLength(violations, *definition, "definition", 0, kMaxDefinitionLength, true);
  }
  if (role_arn) {
    CheckLength(violations, *role_arn, "roleArn", 1, kMaxArnLength);
  }
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  STEPD_ASSIGN_OR_RETURN(const RecordPtr found, control_plane.FindStateMachine(arn));
  const Value logging = body.Get("loggingConfiguration");
  const Value tracing = body.Get("tracingConfiguration");
  const bool has_logging = !logging.IsMissing() && !logging.IsNull();
  const bool has_tracing = !tracing.IsMissing() && !tracing.IsNull();
  if (!definition && !role_arn && !has_logging && !has_tracing) {
    return Unexpected(MakeError("MissingRequiredParameter",
                                "Either the definition, the role ARN, the LoggingConfiguration, "
                                "or the TracingConfiguration must be specified"));
  }
  if (auto error = CheckPublish(body)) {
    return Unexpected(std::move(*error));
  }
  if (role_arn && !IsRoleArn(*role_arn)) {
    return Unexpected(InvalidArn(*role_arn));
  }
  std::optional<std::string> logging_json;
  if (has_logging) {
    STEPD_ASSIGN_OR_RETURN(logging_json, CanonicalLoggingConfiguration(logging));
  }
  std::optional<std::string> tracing_json;
  if (has_tracing) {
    STEPD_ASSIGN_OR_RETURN(tracing_json, CanonicalTracingConfiguration(tracing));
  }
  std::shared_ptr<const runtime::CompiledMachine> machine;
  if (definition) {
    STEPD_ASSIGN_OR_RETURN(machine, CompileExpress(*definition));
  }
  const Uuid revision = RandomUuid();
  const double now = NowEpochSeconds();
  // Applied to the record current under the writers' lock, so a concurrent TagResource or
  // UpdateStateMachine is not lost; executions that started on the old record keep it.
  const bool updated = registry.Mutate([&](Registry::Map& map) {
    const auto it = map.find(found->name);
    if (it == map.end()) {
      return false;
    }
    auto next = std::make_shared<StateMachineRecord>(*it->second);
    if (definition) {
      next->definition = std::string(*definition);
      next->machine = machine;
    }
    if (role_arn) {
      next->role_arn = std::string(*role_arn);
    }
    if (logging_json) {
      next->logging_configuration = *logging_json;
      next->logging = ParseLoggingSettings(next->logging_configuration);
    }
    if (tracing_json) {
      next->tracing_configuration = *tracing_json;
    }
    next->revision_id = std::string(revision.view());
    next->update_date = now;
    it->second = std::move(next);
    return true;
  });
  if (!updated) {
    return Unexpected(StateMachineDoesNotExist(arn));
  }
  std::string out = R"({"updateDate":)";
  AppendTimestamp(now, out);
  out += R"(,"revisionId":)";
  AppendJsonString(revision.view(), out);
  out += '}';
  return out;
}

ApiResult<std::string> DeleteStateMachine(Registry& registry, const ServiceConfig& config,
                                          const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view arn, body.RequiredString("stateMachineArn"));
  Violations violations;
  CheckLength(violations, arn, "stateMachineArn", 1, kMaxArnLength);
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  const StateMachineArnParts parts = ParseStateMachineArn(config, arn);
  if (parts.check == ArnCheck::kMalformed) {
    return Unexpected(InvalidArn(arn));
  }
  // Deleting a machine that does not exist succeeds, as on AWS.
  if (parts.check == ArnCheck::kOurs) {
    const std::string name(parts.name);
    registry.Mutate([&](Registry::Map& map) { return map.erase(name) > 0; });
  }
  return std::string("{}");
}

ApiResult<std::string> ListStateMachines(const Registry& registry, const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::int64_t> max_results, body.Integer("maxResults"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> token, body.String("nextToken"));
  Violations violations;
  CheckRange(violations, max_results, "maxResults", 0, 1000);
  if (token) {
    CheckLength(violations, *token, "nextToken", 1, kMaxTokenLength);
  }
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  std::string start;
  if (token) {
    std::optional<std::string> decoded = DecodeListToken(*token);
    if (!decoded) {
      return Unexpected(InvalidToken(*token));
    }
    start = std::move(*decoded);
  }
  const std::size_t page_size =
      static_cast<std::size_t>(max_results && *max_results > 0 ? *max_results : kDefaultPageSize);
  const std::shared_ptr<const Registry::Map> map = registry.Snapshot();
  auto it = map->lower_bound(start);
  std::string out = R"({"stateMachines":[)";
  for (std::size_t count = 0; it != map->end() && count < page_size; ++it, ++count) {
    const StateMachineRecord& record = *it->second;
    out += count == 0 ? R"({"stateMachineArn":)" : R"(,{"stateMachineArn":)";
    AppendJsonString(record.arn, out);
    out += R"(,"name":)";
    AppendJsonString(record.name, out);
    out += R"(,"type":)";
    AppendJsonString(record.type, out);
    out += R"(,"creationDate":)";
    AppendTimestamp(record.creation_date, out);
    out += '}';
  }
  out += ']';
  if (it != map->end()) {
    out += R"(,"nextToken":)";
    AppendJsonString(EncodeListToken(it->first), out);
  }
  out += '}';
  return out;
}

ApiResult<std::string> ValidateStateMachineDefinition(const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> definition,
                         body.String("definition"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> type, body.String("type"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> severity, body.String("severity"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::int64_t> max_results, body.Integer("maxResults"));
  Violations violations;
  if (!definition) {
    violations.AddNull("definition");
  } else {
    CheckLength(violations, *definition, "definition", 0, kMaxDefinitionLength, true);
  }
  CheckEnum(violations, type, "type", {"STANDARD", "EXPRESS"});
  CheckEnum(violations, severity, "severity", {"ERROR", "WARNING"});
  CheckRange(violations, max_results, "maxResults", 0, 100);
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  runtime::ValidationOptions options;
  // AWS validates for STANDARD unless told otherwise.
  options.type =
      type && *type == "EXPRESS" ? runtime::MachineType::kExpress : runtime::MachineType::kStandard;
  const bool with_warnings = severity && *severity == "WARNING";
  const std::size_t limit =
      static_cast<std::size_t>(max_results && *max_results > 0 ? *max_results : 100);
  const runtime::Diagnostics diagnostics = runtime::ValidateDefinition(*definition, options);
  std::string out = runtime::HasErrors(diagnostics) ? R"({"result":"FAIL","diagnostics":[)"
                                                    : R"({"result":"OK","diagnostics":[)";
  std::size_t written = 0;
  bool truncated = false;
  for (const runtime::Diagnostic& d : diagnostics) {
    if (d.severity == runtime::Severity::kWarning && !with_warnings) {
      continue;
    }
    if (written == limit) {
      truncated = true;
      break;
    }
    out += written++ == 0 ? "{" : ",{";
    out += d.severity == runtime::Severity::kError ? R"("severity":"ERROR","code":)"
                                                   : R"("severity":"WARNING","code":)";
    AppendJsonString(d.code, out);
    out += R"(,"message":)";
    AppendJsonString(d.message, out);
    if (!d.location.empty()) {
      out += R"(,"location":)";
      AppendJsonString(d.location, out);
    }
    out += '}';
  }
  out += truncated ? R"(],"truncated":true})" : R"(],"truncated":false})";
  return out;
}

// Finds the machine a tagging call names: InvalidArn when malformed, ResourceNotFound when
// there is no such machine here.
ApiResult<std::string> TaggedMachineName(const ServiceConfig& config, const Registry& registry,
                                         std::string_view arn) {
  Violations violations;
  CheckLength(violations, arn, "resourceArn", 1, kMaxArnLength);
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  const StateMachineArnParts parts = ParseStateMachineArn(config, arn);
  if (parts.check == ArnCheck::kMalformed) {
    return Unexpected(InvalidArn(arn));
  }
  if (parts.check != ArnCheck::kOurs || !registry.Find(parts.name)) {
    return Unexpected(ResourceNotFound(arn));
  }
  return std::string(parts.name);
}

ApiResult<std::string> TagResource(Registry& registry, const ServiceConfig& config,
                                   const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view arn, body.RequiredString("resourceArn"));
  const Value tags_value = body.Get("tags");
  if (tags_value.IsMissing() || tags_value.IsNull()) {
    Violations violations;
    violations.AddNull("tags");
    return Unexpected(std::move(*violations.Error()));
  }
  STEPD_ASSIGN_OR_RETURN(std::vector<Tag> tags, ParseTags(tags_value, "tags"));
  STEPD_ASSIGN_OR_RETURN(const std::string name, TaggedMachineName(config, registry, arn));
  std::optional<ApiError> failure;
  registry.Mutate([&](Registry::Map& map) {
    const auto it = map.find(name);
    if (it == map.end()) {
      failure = ResourceNotFound(arn);
      return false;
    }
    auto next = std::make_shared<StateMachineRecord>(*it->second);
    for (Tag& tag : tags) {
      PutTag(next->tags, std::move(tag));
    }
    if (next->tags.size() > kMaxTags) {
      failure = TooManyTags(arn, next->tags.size());
      return false;
    }
    it->second = std::move(next);
    return true;
  });
  if (failure) {
    return Unexpected(std::move(*failure));
  }
  return std::string("{}");
}

ApiResult<std::string> UntagResource(Registry& registry, const ServiceConfig& config,
                                     const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view arn, body.RequiredString("resourceArn"));
  const Value keys = body.Get("tagKeys");
  if (keys.IsMissing() || keys.IsNull()) {
    Violations violations;
    violations.AddNull("tagKeys");
    return Unexpected(std::move(*violations.Error()));
  }
  if (!keys.IsArray()) {
    return Unexpected(WrongType("tagKeys", "a list"));
  }
  std::vector<std::string> remove;
  const bool all_strings = keys.AllElements([&](Value key) {
    if (!key.IsString()) {
      return false;
    }
    remove.emplace_back(key.AsString());
    return true;
  });
  if (!all_strings) {
    return Unexpected(WrongType("tagKeys.member", "a string"));
  }
  STEPD_ASSIGN_OR_RETURN(const std::string name, TaggedMachineName(config, registry, arn));
  registry.Mutate([&](Registry::Map& map) {
    const auto it = map.find(name);
    if (it == map.end()) {
      return false;
    }
    auto next = std::make_shared<StateMachineRecord>(*it->second);
    std::erase_if(next->tags, [&](const Tag& tag) {
      return std::find(remove.begin(), remove.end(), tag.key) != remove.end();
    });
    it->second = std::move(next);
    return true;
  });
  return std::string("{}");
}

ApiResult<std::string> ListTagsForResource(const Registry& registry, const ServiceConfig& config,
                                           const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view arn, body.RequiredString("resourceArn"));
  STEPD_ASSIGN_OR_RETURN(const std::string name, TaggedMachineName(config, registry, arn));
  const RecordPtr record = registry.Find(name);
  if (!record) {
    return Unexpected(ResourceNotFound(arn));
  }
  std::string out = R"({"tags":)";
  AppendTags(record->tags, out);
  out += '}';
  return out;
}

// --- what AWS answers for executions that are not kept ---------------------------------------

enum class ExecutionArnKind : unsigned char { kMalformed, kExpress, kStandard };

// arn:<p>:states:<r>:<a>:express:<machine>:<execution>:<uuid> or
// arn:<p>:states:<r>:<a>:execution:<machine>:<execution>.
ExecutionArnKind ClassifyExecutionArn(std::string_view arn) {
  const std::vector<std::string_view> f = SplitColons(arn);
  if (f.size() < 7 || f[0] != "arn" || f[1].empty() || f[2] != "states" || f[3].empty() ||
      f[4].empty()) {
    return ExecutionArnKind::kMalformed;
  }
  const auto all_set = [&](std::size_t from) {
    return std::all_of(f.begin() + static_cast<std::ptrdiff_t>(from), f.end(),
                       [](std::string_view field) { return !field.empty(); });
  };
  if (f[5] == "express" && all_set(6)) {
    return ExecutionArnKind::kExpress;
  }
  if (f[5] == "execution" && f.size() == 8 && all_set(6)) {
    return ExecutionArnKind::kStandard;
  }
  return ExecutionArnKind::kMalformed;
}

// DescribeExecution, StopExecution, GetExecutionHistory, DescribeStateMachineForExecution:
// Express executions are never kept, and no Standard execution exists here.
ApiResult<std::string> ExecutionNotKept(std::string_view action, const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::string_view arn, body.RequiredString("executionArn"));
  Violations violations;
  CheckLength(violations, arn, "executionArn", 1, kMaxArnLength);
  if (action == "GetExecutionHistory") {
    STEPD_ASSIGN_OR_RETURN(const std::optional<std::int64_t> max_results,
                           body.Integer("maxResults"));
    CheckRange(violations, max_results, "maxResults", 0, 1000);
  } else if (action == "StopExecution") {
    STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> error, body.String("error"));
    STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> cause, body.String("cause"));
    if (error && Length(*error) > 256) {
      violations.AddSensitive("error", "Member must have length less than or equal to 256");
    }
    if (cause && Length(*cause) > 32768) {
      violations.AddSensitive("cause", "Member must have length less than or equal to 32768");
    }
  }
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  switch (ClassifyExecutionArn(arn)) {
    case ExecutionArnKind::kExpress:
      return Unexpected(InvalidArn("Resource type not valid in this context: express"));
    case ExecutionArnKind::kStandard:
      return Unexpected(ExecutionDoesNotExist(arn));
    case ExecutionArnKind::kMalformed:
      break;
  }
  return Unexpected(InvalidArn(arn));
}

ApiResult<std::string> ListExecutions(const ControlPlane& control_plane, const RequestBody& body) {
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> arn, body.String("stateMachineArn"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> map_run_arn,
                         body.String("mapRunArn"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> status, body.String("statusFilter"));
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::int64_t> max_results, body.Integer("maxResults"));
  Violations violations;
  CheckEnum(violations, status, "statusFilter",
            {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"});
  CheckRange(violations, max_results, "maxResults", 0, 1000);
  if (auto error = violations.Error()) {
    return Unexpected(std::move(*error));
  }
  if (!arn && !map_run_arn) {
    return Unexpected(ValidationException(
        "1 validation error detected: Must provide a StateMachine ARN or MapRun ARN"));
  }
  if (!arn) {
    // Map Runs belong to Distributed Maps, which stepd does not run.
    return Unexpected(ResourceNotFound(*map_run_arn));
  }
  ApiResult<RecordPtr> record = control_plane.FindStateMachine(*arn);
  if (!record) {
    return Unexpected(std::move(record).error());
  }
  return Unexpected(StateMachineTypeNotSupported(std::string(kTypeNotSupportedForOperation)));
}

}  // namespace

ControlPlane::ControlPlane(Registry& registry, ServiceConfig config)
    : registry_(registry), config_(std::move(config)) {}

std::optional<ApiResult<std::string>> ControlPlane::Handle(std::string_view action,
                                                           const RequestBody& body) {
  if (action == "CreateStateMachine") {
    return CreateStateMachine(registry_, config_, body, metrics_);
  }
  if (action == "DescribeStateMachine") {
    return DescribeStateMachine(*this, body);
  }
  if (action == "UpdateStateMachine") {
    return UpdateStateMachine(*this, registry_, body);
  }
  if (action == "DeleteStateMachine") {
    return DeleteStateMachine(registry_, config_, body);
  }
  if (action == "ListStateMachines") {
    return ListStateMachines(registry_, body);
  }
  if (action == "ValidateStateMachineDefinition") {
    return ValidateStateMachineDefinition(body);
  }
  if (action == "TagResource") {
    return TagResource(registry_, config_, body);
  }
  if (action == "UntagResource") {
    return UntagResource(registry_, config_, body);
  }
  if (action == "ListTagsForResource") {
    return ListTagsForResource(registry_, config_, body);
  }
  if (action == "DescribeExecution" || action == "StopExecution" ||
      action == "GetExecutionHistory" || action == "DescribeStateMachineForExecution") {
    return ExecutionNotKept(action, body);
  }
  if (action == "ListExecutions") {
    return ListExecutions(*this, body);
  }
  return std::nullopt;
}

ApiResult<RecordPtr> ControlPlane::FindStateMachine(std::string_view arn) const {
  const StateMachineArnParts parts = ParseStateMachineArn(config_, arn);
  if (parts.check == ArnCheck::kMalformed) {
    return Unexpected(InvalidArn(arn));
  }
  if (parts.check == ArnCheck::kOurs) {
    if (RecordPtr record = registry_.Find(parts.name)) {
      return record;
    }
  }
  return Unexpected(StateMachineDoesNotExist(arn));
}

}  // namespace stepd::service
