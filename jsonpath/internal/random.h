#pragma once
// Random numbers for States.MathRandom and States.UUID.
//
// JavaRandom reproduces java.util.Random bit for bit, because AWS computes a seeded
// States.MathRandom with it: the same seed must give the same number here as on AWS.
// ThreadRandom() is a fast generator for the unseeded cases, one per thread.

#include <cstdint>

namespace stepd::internal {

class JavaRandom {
 public:
  explicit JavaRandom(std::int64_t seed)
      : seed_((static_cast<std::uint64_t>(seed) ^ kMultiplier) & kMask) {}

  // Random.nextInt(bound), bound > 0: uniform in [0, bound).
  std::int32_t NextInt(std::int32_t bound);

 private:
  static constexpr std::uint64_t kMultiplier = 0x5DEECE66DULL;
  static constexpr std::uint64_t kMask = (std::uint64_t{1} << 48) - 1;

  std::int32_t Next(int bits) {
    seed_ = (seed_ * kMultiplier + 0xBULL) & kMask;
    // Java's (int)(seed >>> (48 - bits)): keep the low 32 bits, two's complement.
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(seed_ >> (48 - bits)));
  }

  std::uint64_t seed_;
};

// 64 random bits from this thread's generator (splitmix64, seeded once per thread from
// std::random_device). Not for cryptography.
std::uint64_t ThreadRandom();

}  // namespace stepd::internal
