// DiskChunkStore: the head's full chunks in Prometheus' `chunks_head/` files
// (docs/format/head_chunks.md), through tsdb/chunks' HeadChunkFiles.
//
// A cut chunk is appended to a write buffer (HeadChunkFiles writes it out when the buffer
// fills, or when a reader needs it) and the series keeps the 8-byte head chunk ref
// (file sequence << 32 | offset). Reads go through read-only shared mappings: chunk bytes
// and their mint/maxt (from the record header) live in the page cache, never in anonymous
// memory. The only anonymous memory is the write buffer.
//
// When the files refuse a chunk (no space or inode for the next file, EIO), the chunk is
// kept in memory under a ref with kMemoryRefBit set instead of being lost: its samples
// were acknowledged. Later chunks wait behind it (also in memory) until the files take
// writes again; then the waiting chunks are written first, in order, so that every
// series' chunks stay in time order on disk (the restart's replay relies on it). Memory
// copies are freed by Truncate() like files. A crash loses only what the WAL still has.
//
// Thread-safety: as ChunkStore (all methods thread-safe).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "fs/file_system.h"
#include "tsdb/chunks/head_chunk_files.h"
#include "tsdb/head/chunk_store.h"

namespace vigil::tsdb {

class DiskChunkStore final : public ChunkStore {
 public:
  // Opens (creating) `dir`. Errors from HeadChunkFiles::Open (IOError, Corruption for a
  // bad header or a gap in file names).
  static Result<std::unique_ptr<DiskChunkStore>> Open(const std::string& dir, fs::FileSystem* fs,
                                                      size_t write_buffer_bytes);

  // Startup scan (before the first Write): visits every intact chunk in file order. A torn
  // tail of the last file is truncated (reported in *report). Damage in an earlier file is
  // handled as Prometheus does: that file and every later one are deleted, *report names
  // the damage, and the scan is restarted on what is left; `reset` is called before the
  // restart so the caller can forget what it was given so far. Errors: IOError, or an
  // error returned by fn.
  Status Scan(const std::function<Status(const chunks::HeadChunkMeta&)>& fn,
              const std::function<void()>& reset, chunks::HeadChunkScanReport* report,
              uint64_t* corrupted_files);

  Result<uint64_t> Write(uint64_t series_ref, int64_t mint, int64_t maxt,
                         std::string_view bytes) override;
  Result<ChunkMeta> Read(uint64_t ref) const override;
  Result<std::pair<int64_t, int64_t>> Times(uint64_t ref) const override;
  Status Truncate(int64_t mint) override;
  uint64_t WriteMark() const override;
  bool Released(uint64_t mark) const override;
  Status Sync() override;
  Status Close() override;
  size_t MemoryBytes() const override;

  // Refs of chunks kept in memory after a failed write.
  static constexpr uint64_t kMemoryRefBit = uint64_t(1) << 63;

  // Drops the chunk files' pages from this process' page tables (they stay in the page
  // cache and fault back in on the next read). The startup scan and truncation read every
  // record through the mappings; without this those pages would count as the process'
  // (file-backed) RSS until the kernel reclaims them.
  void ReleasePages();

 private:
  DiskChunkStore(std::unique_ptr<chunks::HeadChunkFiles> files, size_t write_buffer_bytes)
      : files_(std::move(files)), write_buffer_bytes_(write_buffer_bytes) {}

  void NoteFile(uint64_t ref);
  // Writes the waiting memory chunks to the files in order; true when none is left.
  bool DrainLocked() VIGIL_REQUIRES(mem_mu_);

  struct MemChunk {
    uint64_t series_ref;
    int64_t mint, maxt;
    std::string bytes;
  };

  std::unique_ptr<chunks::HeadChunkFiles> files_;
  const size_t write_buffer_bytes_;
  mutable Mutex mu_;
  std::map<uint32_t, uint64_t> file_refs_ VIGIL_GUARDED_BY(mu_);  // file -> a chunk in it

  mutable Mutex mem_mu_;
  std::map<uint64_t, std::shared_ptr<const MemChunk>> mem_ VIGIL_GUARDED_BY(mem_mu_);
  std::deque<uint64_t> waiting_ VIGIL_GUARDED_BY(mem_mu_);  // memory refs not on disk yet
  uint64_t next_mem_ VIGIL_GUARDED_BY(mem_mu_) = 0;
  size_t mem_bytes_ VIGIL_GUARDED_BY(mem_mu_) = 0;
  std::atomic<bool> has_waiting_{false};  // fast path: false while the files take writes
};

}  // namespace vigil::tsdb
