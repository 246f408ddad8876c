// Ulid: a block's identifier (github.com/oklog/ulid, as Prometheus uses it): 48 bits of
// milliseconds since the epoch then 80 random bits, written as 26 characters of Crockford's
// base32 (0-9, A-Z without I, L, O, U). ULIDs made in later milliseconds sort after earlier
// ones, as strings and as values. A value type; thread-safe.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vigil::tsdb::block {

class Ulid {
 public:
  static constexpr size_t kStringSize = 26;

  Ulid() = default;  // the zero ULID "00000000000000000000000000"
  // A new ULID for time `ms` with 80 bits from the OS random source (getrandom).
  static Ulid New(int64_t ms);
  // A ULID from its parts (tests).
  static Ulid FromParts(uint64_t ms, const std::array<uint8_t, 10>& entropy);
  // Parses the 26-character text form (case-insensitive). InvalidArgument for a wrong
  // length, a character outside the alphabet, or a value above 2^128 - 1 (first char > 7).
  static Result<Ulid> Parse(std::string_view s);

  std::string ToString() const;
  uint64_t TimeMs() const;
  bool IsZero() const { return bytes_ == std::array<uint8_t, 16>{}; }
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

  friend auto operator<=>(const Ulid&, const Ulid&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};  // big-endian: 6 bytes time, 10 bytes entropy
};

}  // namespace vigil::tsdb::block
