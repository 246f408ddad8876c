// Constants of Prometheus' block index file (`<block>/index`, format version 2), which Vigil
// writes and reads byte for byte like Prometheus 2.x. Format page: docs/format/index.md.
// Pure constants; thread-safe.
//
//   BE32 magic · 1 B version · symbol table · series · label indices · postings ·
//   label offset table · postings offset table · TOC
//
// Every section but the series entries is `BE32 len · body · BE32 CRC32C(body)`; a series
// entry is `uvarint len · body · BE32 CRC32C(body)` at a 16-byte aligned offset.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::tsdb::index {

inline constexpr uint32_t kMagicIndex = 0xBAAAD700;
inline constexpr uint8_t kFormatV1 = 1;  // symbol refs are byte offsets (not supported)
inline constexpr uint8_t kFormatV2 = 2;  // what Vigil and Prometheus 2.x write
inline constexpr uint8_t kFormatV3 = 3;  // same layout as v2 (out-of-order blocks)
inline constexpr size_t kHeaderSize = 5;

// Six BE64 section offsets and the CRC of those 48 bytes, at the very end of the file.
inline constexpr size_t kTocSize = 6 * 8 + 4;
inline constexpr size_t kCrcSize = 4;

// Series entries start at multiples of 16; a series' ref (its id) is offset / 16.
inline constexpr uint64_t kSeriesAlignment = 16;
// Postings lists and label indices start at multiples of 4.
inline constexpr uint64_t kPostingsAlignment = 4;

// Readers keep every Nth symbol offset and every Nth postings-offset-table value in memory.
// Symbols: every 4th, as a 32-bit offset into the table (1 byte per symbol; Prometheus keeps
// every 32nd, but then decoding a series' labels scans 15 symbols per label on average and
// dominates queries over blocks).
inline constexpr uint32_t kSymbolFactor = 4;
inline constexpr uint32_t kPostingsOffsetFactor = 32;

// Series ids (offset / 16) are written as BE32 in postings lists: the series section must
// end below 64 GiB.
inline constexpr uint64_t kMaxSeriesOffset = 16ull * 0xFFFFFFFFull;

// The postings list of every series is stored under this (name, value) pair.
inline constexpr const char* kAllPostingsName = "";
inline constexpr const char* kAllPostingsValue = "";

// A series id in an index: its entry's byte offset / 16.
using SeriesRef = uint32_t;

struct Toc {
  uint64_t symbols = 0;
  uint64_t series = 0;
  uint64_t label_indices = 0;
  uint64_t label_indices_table = 0;
  uint64_t postings = 0;
  uint64_t postings_table = 0;
};

}  // namespace vigil::tsdb::index
