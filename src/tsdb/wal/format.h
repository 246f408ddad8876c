// Constants and naming of Prometheus' write-ahead log (tsdb/wlog), which Vigil reads and
// writes byte for byte. Format page: docs/format/wal.md.
//
//   wal/00000000, 00000001, ...   segments (8 digits), 128 MiB by default, 32 KiB pages
//   wal/checkpoint.00000042/       a checkpoint: segments in the same format
//
// A segment is a sequence of 32 KiB pages; each page holds fragments
//   type (1 B) · length (BE16) · CRC32C of the payload (BE32) · payload
// and zero padding. A record is compressed as a whole (optional), then split into one
// full fragment or first/middle.../last fragments that never cross a page, and never
// crosses a segment. Pure functions and constants; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"

namespace vigil::tsdb::wal {

inline constexpr uint64_t kDefaultSegmentSize = 128ull << 20;
inline constexpr uint32_t kPageSize = 32 * 1024;
inline constexpr uint32_t kFragmentHeaderSize = 7;
// Largest fragment payload: a page minus one header.
inline constexpr uint32_t kMaxFragmentPayload = kPageSize - kFragmentHeaderSize;

// Fragment type byte: low 3 bits the type, bit 3 snappy, bit 4 zstd, top 3 bits reserved
// (ignored on read, zero on write).
enum class FragmentType : uint8_t {
  kPageTerm = 0,  // the rest of the page is zero padding
  kFull = 1,
  kFirst = 2,
  kMiddle = 3,
  kLast = 4,
};
inline constexpr uint8_t kFragmentTypeMask = 0x07;
inline constexpr uint8_t kSnappyFlag = 0x08;
inline constexpr uint8_t kZstdFlag = 0x10;

// Compression applied to whole records (Prometheus' default is snappy, block format).
enum class Compression : uint8_t { kNone, kSnappy, kZstd };

// A decompressed record larger than this is treated as corruption (a segment is 128 MiB;
// the bound keeps hostile length headers from allocating gigabytes).
inline constexpr size_t kMaxRecordSize = 256u << 20;

// "00000042" (8 digits, as Prometheus names segments).
std::string SegmentName(int index);
// dir/00000042
std::string SegmentPath(std::string_view dir, int index);
// "checkpoint.00000042"
std::string CheckpointName(int index);

// Parses a segment file name (all digits); nullopt otherwise.
std::optional<int> ParseSegmentName(std::string_view name);
// Parses "checkpoint.NNNNNNNN" (not ".tmp"); nullopt otherwise.
std::optional<int> ParseCheckpointName(std::string_view name);

// Indices of the segments in `dir`, ascending. Corruption if they are not consecutive
// (as Prometheus refuses such a WAL); an empty vector if there are none.
Result<std::vector<int>> ListSegments(fs::FileSystem* fs, const std::string& dir);

struct CheckpointRef {
  std::string path;  // wal_dir/checkpoint.NNNNNNNN
  int index = -1;
};
// All finished checkpoints of `wal_dir`, ascending by index.
Result<std::vector<CheckpointRef>> ListCheckpoints(fs::FileSystem* fs, const std::string& wal_dir);

}  // namespace vigil::tsdb::wal
