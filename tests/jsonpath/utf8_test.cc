#include "jsonpath/internal/utf8.h"

#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace stepd::internal {
namespace {

TEST(Utf8Test, DecodesCodePoints) {
  EXPECT_EQ(DecodeUtf8("a", 0).code_point, U'a');
  EXPECT_EQ(DecodeUtf8("x\xC3\xA9", 1).code_point, U'\u00e9');
  EXPECT_EQ(DecodeUtf8("\xE2\x82\xAC", 0).code_point, U'\u20ac');
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80", 0).code_point, U'\U0001F600');
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80", 0).length, 4U);
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98", 0).length, 0U);  // cut short by the end
}

// Decoding a text sequence by sequence reaches its end exactly when simdjson's validator
// accepts it: every one- and two-byte text, every three-byte text that starts with a three-byte
// lead, and every four-byte lead and second byte with the edges of the continuation range after.
TEST(Utf8Test, AgreesWithSimdjsonsValidator) {
  const auto decodes_whole = [](const std::string& text) {
    for (std::size_t i = 0; i < text.size();) {
      const std::size_t length = DecodeUtf8(text, i).length;
      if (length == 0) {
        return false;
      }
      i += length;
    }
    return true;
  };
  const auto check = [&](const std::string& text) {
    const bool whole = decodes_whole(text);
    ASSERT_EQ(whole, simdjson::validate_utf8(text.data(), text.size()))
        << std::hex << static_cast<int>(static_cast<unsigned char>(text[0]));
  };
  for (int a = 0; a < 256; ++a) {
    check(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      check({static_cast<char>(a), static_cast<char>(b)});
    }
  }
  for (int a = 0xE0; a <= 0xEF; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        check({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
      }
    }
  }
  for (int a = 0xF0; a <= 0xF7; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (const char c : {'\x7F', '\x80', '\xBF', '\xC0'}) {
        check({static_cast<char>(a), static_cast<char>(b), c, '\x80'});
        check({static_cast<char>(a), static_cast<char>(b), '\x80', c});
      }
    }
  }
}

}  // namespace
}  // namespace stepd::internal
