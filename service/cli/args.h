#pragma once
// A small command-line parser for stepd's subcommands: positional arguments and long options
// (`--name VALUE`, `--name=VALUE`, flags). Errors are reported as text for the caller to print
// with the command's usage; nothing here exits the process.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::cli {

struct OptionSpec {
  std::string name;  // without the leading "--"
  bool takes_value = false;
  bool value_optional = false;  // `--events` or `--events=FILE`
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // options given with a value
  std::set<std::string> flags;                // options given without one
  std::string error;                          // non-empty when the command line is wrong

  bool Has(std::string_view name) const;
  std::optional<std::string> Value(std::string_view name) const;
};

ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);

// A whole decimal number from 0 to `max`: digits only, no sign, no spaces. nullopt otherwise.
std::optional<std::uint64_t> ParseUnsigned(std::string_view text, std::uint64_t max);

// Reads a whole file, or standard input for "-". Returns nullopt and sets `error` on failure.
std::optional<std::string> ReadInput(const std::string& path, std::string& error);

}  // namespace stepd::cli
