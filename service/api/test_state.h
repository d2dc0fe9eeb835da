#pragma once
// TestState: runs one state on an input, as the AWS console's data-flow simulator does, and
// says what it produced and where it would go next.
//
// The state (the whole `definition`, or the state `stateName` names inside it) runs in a
// machine of its own whose other states only mark where it went. A `mock` answers a Task in
// place of its integration. Wait states do not wait; a failure that a Retrier would retry is
// reported as RETRIABLE instead of retried. inspectionData carries the input only: the
// intermediate data-flow steps, `variables` and `context` are not supported yet.

#include <string>

#include "service/api/config.h"
#include "service/api/request.h"

namespace stepd::service {

ApiResult<std::string> TestState(const RequestBody& body, const ServiceConfig& config);

}  // namespace stepd::service
