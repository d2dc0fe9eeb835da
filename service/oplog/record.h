#pragma once
// One operational log record as it travels through spdlog: a message plus structured fields.
//
// spdlog's asynchronous queue carries a record's level, time and one payload string, and the
// formatter runs later on spdlog's thread. So the fields ride inside the payload: EncodeRecord()
// writes message and fields into one string and RecordReader takes it apart again in the
// formatter. A payload that is not an encoded record (what spdlog::info("...") or the SPDLOG_*
// macros log) reads as a message without fields, so plain spdlog calls keep working.
//
// Encoding: kMarker, the message as a netstring ("5:hello,"), then per field its kind ('s' for a
// string, 'r' for a bare number or boolean) and key and value as netstrings. Not thread-safe per
// object; everything here is a value or a view.

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace stepd::oplog {

// A field of a record: "key": "text" or "key": 42 in JSON, key=text in text. Keys are plain
// snake_case names other than time, level, logger and message; string values are views that
// must outlive the Log() call (the record is encoded before it returns).
class Field {
 public:
  Field(std::string_view key, std::string_view value) : key_(key), text_(value) {}
  Field(std::string_view key, const char* value) : key_(key), text_(value) {}  // not a bool
  Field(std::string_view key, bool value)
      : key_(key), text_(value ? "true" : "false"), quoted_(false) {}
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Field(std::string_view key, T value)
      : key_(key), quoted_(false) {
    // 24 characters hold any 64-bit integer, so to_chars cannot fail.
    const char* end = std::to_chars(digits_.data(), digits_.data() + digits_.size(), value).ptr;
    digits_size_ = static_cast<std::size_t>(end - digits_.data());
  }

  std::string_view key() const { return key_; }
  // Integers are kept in the object (no allocation), so the view lives as long as the Field.
  std::string_view value() const {
    return digits_size_ != 0 ? std::string_view(digits_.data(), digits_size_) : text_;
  }
  bool quoted() const { return quoted_; }  // a JSON string rather than a bare token

 private:
  std::string_view key_;
  std::string_view text_;
  std::array<char, 24> digits_{};
  std::size_t digits_size_ = 0;
  bool quoted_ = true;
};

// The byte that starts an encoded payload; a plain message starting with it is encoded too.
inline constexpr char kMarker = '\0';

// Appends the encoding of `message` and `fields` to `out`.
void EncodeRecord(std::string_view message, std::span<const Field> fields, std::string& out);

// A field as RecordReader returns it; views into the payload.
struct FieldView {
  std::string_view key;
  std::string_view value;
  bool quoted = true;
};

// Reads a payload: an encoded record, or any other text as a message without fields (including
// a malformed encoding, so nothing a caller logs is ever lost). Views into `payload`.
class RecordReader {
 public:
  explicit RecordReader(std::string_view payload);

  std::string_view message() const { return message_; }
  // The next field, or false after the last.
  bool Next(FieldView& field);

 private:
  std::string_view message_;
  std::string_view fields_;  // the validated rest of an encoded payload
};

}  // namespace stepd::oplog
