#include "tsdb/chunkenc/xor.h"

#include <algorithm>
#include <bit>

#include "base/coding.h"

namespace vigil::tsdb::chunkenc {
namespace {

// Prometheus' bitRange: x fits the n-bit bucket -(2^(n-1)-1) .. 2^(n-1).
inline bool BitRange(int64_t x, int n) {
  const int64_t half = int64_t(1) << (n - 1);
  return -(half - 1) <= x && x <= half;
}

// Go-compatible varints written straight into the buffer; return bytes written.
inline size_t PutUvarintRaw(uint8_t* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = uint8_t(v | 0x80);
    v >>= 7;
  }
  p[n++] = uint8_t(v);
  return n;
}

// Writes the XOR of the new and previous value bits at bit `pos`; returns the new position.
// Control bits: '0' unchanged; '10' + bits in the current window; '11' + 5-bit leading
// zeros (clamped to 31) + 6-bit significant bit count (64 written as 0) + the bits.
inline uint64_t WriteXor(uint8_t* buf, uint64_t pos, uint64_t delta, uint8_t* leading,
                         uint8_t* trailing) {
  if (delta == 0) {
    PutBits(buf, pos, 0, 1);
    return pos + 1;
  }
  unsigned lz = unsigned(std::countl_zero(delta));
  const unsigned tz = unsigned(std::countr_zero(delta));
  if (lz >= 32) lz = 31;
  if (*leading != 0xff && lz >= *leading && tz >= *trailing) {
    const int mbits = 64 - *leading - *trailing;
    const uint64_t m = delta >> *trailing;
    if (mbits <= 62) {
      PutBits(buf, pos, (uint64_t(0b10) << mbits) | m, mbits + 2);
    } else {
      PutBits(buf, pos, 0b10, 2);
      PutBits(buf, pos + 2, m, mbits);
    }
    return pos + 2 + uint64_t(mbits);
  }
  *leading = uint8_t(lz);
  *trailing = uint8_t(tz);
  const int sig = 64 - int(lz) - int(tz);
  const uint64_t hdr = (uint64_t(0b11) << 11) | (uint64_t(lz) << 6) | uint64_t(sig & 63);
  const uint64_t m = delta >> tz;
  if (sig <= 51) {
    PutBits(buf, pos, (hdr << sig) | m, 13 + sig);
  } else {
    PutBits(buf, pos, hdr, 13);
    PutBits(buf, pos + 13, m, sig);
  }
  return pos + 13 + uint64_t(sig);
}

}  // namespace

void XorInit(XorState* st, uint8_t* buf) {
  *st = XorState{};
  buf[0] = 0;
  buf[1] = 0;
}

size_t XorAppend(XorState* st, uint8_t* buf, int64_t t, double v) {
  const uint16_t num = st->num_samples;
  if (num == kMaxSamplesPerChunk) return 0;
  const uint64_t vb = std::bit_cast<uint64_t>(v);
  uint64_t pos = st->bit_len;
  uint64_t t_delta = 0;
  if (num == 0) {
    // Byte-aligned: zig-zag varint timestamp, then the raw 64 value bits.
    uint8_t* p = buf + pos / 8;
    p += PutUvarintRaw(p, ZigZagEncode(t));
    StoreBE64(p, vb);
    p += 8;
    pos = uint64_t(p - buf) * 8;
  } else if (num == 1) {
    // Still byte-aligned: the first delta as a uvarint.
    t_delta = uint64_t(t) - uint64_t(st->t);
    uint8_t* p = buf + pos / 8;
    p += PutUvarintRaw(p, t_delta);
    pos = WriteXor(buf, uint64_t(p - buf) * 8, vb ^ st->v_bits, &st->leading, &st->trailing);
  } else {
    t_delta = uint64_t(t) - uint64_t(st->t);
    const int64_t dod = int64_t(t_delta - st->t_delta);
    const uint64_t u = uint64_t(dod);
    if (dod == 0) {
      PutBits(buf, pos, 0, 1);
      pos += 1;
    } else if (BitRange(dod, 14)) {
      PutBits(buf, pos, (uint64_t(0b10) << 14) | (u & 0x3FFF), 16);
      pos += 16;
    } else if (BitRange(dod, 17)) {
      PutBits(buf, pos, (uint64_t(0b110) << 17) | (u & 0x1FFFF), 20);
      pos += 20;
    } else if (BitRange(dod, 20)) {
      PutBits(buf, pos, (uint64_t(0b1110) << 20) | (u & 0xFFFFF), 24);
      pos += 24;
    } else {
      PutBits(buf, pos, 0b1111, 4);
      PutBits(buf, pos + 4, u, 64);
      pos += 68;
    }
    pos = WriteXor(buf, pos, vb ^ st->v_bits, &st->leading, &st->trailing);
  }
  st->t = t;
  st->t_delta = t_delta;
  st->v_bits = vb;
  st->bit_len = uint32_t(pos);
  st->num_samples = uint16_t(num + 1);
  buf[0] = uint8_t((num + 1) >> 8);
  buf[1] = uint8_t(num + 1);
  return size_t((pos + 7) / 8);
}

// ---------------------------------------------------------------------------------------
// XorIterator

void XorIterator::Reset(std::string_view chunk) {
  data_ = reinterpret_cast<const uint8_t*>(chunk.data());
  size_ = chunk.size();
  bits_base_ = nullptr;
  t_ = 0;
  t_delta_ = 0;
  v_bits_ = 0;
  num_read_ = 0;
  leading_ = 0;
  trailing_ = 0;
  window_set_ = false;
  exhausted_ = false;
  err_ = Status::OK();
  if (size_ < size_t(kChunkHeaderSize)) {
    num_total_ = 0;
    limit_ = 0;
    Fail("XOR chunk shorter than its 2-byte header");
    return;
  }
  num_total_ = uint16_t((data_[0] << 8) | data_[1]);
  limit_ = num_total_;
  byte_off_ = kChunkHeaderSize;
}

bool XorIterator::Fail(std::string_view what) {
  limit_ = num_read_;
  exhausted_ = true;
  err_ = Status::Corruption(std::string("XOR chunk: ") + std::string(what) + " (sample " +
                            std::to_string(num_read_) + " of " + std::to_string(num_total_) + ")");
  return false;
}

bool XorIterator::FailWindow() { return Fail("XOR window wider than 64 bits"); }
bool XorIterator::FailOverrun() { return Fail("data ends before the last sample"); }

double XorIterator::AtV() const { return std::bit_cast<double>(v_bits_); }

bool XorIterator::NextSlow() {
  if (num_read_ >= limit_) {
    exhausted_ = true;
    return false;
  }
  if (num_read_ == 0) {
    std::string_view in(reinterpret_cast<const char*>(data_) + byte_off_, size_ - byte_off_);
    int64_t t;
    if (!GetVarint(&in, &t)) return Fail("invalid first timestamp varint");
    if (in.size() < 8) return Fail("truncated first value");
    v_bits_ = DecodeBE64(in.data());
    in.remove_prefix(8);
    t_ = t;
    byte_off_ = size_t(reinterpret_cast<const uint8_t*>(in.data()) - data_);
    num_read_ = 1;
    return true;
  }
  // Sample 1 (samples 2.. take the inline fast path).
  std::string_view in(reinterpret_cast<const char*>(data_) + byte_off_, size_ - byte_off_);
  uint64_t d;
  if (!GetUvarint(&in, &d)) return Fail("invalid first timestamp delta varint");
  t_delta_ = d;
  t_ = int64_t(uint64_t(t_) + d);
  bits_base_ = reinterpret_cast<const uint8_t*>(in.data());
  br_.Reset(bits_base_, in.size());
  if (!ReadValue()) return FailWindow();
  if (br_.Overrun()) return FailOverrun();
  num_read_ = 2;
  return true;
}

bool XorIterator::Seek(int64_t t) {
  if (exhausted_ || !err_.ok()) return false;
  if (num_read_ != 0 && t_ >= t) return true;
  while (Next()) {
    if (t_ >= t) return true;
  }
  return false;
}

XorState XorIterator::State() const {
  XorState s;
  s.t = t_;
  s.t_delta = t_delta_;
  s.v_bits = v_bits_;
  s.num_samples = num_read_;
  if (window_set_) {
    s.leading = leading_;
    s.trailing = trailing_;
  }
  if (num_read_ < 2) {
    s.bit_len = uint32_t(byte_off_ * 8);
  } else {
    s.bit_len = uint32_t(uint64_t(bits_base_ - data_) * 8 + br_.BitPosition(bits_base_));
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// XorAppender / XorChunk

XorAppender XorAppender::New(std::string* buf) {
  buf->assign(kChunkHeaderSize, '\0');
  return XorAppender(buf, XorState{});
}

Result<XorAppender> XorAppender::Resume(std::string* buf) {
  XorIterator it(*buf);
  while (it.Next()) {
  }
  VIGIL_RETURN_IF_ERROR(it.Err());
  XorState st = it.State();
  buf->resize(XorByteLen(st));
  return XorAppender(buf, st);
}

bool XorAppender::Append(int64_t t, double v) {
  if (st_.num_samples == kMaxSamplesPerChunk) return false;
  const size_t len = XorByteLen(st_);
  buf_->resize(len + kXorAppendSlack);
  const size_t n = XorAppend(&st_, reinterpret_cast<uint8_t*>(buf_->data()), t, v);
  buf_->resize(n);
  return true;
}

XorChunk::XorChunk() {
  buf_.resize(kChunkHeaderSize + kXorAppendSlack);
  XorInit(&st_, reinterpret_cast<uint8_t*>(buf_.data()));
}

Result<XorChunk> XorChunk::FromBytes(std::string_view bytes) {
  XorIterator it(bytes);
  while (it.Next()) {
  }
  VIGIL_RETURN_IF_ERROR(it.Err());
  XorChunk c;
  c.st_ = it.State();
  c.buf_.assign(bytes.substr(0, XorByteLen(c.st_)));
  c.buf_.resize(c.buf_.size() + kXorAppendSlack);
  return c;
}

bool XorChunk::Append(int64_t t, double v) {
  if (st_.num_samples == kMaxSamplesPerChunk) return false;
  const size_t need = XorByteLen(st_) + kXorAppendSlack;
  if (buf_.size() < need) buf_.resize(std::max(need, buf_.size() * 2));
  XorAppend(&st_, reinterpret_cast<uint8_t*>(buf_.data()), t, v);
  return true;
}

}  // namespace vigil::tsdb::chunkenc
