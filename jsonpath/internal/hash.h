#pragma once
// Message digests for States.Hash, through OpenSSL's digest functions. Thread-safe; allocates
// nothing.

#include <cstddef>
#include <string_view>

namespace stepd::internal {

// Longest digest (SHA-512) in lowercase hex.
inline constexpr std::size_t kMaxHexDigestSize = 128;

// Writes the lowercase hex digest of `data` with `algorithm` ("MD5", "SHA-1", "SHA-256",
// "SHA-384" or "SHA-512", spelled exactly so) to `out` (kMaxHexDigestSize bytes) and returns
// its length, or 0 for an unknown algorithm.
std::size_t HexDigest(std::string_view algorithm, std::string_view data, char* out);

}  // namespace stepd::internal
