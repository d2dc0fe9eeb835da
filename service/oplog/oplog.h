#pragma once
// stepd's operational log: what the server says about itself (start-up, configuration,
// warnings, listen failures, the drain report), as opposed to the execution logs of
// service/logs/. Records go through spdlog to standard error, as text for people or as one JSON
// object per line for a log shipper (formatter.h).
//
// OpLog installs an asynchronous spdlog logger named "stepd" as spdlog's default logger for its
// lifetime, so any module may log with spdlog::info(...) or the SPDLOG_* macros (SPDLOG_DEBUG
// and SPDLOG_TRACE compile to nothing unless SPDLOG_ACTIVE_LEVEL lets them); Log() adds
// structured fields. Callers only enqueue (a record below the level costs a comparison and no
// allocation); formatting and writing happen on spdlog's thread, and when the bounded queue is
// full the oldest record is dropped rather than blocking the caller. The drop count is reported
// when the OpLog ends.
//
//   const oplog::OpLog log({.level = spdlog::level::info, .format = oplog::Format::kJson});
//   oplog::Log(spdlog::level::info, "listening", {{"url", url}, {"threads", 4}});

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>

#include <spdlog/common.h>

#include "service/oplog/formatter.h"
#include "service/oplog/record.h"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}  // namespace details
}  // namespace spdlog

namespace stepd::oplog {

// The command-line names: trace, debug, info, warn, error, off. nullopt for anything else.
std::optional<spdlog::level::level_enum> ParseLevel(std::string_view name);
// text, json. nullopt for anything else.
std::optional<Format> ParseFormat(std::string_view name);

struct Options {
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::kText;
  std::size_t queue_records = 8192;  // records waiting for the writer before the oldest drop
};

// Owns the logger and its writer thread. Construct and destroy it on one thread while nothing
// else logs (spdlog's default logger is swapped without a lock), e.g. around a server's Run().
class OpLog {
 public:
  explicit OpLog(const Options& options);
  // Writes every queued record, reports dropped ones, and restores the previous default logger.
  ~OpLog();
  OpLog(const OpLog&) = delete;
  OpLog& operator=(const OpLog&) = delete;

 private:
  Options options_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Logs `message` with `fields` to `logger`, or to spdlog's default logger. Thread-safe.
void Log(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view message,
         std::initializer_list<Field> fields = {});
void Log(spdlog::level::level_enum level, std::string_view message,
         std::initializer_list<Field> fields = {});

}  // namespace stepd::oplog
