// XOR chunks (encoding 1): float samples compressed with delta-of-delta timestamps and
// XOR'd values, bit-exact with Prometheus' tsdb/chunkenc/xor.go. Format: docs/format/xor.md.
//
// Three layers, from lowest to highest:
//  * XorState + XorInit/XorAppend: a 32-byte POD appender state and free functions that
//    append into a caller-owned buffer. The head keeps the open chunk in its own slab
//    memory and the state beside it; saving and restoring the state is a memcpy.
//  * XorAppender: the same over a caller-owned std::string whose size() is the chunk length.
//  * XorChunk: owns its bytes and state; convenient for tests, compaction and remote read.
// XorIterator decodes any chunk bytes (including hostile ones) without reading out of
// bounds and reports damage through Err().
//
// Thread-safety: none of these types lock. A chunk being appended to must not be read
// concurrently without external synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/interface.h"
#include "tsdb/chunkenc/bstream.h"
#include "tsdb/chunkenc/chunk.h"

namespace vigil::tsdb::chunkenc {

// Bytes that must be available in the buffer past the current chunk length before each
// XorAppend: one sample adds at most 20 bytes, and word-wide stores may touch 9 more.
inline constexpr size_t kXorAppendSlack = 32;

// Appender state of one XOR chunk. Plain data: copy it to save, copy it back to resume.
// It is only meaningful together with the exact bytes it was produced with.
struct XorState {
  int64_t t = 0;          // timestamp of the last sample
  uint64_t t_delta = 0;   // last timestamp delta (t[n] - t[n-1]) as Prometheus' uint64
  uint64_t v_bits = 0;    // bit pattern of the last value
  uint32_t bit_len = 16;  // bits written, including the 16-bit sample count header
  uint16_t num_samples = 0;
  uint8_t leading = 0xff;  // XOR window: leading zeros; 0xff = no window yet
  uint8_t trailing = 0;    // XOR window: trailing zeros
};
static_assert(sizeof(XorState) == 32);

// Length in bytes of the chunk described by `st` (the last byte zero-padded).
inline size_t XorByteLen(const XorState& st) { return (size_t(st.bit_len) + 7) / 8; }

// Starts an empty chunk: writes the 2-byte header to buf[0..1] and resets *st.
void XorInit(XorState* st, uint8_t* buf);

// Appends (t, v) to the chunk in `buf` described by *st and returns the new byte length.
// Precondition: buf has at least XorByteLen(*st) + kXorAppendSlack bytes; bytes past the
// returned length may be overwritten. Returns 0 and changes nothing if the chunk already
// holds kMaxSamplesPerChunk samples. Timestamps are not checked for order (the head does);
// arithmetic wraps like Prometheus' so any int64 sequence round-trips.
size_t XorAppend(XorState* st, uint8_t* buf, int64_t t, double v);

// Iterates over the samples of one XOR chunk in the order they were appended.
// Reads exactly the header's sample count; running out of bytes first, an invalid varint
// or an impossible XOR window is Corruption (Err()), after which Next() returns false.
// The chunk bytes must outlive the iterator (or the next Reset()).
class XorIterator final : public storage::SampleIterator {
 public:
  XorIterator() = default;
  explicit XorIterator(std::string_view chunk) { Reset(chunk); }

  // Restarts on new chunk bytes (no allocation).
  void Reset(std::string_view chunk);

  // Inline fast path for samples 2..n; the rest is out of line.
  bool Next() override {
    if (num_read_ >= 2 && num_read_ < limit_) [[likely]]
      return NextFast();
    return NextSlow();
  }
  bool Seek(int64_t t) override;
  int64_t AtT() const override { return t_; }
  double AtV() const override;
  uint64_t AtVBits() const { return v_bits_; }
  Status Err() const override { return err_; }

  // The sample count from the chunk header.
  uint16_t NumSamples() const { return num_total_; }
  // Samples returned so far.
  uint16_t NumRead() const { return num_read_; }
  // After all samples were read without error: the appender state that continues the
  // chunk exactly as if the appender had never stopped.
  XorState State() const;

 private:
  bool NextSlow();
  bool Fail(std::string_view what);
  bool FailWindow();
  bool FailOverrun();

  bool NextFast() {
    // Delta-of-delta: prefix 0 / 10 / 110 / 1110 / 1111 selects 0 / 14 / 17 / 20 / 64 bits.
    static constexpr uint8_t kPrefixLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4};
    static constexpr uint8_t kPayloadLen[16] = {0,  0,  0,  0,  0,  0,  0,  0,
                                                14, 14, 14, 14, 17, 17, 20, 64};
    // One refill covers the delta-of-delta (<= 24 bits unless 64) and the value's control
    // bits (<= 13): at least 56 bits are available afterwards.
    if (br_.available() < 37) br_.Refill();
    const unsigned top = unsigned(br_.Peek(4));
    uint64_t dod;
    if (top == 0b1111) [[unlikely]] {
      br_.Skip(4);
      dod = br_.ReadWide(64);
    } else {
      br_.Skip(kPrefixLen[top]);
      const int n = kPayloadLen[top];
      const uint64_t b = br_.PeekUpTo(n);
      br_.Skip(n);
      // Values above 2^(n-1) are negative numbers in n-bit two's complement.
      const uint64_t half = (uint64_t(1) << n) >> 1;
      dod = b - (b > half ? uint64_t(1) << n : 0);
    }
    t_delta_ += dod;
    t_ = int64_t(uint64_t(t_) + t_delta_);
    if (!ReadValue(/*refilled=*/top != 0b1111)) [[unlikely]]
      return FailWindow();
    if (br_.Overrun()) [[unlikely]]
      return FailOverrun();
    ++num_read_;
    return true;
  }

  // Reads one XOR'd value: '0' unchanged; '10' + bits in the current window; '11' + 5-bit
  // leading zeros + 6-bit width (0 means 64) + bits. False on an impossible window.
  bool ReadValue(bool refilled = false) {
    if (!refilled && br_.available() < 13) br_.Refill();
    const uint64_t c = br_.Peek(2);
    if (c < 0b10) {
      br_.Skip(1);
      return true;
    }
    // Both window cases are computed and selected without branches: which one comes next
    // is data-dependent and mispredicts badly otherwise.
    const uint64_t h = br_.Peek(13);
    const bool fresh = c == 0b11;
    const int new_mb = int(h & 63);
    const int lz = fresh ? int((h >> 6) & 31) : int(leading_);
    const int mbits = fresh ? (new_mb == 0 ? 64 : new_mb) : 64 - leading_ - trailing_;
    if (lz + mbits > 64) [[unlikely]]
      return false;
    leading_ = uint8_t(lz);
    trailing_ = uint8_t(64 - lz - mbits);
    window_set_ |= fresh;
    br_.Skip(fresh ? 13 : 2);
    v_bits_ ^= br_.ReadWide(mbits) << trailing_;
    return true;
  }

  const uint8_t* data_ = nullptr;  // chunk start (header)
  size_t size_ = 0;
  size_t byte_off_ = 0;                 // next byte while samples 0 and 1 are read
  const uint8_t* bits_base_ = nullptr;  // where the bit stream of sample 1's value starts
  BitReader br_;
  int64_t t_ = 0;
  uint64_t t_delta_ = 0;
  uint64_t v_bits_ = 0;
  uint16_t num_total_ = 0;  // from the header
  uint16_t num_read_ = 0;
  uint16_t limit_ = 0;   // samples that may still be read: num_total_, or num_read_ once done
  uint8_t leading_ = 0;  // the decoder's window starts at (0, 0) like Prometheus'
  uint8_t trailing_ = 0;
  bool window_set_ = false;
  bool exhausted_ = false;  // Next() returned false
  Status err_;
};

// Appends to a chunk held in a caller-owned std::string whose size() is always the chunk's
// byte length. The string must outlive the appender; do not modify it in between.
class XorAppender {
 public:
  // Starts a new, empty chunk in *buf (its contents are replaced).
  static XorAppender New(std::string* buf);
  // Continues the chunk in *buf, decoding it once to rebuild the state.
  // Corruption if the bytes are not a valid XOR chunk.
  static Result<XorAppender> Resume(std::string* buf);
  // Continues with a saved state (no decoding); `st` must describe exactly *buf.
  XorAppender(std::string* buf, const XorState& st) : buf_(buf), st_(st) {}

  // Appends one sample; false if the chunk is full (kMaxSamplesPerChunk).
  bool Append(int64_t t, double v);
  const XorState& state() const { return st_; }
  uint16_t NumSamples() const { return st_.num_samples; }

 private:
  std::string* buf_;
  XorState st_;
};

// An XOR chunk that owns its bytes.
class XorChunk {
 public:
  XorChunk();
  // Adopts existing chunk bytes (e.g. read from disk) and makes them appendable.
  // Corruption if they do not decode.
  static Result<XorChunk> FromBytes(std::string_view bytes);

  Encoding encoding() const { return Encoding::kXor; }
  std::string_view Bytes() const { return std::string_view(buf_.data(), XorByteLen(st_)); }
  uint16_t NumSamples() const { return st_.num_samples; }
  // Appends one sample; false if the chunk is full.
  bool Append(int64_t t, double v);
  // An iterator over the current bytes; invalidated by the next Append.
  XorIterator Iterator() const { return XorIterator(Bytes()); }
  const XorState& state() const { return st_; }

 private:
  std::string buf_;  // size() is the capacity in use; the chunk is the first XorByteLen bytes
  XorState st_;
};

}  // namespace vigil::tsdb::chunkenc
