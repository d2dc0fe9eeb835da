#include "runtime/timestamp.h"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace stepd::runtime {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::string Format(UnixNanos time) {
  char buffer[kTimestampBytes];
  return std::string(buffer, FormatTimestamp(time, buffer));
}

TEST(TimestampTest, ParsesUtc) {
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestamp("2016-03-14T01:59:00Z"), 1457920740 * kNanosPerSecond);
}

// test_wait_timestamp(NANOSECONDS) and test_wait_timestamppath(.00Z / .000000Z) succeed on AWS.
TEST(TimestampTest, ParsesOneToNineFractionDigits) {
  const UnixNanos base = *ParseTimestamp("2025-01-01T00:00:00Z");
  EXPECT_EQ(ParseTimestamp("2025-01-01T00:00:00.00Z"), base);
  EXPECT_EQ(ParseTimestamp("2025-01-01T00:00:00.000000Z"), base);
  EXPECT_EQ(ParseTimestamp("2025-01-01T00:00:00.5Z"), base + 500'000'000);
  EXPECT_EQ(ParseTimestamp("2016-03-05T21:29:29.243167252Z"),
            *ParseTimestamp("2016-03-05T21:29:29Z") + 243'167'252);
  EXPECT_EQ(ParseTimestamp("2025-01-01T00:00:00.1234567890Z"), std::nullopt);
  EXPECT_EQ(ParseTimestamp("2025-01-01T00:00:00.Z"), std::nullopt);
}

TEST(TimestampTest, AppliesNumericOffsets) {
  EXPECT_EQ(ParseTimestamp("2012-10-09T19:00:55+01:00"), 1349805655 * kNanosPerSecond);
  EXPECT_EQ(ParseTimestamp("2012-10-09T12:30:55-05:30"), ParseTimestamp("2012-10-09T18:00:55Z"));
  EXPECT_EQ(ParseTimestamp("2012-10-09T18:00:55-00:00"), ParseTimestamp("2012-10-09T18:00:55Z"));
  EXPECT_TRUE(ParseTimestamp("2012-10-09T18:00:55+18:00"));
  EXPECT_FALSE(ParseTimestamp("2012-10-09T18:00:55+18:01"));
  EXPECT_FALSE(ParseTimestamp("2012-10-09T18:00:55+01:60"));
  EXPECT_FALSE(ParseTimestamp("2012-10-09T18:00:55+0100"));
  EXPECT_FALSE(ParseTimestamp("2012-10-09T18:00:55+01"));
  EXPECT_FALSE(ParseTimestamp("2012-10-09T18:00:55+01:00:00"));
}

// The invalid forms are the ones AWS rejects in scenarios/test_wait_timestamp_path(*).
TEST(TimestampTest, RejectsWhatAwsRejects) {
  for (const std::string_view text : {
           "2016-13-05T21:29:29Z",        // INVALID_DATE
           "05-12-2016T21:29:29Z",        // INVALID_ISO
           "2016-12-05T25:29:29Z",        // INVALID_TIME
           "2016-12-05 21:29:29Z",        // NO_T
           "2016-12-05T21:29:29",         // NO_Z
           "2016-12-05t21:29:29Z",        // lowercase t
           "2016-12-05T21:29:29z",        // lowercase z
           "2023-02-24",                  // a date alone
           "2023-02-24 12:15:56.832957",  // Python's str(datetime)
           "2016-12-05T21:29Z",           // no seconds
           "2016-12-05T21:29:60Z",        // leap second
           "2016-12-05T21:60:29Z",
           "2016-12-00T21:29:29Z",
           "2016-00-05T21:29:29Z",
           "2016-04-31T21:29:29Z",
           "2016-12-05T21:29:29Zx",
           " 2016-12-05T21:29:29Z",
           "+2016-12-05T21:29:29Z",
           "2016-1-05T21:29:29Z",
           "",
       }) {
    EXPECT_EQ(ParseTimestamp(text), std::nullopt) << text;
  }
}

TEST(TimestampTest, KnowsLeapYears) {
  EXPECT_TRUE(ParseTimestamp("2016-02-29T00:00:00Z"));
  EXPECT_TRUE(ParseTimestamp("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseTimestamp("2015-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseTimestamp("1900-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseTimestamp("2016-02-30T00:00:00Z"));
}

// Every day of two centuries is exactly one day after the one before it.
TEST(TimestampTest, ConsecutiveDaysAreOneDayApart) {
  std::optional<UnixNanos> previous;
  char text[32];
  for (int year = 1900; year <= 2100; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= 31; ++day) {
        std::snprintf(text, sizeof(text), "%04d-%02d-%02dT00:00:00Z", year, month, day);
        const std::optional<UnixNanos> time = ParseTimestamp(text);
        if (!time) {
          continue;  // the 30th of February and friends
        }
        if (previous) {
          ASSERT_EQ(*time - *previous, 86'400 * kNanosPerSecond) << text;
        }
        previous = time;
      }
    }
  }
  EXPECT_EQ(previous, ParseTimestamp("2100-12-31T00:00:00Z"));
}

TEST(TimestampTest, ExactFormCoversYearsZeroToNineThousand) {
  const std::optional<ExactTimestamp> last = ParseExactTimestamp("9999-12-31T23:59:59.999999999Z");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->seconds, 253402300799);
  EXPECT_EQ(last->nanos, 999'999'999);
  const std::optional<ExactTimestamp> first = ParseExactTimestamp("0000-01-01T00:00:00Z");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->seconds, -62167219200);  // year 0 is a leap year in the proleptic calendar
  EXPECT_LT(*first, *last);
}

TEST(TimestampTest, SaturatesOutsideUnixNanos) {
  EXPECT_EQ(ParseTimestamp("3000-01-01T00:00:00Z"), std::numeric_limits<UnixNanos>::max());
  EXPECT_EQ(ParseTimestamp("1000-01-01T00:00:00Z"), std::numeric_limits<UnixNanos>::min());
  EXPECT_EQ(ParseTimestamp("2262-04-11T23:47:16.854775807Z"),
            std::numeric_limits<UnixNanos>::max());
  EXPECT_EQ(ParseTimestamp("1677-09-21T00:12:43.145224192Z"),
            std::numeric_limits<UnixNanos>::min());
  EXPECT_EQ(ParseTimestamp("1677-09-21T00:12:43.145224193Z"),
            std::numeric_limits<UnixNanos>::min() + 1);
}

TEST(TimestampTest, FormatsMillisecondsInUtc) {
  EXPECT_EQ(Format(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Format(1704164645 * kNanosPerSecond + 678'999'999), "2024-01-02T03:04:05.678Z");
  EXPECT_EQ(Format(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(Format(std::numeric_limits<UnixNanos>::min()), "1677-09-21T00:12:43.145Z");
  EXPECT_EQ(Format(std::numeric_limits<UnixNanos>::max()), "2262-04-11T23:47:16.854Z");
}

TEST(TimestampTest, FormatThenParseTruncatesToMilliseconds) {
  for (UnixNanos time = -3'000'000'000'000'000'000; time < 9'000'000'000'000'000'000;
       time += 123'456'789'012'345'677) {
    const std::string text = Format(time);
    const UnixNanos millis = time / 1'000'000 * 1'000'000;
    const UnixNanos floored = millis > time ? millis - 1'000'000 : millis;
    EXPECT_EQ(ParseTimestamp(text), floored) << text;
  }
}

}  // namespace
}  // namespace stepd::runtime
