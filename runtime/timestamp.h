#pragma once
// Timestamps as ASL uses them: RFC 3339 / ISO-8601 extended offset date-times in Choice
// Timestamp* operators, IsTimestamp and Wait Timestamp(Path); and the forms AWS prints.
// Pure functions: no locale, no time zone database, no allocation; thread-safe.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace stepd::runtime {

// Nanoseconds since the Unix epoch, UTC.
using UnixNanos = std::int64_t;

// An instant anywhere in the years 0000-9999 that the text form allows. UnixNanos only spans
// 1677-2262, so comparisons (Choice Timestamp* operators) use this exact form instead.
struct ExactTimestamp {
  std::int64_t seconds = 0;  // since the Unix epoch, UTC (negative before 1970)
  std::int32_t nanos = 0;    // 0..999'999'999, added to `seconds`
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy misreads the defaulted comparison
  friend auto operator<=>(const ExactTimestamp&, const ExactTimestamp&) = default;
};

// Parses what AWS accepts: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` with an uppercase
// `T` and `Z`, valid calendar fields, 1 to 9 fraction digits and an offset of at most 18:00.
// Anything else (no offset, a space for T, month 13, second 60...) is nullopt.
std::optional<ExactTimestamp> ParseExactTimestamp(std::string_view text);

// ParseExactTimestamp() in UnixNanos. An instant outside UnixNanos's range saturates to its
// limits, so that a Wait until the year 3000 is "too long" rather than "not a timestamp".
std::optional<UnixNanos> ParseTimestamp(std::string_view text);

// Writes `2024-01-02T03:04:05.678Z` (millisecond precision, as the context object and events
// carry it) into `out`, which must hold kTimestampBytes; returns the length.
inline constexpr std::size_t kTimestampBytes = 32;
std::size_t FormatTimestamp(UnixNanos time, char* out);

}  // namespace stepd::runtime
