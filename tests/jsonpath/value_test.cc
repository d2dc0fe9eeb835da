#include "jsonpath/value.h"

#include <gtest/gtest.h>

#include "jsonpath/arena.h"
#include "jsonpath/document.h"
#include "jsonpath/writer.h"

namespace stepd {
namespace {

TEST(ValueTest, ParsesAndReserializesCompactly) {
  Document doc;
  auto root = doc.Parse(R"({ "b": 1, "a": [true, null, "x\"y", 2.5, -3], "c": {} })");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(ToJson(*root), R"({"b":1,"a":[true,null,"x\"y",2.5,-3],"c":{}})");
}

}  // namespace
}  // namespace stepd
