// Chunk-level series iteration: a series' labels with its encoded chunks, the unit in which
// blocks are written and compacted (Prometheus' storage.ChunkSeriesSet + chunks.Meta).
// The head produces one for block cutting (Head::NewChunkSeriesSet), a block reader for
// compaction, and the block writer (tsdb/block/block_writer.h) consumes it.
//
// Views returned by a ChunkSeriesSet (labels, chunk bytes) stay valid until the next call
// of Next() or the set's destruction. A set is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/labels.h"
#include "tsdb/chunkenc/chunk.h"

namespace vigil::tsdb::chunks {

// One chunk of a series. mint/maxt are the timestamps of its first and last sample
// (inclusive). `ref` is meaningful only where the source says so (a block's chunk ref).
struct Meta {
  int64_t mint = 0;
  int64_t maxt = 0;
  chunkenc::Encoding encoding = chunkenc::Encoding::kXor;
  std::string_view data;  // encoded chunk bytes (for XOR: BE16 sample count + bit stream)
  uint64_t ref = 0;
};

class ChunkSeriesSet {
 public:
  virtual ~ChunkSeriesSet() = default;
  // Advances to the next series; false at the end or on error (see Err()).
  virtual bool Next() = 0;
  // The current series' labels and its chunks in time order (non-overlapping).
  virtual const Labels& labels() const = 0;
  virtual const std::vector<Meta>& chunks() const = 0;
  virtual Status Err() const = 0;
};

}  // namespace vigil::tsdb::chunks
