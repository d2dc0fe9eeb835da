#include "service/cli/args.h"

#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace stepd::cli {

bool ParsedArgs::Has(std::string_view name) const {
  return flags.contains(std::string(name)) || values.contains(std::string(name));
}

std::optional<std::string> ParsedArgs::Value(std::string_view name) const {
  const auto it = values.find(std::string(name));
  if (it == values.end()) {
    return std::nullopt;
  }
  return it->second;
}

ParsedArgs ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
  ParsedArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || !arg.starts_with("--")) {
      parsed.positional.push_back(arg);
      continue;
    }
    const auto eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs) {
      if (s.name == name) {
        spec = &s;
      }
    }
    if (spec == nullptr) {
      parsed.error = "unknown option --" + name;
      return parsed;
    }
    if (!spec->takes_value) {
      if (eq != std::string::npos) {
        parsed.error = "--" + name + " takes no value";
        return parsed;
      }
      parsed.flags.insert(name);
    } else if (eq != std::string::npos) {
      parsed.values[name] = arg.substr(eq + 1);
    } else if (spec->value_optional) {
      parsed.flags.insert(name);
    } else if (i + 1 < args.size()) {
      parsed.values[name] = args[++i];
    } else {
      parsed.error = "--" + name + " needs a value";
      return parsed;
    }
  }
  return parsed;
}

std::optional<std::uint64_t> ParseUnsigned(std::string_view text, std::uint64_t max) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value > max) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> ReadInput(const std::string& path, std::string& error) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace stepd::cli
