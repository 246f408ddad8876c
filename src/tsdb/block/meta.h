// BlockMeta: a block's `meta.json` (Prometheus' tsdb.BlockMeta, docs/format/block.md):
// ULID, time range [min_time, max_time) in ms, statistics, compaction history, version 1.
// Written like Prometheus 2.42 (tab-indented JSON, the same field order, zero statistics and
// empty lists left out); top-level fields Vigil does not interpret (e.g. Thanos' "thanos"
// section) are kept verbatim when a meta is read and written again. Value types; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "tsdb/block/ulid.h"

namespace vigil::tsdb::block {

inline constexpr const char* kMetaFilename = "meta.json";
inline constexpr int kMetaVersion1 = 1;

struct BlockStats {
  uint64_t num_samples = 0;
  uint64_t num_float_samples = 0;      // newer Prometheus; written only when non-zero
  uint64_t num_histogram_samples = 0;  // likewise
  uint64_t num_series = 0;
  uint64_t num_chunks = 0;
  uint64_t num_tombstones = 0;
};

// A parent block of a compaction.
struct BlockDesc {
  Ulid ulid;
  int64_t min_time = 0;
  int64_t max_time = 0;
};

struct BlockMetaCompaction {
  int level = 1;
  std::vector<Ulid> sources;
  bool deletable = false;
  std::vector<BlockDesc> parents;
  bool failed = false;
  std::vector<std::string> hints;
};

struct BlockMeta {
  Ulid ulid;
  int64_t min_time = 0;  // inclusive, ms
  int64_t max_time = 0;  // exclusive, ms
  BlockStats stats;
  BlockMetaCompaction compaction;
  int version = kMetaVersion1;
  // Top-level fields not listed above, as (key, raw JSON text), in file order.
  std::vector<std::pair<std::string, std::string>> extra;
};

// Parses meta.json bytes. Corruption if they are not JSON of the expected shape, the ULIDs
// do not parse, or the version is not 1.
Result<BlockMeta> ParseMeta(std::string_view json);
// The meta.json text (tab-indented like Prometheus).
std::string SerializeMeta(const BlockMeta& meta);

// Reads dir/meta.json. NotFound if missing; Corruption as ParseMeta.
Result<BlockMeta> ReadMeta(fs::FileSystem* fs, const std::string& dir);
// Writes dir/meta.json through meta.json.tmp (fsynced, renamed); the caller fsyncs dir.
Status WriteMeta(fs::FileSystem* fs, const std::string& dir, const BlockMeta& meta);

}  // namespace vigil::tsdb::block
