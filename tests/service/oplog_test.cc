#include "service/oplog/oplog.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "service/oplog/formatter.h"
#include "service/oplog/record.h"
#include "tests/service/parsed_json.h"

namespace stepd::oplog {
namespace {

using namespace std::chrono_literals;
using stepd::testing::ParsedJson;

// 2026-11-21T10:00:00.123Z
const spdlog::log_clock::time_point kTime =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 21} + 10h + 123ms;

// One formatted line for a payload as Log() would hand it to spdlog.
std::string FormatPayload(Format format, spdlog::level::level_enum level, std::string_view payload,
                          spdlog::log_clock::time_point time = kTime) {
  const spdlog::details::log_msg msg(time, spdlog::source_loc{}, "stepd", level, payload);
  spdlog::memory_buf_t out;
  MakeFormatter(format)->format(msg, out);
  return std::string(out.data(), out.size());
}

std::string FormatRecord(Format format, spdlog::level::level_enum level, std::string_view message,
                         std::initializer_list<Field> fields = {}) {
  std::string payload;
  EncodeRecord(message, std::span(fields.begin(), fields.size()), payload);
  return FormatPayload(format, level, payload);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(OplogOptionsTest, ParsesTheCommandLineLevelNames) {
  EXPECT_EQ(ParseLevel("trace"), spdlog::level::trace);
  EXPECT_EQ(ParseLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(ParseLevel("info"), spdlog::level::info);
  EXPECT_EQ(ParseLevel("warn"), spdlog::level::warn);
  EXPECT_EQ(ParseLevel("error"), spdlog::level::err);
  EXPECT_EQ(ParseLevel("off"), spdlog::level::off);
  for (const std::string_view bad :
       {"", "INFO", "warning", "err", "critical", "verbose", "info "}) {
    EXPECT_EQ(ParseLevel(bad), std::nullopt) << bad;
  }
}

TEST(OplogOptionsTest, ParsesTheFormatNames) {
  EXPECT_EQ(ParseFormat("text"), Format::kText);
  EXPECT_EQ(ParseFormat("json"), Format::kJson);
  for (const std::string_view bad : {"", "JSON", "logfmt", "jsonl", "text "}) {
    EXPECT_EQ(ParseFormat(bad), std::nullopt) << bad;
  }
}

TEST(OplogFormatterTest, JsonLineHasTheDocumentedShape) {
  EXPECT_EQ(FormatRecord(Format::kJson, spdlog::level::info, "listening",
                         {{"url", "http://127.0.0.1:8083"}, {"threads", 4u}}),
            R"({"time":"2026-11-21T10:00:00.123Z","level":"info","logger":"stepd",)"
            R"("message":"listening","url":"http://127.0.0.1:8083","threads":4})"
            "\n");
}

TEST(OplogFormatterTest, TextLineHasTheDocumentedShape) {
  EXPECT_EQ(
      FormatRecord(Format::kText, spdlog::level::info, "listening",
                   {{"url", "http://127.0.0.1:8083"}, {"threads", 4u}}),
      "2026-11-21T10:00:00.123Z info  stepd: listening url=http://127.0.0.1:8083 threads=4\n");
}

TEST(OplogFormatterTest, TimesAreUtcWithMillisecondsBeforeAndAfterTheEpoch) {
  const auto json = [](spdlog::log_clock::time_point time) {
    return ParsedJson(FormatPayload(Format::kJson, spdlog::level::info, "m", time)).Text("time");
  };
  EXPECT_EQ(json(spdlog::log_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(json(kTime + 876ms + 999us), "2026-11-21T10:00:00.999Z");  // truncated, not rounded
  EXPECT_EQ(json(spdlog::log_clock::time_point{} - 1ms), "1969-12-31T23:59:59.999Z");
}

TEST(OplogFormatterTest, EveryLevelHasItsName) {
  const std::pair<spdlog::level::level_enum, std::string_view> levels[] = {
      {spdlog::level::trace, "trace"}, {spdlog::level::debug, "debug"},
      {spdlog::level::info, "info"},   {spdlog::level::warn, "warn"},
      {spdlog::level::err, "error"},   {spdlog::level::critical, "critical"}};
  for (const auto& [level, name] : levels) {
    EXPECT_EQ(LevelName(level), name);
    EXPECT_EQ(ParsedJson(FormatRecord(Format::kJson, level, "m")).Text("level"), name);
    const std::string text = FormatRecord(Format::kText, level, "m");
    EXPECT_EQ(text.substr(25, name.size()), name) << text;
  }
  // Text pads the short names so that messages line up.
  EXPECT_EQ(FormatRecord(Format::kText, spdlog::level::warn, "m"),
            "2026-11-21T10:00:00.123Z warn  stepd: m\n");
}

TEST(OplogFormatterTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  const std::string message = "say \"hi\" \\ /\n\r\t\b\f\x01\x1f\x7f end";
  const std::string line = FormatRecord(Format::kJson, spdlog::level::info, message);
  EXPECT_NE(line.find(R"("message":"say \"hi\" \\ /\n\r\t\u0008\u000c\u0001\u001f)"
                      "\x7f"
                      R"( end")"),
            std::string::npos)
      << line;
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one record, one line";
  EXPECT_EQ(ParsedJson(line).Text("message"), message);
}

TEST(OplogFormatterTest, JsonCopiesUtf8AndReplacesWhatIsNotUtf8) {
  const std::string utf8 = "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
  EXPECT_EQ(ParsedJson(FormatRecord(Format::kJson, spdlog::level::info, utf8)).Text("message"),
            utf8);
  const std::pair<std::string, std::string> broken[] = {
      {"a\xff"
       "b",
       R"(a\ufffdb)"},                                      // never valid
      {"a\xc3", R"(a\ufffd)"},                              // cut short at the end
      {"\xe2\x82x", R"(\ufffd\ufffdx)"},                    // cut short before another character
      {"\xc0\xaf", R"(\ufffd\ufffd)"},                      // overlong '/'
      {"\xe0\x80\xaf", R"(\ufffd\ufffd\ufffd)"},            // overlong, three bytes
      {"\xed\xa0\x80", R"(\ufffd\ufffd\ufffd)"},            // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", R"(\ufffd\ufffd\ufffd\ufffd)"},  // past U+10FFFF
      {"\x80", R"(\ufffd)"},                                // a lone continuation byte
  };
  for (const auto& [raw, escaped] : broken) {
    const std::string line =
        FormatRecord(Format::kJson, spdlog::level::info, "m", {{"value", raw}});
    EXPECT_NE(line.find(R"("value":")" + escaped + "\"}"), std::string::npos) << line;
    ParsedJson parsed(line);  // fails the test unless the line is valid JSON and UTF-8
    EXPECT_TRUE(parsed["value"].IsString()) << line;
  }
}

TEST(OplogFormatterTest, JsonFieldsKeepTheirKinds) {
  const std::string line = FormatRecord(Format::kJson, spdlog::level::info, "m",
                                        {{"name", "x"},
                                         {"count", std::numeric_limits<std::uint64_t>::max()},
                                         {"delta", std::int64_t{-5}},
                                         {"ok", true},
                                         {"timed_out", false},
                                         {"empty", ""}});
  EXPECT_NE(line.find(R"("name":"x","count":18446744073709551615,"delta":-5,"ok":true,)"
                      R"("timed_out":false,"empty":""})"),
            std::string::npos)
      << line;
  ParsedJson parsed(line);
  EXPECT_EQ(parsed["count"].AsUint(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parsed["delta"].AsInt(), -5);
  EXPECT_TRUE(parsed["ok"].IsBool() && parsed["ok"].AsBool());
}

TEST(OplogFormatterTest, TextEscapesControlsAndQuotesValuesThatNeedIt) {
  EXPECT_EQ(
      FormatRecord(Format::kText, spdlog::level::warn, "a \"quoted\" line\nforged",
                   {{"plain", "abc"},
                    {"empty", ""},
                    {"spaced", "a b"},
                    {"tricky", "k=\"v\" \\"},
                    {"tab", "a\tb"},
                    {"bell", "\x07"},
                    {"n", 3},
                    {"ok", true}}),
      "2026-11-21T10:00:00.123Z warn  stepd: a \"quoted\" line\\nforged plain=abc empty=\"\" "
      "spaced=\"a b\" tricky=\"k=\\\"v\\\" \\\\\" tab=\"a\\tb\" bell=\"\\x07\" n=3 ok=true\n");
}

TEST(OplogFormatterTest, APlainPayloadIsAllMessage) {
  // What spdlog::info("...") and the SPDLOG_* macros log: no encoding, no fields.
  EXPECT_EQ(FormatPayload(Format::kJson, spdlog::level::info, "disk 90% full"),
            R"({"time":"2026-11-21T10:00:00.123Z","level":"info","logger":"stepd",)"
            R"("message":"disk 90% full"})"
            "\n");
  // A malformed encoding is shown whole rather than cut short.
  const std::string broken(
      "\0"
      "5:hello,sx",
      11);
  EXPECT_EQ(ParsedJson(FormatPayload(Format::kJson, spdlog::level::info, broken)).Text("message"),
            broken);
}

TEST(OplogRecordTest, DecodesWhatItEncodes) {
  const std::string message("\0starts with the marker", 23);
  const Field fields[] = {{"k", "v,1:x"}, {"n", 12}, {"", ""}};
  std::string payload;
  EncodeRecord(message, fields, payload);
  RecordReader reader(payload);
  EXPECT_EQ(reader.message(), message);
  FieldView field;
  ASSERT_TRUE(reader.Next(field));
  EXPECT_EQ(field.key, "k");
  EXPECT_EQ(field.value, "v,1:x");
  EXPECT_TRUE(field.quoted);
  ASSERT_TRUE(reader.Next(field));
  EXPECT_EQ(field.key, "n");
  EXPECT_EQ(field.value, "12");
  EXPECT_FALSE(field.quoted);
  ASSERT_TRUE(reader.Next(field));
  EXPECT_EQ(field.key, "");
  EXPECT_EQ(field.value, "");
  EXPECT_FALSE(reader.Next(field));
}

// A synchronous logger over a string stream, with the JSON formatter.
struct StreamLogger {
  StreamLogger() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
    sink->set_formatter(MakeFormatter(Format::kJson));
    logger = std::make_shared<spdlog::logger>("stepd", std::move(sink));
    logger->set_level(spdlog::level::info);
  }
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
};

TEST(OplogLogTest, WritesRecordsAtOrAboveTheLevel) {
  StreamLogger log;
  Log(*log.logger, spdlog::level::debug, "hidden", {{"k", 1}});
  Log(*log.logger, spdlog::level::info, "shown", {{"k", 1}});
  Log(*log.logger, spdlog::level::err, "no fields");
  log.logger->warn("spdlog's own call: {} + {}", 1, 2);
  const std::vector<std::string> lines = Lines(log.out.str());
  ASSERT_EQ(lines.size(), 3u) << log.out.str();
  ParsedJson shown(lines[0]);
  EXPECT_EQ(shown.Text("message"), "shown");
  EXPECT_EQ(shown["k"].AsInt(), 1);
  EXPECT_EQ(ParsedJson(lines[1]).Text("message"), "no fields");
  EXPECT_EQ(ParsedJson(lines[1]).Text("level"), "error");
  EXPECT_EQ(ParsedJson(lines[2]).Text("message"), "spdlog's own call: 1 + 2");
}

TEST(OplogTest, InstallsTheDefaultLoggerAndWritesEverythingBeforeItEnds) {
  ::testing::internal::CaptureStderr();
  {
    const OpLog log({.level = spdlog::level::warn, .format = Format::kJson});
    EXPECT_EQ(spdlog::default_logger()->name(), "stepd");
    Log(spdlog::level::info, "below the level");
    Log(spdlog::level::warn, "a warning", {{"count", 2}});
    spdlog::error("through spdlog: {}", 7);
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(spdlog::default_logger()->name(), "stepd") << "the previous logger is back";
  const std::vector<std::string> lines = Lines(err);
  ASSERT_EQ(lines.size(), 2u) << err;
  ParsedJson warning(lines[0]);
  EXPECT_EQ(warning.Text("level"), "warn");
  EXPECT_EQ(warning.Text("logger"), "stepd");
  EXPECT_EQ(warning.Text("message"), "a warning");
  EXPECT_EQ(warning["count"].AsInt(), 2);
  EXPECT_EQ(ParsedJson(lines[1]).Text("message"), "through spdlog: 7");
}

TEST(OplogTest, AccountsForEveryRecordWhenTheQueueOverflows) {
  // A queue of one record overflows whenever the writer falls behind; each record is then
  // either written or counted in the final report, and the caller never waits.
  constexpr int kRecords = 2000;
  ::testing::internal::CaptureStderr();
  {
    const OpLog log({.level = spdlog::level::info, .format = Format::kText, .queue_records = 1});
    for (int i = 0; i < kRecords; ++i) {
      Log(spdlog::level::info, "record", {{"i", i}});
    }
  }
  const std::vector<std::string> lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_FALSE(lines.empty());
  std::size_t written = 0;
  std::uint64_t dropped = 0;
  for (const std::string& line : lines) {
    if (line.find(" info  stepd: record i=") != std::string::npos) {
      ++written;
    } else {
      const std::string report = " warn  stepd: log records dropped: the queue was full dropped=";
      const auto at = line.find(report);
      ASSERT_NE(at, std::string::npos) << line;
      EXPECT_EQ(&line, &lines.back()) << "the report comes last";
      dropped = std::stoull(line.substr(at + report.size()));
    }
  }
  EXPECT_EQ(written + dropped, static_cast<std::uint64_t>(kRecords));
}

}  // namespace
}  // namespace stepd::oplog
