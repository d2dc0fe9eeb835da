#pragma once
// Base64 (RFC 4648 standard alphabet, '=' padding) for States.Base64Encode/Decode.
// Pure functions over caller-provided buffers; thread-safe.

#include <cstddef>
#include <string_view>

namespace stepd::internal {

// Bytes that Base64Encode writes for `size` input bytes.
constexpr std::size_t Base64EncodedSize(std::size_t size) { return (size + 2) / 3 * 4; }

// Writes the encoding of `data` to `out` (Base64EncodedSize(data.size()) bytes).
void Base64Encode(std::string_view data, char* out);

// Upper bound of the bytes Base64Decode writes for `text`.
constexpr std::size_t Base64DecodedMaxSize(std::size_t size) { return size / 4 * 3 + 3; }

// Decodes `text` into `out` (at least Base64DecodedMaxSize(text.size()) bytes) and returns the
// number of bytes written, or -1 when `text` is not Base64. Line breaks and spaces are skipped
// as MIME decoders do; the final '=' padding may be left out.
std::ptrdiff_t Base64Decode(std::string_view text, char* out);

}  // namespace stepd::internal
