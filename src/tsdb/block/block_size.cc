#include "tsdb/block/block_size.h"

#include <bit>
#include <vector>

#include "base/coding.h"
#include "tsdb/chunkenc/chunk.h"
#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb::block {
namespace {

uint64_t UvarintLen(uint64_t v) { return v < 0x80 ? 1 : (uint64_t(std::bit_width(v)) + 6) / 7; }

// Uvarint length, encoding byte and CRC32 around a chunk of `n` bytes in a segment.
uint64_t Framing(uint64_t n) { return UvarintLen(n) + 1 + 4; }

// Bits of the 2-byte count, the first timestamp (zigzag varint) and the 64-bit first value.
uint64_t HeadBits(int64_t t0) { return 16 + 8 * UvarintLen(ZigZagEncode(t0)) + 64; }

}  // namespace

Result<BlockSize> MeasureBlockSize(const Block& b) {
  BlockSize s;
  s.index_bytes = b.index().size_bytes();
  s.chunk_bytes = b.chunk_reader().size_bytes();
  s.segment_headers = chunks::kSegmentHeaderSize * b.chunk_reader().num_segments();
  VIGIL_ASSIGN_OR_RETURN(auto set, b.NewChunkSeriesSet({}, b.meta().min_time, b.meta().max_time));

  std::vector<Sample> samples;  // one series, all chunks
  chunkenc::XorChunk probe;     // re-encodings: constant values, then the single chunks
  chunkenc::XorIterator it;
  auto flush_single = [&](size_t from, size_t to) {
    probe = chunkenc::XorChunk();
    for (size_t i = from; i < to; ++i) probe.Append(samples[i].t, samples[i].v);
    s.single_chunk_bytes += probe.Bytes().size() + Framing(probe.Bytes().size());
  };
  while (set->Next()) {
    ++s.series;
    samples.clear();
    for (const chunks::Meta& m : set->chunks()) {
      ++s.chunks;
      s.chunk_framing += Framing(m.data.size());
      if (m.encoding != chunkenc::Encoding::kXor) {
        ++s.other_encoding_chunks;
        s.chunk_heads += m.data.size();
        continue;
      }
      it.Reset(m.data);
      probe = chunkenc::XorChunk();
      int64_t t0 = 0;
      double v0 = 0;
      while (it.Next()) {
        if (it.NumRead() == 1) {
          t0 = it.AtT();
          v0 = it.AtV();
        }
        probe.Append(it.AtT(), v0);
        samples.push_back(Sample{it.AtT(), it.AtV()});
      }
      if (!it.Err().ok()) return it.Err().WithPrefix("chunk " + std::to_string(m.ref));
      const uint64_t n = it.NumRead();
      s.samples += n;
      if (n == 0) {
        s.chunk_heads += m.data.size();
        continue;
      }
      const uint64_t head = HeadBits(t0);
      // With a constant value every sample after the first spends exactly 1 value bit.
      const uint64_t ts = probe.state().bit_len - head - (n - 1);
      s.chunk_heads += head / 8;
      s.timestamp_bits += ts;
      s.value_bits += 8 * m.data.size() - head - ts;
    }
    for (size_t from = 0; from < samples.size(); from += chunkenc::kMaxSamplesPerChunk) {
      flush_single(from, std::min(samples.size(), from + chunkenc::kMaxSamplesPerChunk));
    }
  }
  if (!set->Err().ok()) return set->Err();
  return s;
}

}  // namespace vigil::tsdb::block
