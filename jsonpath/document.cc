#include "jsonpath/document.h"

#include <algorithm>
#include <cstring>

namespace stepd {

Document::Document()
    : parser_(std::make_unique<simdjson::dom::parser>(simdjson::SIMDJSON_MAXSIZE_BYTES)) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

Result<Value> Document::Parse(std::string_view text) {
  const std::size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (needed > padded_capacity_) {
    padded_capacity_ = std::max(needed, padded_capacity_ * 2);
    padded_ = std::make_unique_for_overwrite<char[]>(padded_capacity_);
  }
  if (!text.empty()) {
    std::memcpy(padded_.get(), text.data(), text.size());
  }
  std::memset(padded_.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  return ParsePadded(padded_.get(), text.size(), padded_capacity_);
}

Result<Value> Document::ParsePadded(const char* data, std::size_t size, std::size_t capacity) {
  if (capacity < size + simdjson::SIMDJSON_PADDING) {
    return Parse(std::string_view(data, size));
  }
  if (parser_->max_depth() != kMaxDepth || parser_->capacity() < size) {
    if (parser_->allocate(std::max(size, parser_->capacity()), kMaxDepth) != simdjson::SUCCESS) {
      root_ = Value::Missing();
      return Fail(ErrorCode::kInvalidJson, error_names::kRuntime, "out of memory parsing JSON");
    }
  }
  simdjson::dom::element element;
  const simdjson::error_code error = parser_->parse(data, size, false).get(element);
  if (error != simdjson::SUCCESS) {
    root_ = Value::Missing();
    return Fail(ErrorCode::kInvalidJson, error_names::kRuntime, simdjson::error_message(error));
  }
  root_ = Value::FromDom(element);
  return root_;
}

}  // namespace stepd
