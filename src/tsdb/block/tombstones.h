// Tombstones: the deleted time intervals of a block's series, stored in `<block>/tombstones`
// (docs/format/block.md), byte-compatible with Prometheus' tsdb/tombstones:
//
//   BE32 magic 0x0130BA30 · 1 B version 1 · (uvarint series ref · varint mint · varint maxt)*
//   · BE32 CRC32C of the entries (not of the version byte)
//
// A block written by Vigil has no deletions: an empty but valid file (9 bytes); deletions
// are added by Block::Delete (the delete_series API) and removed by rewriting the block
// (DB::CleanTombstones, compaction). Value type; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "tsdb/chunks/intervals.h"

namespace vigil::tsdb::block {

inline constexpr const char* kTombstonesFilename = "tombstones";
inline constexpr uint32_t kTombstonesMagic = 0x0130BA30;
inline constexpr uint8_t kTombstonesFormatV1 = 1;

// A deleted interval, both ends inclusive (ms).
using Interval = chunks::Interval;

class Tombstones {
 public:
  // Adds [mint, maxt] for series `ref`, merging with overlapping or adjacent intervals.
  void Add(uint64_t ref, Interval iv);
  // The deleted intervals of `ref`, sorted and disjoint; empty if none.
  const std::vector<Interval>& Get(uint64_t ref) const;
  bool empty() const { return by_ref_.empty(); }
  // Number of intervals (meta.json's numTombstones).
  uint64_t NumIntervals() const;
  const std::map<uint64_t, std::vector<Interval>>& all() const { return by_ref_; }

 private:
  std::map<uint64_t, std::vector<Interval>> by_ref_;
};

// The file bytes for `t`.
std::string EncodeTombstones(const Tombstones& t);
// Parses file bytes. Corruption for a bad magic, version, checksum or entry.
Result<Tombstones> DecodeTombstones(std::string_view file);

// Reads dir/tombstones; a missing file means no deletions (as in Prometheus).
Result<Tombstones> ReadTombstones(fs::FileSystem* fs, const std::string& dir);
// Writes dir/tombstones atomically: a fsynced temporary file renamed over it, then dir
// fsynced. Errors: IOError (the old file is then unchanged).
Status WriteTombstones(fs::FileSystem* fs, const std::string& dir, const Tombstones& t);

}  // namespace vigil::tsdb::block
