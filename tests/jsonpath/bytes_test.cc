#include "jsonpath/internal/bytes.h"

#include <string>

#include <gtest/gtest.h>

namespace stepd::internal {
namespace {

// Every length the overlapping loads treat differently, with a difference at every position:
// a byte the loads skipped would show up as a false match.
TEST(BytesTest, FindsADifferenceAtEveryPositionOfEveryLength) {
  for (std::size_t length = 0; length <= 40; ++length) {
    const std::string key(length, 'k');
    std::string same = key;
    EXPECT_TRUE(KeyEquals(key, same)) << length;
    for (std::size_t i = 0; i < length; ++i) {
      std::string other = key;
      other[i] = 'x';
      EXPECT_FALSE(KeyEquals(key, other)) << "length " << length << ", byte " << i;
    }
  }
}

TEST(BytesTest, ComparesLengthsFirst) {
  EXPECT_FALSE(KeyEquals("abc", "abcd"));
  EXPECT_FALSE(KeyEquals("", "a"));
  EXPECT_TRUE(KeyEquals("", ""));
}

}  // namespace
}  // namespace stepd::internal
