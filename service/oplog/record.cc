#include "service/oplog/record.h"

#include <charconv>

namespace stepd::oplog {

namespace {

void AppendNetstring(std::string_view text, std::string& out) {
  std::array<char, 24> length{};
  char* end = std::to_chars(length.data(), length.data() + length.size(), text.size()).ptr;
  out.append(length.data(), end);
  out += ':';
  out += text;
  out += ',';
}

// Reads one netstring from the front of `in` into `text`; false when `in` does not start with one.
bool ReadNetstring(std::string_view& in, std::string_view& text) {
  std::size_t length = 0;
  const auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), length);
  const auto digits = static_cast<std::size_t>(end - in.data());
  if (ec != std::errc() || digits == 0 || digits >= in.size() || in[digits] != ':' ||
      in.size() - digits - 1 <= length || in[digits + 1 + length] != ',') {
    return false;
  }
  text = in.substr(digits + 1, length);
  in.remove_prefix(digits + 2 + length);
  return true;
}

bool ReadField(std::string_view& in, FieldView& field) {
  if (in.empty() || (in[0] != 's' && in[0] != 'r')) {
    return false;
  }
  field.quoted = in[0] == 's';
  in.remove_prefix(1);
  return ReadNetstring(in, field.key) && ReadNetstring(in, field.value);
}

}  // namespace

void EncodeRecord(std::string_view message, std::span<const Field> fields, std::string& out) {
  out += kMarker;
  AppendNetstring(message, out);
  for (const Field& field : fields) {
    out += field.quoted() ? 's' : 'r';
    AppendNetstring(field.key(), out);
    AppendNetstring(field.value(), out);
  }
}

RecordReader::RecordReader(std::string_view payload) : message_(payload) {
  if (payload.empty() || payload[0] != kMarker) {
    return;
  }
  std::string_view rest = payload.substr(1);
  std::string_view message;
  if (!ReadNetstring(rest, message)) {
    return;
  }
  // Validate every field now, so that a malformed payload is shown whole rather than cut short.
  std::string_view check = rest;
  FieldView field;
  while (!check.empty()) {
    if (!ReadField(check, field)) {
      return;
    }
  }
  message_ = message;
  fields_ = rest;
}

bool RecordReader::Next(FieldView& field) { return !fields_.empty() && ReadField(fields_, field); }

}  // namespace stepd::oplog
