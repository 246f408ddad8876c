#include "tsdb/block/chunk_cutter.h"

namespace vigil::tsdb::block {

int64_t ChunkCutter::ComputeChunkEndTime(int64_t start, int64_t cur, int64_t max) {
  const int64_t n = (max - start) / ((cur - start + 1) * 4);
  if (n <= 1) return max;
  return start + (max - start) / n;
}

void ChunkCutter::Close() {
  if (!has_open_) return;
  done_.push_back(CutChunk{open_mint_, last_t_, std::string(open_.Bytes())});
  has_open_ = false;
}

void ChunkCutter::Cut(int64_t t) {
  Close();
  open_ = chunkenc::XorChunk();
  has_open_ = true;
  open_mint_ = t;
  next_at_ = RangeEnd(t, range_);
}

bool ChunkCutter::Append(int64_t t, double v) {
  if (!has_open_ && done_.empty()) {
    Cut(t);
  } else {
    if (t <= last_t_) return false;
    if (!has_open_) {
      Cut(t);
    } else {
      const uint32_t n = open_.NumSamples();
      if (n == samples_per_chunk_ / 4)
        next_at_ = ComputeChunkEndTime(open_mint_, last_t_, next_at_);
      if (t >= next_at_ || n >= samples_per_chunk_ * 2) Cut(t);
    }
  }
  if (!open_.Append(t, v)) {  // full at 65535 samples: only with a huge samples_per_chunk
    Cut(t);
    open_.Append(t, v);
  }
  last_t_ = t;
  return true;
}

std::vector<CutChunk>& ChunkCutter::Finish() {
  Close();
  return done_;
}

void ChunkCutter::Reset() {
  done_.clear();
  has_open_ = false;
}

}  // namespace vigil::tsdb::block
