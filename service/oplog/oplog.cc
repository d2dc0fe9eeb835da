#include "service/oplog/oplog.h"

#include <cstdio>
#include <span>
#include <string>
#include <utility>

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace stepd::oplog {

namespace {

constexpr std::string_view kLoggerName = "stepd";

}  // namespace

std::optional<spdlog::level::level_enum> ParseLevel(std::string_view name) {
  for (const auto level : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                           spdlog::level::warn, spdlog::level::err, spdlog::level::off}) {
    if (name == LevelName(level)) {
      return level;
    }
  }
  return std::nullopt;
}

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "text") {
    return Format::kText;
  }
  if (name == "json") {
    return Format::kJson;
  }
  return std::nullopt;
}

OpLog::OpLog(const Options& options)
    : options_(options),
      pool_(std::make_shared<spdlog::details::thread_pool>(options.queue_records, 1)),
      previous_(spdlog::default_logger()) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(MakeFormatter(options.format));
  logger_ = std::make_shared<spdlog::async_logger>(std::string(kLoggerName), std::move(sink), pool_,
                                                   spdlog::async_overflow_policy::overrun_oldest);
  logger_->set_level(options.level);
  spdlog::set_default_logger(logger_);
}

OpLog::~OpLog() {
  spdlog::set_default_logger(previous_);
  const std::size_t dropped = pool_->overrun_counter();  // final: nothing logs here any more
  // The pool goes first: its writer thread writes every queued record and ends, so the
  // records' references to the logger are gone and the logger is destroyed here, not on
  // the writer thread behind the caller's back.
  pool_.reset();
  logger_.reset();
  if (dropped > 0 && options_.level <= spdlog::level::warn) {
    // Written directly: the queue is gone, and this record must not be dropped in turn.
    std::string payload;
    const Field count("dropped", dropped);
    EncodeRecord("log records dropped: the queue was full", std::span(&count, 1), payload);
    const spdlog::details::log_msg msg(kLoggerName, spdlog::level::warn, payload);
    spdlog::memory_buf_t line;
    MakeFormatter(options_.format)->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

void Log(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view message,
         std::initializer_list<Field> fields) {
  if (!logger.should_log(level)) {
    return;
  }
  if (fields.size() == 0 && (message.empty() || message[0] != kMarker)) {
    logger.log(spdlog::source_loc{}, level, spdlog::string_view_t(message.data(), message.size()));
    return;
  }
  std::string payload;
  EncodeRecord(message, std::span(fields.begin(), fields.size()), payload);
  logger.log(spdlog::source_loc{}, level, spdlog::string_view_t(payload.data(), payload.size()));
}

void Log(spdlog::level::level_enum level, std::string_view message,
         std::initializer_list<Field> fields) {
  Log(*spdlog::default_logger_raw(), level, message, fields);
}

}  // namespace stepd::oplog
