#include "base/coding.h"

#include <array>

namespace vigil {

bool GetUvarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  int shift = 0;
  size_t i = 0;
  while (i < in->size()) {
    uint8_t b = uint8_t((*in)[i++]);
    if (shift == 63 && b > 1) return false;
    result |= uint64_t(b & 0x7f) << shift;
    if (b < 0x80) {
      *v = result;
      in->remove_prefix(i);
      return true;
    }
    shift += 7;
    if (shift > 63) return false;
  }
  return false;
}

bool GetVarint(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetUvarint(in, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

bool GetBE32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = DecodeBE32(in->data());
  in->remove_prefix(4);
  return true;
}

bool GetBE64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeBE64(in->data());
  in->remove_prefix(8);
  return true;
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* out) {
  uint64_t n;
  if (!GetUvarint(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

namespace {

// Slicing-by-8 tables for the reflected Castagnoli polynomial 0x82F63B78.
struct Crc32cTables {
  std::array<std::array<uint32_t, 256>, 8> t;
  constexpr Crc32cTables() : t() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (int s = 1; s < 8; ++s) {
      for (uint32_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};
constexpr Crc32cTables kTables;

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHw(const uint8_t* p, size_t n, uint32_t crc) {
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c = __builtin_ia32_crc32di(c, w);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = uint32_t(c);
  while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
  return ~c32;
}
bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

uint32_t Crc32cSw(const uint8_t* p, size_t n, uint32_t crc) {
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo =
        c ^ (uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
    c = kTables.t[7][lo & 0xff] ^ kTables.t[6][(lo >> 8) & 0xff] ^ kTables.t[5][(lo >> 16) & 0xff] ^
        kTables.t[4][lo >> 24] ^ kTables.t[3][p[4]] ^ kTables.t[2][p[5]] ^ kTables.t[1][p[6]] ^
        kTables.t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ kTables.t[0][(c ^ *p++) & 0xff];
  return ~c;
}

}  // namespace

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) {
  auto p = static_cast<const uint8_t*>(data);
#if defined(__x86_64__)
  if (HasSse42()) return Crc32cHw(p, n, crc);
#endif
  return Crc32cSw(p, n, crc);
}

}  // namespace vigil
