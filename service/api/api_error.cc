#include "service/api/api_error.h"

#include "jsonpath/writer.h"

namespace stepd::service {

namespace {

ApiError Make(std::string_view code, std::string message, unsigned status = 400) {
  return ApiError{std::string(code), std::move(message), status};
}

std::string Quoted(std::string_view prefix, std::string_view value) {
  std::string out(prefix);
  out += ": '";
  out += value;
  out += "'";
  return out;
}

}  // namespace

ApiError InvalidArn(std::string_view arn) { return Make("InvalidArn", Quoted("Invalid Arn", arn)); }

ApiError StateMachineDoesNotExist(std::string_view arn) {
  return Make("StateMachineDoesNotExist", Quoted("State Machine Does Not Exist", arn));
}

ApiError InvalidName(std::string_view name) {
  return Make("InvalidName", Quoted("Invalid Name", name));
}

ApiError InvalidExecutionInput(std::string_view parser_message) {
  return Make("InvalidExecutionInput",
              Quoted("Invalid State Machine Execution Input", parser_message));
}

ApiError ValidationException(std::string message) {
  return Make("ValidationException", std::move(message));
}

ApiError SerializationException(std::string message) {
  return Make("SerializationException", std::move(message));
}

ApiError ThrottlingException() { return Make("ThrottlingException", "Rate exceeded"); }

ApiError UnknownOperation(std::string_view target) {
  std::string message = "Unknown operation";
  if (!target.empty()) {
    message += ": '";
    message += target;
    message += "'";
  }
  return Make("UnknownOperationException", std::move(message));
}

ApiError InternalFailure(std::string message) {
  return Make("InternalFailure", std::move(message), 500);
}

void AppendErrorBody(const ApiError& error, std::string& out) {
  out += "{\"__type\":";
  AppendJsonString(error.code, out);
  out += ",\"message\":";
  AppendJsonString(error.message, out);
  if (!error.resource_name.empty()) {
    out += ",\"resourceName\":";
    AppendJsonString(error.resource_name, out);
  }
  out += '}';
}

}  // namespace stepd::service
