// Constants and references of Prometheus' chunk files (tsdb/chunks), which Vigil reads and
// writes byte for byte. Format pages: docs/format/chunks.md (block chunk segments) and
// docs/format/head_chunks.md (head chunk files). Pure constants; thread-safe.
//
// Both file kinds start with an 8-byte header: BE32 magic · 1 B version (1) · 3 zero bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tsdb/chunkenc/chunk.h"

namespace vigil::tsdb::chunks {

inline constexpr size_t kSegmentHeaderSize = 8;
inline constexpr uint8_t kFormatV1 = 1;
// Length prefixes are uvarints of at most 32 bits.
inline constexpr size_t kMaxChunkLengthFieldSize = 5;
inline constexpr size_t kCrcSize = 4;

// --- Block chunk segments: <block>/chunks/000001, ...
inline constexpr uint32_t kChunksMagic = 0x85BD40DD;
inline constexpr uint64_t kDefaultChunkSegmentSize = 512ull << 20;

// A chunk in a block: upper 32 bits the 0-based index of the segment file in sorted order
// (file 000001 is 0), lower 32 bits the offset of the chunk record in that file.
using BlockChunkRef = uint64_t;
inline BlockChunkRef MakeBlockChunkRef(uint32_t segment_index, uint32_t offset) {
  return (uint64_t(segment_index) << 32) | offset;
}
inline uint32_t BlockChunkSegment(BlockChunkRef ref) { return uint32_t(ref >> 32); }
inline uint32_t BlockChunkOffset(BlockChunkRef ref) { return uint32_t(ref); }

// --- Head chunk files: <data>/chunks_head/000001, ...
inline constexpr uint32_t kHeadChunksMagic = 0x0130BC91;
inline constexpr uint64_t kMaxHeadChunkFileSize = 128ull << 20;
// Series ref, mint, maxt, encoding, the longest length field and the CRC.
inline constexpr size_t kMaxHeadChunkMetaSize = 8 + 8 + 8 + 1 + kMaxChunkLengthFieldSize + kCrcSize;
// The encoding byte's top bit marks an out-of-order head chunk.
inline constexpr uint8_t kOutOfOrderEncodingMask = 0x80;

// A chunk in the head chunk files: upper 32 bits the file's sequence number (its name:
// 000001 is 1), lower 32 bits the offset of the chunk record in that file.
using HeadChunkRef = uint64_t;
inline HeadChunkRef MakeHeadChunkRef(uint32_t file_seq, uint32_t offset) {
  return (uint64_t(file_seq) << 32) | offset;
}
inline uint32_t HeadChunkFile(HeadChunkRef ref) { return uint32_t(ref >> 32); }
inline uint32_t HeadChunkOffset(HeadChunkRef ref) { return uint32_t(ref); }

// "000042": both file kinds use 6-digit names starting at 1.
std::string ChunkFileName(uint32_t seq);

// A chunk's bytes as stored: encoding and data (a view into a mapping or buffer).
struct ChunkView {
  chunkenc::Encoding encoding = chunkenc::Encoding::kNone;
  std::string_view data;
};

}  // namespace vigil::tsdb::chunks
