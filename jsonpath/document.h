#pragma once
// Document: parses JSON text once and hands out zero-copy Values into it.
//
// A Document owns a simdjson DOM parser and its buffers. Parse() reuses them, so a Document
// kept per worker parses without allocating once it has seen its largest input. Every Value
// (and string view) obtained from a Document is valid until the next Parse() on it or its
// destruction. Not thread-safe: one Document belongs to one thread at a time.

#include <cstddef>
#include <memory>
#include <string_view>

#include <simdjson.h>

#include "jsonpath/error.h"
#include "jsonpath/value.h"

namespace stepd {

class Document {
 public:
  // Documents nested deeper than this are rejected as invalid input rather than risking the
  // stack of anything that walks them recursively.
  static constexpr std::size_t kMaxDepth = 1024;

  Document();
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  // Parses `text`. The text is copied into a reused padded buffer first, so it need not
  // outlive the call. Fails with ErrorCode::kInvalidJson and simdjson's description.
  Result<Value> Parse(std::string_view text);

  // Parses text the caller has already padded: `capacity - size >= simdjson::SIMDJSON_PADDING`
  // readable bytes follow `data[size-1]`. Copies nothing; `data` must outlive the Values only
  // for the duration of the call (the DOM keeps its own strings).
  Result<Value> ParsePadded(const char* data, std::size_t size, std::size_t capacity);

  Value root() const { return root_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::unique_ptr<char[]> padded_;
  std::size_t padded_capacity_ = 0;
  Value root_;
};

}  // namespace stepd
