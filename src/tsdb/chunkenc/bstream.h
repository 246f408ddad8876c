// Bit streams for chunk encodings: bits are written and read MSB-first within each byte,
// the last byte zero-padded, exactly like Prometheus' bstream (tsdb/chunkenc/bstream.go).
//
// Writing works on a caller-owned byte buffer addressed by a bit position, so that the
// head can keep open chunks in its own memory. PutBits stores whole 64-bit words: it may
// overwrite up to 9 bytes past the last bit it writes, so callers keep slack after the
// logical end (see kXorAppendSlack in xor.h).
//
// BitReader decodes with a 64-bit buffer refilled 8 bytes at a time and never reads
// outside the span it was given: past the end it yields zero bits and reports the
// overrun through Overrun(). Both are plain values without locks; one thread at a time.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vigil::tsdb::chunkenc {

inline uint64_t LoadBE64(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
  return w;
}

inline void StoreBE64(uint8_t* p, uint64_t w) {
  if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
  std::memcpy(p, &w, 8);
}

// Writes the low `n` bits of `v` (1 <= n <= 64), most significant first, starting at bit
// `pos` of `buf`. Bits before `pos` in the first byte are kept; everything after the
// written bits up to byte pos/8 + 8 is overwritten (zeroed), so the buffer must have
// pos/8 + 9 bytes.
inline void PutBits(uint8_t* buf, uint64_t pos, uint64_t v, int n) {
  uint8_t* p = buf + (pos >> 3);
  const unsigned off = unsigned(pos & 7);
  const uint64_t x = v << (64 - n);  // MSB-aligned; the bits above n fall off
  const uint64_t keep = uint64_t(p[0] & uint8_t(0xFF00u >> off)) << 56;
  StoreBE64(p, keep | (x >> off));
  if (off + unsigned(n) > 64) p[8] = uint8_t(x << (8 - off));
}

// Reads an MSB-first bit stream out of [data, data + size).
class BitReader {
 public:
  BitReader() = default;
  BitReader(const uint8_t* data, size_t size) { Reset(data, size); }

  void Reset(const uint8_t* data, size_t size) {
    p_ = data;
    end_ = data + size;
    buf_ = 0;
    nbits_ = 0;
    virtual_bits_ = 0;
  }

  // Makes at least 56 bits available (zeros past the end of the data).
  void Refill() {
    if (end_ - p_ >= 8) {
      // Invariant: bits of buf_ below the nbits_ valid ones are zero or hold the correct
      // upcoming stream bits, so OR-ing the next word in again is harmless.
      buf_ |= LoadBE64(p_) >> nbits_;
      p_ += (63 - nbits_) >> 3;
      nbits_ |= 56;
      return;
    }
    RefillSlow();
  }

  // Next `n` bits without consuming them (1 <= n <= 56); call Refill() first if
  // available() < n.
  uint64_t Peek(int n) const { return buf_ >> (64 - n); }
  // Like Peek but for 0 <= n <= 56 (0 yields 0).
  uint64_t PeekUpTo(int n) const { return (buf_ >> 1) >> (63 - n); }
  // Consumes n bits, 0 <= n <= available().
  void Skip(int n) {
    buf_ <<= n;
    nbits_ -= n;
  }
  // Reads n bits, 1 <= n <= 56.
  uint64_t Read(int n) {
    if (nbits_ < n) Refill();
    uint64_t v = buf_ >> (64 - n);
    buf_ <<= n;
    nbits_ -= n;
    return v;
  }
  // Reads n bits, 1 <= n <= 64.
  uint64_t ReadWide(int n) {
    if (n <= 56) return Read(n);
    uint64_t hi = Read(n - 32);
    return (hi << 32) | Read(32);
  }
  bool ReadBit() { return Read(1) != 0; }

  int available() const { return nbits_; }
  // True once more bits were consumed than the data holds.
  bool Overrun() const { return nbits_ < virtual_bits_; }
  // Bits consumed so far, counted from `data` (meaningful while !Overrun()).
  uint64_t BitPosition(const uint8_t* data) const {
    return uint64_t(p_ - data) * 8 - uint64_t(nbits_ - virtual_bits_);
  }

 private:
  void RefillSlow() {
    while (nbits_ <= 56 && p_ < end_) {
      buf_ |= uint64_t(*p_++) << (56 - nbits_);
      nbits_ += 8;
    }
    if (p_ == end_ && nbits_ < 64) {
      // Past the end: the remaining buffer bits are zero; count them as virtual.
      virtual_bits_ += 64 - nbits_;
      nbits_ = 64;
    }
  }

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t buf_ = 0;
  int nbits_ = 0;
  int virtual_bits_ = 0;  // zero bits appended past the end (at the bottom of the window)
};

}  // namespace vigil::tsdb::chunkenc
