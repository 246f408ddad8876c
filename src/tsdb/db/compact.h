// Block compaction (Prometheus' LeveledCompactor): the planner that picks the blocks to merge
// next -- overlapping ones first, then adjacent ones into one of the next larger range. The
// merge itself streams through tsdb/db/chunk_merge.h into the block writer.
//
// Ranges are min_block_duration × 3^i (Prometheus: ExponentialBlockRanges(min, 10, 3)), cut
// at the first one above max_block_duration: 2h, 6h, 18h with the defaults (15d retention →
// 36h max).
//
// Vertical compaction (Prometheus 2.42+): blocks whose time ranges overlap (out-of-order
// backfills, blocks copied in from elsewhere) are merged first, into one block spanning their
// union (tsdb/db/chunk_merge.h merges their chunks).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "tsdb/block/meta.h"

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

// Prometheus' selectOverlappingDirs: with `metas` sorted by min_time, the first run of
// blocks that overlap (each starts before the largest max_time of the blocks before it in
// the run), as indices; empty if no two blocks overlap. The newest block is not left out.
std::vector<size_t> SelectOverlappingBlocks(const std::vector<block::BlockMeta>& metas);

// Vertical compaction, planned before PlanCompaction (Prometheus' plan() does the same):
// the run of SelectOverlappingBlocks, or empty when there is none or one of its blocks has
// a failed compaction (the run is then left to queries to merge). Blocks with tombstones are
// merged without their deleted data.
std::vector<size_t> PlanVerticalCompaction(const std::vector<block::BlockMeta>& metas);

}  // namespace vigil::tsdb
