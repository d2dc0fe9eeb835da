#pragma once
// Document: parses JSON text once and hands out zero-copy Values into it.
//
// A Document owns its parsers and their buffers. Parse() reuses them, so a Document kept per
// worker parses without allocating once it has seen its largest input. Every Value (and string
// view) obtained from a Document is valid until the next Parse() on it or its destruction. Not
// thread-safe: one Document belongs to one thread at a time.
//
// Two representations, one behaviour. Texts shorter than the lazy threshold become a simdjson
// DOM. Longer ones whose root is an array or an object are validated in full just as strictly
// but decoded only where paths read them (internal/lazy_json.h): the cost of an execution then
// follows what it reads, not the size of what it carries. Values, errors and serialised output
// are the same either way.

#include <cstddef>
#include <memory>
#include <string_view>

#include <simdjson.h>

#include "jsonpath/error.h"
#include "jsonpath/internal/lazy_json.h"
#include "jsonpath/value.h"

namespace stepd {

class Document {
 public:
  // Documents nested deeper than this are rejected as invalid input rather than risking the
  // stack of anything that walks them recursively.
  static constexpr std::size_t kMaxDepth = 1024;
  // Below this size building the whole DOM costs less than reading it lazily (measured on the
  // shared bench workloads: iot_ingest's 1 KB input and large_payload's 200 KB one).
  static constexpr std::size_t kDefaultLazyThreshold = 16 * 1024;

  // `lazy_threshold`: texts at least this long are parsed lazily (0: all of them, for tests).
  explicit Document(std::size_t lazy_threshold = kDefaultLazyThreshold);
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  // Parses `text`. The text is copied into a reused padded buffer first, so it need not
  // outlive the call. Fails with ErrorCode::kInvalidJson and simdjson's description.
  Result<Value> Parse(std::string_view text);

  // Parses text the caller has already padded: `capacity - size >= simdjson::SIMDJSON_PADDING`
  // readable bytes follow `data[size-1]`. Copies nothing, so `data` must stay unchanged for as
  // long as the Values are used (a lazily parsed document reads its strings from it).
  Result<Value> ParsePadded(const char* data, std::size_t size, std::size_t capacity);

  Value root() const { return root_; }

 private:
  Result<Value> ParseDom(const char* data, std::size_t size);
  Result<Value> ParseLazy(const char* data, std::size_t size);
  Result<Value> Invalid(std::string_view cause);

  std::size_t lazy_threshold_;
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::unique_ptr<internal::LazyJson> lazy_;  // made on the first large input
  std::unique_ptr<char[]> padded_;
  std::size_t padded_capacity_ = 0;
  Value root_;
};

}  // namespace stepd
