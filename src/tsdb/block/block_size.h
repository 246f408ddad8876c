// Where the bytes of a block go: the index, and the chunk segments split into framing,
// chunk heads, timestamp bits and value bits; plus what the same samples would take in the
// same XOR format if every series were a single chunk (the format's floor for longer chunks).
// The input of `vigil tool tsdb analyze --extended`, and of the disk columns of bench/.
//
// Timestamp and value bits are measured with the real encoder, not estimated: each chunk's
// samples are encoded again with a constant value, which costs exactly 1 bit per value, so
// the difference to the stored chunk is what the values cost. Thread-safe (reads only).
#pragma once

#include <cstdint>

#include "base/result.h"
#include "tsdb/block/block.h"

namespace vigil::tsdb::block {

struct BlockSize {
  uint64_t series = 0;
  uint64_t chunks = 0;
  uint64_t samples = 0;
  uint64_t index_bytes = 0;  // the index file
  uint64_t chunk_bytes = 0;  // all chunk segment files
  // chunk_bytes = segment_headers + chunk_framing + chunk_heads + (timestamp_bits +
  // value_bits) / 8, exactly (the last partial byte of every chunk counts as value bits).
  uint64_t segment_headers = 0;  // 8 B per segment file
  uint64_t chunk_framing = 0;    // per chunk: uvarint length, encoding byte, CRC32
  uint64_t chunk_heads = 0;      // per chunk: 2 B sample count, first timestamp, first value
  uint64_t timestamp_bits = 0;   // samples 2..n: delta, then delta-of-delta
  uint64_t value_bits = 0;       // samples 2..n: XOR'd values
  // Chunk bytes (framing included, segment headers excluded) if each series' samples in
  // this block were cut into as few XOR chunks as the format allows (65535 samples).
  uint64_t single_chunk_bytes = 0;
  uint64_t other_encoding_chunks = 0;  // non-XOR chunks: counted as framing + heads only
};

// Reads every chunk of `b` once. Errors: the index's and chunk reader's (Corruption,
// IOError), Corruption for an undecodable XOR chunk.
Result<BlockSize> MeasureBlockSize(const Block& b);

}  // namespace vigil::tsdb::block
