// Block: a persisted block directory opened for reading (Prometheus' tsdb.Block):
// meta.json parsed, `index` and every `chunks/` segment mapped read-only, `tombstones` read.
// Only the index's TOC, symbol table and postings offset table are read at open
// (index_reader.h); series entries and chunks are read through the mappings on demand, each
// CRC-checked when read.
//
// A Block implements storage::Queryable: NewQuerier() returns a storage::Querier (Select
// with any matchers, LabelNames, LabelValues) that keeps the block alive (shared_ptr), so a
// block can be dropped from a DB's list while queries still read it. Series come out sorted
// by labels (the index order) whatever `sorted` asks. Deleted intervals (tombstones) are
// left out of the samples, of NewChunkSeriesSet() too (so compaction drops them).
//
// Thread-safety: a Block is immutable after Open() and thread-safe; each querier is used by
// one thread at a time. Delete() does not change the Block: it writes the new tombstones
// and returns a new Block object sharing the same index and chunk mappings, which the owner
// (tsdb/db) swaps in; queriers holding the old object keep seeing the old deletions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "model/matcher.h"
#include "storage/interface.h"
#include "tsdb/block/meta.h"
#include "tsdb/block/tombstones.h"
#include "tsdb/chunks/chunk_segments.h"
#include "tsdb/chunks/chunk_series.h"
#include "tsdb/index/index_reader.h"

namespace vigil::tsdb::block {

class Block final : public storage::Queryable, public std::enable_shared_from_this<Block> {
 public:
  // Opens the block in `dir`. NotFound if meta.json or index is missing; Corruption for a
  // damaged meta.json, index tables, chunk file headers or tombstones; IOError otherwise.
  static Result<std::shared_ptr<Block>> Open(const std::string& dir, fs::FileSystem* fs = nullptr);

  const std::string& dir() const { return dir_; }
  const BlockMeta& meta() const { return meta_; }
  const index::IndexReader& index() const { return *index_; }
  const chunks::ChunkSegmentReader& chunk_reader() const { return *chunks_; }
  const Tombstones& tombstones() const { return tombstones_; }
  // Bytes on disk: index, chunk segments, tombstones and meta.json (promtool's SIZE).
  uint64_t size_bytes() const { return size_bytes_; }
  bool Overlaps(int64_t mint, int64_t maxt) const {
    return mint < meta_.max_time && maxt >= meta_.min_time;
  }

  // A querier over samples in [mint, maxt] (inclusive).
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // The series matching `matchers` (all series when empty) with their chunks overlapping
  // [mint, maxt] (bytes from the mapped segments, refs set), in label order: the input of
  // compaction and of `vigil tool tsdb dump`. Chunks are not trimmed to the range.
  Result<std::unique_ptr<chunks::ChunkSeriesSet>> NewChunkSeriesSet(
      const std::vector<Matcher>& matchers, int64_t mint, int64_t maxt) const;

  // Every symbol of the index, sorted (for compaction: the writer needs them first).
  Result<std::vector<std::string>> Symbols() const;

  // Prometheus' Block.Delete: marks [mint, maxt] of every series matching `matchers` that
  // has a chunk overlapping it as deleted (clamped to the series' first and last chunk),
  // merged with the existing tombstones; writes `tombstones` atomically, then meta.json with
  // stats.numTombstones updated. Returns the block with the new tombstones (sharing this
  // one's index and chunks), or nullptr when no series matched (nothing written). Not safe
  // to run concurrently with another Delete of the same directory (the DB serialises them).
  // Errors: the index's errors (Corruption, IOError); IOError from writing (when meta.json
  // failed after the tombstones file was replaced, the deletion shows after a reopen).
  Result<std::shared_ptr<Block>> Delete(int64_t mint, int64_t maxt,
                                        const std::vector<Matcher>& matchers) const;

  // Prometheus' setCompactionFailed: writes meta.json with compaction.failed set, so that
  // compaction leaves this block out after a restart too (Prometheus' planner and Vigil's
  // skip such blocks). Returns the block with the new meta, sharing index, chunks and
  // tombstones. IOError from writing (meta.json is then unchanged or the new one).
  Result<std::shared_ptr<Block>> MarkCompactionFailed() const;

 private:
  Block() = default;
  // A copy with `meta` that shares this block's index and chunk readers and has its
  // tombstones; size_bytes is the caller's to set (SetSize() after the files are written).
  std::shared_ptr<Block> WithMeta(const BlockMeta& meta) const;
  void SetSize();

  std::string dir_;
  BlockMeta meta_;
  fs::FileSystem* fs_ = nullptr;
  std::shared_ptr<const index::IndexReader> index_;
  std::shared_ptr<const chunks::ChunkSegmentReader> chunks_;
  Tombstones tombstones_;
  uint64_t size_bytes_ = 0;
};

// Opens every block directory under `data_dir` (names that parse as ULIDs; temporary
// `.tmp-*` directories are skipped), sorted by min time then ULID. The first error wins.
Result<std::vector<std::shared_ptr<Block>>> OpenBlocks(const std::string& data_dir,
                                                       fs::FileSystem* fs = nullptr);

}  // namespace vigil::tsdb::block
