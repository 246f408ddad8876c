// DiskChunkStore: the head's full chunks in Prometheus' `chunks_head/` files
// (docs/format/head_chunks.md), through tsdb/chunks' HeadChunkFiles.
//
// A cut chunk is appended to a write buffer (HeadChunkFiles writes it out when the buffer
// fills, or when a reader needs it) and the series keeps the 8-byte head chunk ref
// (file sequence << 32 | offset). Reads go through read-only shared mappings: chunk bytes
// and their mint/maxt (from the record header) live in the page cache, never in anonymous
// memory. The only anonymous memory is the write buffer.
//
// Thread-safety: as ChunkStore (all methods thread-safe).
#pragma once

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
  size_t MemoryBytes() const override { return write_buffer_bytes_; }

  // Drops the chunk files' pages from this process' page tables (they stay in the page
  // cache and fault back in on the next read). The startup scan and truncation read every
  // record through the mappings; without this those pages would count as the process'
  // (file-backed) RSS until the kernel reclaims them.
  void ReleasePages();

 private:
  DiskChunkStore(std::unique_ptr<chunks::HeadChunkFiles> files, size_t write_buffer_bytes)
      : files_(std::move(files)), write_buffer_bytes_(write_buffer_bytes) {}

  void NoteFile(uint64_t ref);

  std::unique_ptr<chunks::HeadChunkFiles> files_;
  const size_t write_buffer_bytes_;
  mutable Mutex mu_;
  std::map<uint32_t, uint64_t> file_refs_ VIGIL_GUARDED_BY(mu_);  // file -> a chunk in it
};

}  // namespace vigil::tsdb
