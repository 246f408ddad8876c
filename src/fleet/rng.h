// Rng: a small deterministic pseudo-random generator (SplitMix64) for the simulated fleet.
// Same seed, same sequence on every platform, so `vigil fleet --seed N` builds the same
// series and (given the same scrape times) the same values. Not thread-safe; one per target.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace vigil::fleet {

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return double(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [lo, hi] (inclusive).
  int64_t Int(int64_t lo, int64_t hi) { return lo + int64_t(Next() % uint64_t(hi - lo + 1)); }
  // The low `bits` bits of a draw.
  uint64_t Bits(int bits) { return bits >= 64 ? Next() : Next() & ((uint64_t(1) << bits) - 1); }

  // A cheap Poisson-like draw with mean `lambda`: Bernoulli below 1, else a normal
  // approximation (the sum of three uniforms has variance 1/4, rescaled to lambda).
  int64_t Poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda < 1) return Uniform() < lambda ? 1 : 0;
    double n = lambda + (Uniform() + Uniform() + Uniform() - 1.5) * 2.0 * std::sqrt(lambda) + 0.5;
    return n < 0 ? 0 : int64_t(n);
  }

 private:
  uint64_t state_;
};

// Mixes several integers into one well-spread seed.
inline uint64_t MixSeed(uint64_t a, uint64_t b, uint64_t c = 0) {
  Rng r(a * 0x100000001b3ull ^ (b + 0x9e3779b97f4a7c15ull) ^ (c << 17));
  r.Next();
  return r.Next();
}

// FNV-1a of a string, for seeds derived from names.
inline uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace vigil::fleet
