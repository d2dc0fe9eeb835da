// Fuzzes Document::Parse and the writer: any text that parses must print as JSON that parses
// again into an equal value (DeepEquals). Parse errors are expected; a round trip that fails
// or changes the value aborts with both texts. The lazy representation (used for large inputs)
// is forced on a third document and must agree with the DOM: same acceptance, same error, same
// output.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>

#include "jsonpath/document.h"
#include "jsonpath/value.h"
#include "jsonpath/writer.h"

namespace {

[[noreturn]] void Die(const char* what, std::string_view input, const std::string& output) {
  std::fprintf(stderr, "json_parse_fuzz: %s\ninput:  %.*s\noutput: %s\n", what,
               static_cast<int>(input.size()), input.data(), output.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Documents reused across runs, as a worker reuses its own.
  static auto* first = new stepd::Document(std::numeric_limits<std::size_t>::max());
  static auto* second = new stepd::Document(std::numeric_limits<std::size_t>::max());
  static auto* lazy = new stepd::Document(0);

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const stepd::Result<stepd::Value> parsed = first->Parse(input);
  const stepd::Result<stepd::Value> parsed_lazily = lazy->Parse(input);
  if (parsed.has_value() != parsed_lazily.has_value()) {
    Die(parsed.has_value() ? "only the DOM accepts it" : "only the lazy parser accepts it", input,
        "");
  }
  if (!parsed) {
    if (parsed.error().cause != parsed_lazily.error().cause) {
      Die("the lazy parser names the mistake differently", input,
          std::string(parsed_lazily.error().cause));
    }
    return 0;
  }
  const std::string output = stepd::ToJson(*parsed);
  if (stepd::ToJson(*parsed_lazily) != output) {
    Die("the lazy parser prints it differently", input, stepd::ToJson(*parsed_lazily));
  }
  if (!stepd::DeepEquals(*parsed, *parsed_lazily)) {
    Die("the lazy parser reads a different value", input, output);
  }
  const stepd::Result<stepd::Value> reparsed = second->Parse(output);
  if (!reparsed) {
    Die("the writer's output does not parse", input, output);
  }
  if (!stepd::DeepEquals(*parsed, *reparsed)) {
    Die("the writer's output parses into a different value", input, output);
  }
  if (stepd::ToJson(*reparsed) != output) {
    Die("printing is not stable across a round trip", input, output);
  }
  return 0;
}
