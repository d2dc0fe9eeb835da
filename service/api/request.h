#pragma once
// The JSON body of an AWS JSON 1.0/1.1 request, with typed access to its members and the
// errors AWS answers for wrong types and missing members.
//
// Members are looked up by name in any order (clients differ). Strings are views into the
// parsed document: valid until the next Parse(). One RequestBody per worker thread, reused, so
// parsing allocates nothing once it has seen its largest body.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jsonpath/document.h"
#include "jsonpath/expected.h"
#include "jsonpath/value.h"
#include "service/api/api_error.h"

namespace stepd::service {

template <typename T>
using ApiResult = Expected<T, ApiError>;

class RequestBody {
 public:
  // An empty body counts as {} (the CLI sends nothing for some list calls). Anything else must
  // be a JSON object: SerializationException otherwise.
  std::optional<ApiError> Parse(std::string_view body);

  Value root() const { return root_; }
  Value Get(std::string_view member) const { return root_.Find(member); }

  // Absent or null members are nullopt; a value of another type is a SerializationException.
  ApiResult<std::optional<std::string_view>> String(std::string_view member) const;
  ApiResult<std::optional<std::int64_t>> Integer(std::string_view member) const;
  ApiResult<std::optional<bool>> Bool(std::string_view member) const;

  // A required string: absent or null is AWS's ValidationException "1 validation error
  // detected: Value null at '<member>' failed to satisfy constraint: Member must not be null".
  ApiResult<std::string_view> RequiredString(std::string_view member) const;

 private:
  Document document_;
  Value root_;
};

// AWS's one-constraint ValidationException text:
// "1 validation error detected: Value '<value>' at '<member>' failed to satisfy constraint:
// <constraint>".
ApiError ConstraintViolation(std::string_view value, std::string_view member,
                             std::string_view constraint);

}  // namespace stepd::service
