#include "runtime/timestamp.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace stepd::runtime {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
// java.time.ZoneOffset's limit, which AWS's parser enforces.
constexpr int kMaxOffsetMinutes = 18 * 60;
constexpr std::size_t kMaxFractionDigits = 9;

// Reads exactly `count` ASCII digits at `pos`; false if any is not a digit or the text ends.
bool ReadDigits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) {
    return false;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

bool IsLeapYear(int year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int DaysInMonth(int year, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) {
    return 29;
  }
  return kDays[month - 1];
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
// Exact for every year, with no table and no dependence on timegm() or the process time zone.
std::int64_t DaysFromCivil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;  // [0, 399]
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

// The inverse of DaysFromCivil (same source).
CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;  // [0, 146096]
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;              // March = 0
  const int day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  const int month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// Floor division, so that instants before 1970 format with a positive time of day.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

char* PutDigits(char* out, std::int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

std::optional<ExactTimestamp> ParseExactTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS is fixed width: separators at known offsets.
  constexpr std::size_t kSecondsEnd = 19;
  if (text.size() <= kSecondsEnd || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!ReadDigits(text, 0, 4, year) || !ReadDigits(text, 5, 2, month) ||
      !ReadDigits(text, 8, 2, day) || !ReadDigits(text, 11, 2, hour) ||
      !ReadDigits(text, 14, 2, minute) || !ReadDigits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return std::nullopt;
  }

  std::size_t pos = kSecondsEnd;
  std::int32_t nanos = 0;
  if (text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    std::int32_t scale = 100'000'000;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > kMaxFractionDigits) {
        return std::nullopt;
      }
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (digits == 0) {
      return std::nullopt;
    }
  }

  int offset_minutes = 0;
  if (pos == text.size()) {
    return std::nullopt;  // AWS requires an offset: "2016-12-05T21:29:29" is rejected
  }
  if (text[pos] == 'Z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int offset_hours = 0;
    int offset_mins = 0;
    if (!ReadDigits(text, pos + 1, 2, offset_hours) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !ReadDigits(text, pos + 4, 2, offset_mins) || offset_mins > 59) {
      return std::nullopt;
    }
    offset_minutes = offset_hours * 60 + offset_mins;
    if (offset_minutes > kMaxOffsetMinutes) {
      return std::nullopt;
    }
    if (text[pos] == '-') {
      offset_minutes = -offset_minutes;
    }
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) {
    return std::nullopt;
  }

  // Local time minus its offset is UTC.
  const std::int64_t minutes = std::int64_t{hour} * 60 + minute - offset_minutes;
  const std::int64_t seconds =
      DaysFromCivil(year, month, day) * kSecondsPerDay + minutes * 60 + second;
  return ExactTimestamp{seconds, nanos};
}

std::optional<UnixNanos> ParseTimestamp(std::string_view text) {
  const std::optional<ExactTimestamp> exact = ParseExactTimestamp(text);
  if (!exact) {
    return std::nullopt;
  }
  std::int64_t seconds = exact->seconds;
  std::int64_t fraction = exact->nanos;
  if (seconds < 0 && fraction > 0) {
    // Borrow a second so that the earliest representable instants do not overflow on the way.
    seconds += 1;
    fraction -= kNanosPerSecond;
  }
  UnixNanos nanos = 0;
  if (__builtin_mul_overflow(seconds, kNanosPerSecond, &nanos) ||
      __builtin_add_overflow(nanos, fraction, &nanos)) {
    return exact->seconds < 0 ? std::numeric_limits<UnixNanos>::min()
                              : std::numeric_limits<UnixNanos>::max();
  }
  return nanos;
}

std::size_t FormatTimestamp(UnixNanos time, char* out) {
  const std::int64_t millis = FloorDiv(time, 1'000'000);
  const std::int64_t seconds = FloorDiv(millis, 1000);
  const std::int64_t days = FloorDiv(seconds, kSecondsPerDay);
  const std::int64_t second_of_day = seconds - days * kSecondsPerDay;
  const CivilDate date = CivilFromDays(days);

  char* p = PutDigits(out, date.year, 4);
  *p++ = '-';
  p = PutDigits(p, date.month, 2);
  *p++ = '-';
  p = PutDigits(p, date.day, 2);
  *p++ = 'T';
  p = PutDigits(p, second_of_day / 3600, 2);
  *p++ = ':';
  p = PutDigits(p, second_of_day / 60 % 60, 2);
  *p++ = ':';
  p = PutDigits(p, second_of_day % 60, 2);
  *p++ = '.';
  p = PutDigits(p, millis - seconds * 1000, 3);
  *p++ = 'Z';
  return static_cast<std::size_t>(p - out);
}

}  // namespace stepd::runtime
