#pragma once
// The two shapes of stepd's operational log, as spdlog formatters (one per sink; spdlog calls a
// sink's formatter under the sink's lock, on the thread that writes the record).
//
//   text: 2026-11-21T10:00:00.123Z info  stepd: listening url=http://127.0.0.1:8083 threads=4
//   json: {"time":"2026-11-21T10:00:00.123Z","level":"info","logger":"stepd",
//          "message":"listening","url":"http://127.0.0.1:8083","threads":4}   (one line)
//
// Times are UTC with milliseconds. Fields follow the message (record.h). JSON lines are always
// valid JSON and valid UTF-8: quotes, backslashes and control characters are escaped, UTF-8 is
// copied as it is, and bytes that are not UTF-8 become U+FFFD. Text lines are for people: the
// message is written as it is except control characters (escaped, so one record stays one
// line), and a field value is quoted when it is empty or holds a space, quote, '=' or control.

#include <memory>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

namespace stepd::oplog {

enum class Format { kText, kJson };

// "trace", "debug", "info", "warn", "error", "critical", "off".
std::string_view LevelName(spdlog::level::level_enum level);

std::unique_ptr<spdlog::formatter> MakeFormatter(Format format);

}  // namespace stepd::oplog
