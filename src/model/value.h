// Sample values and the special NaNs Prometheus gives meaning to (model/value).
#pragma once

#include <bit>
#include <cstdint>

namespace vigil {

// Stale marker: a NaN with a distinct bit pattern, appended when a series disappears.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
// The NaN Prometheus writes for "NaN" in expositions.
inline constexpr uint64_t kNormalNaNBits = 0x7ff8000000000001ull;

inline double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }
inline bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

struct Sample {
  int64_t t = 0;  // milliseconds since the epoch
  double v = 0;
};

}  // namespace vigil
