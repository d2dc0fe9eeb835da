#pragma once
// Where this stepd pretends to run: the region and account that every ARN carries.

#include <string>

namespace stepd::service {

struct ServiceConfig {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::string partition = "aws";
};

}  // namespace stepd::service
