// Merging chunk series for compaction (Prometheus' NewCompactingChunkSeriesMerger): one
// sorted ChunkSeriesSet over the sorted chunk series sets of several blocks whose time
// ranges may overlap (vertical compaction) or not (leveled compaction).
//
// For each label set, the chunks of every input are gathered and swept in time order into
// groups of chunks whose [mint, maxt] ranges overlap (transitively):
//  * a group of one chunk is passed through as is (same bytes, no re-encoding), so merging
//    time-disjoint blocks copies every chunk;
//  * a group of several chunks is decoded and merged sample by sample in time order and
//    re-encoded into XOR chunks of at most kMergedSamplesPerChunk samples. When inputs have
//    a sample at the same timestamp, exactly one is kept: the one of the input that comes
//    LAST in the `sets` vector (the DB passes blocks ordered by min time, then ULID, so the
//    newer block wins -- the same rule the DB's merge querier applies to equal timestamps,
//    so query answers do not change when overlapping blocks are compacted).
//
// Memory: one series at a time -- its chunk list and the bytes of its re-encoded chunks --
// plus one decoder per chunk of the group being merged (no heap: decoders read the mapped
// chunk bytes). Chunks are opened when the merge reaches their mint, so each merged sample
// costs work in the chunks overlapping its time only, however long the group.
//
// Views (labels, chunk bytes) are valid until the next Next(). Used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "tsdb/chunks/chunk_series.h"

namespace vigil::tsdb {

// Samples per chunk written for merged (overlapping) chunks, as Prometheus' compactor.
inline constexpr uint32_t kMergedSamplesPerChunk = 120;

// A set over `sets` (each sorted by labels, chunks in time order and not overlapping within
// one set), in priority order: later sets win equal timestamps. Err() is the first input's
// error, or InvalidArgument when overlapping chunks are not all XOR (histogram chunks cannot
// be merged yet), or the Corruption a damaged chunk reports while being decoded; Next()
// returns false from then on.
std::unique_ptr<chunks::ChunkSeriesSet> NewMergeChunkSeriesSet(
    std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets);

}  // namespace vigil::tsdb
