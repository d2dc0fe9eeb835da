// Fuzzes FilterPattern::Compile, which reads the filterPattern of every FilterLogEvents request,
// with arbitrary text, and matches whatever compiles against a few log messages: an execution
// log record, a plain line, the pattern's own text and a long message made of it. Invalid
// patterns are expected; crashes, sanitizer reports, leaks and hangs (a matcher that is not
// linear in the message) are bugs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "service/logs/filter_pattern.h"

namespace {

constexpr std::string_view kRecord =
    R"({"id":"3","type":"TaskFailed","details":{"resourceType":"lambda","error":"Lambda.Unknown",)"
    R"("cause":"boom"},"previous_event_id":"2","event_timestamp":"1700000000000",)"
    R"("n":12.5,"flag":true,"nothing":null,"list":[{"k":"v"},7]})";
constexpr std::string_view kLine = "[ERROR 401] UNAUTHORIZED REQUEST from 10.0.0.1 at 12:00";
constexpr std::size_t kLongBytes = 16 * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pattern = stepd::logs::FilterPattern::Compile(text);
  if (!pattern) {
    return 0;
  }
  std::string long_message;
  while (!text.empty() && long_message.size() < kLongBytes) {
    long_message += text;
  }
  // The answers are not checked (there is no second implementation to check them against); the
  // matches must only finish, cleanly.
  volatile bool sink = pattern->Matches(kRecord);
  sink = pattern->Matches(kLine);
  sink = pattern->Matches(text);
  sink = pattern->Matches(long_message);
  (void)sink;
  return 0;
}
