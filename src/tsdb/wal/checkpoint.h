// WAL checkpoints, as Prometheus' wlog.Checkpoint writes them: the records of the previous
// checkpoint and of segments [from, to], minus what the head no longer needs, rewritten
// into wal_dir/checkpoint.<to>/ (segments in the WAL format). Replay reads the newest
// checkpoint, then the segments after it.
//
// Kept: series for which keep(ref) is true; samples and exemplars with t >= mint;
// tombstones of kept series with maxt >= mint; the latest metadata of each kept series (written
// last). Dropped: histogram and unknown record types (Vigil does not store histograms yet).
//
// Atomicity: written to checkpoint.<to>.tmp, fsynced, renamed, and the WAL directory
// fsynced. A crash leaves either no new checkpoint or a complete one (stale .tmp
// directories are removed by the next Checkpoint()).
// Not thread-safe against itself; may run while a Writer appends to later segments.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "fs/file_system.h"
#include "tsdb/wal/format.h"

namespace vigil::tsdb::wal {

struct CheckpointOptions {
  Compression compression = Compression::kSnappy;
  // After success, delete WAL segments <= `to` and checkpoints older than the new one
  // (what Prometheus' head does right after checkpointing).
  bool delete_old = true;
  fs::FileSystem* fs = nullptr;  // nullptr: fs::DefaultFileSystem()
};

struct CheckpointStats {
  int index = -1;  // the new checkpoint's index (= to)
  size_t total_series = 0, dropped_series = 0;
  size_t total_samples = 0, dropped_samples = 0;
  size_t total_tombstones = 0, dropped_tombstones = 0;
  size_t total_exemplars = 0, dropped_exemplars = 0;
  size_t total_metadata = 0, dropped_metadata = 0;
  size_t dropped_other_records = 0;  // histograms, unknown types
};

// Creates checkpoint.<to> from the last checkpoint (if any) and segments [from, to] of
// `wal_dir`. `to` must be older than the segment a Writer is appending to.
// Errors: InvalidArgument if `from` leaves a gap after the last checkpoint or from > to;
// Corruption if any input record is damaged (a checkpoint is never made from a damaged
// WAL); IOError.
Result<CheckpointStats> Checkpoint(const std::string& wal_dir, int from, int to,
                                   const std::function<bool(uint64_t ref)>& keep, int64_t mint,
                                   const CheckpointOptions& opts = {});

// The newest finished checkpoint of wal_dir; NotFound if none.
Result<CheckpointRef> LastCheckpoint(fs::FileSystem* fs, const std::string& wal_dir);

}  // namespace vigil::tsdb::wal
