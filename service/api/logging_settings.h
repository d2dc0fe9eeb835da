#pragma once
// What a state machine's loggingConfiguration asks of its executions, parsed once per
// StateMachineRecord so that starting an execution reads a field instead of JSON.

#include <cstdint>
#include <string>
#include <string_view>

namespace stepd::service {

enum class LogLevel : std::uint8_t { kOff, kFatal, kError, kAll };

struct LoggingSettings {
  LogLevel level = LogLevel::kOff;
  bool include_execution_data = false;
  std::string log_group_arn;   // "arn:aws:logs:<region>:<account>:log-group:<name>:*"
  std::string log_group_name;  // <name>
  bool enabled() const { return level != LogLevel::kOff && !log_group_name.empty(); }
};

// Parses the canonical loggingConfiguration JSON kept in StateMachineRecord. Anything missing
// or malformed yields level OFF (never fails: the control plane validated it).
LoggingSettings ParseLoggingSettings(std::string_view canonical_json);

// "arn:aws:logs:us-east-1:123:log-group:/aws/x:*" -> "/aws/x"; empty when not a log group ARN.
std::string_view LogGroupNameFromArn(std::string_view arn);

}  // namespace stepd::service
