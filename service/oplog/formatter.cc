#include "service/oplog/formatter.h"

#include <array>
#include <chrono>
#include <ctime>

#include <spdlog/details/log_msg.h>
#include <spdlog/fmt/fmt.h>

#include "service/oplog/record.h"

namespace stepd::oplog {

namespace {

using Buffer = spdlog::memory_buf_t;

void Put(Buffer& out, std::string_view text) { out.append(text.data(), text.data() + text.size()); }

// "2026-11-21T10:00:00.123Z"
void PutTime(Buffer& out, spdlog::log_clock::time_point time) {
  const auto since_epoch = std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch());
  const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const std::time_t whole = static_cast<std::time_t>(seconds.count());
  std::tm parts{};
  gmtime_r(&whole, &parts);
  fmt::format_to(fmt::appender(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min,
                 parts.tm_sec, (since_epoch - seconds).count());
}

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
// nothing past U+10FFFF) that `text` starts with, or 0. `text` starts with a byte >= 0x80.
std::size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    low = lead == 0xE0 ? 0xA0 : low;    // overlong below U+0800
    high = lead == 0xED ? 0x9F : high;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    low = lead == 0xF0 ? 0x90 : low;    // overlong below U+10000
    high = lead == 0xF4 ? 0x8F : high;  // past U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
  }
  return length;
}

void PutJsonString(Buffer& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        Put(out, "\\ufffd");
        ++i;
      } else {
        Put(out, text.substr(i, length));
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        Put(out, "\\\"");
        break;
      case '\\':
        Put(out, "\\\\");
        break;
      case '\n':
        Put(out, "\\n");
        break;
      case '\r':
        Put(out, "\\r");
        break;
      case '\t':
        Put(out, "\\t");
        break;
      default:
        if (c < 0x20) {
          const std::array<char, 6> escape = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          Put(out, std::string_view(escape.data(), escape.size()));
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

// Text mode: control characters as \n, \r, \t or \xNN; with `quoted`, also '"' and '\'.
void PutTextEscaped(Buffer& out, std::string_view text, bool quoted) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      Put(out, "\\n");
    } else if (c == '\r') {
      Put(out, "\\r");
    } else if (c == '\t') {
      Put(out, "\\t");
    } else if (IsControl(c)) {
      fmt::format_to(fmt::appender(out), "\\x{:02x}", c);
    } else {
      if (quoted && (c == '"' || c == '\\')) {
        out.push_back('\\');
      }
      out.push_back(ch);
    }
  }
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) {
    return true;
  }
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || IsControl(c)) {
      return true;
    }
  }
  return false;
}

class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, Buffer& dest) override {
    PutTime(dest, msg.time);
    const std::string_view level = LevelName(msg.level);
    fmt::format_to(fmt::appender(dest), " {:<5} ", level);
    Put(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    Put(dest, ": ");
    RecordReader record(std::string_view(msg.payload.data(), msg.payload.size()));
    PutTextEscaped(dest, record.message(), false);
    FieldView field;
    while (record.Next(field)) {
      dest.push_back(' ');
      Put(dest, field.key);
      dest.push_back('=');
      const bool quote = field.quoted && NeedsQuotes(field.value);
      if (quote) {
        dest.push_back('"');
      }
      PutTextEscaped(dest, field.value, quote);
      if (quote) {
        dest.push_back('"');
      }
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, Buffer& dest) override {
    Put(dest, "{\"time\":\"");
    PutTime(dest, msg.time);
    Put(dest, "\",\"level\":\"");
    Put(dest, LevelName(msg.level));
    Put(dest, "\",\"logger\":");
    PutJsonString(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    RecordReader record(std::string_view(msg.payload.data(), msg.payload.size()));
    Put(dest, ",\"message\":");
    PutJsonString(dest, record.message());
    FieldView field;
    while (record.Next(field)) {
      dest.push_back(',');
      PutJsonString(dest, field.key);
      dest.push_back(':');
      if (field.quoted) {
        PutJsonString(dest, field.value);
      } else {
        Put(dest, field.value);  // a number or boolean, written by Field itself
      }
    }
    Put(dest, "}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string_view LevelName(spdlog::level::level_enum level) {
  static constexpr std::array<std::string_view, 7> kNames = {"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
  const auto index = static_cast<std::size_t>(level);
  return index < kNames.size() ? kNames[index] : "unknown";
}

std::unique_ptr<spdlog::formatter> MakeFormatter(Format format) {
  if (format == Format::kJson) {
    return std::make_unique<JsonFormatter>();
  }
  return std::make_unique<TextFormatter>();
}

}  // namespace stepd::oplog
