// Block compaction (Prometheus' LeveledCompactor): the planner that picks adjacent blocks to
// merge into one of the next larger range, and a ChunkSeriesSet that concatenates the
// series of time-disjoint blocks for the block writer.
//
// Ranges are min_block_duration × 3^i (Prometheus: ExponentialBlockRanges(min, 10, 3)), cut
// at the first one above max_block_duration: 2h, 6h, 18h with the defaults (15d retention →
// 36h max). Vertical compaction of overlapping blocks is not done (queries merge them).
//
// Pure functions and a single-threaded set; thread-safe as values.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tsdb/block/meta.h"
#include "tsdb/chunks/chunk_series.h"

namespace vigil::tsdb {

// min × 3^i for i = 0.. while <= max (at least {min}).
std::vector<int64_t> CompactionRanges(int64_t min_block_ms, int64_t max_block_ms);

// The blocks to merge next, as indices into `metas` (sorted by min_time), or empty. As
// Prometheus' plan(): the newest block is left out; for each range above the first, blocks
// are grouped by aligned windows of that range (a block crossing a window boundary is in no
// group); the first group with more than one block that either fills its window or ends at
// or before the newest remaining block's start is chosen. Groups with overlapping blocks
// or a failed compaction are skipped. Failing that, a block with many tombstones is chosen
// alone to be rewritten without the deleted data: scanning from the newest considered block
// back, one at least ranges[size/2] long whose tombstones exceed 5% of its series, or (the
// scan stops at the first shorter block) a shorter one with at least as many tombstones as
// series. Blocks' deleted data never reaches the merged block (Block::NewChunkSeriesSet).
std::vector<size_t> PlanCompaction(const std::vector<block::BlockMeta>& metas,
                                   const std::vector<int64_t>& ranges);

// Concatenates sorted chunk series sets of time-disjoint blocks given oldest first: one
// series per label set with the chunks of every set in order. Views are valid until Next().
std::unique_ptr<chunks::ChunkSeriesSet> NewConcatChunkSeriesSet(
    std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets);

}  // namespace vigil::tsdb
