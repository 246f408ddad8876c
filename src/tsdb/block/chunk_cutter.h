// ChunkCutter: cuts one series' samples into XOR chunks exactly where Prometheus 2.x's head
// cuts them (tsdb/head_append.go), so that a block Vigil writes from samples has the same
// chunks, byte for byte, as the block Prometheus or promtool would write from them:
//  * a chunk may not cross a multiple of the chunk range (the head's block range; promtool's
//    backfill uses twice the block duration): the first sample of a chunk sets the cut time
//    to the end of its range, (t / range) * range + range with Go's truncating division;
//  * when a chunk holds a quarter of the target (30 of 120 samples) the cut time is moved so
//    that the rest of the range fills chunks of equal size: n = (cut - mint) /
//    ((maxt - mint + 1) * 4), and if n > 1 the cut time becomes mint + (cut - mint) / n;
//  * a sample at or after the cut time, or arriving at 2x the target count, starts a new chunk.
// Not thread-safe; reusable with Reset().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tsdb/chunkenc/xor.h"

namespace vigil::tsdb::block {

struct CutChunk {
  int64_t mint = 0;
  int64_t maxt = 0;
  std::string data;  // XOR chunk bytes
};

class ChunkCutter {
 public:
  static constexpr uint32_t kDefaultSamplesPerChunk = 120;

  // chunk_range_ms > 0.
  explicit ChunkCutter(int64_t chunk_range_ms, uint32_t samples_per_chunk = kDefaultSamplesPerChunk)
      : range_(chunk_range_ms), samples_per_chunk_(samples_per_chunk) {}

  // Appends one sample. Returns false (and drops it) unless t is after the previous sample,
  // as Prometheus' head drops out-of-order samples.
  bool Append(int64_t t, double v);
  // Closes the open chunk; the chunks cut so far, in time order. Call Reset() to reuse.
  std::vector<CutChunk>& Finish();
  void Reset();

  // The Prometheus formulas, exposed for tests.
  static int64_t RangeEnd(int64_t t, int64_t range) { return (t / range) * range + range; }
  static int64_t ComputeChunkEndTime(int64_t start, int64_t cur, int64_t max);

 private:
  void Cut(int64_t t);
  void Close();

  int64_t range_;
  uint32_t samples_per_chunk_;
  std::vector<CutChunk> done_;
  chunkenc::XorChunk open_;
  bool has_open_ = false;
  int64_t open_mint_ = 0;
  int64_t last_t_ = 0;
  int64_t next_at_ = 0;
};

}  // namespace vigil::tsdb::block
