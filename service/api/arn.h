#pragma once
// ARNs and resource names as AWS Step Functions forms and checks them.

#include <string>
#include <string_view>

#include "service/api/config.h"

namespace stepd::service {

// arn:<partition>:states:<region>:<account>:stateMachine:<name>
std::string StateMachineArn(const ServiceConfig& config, std::string_view name);

// Appends arn:<partition>:states:<region>:<account>:express:<machine>:<execution>:<uuid>
// (into a reused buffer: this runs for every execution).
void AppendExpressExecutionArn(const ServiceConfig& config, std::string_view machine,
                               std::string_view execution, std::string_view uuid, std::string& out);

enum class ArnCheck : unsigned char {
  kOurs,       // a state machine ARN of this region and account; `name` is set
  kMalformed,  // not a state machine ARN at all: InvalidArn
  kElsewhere,  // well formed, but another partition, region or account, or a version or
               // alias qualifier: StateMachineDoesNotExist
};

struct StateMachineArnParts {
  ArnCheck check = ArnCheck::kMalformed;
  std::string_view name;  // a view into the ARN passed in
};

StateMachineArnParts ParseStateMachineArn(const ServiceConfig& config, std::string_view arn);

// AWS's rules for state machine and execution names: 1-80 characters, none of whitespace,
// < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /, control characters or invalid UTF-8.
bool IsValidResourceName(std::string_view name);

// A random RFC 4122 version-4 UUID in lower-case text, for execution names and ARNs. Built in
// place from a per-thread generator: no allocation, no lock.
struct Uuid {
  char text[36];
  std::string_view view() const { return {text, sizeof text}; }
};
Uuid RandomUuid();

}  // namespace stepd::service
