#include "jsonpath/document.h"

#include <algorithm>
#include <cstring>

namespace stepd {

Document::Document(std::size_t lazy_threshold)
    : lazy_threshold_(lazy_threshold),
      parser_(std::make_unique<simdjson::dom::parser>(simdjson::SIMDJSON_MAXSIZE_BYTES)) {}
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
  if (size >= lazy_threshold_ && size <= internal::LazyJson::kMaxBytes) {
    // The lazy form holds arrays and objects; a scalar root (a long text of mostly whitespace)
    // goes to the DOM, which pads it as its number parser needs.
    const char* first = data;
    const char* const end = data + size;
    while (first != end && (*first == ' ' || *first == '\t' || *first == '\n' || *first == '\r')) {
      ++first;
    }
    if (first != end && (*first == '{' || *first == '[')) {
      return ParseLazy(data, size);
    }
  }
  return ParseDom(data, size);
}

Result<Value> Document::ParseDom(const char* data, std::size_t size) {
  if (parser_->max_depth() != kMaxDepth || parser_->capacity() < size) {
    if (parser_->allocate(std::max(size, parser_->capacity()), kMaxDepth) != simdjson::SUCCESS) {
      return Invalid("out of memory parsing JSON");
    }
  }
  simdjson::dom::element element;
  const simdjson::error_code error = parser_->parse(data, size, false).get(element);
  if (error != simdjson::SUCCESS) {
    return Invalid(simdjson::error_message(error));
  }
  root_ = Value::FromDom(element);
  return root_;
}

Result<Value> Document::ParseLazy(const char* data, std::size_t size) {
  if (lazy_ == nullptr) {
    lazy_ = std::make_unique<internal::LazyJson>();
  }
  const simdjson::error_code error = lazy_->Build(data, size, kMaxDepth);
  if (error != simdjson::SUCCESS) {
    return Invalid(simdjson::error_message(error));
  }
  root_ = Value::FromLazy(*lazy_, internal::LazyJson::kRoot);
  return root_;
}

Result<Value> Document::Invalid(std::string_view cause) {
  root_ = Value::Missing();
  return Fail(ErrorCode::kInvalidJson, error_names::kRuntime, cause);
}

}  // namespace stepd
