#pragma once
// The Step Functions actions that manage state machines, and the answers AWS gives for
// Express executions that are not run here (Describe/Stop/GetExecutionHistory/ListExecutions).
// Execution actions (StartSyncExecution, StartExecution, TestState) live with the executor.
//
// Off the hot path: the control plane owns its strings and may take the registry's writer
// mutex.

#include <optional>
#include <string>
#include <string_view>

#include "service/api/config.h"
#include "service/api/registry.h"
#include "service/api/request.h"

namespace stepd::service {

class ControlPlane {
 public:
  ControlPlane(Registry& registry, ServiceConfig config);

  // Handles `action` (the part of X-Amz-Target after "AWSStepFunctions.") and returns the
  // response body, or the error. nullopt when `action` is not a control-plane action.
  std::optional<ApiResult<std::string>> Handle(std::string_view action, const RequestBody& body);

  // The record `arn` names, or StateMachineDoesNotExist / InvalidArn as AWS answers.
  ApiResult<RecordPtr> FindStateMachine(std::string_view arn) const;

  // Gives every state machine created from now on its counters in `metrics`.
  void set_metrics(metrics::ServiceMetrics* metrics) { metrics_ = metrics; }

  const ServiceConfig& config() const { return config_; }
  Registry& registry() { return registry_; }

 private:
  Registry& registry_;
  ServiceConfig config_;
  metrics::ServiceMetrics* metrics_ = nullptr;
};

}  // namespace stepd::service
