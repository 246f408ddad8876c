// ChunkStore: where the head puts full (cut) chunks and reads them back.
//
// The head keeps only open chunks in anonymous memory. A cut chunk is handed to a
// ChunkStore and the series keeps the returned 8-byte ref; mint/maxt are not kept per
// chunk in memory but read back from the store when a query needs them.
//  * DiskChunkStore (disk_chunk_store.h): Prometheus' `chunks_head/` files, memory-mapped,
//    so full chunks live in the page cache, not in the process' anonymous RSS.
//  * MemoryChunkStore (below): for a head without a directory (tests, tools).
//
// Thread-safety: all methods are thread-safe. A ChunkMeta returned by Read() holds what
// keeps its bytes valid (`hold`), even after Truncate() removed the chunk's storage.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/result.h"

namespace vigil::tsdb {

struct ChunkMeta {
  int64_t mint = 0;
  int64_t maxt = 0;
  std::string_view bytes;            // XOR chunk bytes (header + bit stream)
  std::shared_ptr<const void> hold;  // keeps `bytes` valid; may be null (head's own copy)
};

class ChunkStore {
 public:
  virtual ~ChunkStore() = default;
  // Stores a full chunk of series `series_ref` and returns its ref.
  virtual Result<uint64_t> Write(uint64_t series_ref, int64_t mint, int64_t maxt,
                                 std::string_view bytes) = 0;
  // The chunk named by `ref`, checksum verified. NotFound for a ref whose storage was
  // truncated away (or never existed); Corruption for damaged bytes.
  virtual Result<ChunkMeta> Read(uint64_t ref) const = 0;
  // mint and maxt of the chunk at `ref` (cheap: no checksum, no bytes). Errors as Read().
  virtual Result<std::pair<int64_t, int64_t>> Times(uint64_t ref) const = 0;
  // Releases storage holding only chunks whose maxt < mint (best effort: storage is freed
  // in write order). Refs into released storage become NotFound.
  virtual Status Truncate(int64_t mint) = 0;
  // A mark covering every chunk written so far; Released(mark) is true once all of them
  // have been truncated away (the head reuses a dead series' id only then, so chunks of
  // the old owner can never be attributed to the new one after a restart).
  virtual uint64_t WriteMark() const = 0;
  virtual bool Released(uint64_t mark) const = 0;
  // Makes written chunks durable / closes. Close is idempotent.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Anonymous memory held (buffers); page-cache-backed bytes are not counted.
  virtual size_t MemoryBytes() const = 0;
};

class MemoryChunkStore final : public ChunkStore {
 public:
  Result<uint64_t> Write(uint64_t, int64_t mint, int64_t maxt, std::string_view bytes) override {
    MutexLock l(&mu_);
    chunks_.push_back(std::make_shared<Entry>(Entry{mint, maxt, std::string(bytes)}));
    bytes_ += bytes.size() + sizeof(Entry) + 16;
    return base_ + chunks_.size() - 1;
  }
  Result<ChunkMeta> Read(uint64_t ref) const override {
    MutexLock l(&mu_);
    if (ref < base_ || ref - base_ >= chunks_.size()) {
      return Status::NotFound("head chunk ref out of range");
    }
    const auto& e = chunks_[size_t(ref - base_)];
    return ChunkMeta{e->mint, e->maxt, e->bytes, e};
  }
  Result<std::pair<int64_t, int64_t>> Times(uint64_t ref) const override {
    MutexLock l(&mu_);
    if (ref < base_ || ref - base_ >= chunks_.size()) {
      return Status::NotFound("head chunk ref out of range");
    }
    const auto& e = chunks_[size_t(ref - base_)];
    return std::make_pair(e->mint, e->maxt);
  }
  Status Truncate(int64_t mint) override {
    MutexLock l(&mu_);
    while (!chunks_.empty() && chunks_.front()->maxt < mint) {
      bytes_ -= chunks_.front()->bytes.size() + sizeof(Entry) + 16;
      chunks_.pop_front();
      ++base_;
    }
    return Status::OK();
  }
  uint64_t WriteMark() const override {
    MutexLock l(&mu_);
    return base_ + chunks_.size();
  }
  bool Released(uint64_t mark) const override {
    MutexLock l(&mu_);
    return base_ >= mark;
  }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
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
  std::deque<std::shared_ptr<const Entry>> chunks_ VIGIL_GUARDED_BY(mu_);
  uint64_t base_ VIGIL_GUARDED_BY(mu_) = 0;  // ref of chunks_.front()
  size_t bytes_ VIGIL_GUARDED_BY(mu_) = 0;
};

}  // namespace vigil::tsdb
