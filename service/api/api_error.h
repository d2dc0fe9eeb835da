#pragma once
// An AWS API error as the clients expect it: HTTP 400 (500 for our own faults) with body
// {"__type":"<code>","message":"..."} and header x-amzn-ErrorType: <code>. Control-plane only:
// owns its text.

#include <string>
#include <string_view>

namespace stepd::service {

struct ApiError {
  std::string code;     // bare exception name: "StateMachineDoesNotExist", "ValidationException"
  std::string message;  // AWS's sentence
  unsigned status = 400;
  // The optional resourceName member of ResourceNotFound and TooManyTags; empty: not sent.
  std::string resource_name = {};
};

// The codes several places raise, with AWS's messages.
ApiError InvalidArn(std::string_view arn);                // "Invalid Arn: '<arn>'"
ApiError StateMachineDoesNotExist(std::string_view arn);  // "State Machine Does Not Exist: '<arn>'"
ApiError InvalidName(std::string_view name);              // "Invalid Name: '<name>'"
ApiError InvalidExecutionInput(std::string_view parser_message);
ApiError ValidationException(std::string message);
ApiError SerializationException(std::string message);  // the request body is not the JSON we need
ApiError ThrottlingException();                        // "Rate exceeded"
ApiError UnknownOperation(std::string_view target);
ApiError InternalFailure(std::string message);  // status 500

// Appends the error body {"__type":...,"message":...} (and "resourceName" when set).
void AppendErrorBody(const ApiError& error, std::string& out);

}  // namespace stepd::service
