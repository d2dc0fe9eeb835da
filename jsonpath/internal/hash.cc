#include "jsonpath/internal/hash.h"

#include <openssl/evp.h>

namespace stepd::internal {

namespace {

const EVP_MD* DigestNamed(std::string_view algorithm) {
  if (algorithm == "MD5") {
    return EVP_md5();
  }
  if (algorithm == "SHA-1") {
    return EVP_sha1();
  }
  if (algorithm == "SHA-256") {
    return EVP_sha256();
  }
  if (algorithm == "SHA-384") {
    return EVP_sha384();
  }
  if (algorithm == "SHA-512") {
    return EVP_sha512();
  }
  return nullptr;
}

}  // namespace

std::size_t HexDigest(std::string_view algorithm, std::string_view data, char* out) {
  const EVP_MD* md = DigestNamed(algorithm);
  if (md == nullptr) {
    return 0;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, md, nullptr) != 1) {
    return 0;
  }
  constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < size; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return std::size_t{size} * 2;
}

}  // namespace stepd::internal
