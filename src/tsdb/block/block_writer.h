// Writing a block: WriteBlock() streams a sorted ChunkSeriesSet into a new block directory
// `<parent>/<ULID>/` (docs/format/block.md):
//
//   meta.json   ULID, [mint, maxt), stats, compaction level and sources, version 1
//   index       tsdb/index/index_writer.h (Prometheus index v2)
//   chunks/     000001, ... (tsdb/chunks, 512 MiB segments)
//   tombstones  empty but valid
//
// The block appears atomically: everything is written into `<ULID>.tmp-for-creation`, each
// file and the directory are fsynced, the directory is renamed to `<ULID>` and the parent is
// fsynced. On any error the temporary directory is removed and nothing else changes (a
// failed fsync of the parent after the rename removes the renamed block too).
//
// Chunks entirely inside [mint, maxt) are copied as they are; a chunk that straddles a bound
// is re-encoded with only its samples inside (XOR chunks only). Series without chunks in the
// range are left out; if no series is left, no block is written.
//
// Memory: one series' chunk list at a time plus the index writer's bound
// (index_writer.h); chunk bytes are streamed to the segment files.
//
// Sources: the head (Head::BlockSymbols + Head::NewChunkSeriesSet), blocks (compaction),
// or any storage::Querier through WriteBlockFromQuerier, which cuts samples into chunks like
// Prometheus' head (chunk_cutter.h).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/context.h"
#include "base/result.h"
#include "fs/file_system.h"
#include "storage/interface.h"
#include "tsdb/block/meta.h"
#include "tsdb/chunks/chunk_series.h"
#include "tsdb/chunks/format.h"

namespace vigil::tsdb::block {

inline constexpr const char* kTmpForCreationSuffix = ".tmp-for-creation";

struct BlockWriterOptions {
  int64_t mint = 0;  // block range [mint, maxt) in ms; data outside is left out
  int64_t maxt = 0;
  int compaction_level = 1;
  std::vector<Ulid> sources;  // empty: the new block's own ULID (a block cut from the head)
  std::vector<BlockDesc> parents;
  uint64_t segment_size = chunks::kDefaultChunkSegmentSize;
  std::optional<Ulid> ulid;      // the block's ULID; default Ulid::New(clock->NowMs())
  const Clock* clock = nullptr;  // RealClock::Default() when null
  fs::FileSystem* fs = nullptr;  // POSIX when null
};

// Writes the series of `set` (sorted by labels, chunks in time order and not overlapping)
// as a block under `parent_dir`. `symbols` must be sorted, unique and contain every label
// name and value of the series (a superset is fine; "" is added as Prometheus' blocks have
// it). Returns the block's meta; meta.stats.num_series == 0 means no block was written.
// Errors: InvalidArgument for unsorted series or symbols, a missing symbol, overlapping
// chunks, or a non-XOR chunk that would need trimming; the set's Err(); IOError; Cancelled /
// DeadlineExceeded from ctx (checked every 128 series).
Result<BlockMeta> WriteBlock(const Context& ctx, const std::string& parent_dir,
                             const std::vector<std::string>& symbols, chunks::ChunkSeriesSet* set,
                             const BlockWriterOptions& opts);

// Writes a block from the samples `querier` returns for `matchers` (all series with a
// metric name by default) in [opts.mint, opts.maxt), cutting chunks like Prometheus' head
// with `chunk_range_ms` (0: the block's length). Symbols come from LabelNames/LabelValues.
Result<BlockMeta> WriteBlockFromQuerier(const Context& ctx, const std::string& parent_dir,
                                        storage::Querier* querier, const BlockWriterOptions& opts,
                                        const std::vector<Matcher>& matchers = {},
                                        int64_t chunk_range_ms = 0);

// A ChunkSeriesSet over a sorted storage::SeriesSet: each series' samples are cut into XOR
// chunks with ChunkCutter (chunk range `chunk_range_ms`). Holds one series' chunks at a time.
std::unique_ptr<chunks::ChunkSeriesSet> NewSampleChunkSeriesSet(
    std::unique_ptr<storage::SeriesSet> set, int64_t chunk_range_ms);

}  // namespace vigil::tsdb::block
