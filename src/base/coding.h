// Binary coding helpers shared by every on-disk and wire format: big-endian fixed-width
// integers, Go-compatible varints (uvarint = LEB128, varint = zig-zag + LEB128) and
// CRC-32C (Castagnoli), as used by Prometheus' WAL, chunks, index and tombstones
// (docs/format/). All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace vigil {

inline void PutBE16(std::string* dst, uint16_t v) {
  char b[2] = {char(v >> 8), char(v)};
  dst->append(b, 2);
}
inline void PutBE32(std::string* dst, uint32_t v) {
  char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  dst->append(b, 4);
}
inline void PutBE64(std::string* dst, uint64_t v) {
  PutBE32(dst, uint32_t(v >> 32));
  PutBE32(dst, uint32_t(v));
}
inline void EncodeBE32(char* p, uint32_t v) {
  p[0] = char(v >> 24);
  p[1] = char(v >> 16);
  p[2] = char(v >> 8);
  p[3] = char(v);
}
inline void EncodeBE64(char* p, uint64_t v) {
  EncodeBE32(p, uint32_t(v >> 32));
  EncodeBE32(p + 4, uint32_t(v));
}
inline uint16_t DecodeBE16(const char* p) {
  auto u = reinterpret_cast<const uint8_t*>(p);
  return uint16_t((u[0] << 8) | u[1]);
}
inline uint32_t DecodeBE32(const char* p) {
  auto u = reinterpret_cast<const uint8_t*>(p);
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) | (uint32_t(u[2]) << 8) | uint32_t(u[3]);
}
inline uint64_t DecodeBE64(const char* p) {
  return (uint64_t(DecodeBE32(p)) << 32) | DecodeBE32(p + 4);
}

// Appends v as an unsigned LEB128 varint (at most 10 bytes).
inline void PutUvarint(std::string* dst, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = char(v | 0x80);
    v >>= 7;
  }
  buf[n++] = char(v);
  dst->append(buf, n);
}
inline uint64_t ZigZagEncode(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
inline int64_t ZigZagDecode(uint64_t u) { return int64_t(u >> 1) ^ -int64_t(u & 1); }
inline void PutVarint(std::string* dst, int64_t v) { PutUvarint(dst, ZigZagEncode(v)); }

// Reads a uvarint from the front of *in and advances it. Returns false (leaving *in
// unspecified) on truncation or overflow past 64 bits.
bool GetUvarint(std::string_view* in, uint64_t* v);
bool GetVarint(std::string_view* in, int64_t* v);
bool GetBE32(std::string_view* in, uint32_t* v);
bool GetBE64(std::string_view* in, uint64_t* v);
// Reads a uvarint length then that many bytes (a view into *in).
bool GetLengthPrefixed(std::string_view* in, std::string_view* out);

// CRC-32C (Castagnoli) of data, continuing from `crc` (0 to start).
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);
inline uint32_t Crc32cOf(std::string_view s, uint32_t crc = 0) {
  return Crc32c(s.data(), s.size(), crc);
}

}  // namespace vigil
