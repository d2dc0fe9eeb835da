#include "jsonpath/internal/random.h"

#include <random>

namespace stepd::internal {

std::int32_t JavaRandom::NextInt(std::int32_t bound) {
  std::int32_t r = Next(31);
  const std::int32_t m = bound - 1;
  if ((bound & m) == 0) {
    return static_cast<std::int32_t>((static_cast<std::int64_t>(bound) * r) >> 31);
  }
  // Java rejects the top partial range with `u - r + m < 0`, relying on int overflow; the same
  // test in 64 bits is `u - r + m > INT32_MAX`.
  for (std::int32_t u = r; static_cast<std::int64_t>(u) - (r = u % bound) + m > INT32_MAX;
       u = Next(31)) {
  }
  return r;
}

std::uint64_t ThreadRandom() {
  thread_local std::uint64_t state = [] {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device();
  }();
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace stepd::internal
