#include "service/api/aws_json.h"

#include "jsonpath/writer.h"

namespace stepd::service {

void AppendMember(std::string_view key, std::string_view value, std::string& out) {
  out += ",\"";
  out += key;
  out += "\":";
  AppendJsonString(value, out);
}

void AppendEpochSeconds(std::int64_t epoch_millis, std::string& out) {
  out += std::to_string(epoch_millis / 1000);
  const auto fraction = static_cast<int>(epoch_millis % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + fraction / 100),
                          static_cast<char>('0' + fraction / 10 % 10),
                          static_cast<char>('0' + fraction % 10)};
  out.append(digits, sizeof digits);
}

}  // namespace stepd::service
