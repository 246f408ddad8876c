#include "tsdb/chunkenc/xor.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/coding.h"
#include "model/value.h"

namespace vigil::tsdb::chunkenc {
namespace {

struct S {
  int64_t t;
  uint64_t bits;
  friend bool operator==(const S&, const S&) = default;
};

std::ostream& operator<<(std::ostream& os, const S& s) {
  return os << "{t=" << s.t << " bits=0x" << std::hex << s.bits << std::dec << "}";
}

S Smp(int64_t t, double v) { return S{t, std::bit_cast<uint64_t>(v)}; }

std::string Encode(const std::vector<S>& samples) {
  XorChunk c;
  for (const S& s : samples) EXPECT_TRUE(c.Append(s.t, std::bit_cast<double>(s.bits)));
  return std::string(c.Bytes());
}

std::vector<S> Decode(std::string_view bytes, Status* err = nullptr) {
  std::vector<S> out;
  XorIterator it(bytes);
  while (it.Next()) out.push_back(S{it.AtT(), it.AtVBits()});
  if (err != nullptr) {
    *err = it.Err();
  } else {
    EXPECT_TRUE(it.Err().ok()) << it.Err().ToString();
  }
  return out;
}

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

TEST(XorTest, EmptyChunkIsJustTheHeader) {
  XorChunk c;
  EXPECT_EQ(c.Bytes(), std::string("\0\0", 2));
  EXPECT_EQ(c.NumSamples(), 0);
  XorIterator it(c.Bytes());
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.Err().ok());
}

// Bytes worked out by hand from the format (docs/format/xor.md):
//   00 03                     3 samples
//   d0 0f                     varint(1000) = zigzag 2000
//   3f f0 00 00 00 00 00 00   1.0
//   e8 07                     uvarint(1000)
//   then bits: 0 (value same) | 0 (dod 0) | 11 00001 001011 11111111111 (2.0 xor 1.0:
//   leading 1, 11 significant bits) = 0011 0000 1001 0111 1111 1111 11 + 6 padding bits
TEST(XorTest, HandComputedBytes) {
  const std::string want = std::string("\x00\x03\xd0\x0f\x3f\xf0\x00\x00\x00\x00\x00\x00", 12) +
                           std::string("\xe8\x07\x30\x97\xff\xc0", 6);
  std::string got = Encode({Smp(1000, 1.0), Smp(2000, 1.0), Smp(3000, 2.0)});
  EXPECT_EQ(Hex(got), Hex(want));
  EXPECT_EQ(Decode(want), (std::vector<S>{Smp(1000, 1.0), Smp(2000, 1.0), Smp(3000, 2.0)}));
}

// Each delta-of-delta bucket with its edges: the prefix and width decide the length.
TEST(XorTest, DeltaOfDeltaBucketEdges) {
  struct Case {
    int64_t dod;
    int bits;  // prefix + payload
  };
  const Case cases[] = {
      {0, 1},        {1, 16},      {-1, 16},      {8192, 16},      {-8191, 16},        {8193, 20},
      {-8192, 20},   {65536, 20},  {-65535, 20},  {65537, 24},     {-65536, 24},       {524288, 24},
      {-524287, 24}, {524289, 68}, {-524288, 68}, {1LL << 40, 68}, {-(1LL << 40), 68},
  };
  for (const Case& c : cases) {
    // Samples 0 and 1 set delta 1000; sample 2 has delta 1000 + dod. Equal values cost 1 bit.
    std::vector<S> in = {Smp(0, 5), Smp(1000, 5), Smp(2000 + c.dod, 5)};
    XorChunk chunk;
    for (const S& s : in) chunk.Append(s.t, 5);
    const uint32_t before = 16 + 8 + 64 + 16 + 1;  // header, t0, v0, uvarint(1000), v1
    EXPECT_EQ(chunk.state().bit_len, before + uint32_t(c.bits) + 1) << "dod " << c.dod;
    EXPECT_EQ(Decode(chunk.Bytes()), in) << "dod " << c.dod;
  }
}

TEST(XorTest, SpecialValuesKeepTheirBits) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<S> in = {
      Smp(1, 0.0),
      S{2, kStaleNaNBits},
      S{3, kNormalNaNBits},
      Smp(4, inf),
      Smp(5, -inf),
      Smp(6, -0.0),
      Smp(7, std::numeric_limits<double>::denorm_min()),
      Smp(8, std::numeric_limits<double>::max()),
      Smp(9, std::numeric_limits<double>::lowest()),
      S{10, kStaleNaNBits},
      S{11, 0x7ff8dead0000beefull},  // a NaN with payload
      S{12, kStaleNaNBits},
      Smp(13, 1.0),
  };
  std::vector<S> got = Decode(Encode(in));
  ASSERT_EQ(got, in);
  EXPECT_EQ(got[1].bits, 0x7ff0000000000002ull);
}

TEST(XorTest, ExtremeTimestampsWrapLikePrometheus) {
  const int64_t mn = std::numeric_limits<int64_t>::min();
  const int64_t mx = std::numeric_limits<int64_t>::max();
  const std::vector<S> in = {Smp(mx, 1), Smp(mn, 2), Smp(mx, 3), Smp(0, 4),  Smp(-1, 5),
                             Smp(mn, 6), Smp(mn, 7), Smp(mx, 8), Smp(-5, 9), Smp(-10, 10)};
  EXPECT_EQ(Decode(Encode(in)), in);
}

// Data shapes the head sees plus random noise; every value bit pattern must survive.
TEST(XorTest, RandomRoundTrip) {
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 300; ++round) {
    const int n = int(rng() % 400) + 1;
    std::vector<S> in;
    int64_t t = int64_t(rng() % 2000000000000ll) - 1000000000000ll;
    double v = 0;
    const int shape = round % 6;
    for (int i = 0; i < n; ++i) {
      switch (shape) {
        case 0:  // steady scrape, counter
          t += 15000;
          v += double(rng() % 100);
          break;
        case 1:  // jittered scrape, gauge with few digits
          t += 15000 + int64_t(rng() % 200) - 100;
          v = double(int64_t(rng() % 100000)) / 100.0;
          break;
        case 2:  // random walk in time, random doubles
          t += int64_t(rng() % 1000000) - 200000;
          v = std::bit_cast<double>(rng());
          break;
        case 3:  // constant
          t += 1000;
          v = 42;
          break;
        case 4:                              // huge jumps
          t = int64_t(uint64_t(t) + rng());  // wraps, as int64 arithmetic in Go
          v = double(rng() % 3);
          break;
        default:  // mixes special values in
          t += int64_t(rng() % 60000);
          v = (rng() % 5 == 0) ? std::bit_cast<double>(kStaleNaNBits) : double(rng() % 7) * 0.1;
      }
      in.push_back(S{t, std::bit_cast<uint64_t>(v)});
    }
    ASSERT_EQ(Decode(Encode(in)), in) << "round " << round << " shape " << shape;
  }
}

// Appending after a save/restore of the state (or after decoding the bytes) must produce
// the same bytes as one appender that never stopped.
TEST(XorTest, ResumeProducesIdenticalBytes) {
  std::mt19937_64 rng(99);
  std::vector<S> in;
  int64_t t = 1700000000000;
  for (int i = 0; i < 200; ++i) {
    t += 15000 + int64_t(rng() % 7) - 3;
    const double v = (i % 50 < 25) ? 1.0 : double(rng() % 1000) / 7.0;
    in.push_back(Smp(t, v));
  }
  const std::string want = Encode(in);
  for (size_t split : {size_t(0), size_t(1), size_t(2), size_t(3), size_t(30), size_t(199)}) {
    std::string buf;
    XorAppender a = XorAppender::New(&buf);
    for (size_t i = 0; i < split; ++i) a.Append(in[i].t, std::bit_cast<double>(in[i].bits));
    // (1) resume from the saved POD state.
    std::string buf2 = buf;
    XorAppender b(&buf2, a.state());
    // (2) resume by decoding the bytes.
    std::string buf3 = buf;
    Result<XorAppender> c = XorAppender::Resume(&buf3);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    for (size_t i = split; i < in.size(); ++i) {
      b.Append(in[i].t, std::bit_cast<double>(in[i].bits));
      c->Append(in[i].t, std::bit_cast<double>(in[i].bits));
    }
    EXPECT_EQ(Hex(buf2), Hex(want)) << "split " << split;
    EXPECT_EQ(Hex(buf3), Hex(want)) << "split " << split;
  }
}

// A chunk whose values never changed has no XOR window; resuming it must keep "no window"
// (Prometheus' reopened appender would otherwise write a 64-bit window).
TEST(XorTest, ResumeWithoutWindowKeepsSentinel) {
  std::vector<S> in;
  for (int i = 0; i < 10; ++i) in.push_back(Smp(i * 1000, 3.0));
  const std::string head = Encode(in);
  Result<XorChunk> c = XorChunk::FromBytes(head);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->state().leading, 0xff);
  c->Append(10000, 4.0);
  in.push_back(Smp(10000, 4.0));
  EXPECT_EQ(Hex(c->Bytes()), Hex(Encode(in)));
}

TEST(XorTest, ExternalBufferWithPodState) {
  // The head's way: its own buffer, state stored separately.
  std::vector<uint8_t> slab(256, 0xEE);
  XorState st;
  XorInit(&st, slab.data());
  size_t len = 2;
  std::vector<S> in;
  for (int i = 0; i < 20; ++i) {
    in.push_back(Smp(i * 15000, i * 0.5));
    ASSERT_GE(slab.size(), XorByteLen(st) + kXorAppendSlack);
    len = XorAppend(&st, slab.data(), in.back().t, i * 0.5);
  }
  EXPECT_EQ(len, XorByteLen(st));
  const std::string bytes(reinterpret_cast<const char*>(slab.data()), len);
  EXPECT_EQ(Hex(bytes), Hex(Encode(in)));
}

TEST(XorTest, FullChunkRefusesAppend) {
  XorChunk c;
  for (uint32_t i = 0; i < kMaxSamplesPerChunk; ++i) ASSERT_TRUE(c.Append(int64_t(i), 1.0));
  EXPECT_FALSE(c.Append(70000, 1.0));
  EXPECT_EQ(c.NumSamples(), 65535);
  XorIterator it(c.Bytes());
  int n = 0;
  while (it.Next()) ++n;
  EXPECT_TRUE(it.Err().ok());
  EXPECT_EQ(n, 65535);
}

TEST(XorTest, SeekSemantics) {
  const std::vector<S> in = {Smp(10, 1), Smp(20, 2), Smp(30, 3), Smp(40, 4)};
  const std::string b = Encode(in);
  XorIterator it(b);
  ASSERT_TRUE(it.Seek(5));  // before the first sample: lands on it
  EXPECT_EQ(it.AtT(), 10);
  ASSERT_TRUE(it.Seek(10));  // already there: stays
  EXPECT_EQ(it.AtT(), 10);
  ASSERT_TRUE(it.Seek(25));
  EXPECT_EQ(it.AtT(), 30);
  EXPECT_EQ(it.AtV(), 3);
  ASSERT_TRUE(it.Seek(11));  // never goes backwards
  EXPECT_EQ(it.AtT(), 30);
  EXPECT_FALSE(it.Seek(41));
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.Err().ok());
}

// Every truncation of a valid chunk must be reported, never read past the end.
TEST(XorTest, TruncatedChunksAreCorruption) {
  std::vector<S> in;
  for (int i = 0; i < 50; ++i) in.push_back(Smp(i * 1000 + (i % 3) * 7, i * 1.25 - 3));
  const std::string b = Encode(in);
  for (size_t len = 0; len < b.size(); ++len) {
    // A heap copy of exactly `len` bytes, so ASan catches any overread.
    std::vector<char> copy(b.begin(), b.begin() + long(len));
    Status err;
    std::vector<S> got = Decode(std::string_view(copy.data(), copy.size()), &err);
    EXPECT_TRUE(err.IsCorruption()) << "len " << len << ": " << err.ToString();
    EXPECT_LT(got.size(), in.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], in[i]);
  }
}

TEST(XorTest, InvalidWindowIsCorruption) {
  // Two samples: header, t0 = 0, v0 = 0, delta 1; then the second value uses '11' with
  // leading = 31 and 56 significant bits (11 11111 111000), 87 bits in all.
  std::string b("\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 12);
  b += std::string("\xff\xc0\x00\x00\x00\x00\x00\x00\x00\x00", 10);
  Status err;
  std::vector<S> got = Decode(b, &err);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_TRUE(err.IsCorruption());
  EXPECT_NE(err.message().find("window"), std::string_view::npos) << err.ToString();
}

TEST(XorTest, ChunkShorterThanHeader) {
  Status err;
  Decode(std::string_view("\x00", 1), &err);
  EXPECT_TRUE(err.IsCorruption());
  EXPECT_FALSE(XorChunk::FromBytes("").has_value());
}

// ---------------------------------------------------------------------------------------
// Golden: chunks written by Prometheus 2.42 (testdata/tsdb/xor_golden/README.md).

std::string SourceDir() {
  const char* d = std::getenv("VIGIL_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(XorGoldenTest, PrometheusChunksDecodeAndReencodeBitExact) {
  const std::string dir = SourceDir() + "/testdata/tsdb/xor_golden/";
  const std::string seg = ReadFile(dir + "chunks_000001");
  const std::string om = ReadFile(dir + "input.om");
  ASSERT_GT(seg.size(), 8u) << "missing fixture in " << dir;
  ASSERT_FALSE(om.empty());

  // Expected samples per series from the OpenMetrics input.
  std::map<std::string, std::vector<S>> want;
  std::istringstream lines(om);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t b2 = line.rfind(' ');
    const size_t b1 = line.rfind(' ', b2 - 1);
    const std::string series = line.substr(0, b1);
    const std::string val = line.substr(b1 + 1, b2 - b1 - 1);
    const double ts = std::strtod(line.c_str() + b2 + 1, nullptr);
    const double v = std::strtod(val.c_str(), nullptr);
    want[series].push_back(Smp(std::llround(ts * 1000), v));
  }
  std::vector<S> want_all;  // series in label order, as the block writes them
  for (auto& [name, samples] : want)
    want_all.insert(want_all.end(), samples.begin(), samples.end());

  // Walk the segment file: 8-byte header, then uvarint len, encoding, data, CRC32C.
  ASSERT_EQ(DecodeBE32(seg.data()), 0x85BD40DDu);
  std::string_view in(seg);
  in.remove_prefix(8);
  std::vector<S> got_all;
  int chunks = 0;
  while (!in.empty()) {
    uint64_t len;
    ASSERT_TRUE(GetUvarint(&in, &len));
    ASSERT_GE(in.size(), len + 5);
    ASSERT_EQ(uint8_t(in[0]), uint8_t(Encoding::kXor));
    const std::string_view data = in.substr(1, len);
    EXPECT_EQ(Crc32cOf(in.substr(0, len + 1)), DecodeBE32(in.data() + 1 + len));
    in.remove_prefix(1 + len + 4);
    ++chunks;

    std::vector<S> samples = Decode(data);
    ASSERT_FALSE(samples.empty());
    EXPECT_EQ(Hex(Encode(samples)), Hex(data)) << "chunk " << chunks;
    got_all.insert(got_all.end(), samples.begin(), samples.end());
  }
  EXPECT_EQ(chunks, 9);
  ASSERT_EQ(got_all.size(), want_all.size());
  int nans = 0;
  for (size_t i = 0; i < got_all.size(); ++i) {
    EXPECT_EQ(got_all[i].t, want_all[i].t) << i;
    if (std::isnan(std::bit_cast<double>(want_all[i].bits))) {
      // Prometheus parses "NaN" to its normal NaN bit pattern.
      EXPECT_EQ(got_all[i].bits, kNormalNaNBits) << i;
      ++nans;
    } else {
      EXPECT_EQ(got_all[i].bits, want_all[i].bits) << i;
    }
  }
  EXPECT_GT(nans, 0);
}

}  // namespace
}  // namespace vigil::tsdb::chunkenc
