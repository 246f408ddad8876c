#include "tsdb/block/ulid.h"

#include <sys/random.h>

#include <random>

namespace vigil::tsdb::block {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Value of a base32 character, or -1.
int DecodeChar(char c) {
  if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

void FillRandom(uint8_t* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(p + got, n - got, 0);
    if (r <= 0) break;
    got += size_t(r);
  }
  if (got < n) {  // no getrandom: still unique enough for block names
    std::random_device rd;
    for (; got < n; ++got) p[got] = uint8_t(rd());
  }
}

}  // namespace

Ulid Ulid::FromParts(uint64_t ms, const std::array<uint8_t, 10>& entropy) {
  Ulid u;
  for (int i = 0; i < 6; ++i) u.bytes_[i] = uint8_t(ms >> (8 * (5 - i)));
  for (int i = 0; i < 10; ++i) u.bytes_[6 + i] = entropy[i];
  return u;
}

Ulid Ulid::New(int64_t ms) {
  std::array<uint8_t, 10> e;
  FillRandom(e.data(), e.size());
  return FromParts(uint64_t(ms) & ((uint64_t(1) << 48) - 1), e);
}

uint64_t Ulid::TimeMs() const {
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes_[i];
  return ms;
}

std::string Ulid::ToString() const {
  unsigned __int128 v = 0;
  for (uint8_t b : bytes_) v = (v << 8) | b;
  std::string s(kStringSize, '0');
  for (size_t i = kStringSize; i-- > 0;) {
    s[i] = kAlphabet[unsigned(v & 31)];
    v >>= 5;
  }
  return s;
}

Result<Ulid> Ulid::Parse(std::string_view s) {
  if (s.size() != kStringSize) {
    return Status::InvalidArgument("ulid: \"" + std::string(s) + "\" is not 26 characters");
  }
  unsigned __int128 v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const int d = DecodeChar(s[i]);
    if (d < 0) {
      return Status::InvalidArgument("ulid: invalid character in \"" + std::string(s) + "\"");
    }
    if (i == 0 && d > 7)
      return Status::InvalidArgument("ulid: \"" + std::string(s) + "\" overflows");
    v = (v << 5) | unsigned(d);
  }
  Ulid u;
  for (size_t i = 16; i-- > 0;) {
    u.bytes_[i] = uint8_t(v);
    v >>= 8;
  }
  return u;
}

}  // namespace vigil::tsdb::block
