#include "service/api/request.h"

namespace stepd::service {

namespace {

ApiError WrongType(std::string_view member, std::string_view expected) {
  std::string message = "Unexpected value for member '";
  message += member;
  message += "': expected ";
  message += expected;
  return SerializationException(std::move(message));
}

}  // namespace

std::optional<ApiError> RequestBody::Parse(std::string_view body) {
  auto parsed = document_.Parse(body.empty() ? std::string_view("{}") : body);
  if (!parsed) {
    root_ = Value();
    return SerializationException("Request body is not valid JSON: " +
                                  std::string(parsed.error().cause));
  }
  if (!parsed->IsObject()) {
    root_ = Value();
    return SerializationException("Request body must be a JSON object");
  }
  root_ = *parsed;
  return std::nullopt;
}

ApiResult<std::optional<std::string_view>> RequestBody::String(std::string_view member) const {
  const Value v = Get(member);
  if (v.IsMissing() || v.IsNull()) {
    return std::optional<std::string_view>();
  }
  if (!v.IsString()) {
    return Unexpected(WrongType(member, "a string"));
  }
  return std::optional<std::string_view>(v.AsString());
}

ApiResult<std::optional<std::int64_t>> RequestBody::Integer(std::string_view member) const {
  const Value v = Get(member);
  if (v.IsMissing() || v.IsNull()) {
    return std::optional<std::int64_t>();
  }
  if (!v.IsNumber() || v.number_kind() != NumberKind::kInt64) {
    return Unexpected(WrongType(member, "an integer"));
  }
  return std::optional<std::int64_t>(v.AsInt());
}

ApiResult<std::optional<bool>> RequestBody::Bool(std::string_view member) const {
  const Value v = Get(member);
  if (v.IsMissing() || v.IsNull()) {
    return std::optional<bool>();
  }
  if (!v.IsBool()) {
    return Unexpected(WrongType(member, "a boolean"));
  }
  return std::optional<bool>(v.AsBool());
}

ApiResult<std::string_view> RequestBody::RequiredString(std::string_view member) const {
  STEPD_ASSIGN_OR_RETURN(const std::optional<std::string_view> value, String(member));
  if (!value) {
    std::string message = "1 validation error detected: Value null at '";
    message += member;
    message += "' failed to satisfy constraint: Member must not be null";
    return Unexpected(ValidationException(std::move(message)));
  }
  return *value;
}

ApiError ConstraintViolation(std::string_view value, std::string_view member,
                             std::string_view constraint) {
  std::string message = "1 validation error detected: Value '";
  message += value;
  message += "' at '";
  message += member;
  message += "' failed to satisfy constraint: ";
  message += constraint;
  return ValidationException(std::move(message));
}

}  // namespace stepd::service
