#include "jsonpath/internal/hash.h"

#include <array>
#include <cstdint>
#include <cstring>

// The context-on-the-stack digest functions are "deprecated" in OpenSSL 3 in favour of EVP,
// but EVP (and the one-shot SHA256() that now wraps it) fetches the algorithm from the
// provider registry under a lock and allocates a context per digest. These allocate nothing
// and take no lock, which is what a hot path needs.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "jsonpath/internal/bytes.h"

namespace stepd::internal {

namespace {

template <typename Context, int (*Init)(Context*),
          int (*Update)(Context*, const void*, std::size_t), int (*Final)(unsigned char*, Context*)>
std::size_t Hash(std::string_view data, unsigned char* out, std::size_t size) {
  Context context;
  Init(&context);
  Update(&context, data.data(), data.size());
  Final(out, &context);
  return size;
}

struct Digest {
  std::string_view name;
  std::size_t (*hash)(std::string_view, unsigned char*, std::size_t);
  std::size_t size;
};

constexpr Digest kDigests[] = {
    {"MD5", Hash<MD5_CTX, MD5_Init, MD5_Update, MD5_Final>, MD5_DIGEST_LENGTH},
    {"SHA-1", Hash<SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final>, SHA_DIGEST_LENGTH},
    {"SHA-256", Hash<SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final>, SHA256_DIGEST_LENGTH},
    {"SHA-384", Hash<SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final>, SHA384_DIGEST_LENGTH},
    {"SHA-512", Hash<SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final>, SHA512_DIGEST_LENGTH},
};

// The two lowercase hex digits of every byte value, so that a byte costs one lookup.
constexpr std::array<std::array<char, 2>, 256> kHexPairs = [] {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<std::array<char, 2>, 256> pairs{};
  for (std::size_t b = 0; b < pairs.size(); ++b) {
    pairs[b] = {kHex[b >> 4], kHex[b & 0xF]};
  }
  return pairs;
}();

}  // namespace

std::size_t HexDigest(std::string_view algorithm, std::string_view data, char* out) {
  for (const Digest& digest : kDigests) {
    if (!KeyEquals(digest.name, algorithm)) {
      continue;
    }
    std::array<unsigned char, SHA512_DIGEST_LENGTH> bytes;
    digest.hash(data, bytes.data(), digest.size);
    for (std::size_t i = 0; i < digest.size; ++i) {
      std::memcpy(out + 2 * i, kHexPairs[bytes[i]].data(), 2);
    }
    return digest.size * 2;
  }
  return 0;
}

}  // namespace stepd::internal
