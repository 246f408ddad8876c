// ChunkStore: where the head puts full (cut) chunks and reads them back.
//
// The head keeps only open chunks in anonymous memory. A cut chunk is handed to a
// ChunkStore and the series keeps the returned 8-byte ref; mint/maxt are not kept per
// chunk in memory but read back from the store when a query needs them.
//  * DiskChunkStore (disk_chunk_store.h): Prometheus' `chunks_head/` files, memory-mapped,
//    so full chunks live in the page cache, not in the process' anonymous RSS.
//  * MemoryChunkStore (below): for a head without a directory (tests, tools).
//
// Thread-safety: all methods are thread-safe. Views returned by Read() stay valid until the
// store is destroyed (truncation of old chunk files is a later step and will have to wait
// for readers).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/result.h"

namespace vigil::tsdb {

struct ChunkMeta {
  int64_t mint = 0;
  int64_t maxt = 0;
  std::string_view bytes;  // XOR chunk bytes (header + bit stream)
};

class ChunkStore {
 public:
  virtual ~ChunkStore() = default;
  // Stores a full chunk of series `series_ref` and returns its ref.
  virtual Result<uint64_t> Write(uint64_t series_ref, int64_t mint, int64_t maxt,
                                 std::string_view bytes) = 0;
  // The chunk named by `ref`; Corruption/NotFound for a bad ref.
  virtual Result<ChunkMeta> Read(uint64_t ref) const = 0;
  // Anonymous memory held (buffers); page-cache-backed bytes are not counted.
  virtual size_t MemoryBytes() const = 0;
};

class MemoryChunkStore final : public ChunkStore {
 public:
  Result<uint64_t> Write(uint64_t, int64_t mint, int64_t maxt, std::string_view bytes) override {
    MutexLock l(&mu_);
    chunks_.push_back(Entry{mint, maxt, std::string(bytes)});
    bytes_ += bytes.size() + sizeof(Entry);
    return uint64_t(chunks_.size() - 1);
  }
  Result<ChunkMeta> Read(uint64_t ref) const override {
    MutexLock l(&mu_);
    if (ref >= chunks_.size()) return Status::NotFound("head chunk ref out of range");
    const Entry& e = chunks_[ref];
    return ChunkMeta{e.mint, e.maxt, e.bytes};
  }
  size_t MemoryBytes() const override {
    MutexLock l(&mu_);
    return bytes_;
  }

 private:
  struct Entry {
    int64_t mint, maxt;
    std::string bytes;
  };
  mutable Mutex mu_;
  std::deque<Entry> chunks_ VIGIL_GUARDED_BY(mu_);  // deque: elements never move
  size_t bytes_ VIGIL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::tsdb
