#pragma once
// A JSON answer parsed for a test's assertions. Its Values stay valid while it lives.

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "jsonpath/document.h"
#include "jsonpath/value.h"
#include "jsonpath/writer.h"

namespace stepd::testing {

struct ParsedJson {
  explicit ParsedJson(std::string_view text) {
    auto parsed = document.Parse(text);
    EXPECT_TRUE(parsed.has_value()) << text;
    if (parsed) {
      root = *parsed;
    }
  }
  Value operator[](std::string_view key) const { return root.Find(key); }
  std::string Text(std::string_view key) const { return TextOf(root.Find(key)); }

  // The string `v` holds, or what it holds instead, for a failing comparison to show.
  static std::string TextOf(Value v) {
    return v.IsString() ? std::string(v.AsString()) : "<not a string: " + ToJson(v) + ">";
  }

  Document document;
  Value root;
};

}  // namespace stepd::testing
