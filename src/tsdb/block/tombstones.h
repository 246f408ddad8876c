// Tombstones: the deleted time intervals of a block's series, stored in `<block>/tombstones`
// (docs/format/block.md), byte-compatible with Prometheus' tsdb/tombstones:
//
//   BE32 magic 0x0130BA30 · 1 B version 1 · (uvarint series ref · varint mint · varint maxt)*
//   · BE32 CRC32C of the entries (not of the version byte)
//
// A block written by Vigil has no deletions: an empty but valid file (9 bytes). Value type;
// const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"

namespace vigil::tsdb::block {

inline constexpr const char* kTombstonesFilename = "tombstones";
inline constexpr uint32_t kTombstonesMagic = 0x0130BA30;
inline constexpr uint8_t kTombstonesFormatV1 = 1;

// A deleted interval, both ends inclusive (ms).
struct Interval {
  int64_t mint = 0;
  int64_t maxt = 0;
  bool Covers(int64_t t) const { return t >= mint && t <= maxt; }
  friend bool operator==(const Interval&, const Interval&) = default;
};

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
// Writes dir/tombstones through a fsynced temporary file and a rename.
Status WriteTombstones(fs::FileSystem* fs, const std::string& dir, const Tombstones& t);

}  // namespace vigil::tsdb::block
