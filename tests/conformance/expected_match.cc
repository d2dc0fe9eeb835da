#include "tests/conformance/expected_match.h"

#include <regex>

#include "jsonpath/writer.h"

namespace stepd::conformance {

namespace {

const std::regex& PlaceholderPattern() {
  static const std::regex pattern("<[A-Za-z][A-Za-z0-9_.:+-]*>");
  return pattern;
}

std::string EscapeRegex(std::string_view text) {
  static const std::string kSpecial = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : text) {
    if (kSpecial.find(c) != std::string::npos) {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

bool StringMatches(std::string_view expected, std::string_view actual) {
  const std::string text(expected);
  std::string pattern;
  std::size_t last = 0;
  bool any = false;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), PlaceholderPattern());
       it != std::sregex_iterator(); ++it) {
    any = true;
    const auto at = static_cast<std::size_t>(it->position());
    pattern += EscapeRegex(std::string_view(text).substr(last, at - last));
    pattern += "[\\s\\S]*";
    last = at + static_cast<std::size_t>(it->length());
  }
  if (!any) {
    return expected == actual;
  }
  pattern += EscapeRegex(std::string_view(text).substr(last));
  return std::regex_match(std::string(actual), std::regex(pattern));
}

bool ValueMatches(Value expected, Value actual, std::string& where, const std::string& path) {
  const auto mismatch = [&]() {
    where = path + ": expected " + ToJson(expected) + ", got " +
            (actual.IsMissing() ? std::string("nothing") : ToJson(actual));
    return false;
  };
  if (expected.IsString() &&
      std::regex_match(std::string(expected.AsString()), PlaceholderPattern())) {
    return true;  // a lone placeholder stands for any value
  }
  if (expected.type() != actual.type()) {
    return mismatch();
  }
  switch (expected.type()) {
    case JsonType::kString:
      return StringMatches(expected.AsString(), actual.AsString()) || mismatch();
    case JsonType::kNumber:
    case JsonType::kBool:
    case JsonType::kNull:
    case JsonType::kMissing:
      return DeepEquals(expected, actual) || mismatch();
    case JsonType::kArray: {
      if (expected.Size() != actual.Size()) {
        return mismatch();
      }
      for (std::size_t i = 0; i < expected.Size(); ++i) {
        if (!ValueMatches(expected.At(i), actual.At(i), where,
                          path + "[" + std::to_string(i) + "]")) {
          return false;
        }
      }
      return true;
    }
    case JsonType::kObject: {
      if (expected.Size() != actual.Size()) {
        return mismatch();
      }
      return expected.AllMembers([&](std::string_view key, Value value) {
        return ValueMatches(value, actual.Find(key), where, path + "." + std::string(key));
      });
    }
  }
  return mismatch();
}

}  // namespace stepd::conformance
