#include "service/api/logging_settings.h"

#include "jsonpath/document.h"
#include "jsonpath/value.h"

namespace stepd::service {

std::string_view LogGroupNameFromArn(std::string_view arn) {
  // arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]; <name> may hold ':'.
  std::string_view rest = arn;
  std::string_view fields[5];
  for (std::string_view& field : fields) {
    const std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return {};
    }
    field = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (fields[0] != "arn" || fields[2] != "logs" || !rest.starts_with("log-group:")) {
    return {};
  }
  rest.remove_prefix(std::string_view("log-group:").size());
  if (rest.ends_with(":*")) {
    rest.remove_suffix(2);
  }
  return rest;
}

LoggingSettings ParseLoggingSettings(std::string_view canonical_json) {
  LoggingSettings settings;
  Document document;
  auto root = document.Parse(canonical_json);
  if (!root || !root->IsObject()) {
    return settings;
  }
  const Value level = root->Find("level");
  if (level.IsString()) {
    const std::string_view text = level.AsString();
    settings.level = text == "ALL"     ? LogLevel::kAll
                     : text == "ERROR" ? LogLevel::kError
                     : text == "FATAL" ? LogLevel::kFatal
                                       : LogLevel::kOff;
  }
  const Value include = root->Find("includeExecutionData");
  settings.include_execution_data = include.IsBool() && include.AsBool();
  const Value destinations = root->Find("destinations");
  if (destinations.IsArray() && destinations.Size() > 0) {
    const Value arn = destinations.At(0).Find("cloudWatchLogsLogGroup").Find("logGroupArn");
    if (arn.IsString()) {
      settings.log_group_arn = std::string(arn.AsString());
      settings.log_group_name = std::string(LogGroupNameFromArn(arn.AsString()));
    }
  }
  if (settings.log_group_name.empty()) {
    settings.level = LogLevel::kOff;
  }
  return settings;
}

}  // namespace stepd::service
