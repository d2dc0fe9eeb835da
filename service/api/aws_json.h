#pragma once
// Pieces of AWS JSON protocol answers that several actions write.

#include <cstdint>
#include <string>
#include <string_view>

namespace stepd::service {

// Appends `,"<key>":"<value, escaped>"`: a string member after the first one.
void AppendMember(std::string_view key, std::string_view value, std::string& out);

// Appends a timestamp as the AWS JSON protocol prints it: epoch seconds with a three-digit
// millisecond fraction, 1700000000.123.
void AppendEpochSeconds(std::int64_t epoch_millis, std::string& out);

}  // namespace stepd::service
