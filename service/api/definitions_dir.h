#pragma once
// Loads a folder of state machine definitions at start-up, so that a stepd can serve them
// without any CreateStateMachine call.
//
// Every `<name>.asl.json` file directly in the folder (not in sub-folders; in name order)
// becomes the EXPRESS state machine `<name>`, created through ControlPlane::Handle
// ("CreateStateMachine"), so every check and answer is exactly the API's. An optional sidecar
// `<name>.config.json` supplies the other CreateStateMachine members:
//
//   {"type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/r",
//    "loggingConfiguration": {...}, "tracingConfiguration": {...}, "tags": [{"key","value"}]}
//
// Without a roleArn the role is arn:<partition>:iam::<account>:role/stepd. Loading the same
// folder twice is harmless (CreateStateMachine is idempotent). Start-up only: not meant to race
// with API writers, though the registry would keep that safe.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "service/api/control_plane.h"
#include "service/api/request.h"

namespace stepd::service {

// Returns how many state machines the folder defines. On the first problem returns an error
// whose message starts with the file's path: the CreateStateMachine error as the API would
// answer it (InvalidDefinition with every diagnostic, InvalidName, StateMachineTypeNotSupported
// for a STANDARD sidecar...), or code "InvalidDefinitionsDirectory" for a folder or file that
// cannot be read and for a sidecar that is not a JSON object. The server refuses to start on
// an error. `warnings` receives what is suspicious but harmless: a sidecar without a
// definition, a sidecar member that is not a CreateStateMachine member.
ApiResult<std::size_t> LoadDefinitionsDirectory(const std::filesystem::path& dir,
                                                ControlPlane& control_plane,
                                                std::vector<std::string>& warnings);

}  // namespace stepd::service
