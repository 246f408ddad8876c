// HeadChunkFiles: the head's full chunks on disk (<data>/chunks_head/000001, ...), in the
// format of Prometheus' ChunkDiskMapper (docs/format/head_chunks.md):
//
//   header: BE32 0x0130BC91 · 1 B version 1 · 3 zero bytes
//   record: BE64 series ref · BE64 mint · BE64 maxt · 1 B encoding (top bit: out of order)
//           · uvarint len · data · BE32 CRC32C(series ref … data)
//
// The head appends each chunk once it is full and keeps only its reference
// ((file sequence << 32) | offset); reads go through read-only mappings, so these bytes live
// in the page cache rather than in the heap. There is no index: at startup Scan() walks
// every record and hands (series ref, mint, maxt, chunk ref) back to the head.
//
// A new file is started on the first write after Open (Prometheus does the same) and when
// the next record would push the current one past max_file_size. Writes are buffered;
// Flush() hands them to the OS, Sync() makes them durable; a chunk read before its bytes
// were flushed triggers the flush itself. A new file's header is buffered like a record.
//
// Write failures (a full disk, EIO) lose nothing the head was given: records whose flush
// fails stay buffered (the buffer grows past write_buffer_size while the disk refuses
// them), reads serve them from a copy of the buffer, and the next write or Flush() retries.
// Only a failure to finish a full file and start the next one fails WriteChunk().
//
// Thread-safe: WriteChunk/Flush/Sync/CutNewFile/Truncate serialise on one mutex; Chunk()
// may run concurrently with them from many threads. A HeadChunk keeps its file mapped, so
// its bytes stay readable even after Truncate() deleted the file.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/result.h"
#include "fs/file_system.h"
#include "tsdb/chunks/format.h"

namespace vigil::tsdb::chunks {

struct HeadChunkFilesOptions {
  fs::FileSystem* fs = nullptr;  // nullptr: fs::DefaultFileSystem()
  uint64_t max_file_size = kMaxHeadChunkFileSize;
  size_t write_buffer_size = 1 << 20;
};

// One record found by Scan().
struct HeadChunkMeta {
  uint64_t series_ref = 0;
  int64_t mint = 0;
  int64_t maxt = 0;
  HeadChunkRef ref = 0;
  chunkenc::Encoding encoding = chunkenc::Encoding::kNone;
  bool out_of_order = false;
  uint16_t num_samples = 0;  // from the chunk's 2-byte header
};

// What Scan() cut off the end of the last file. When Scan() returns Corruption for an
// earlier file, `file`, `truncated_at` and `reason` name the damage (repaired stays false).
struct HeadChunkScanReport {
  size_t chunks = 0;
  bool repaired = false;
  uint32_t file = 0;
  uint64_t truncated_at = 0;
  uint64_t dropped_bytes = 0;
  std::string reason;
};

// A chunk read back; `view` stays valid while this object (its mapping) lives.
struct HeadChunk {
  ChunkView view;
  int64_t mint = 0;  // from the record header
  int64_t maxt = 0;
  bool out_of_order = false;
  // The file's mapping, or (buffered) a private copy of a record not yet flushed.
  std::shared_ptr<const fs::MappedFile> mapping;
  bool buffered = false;
};

class HeadChunkFiles {
 public:
  // Opens `dir` (created if missing), maps its files and checks their headers. A last file
  // that is empty or shorter than its header (a crash while cutting) is deleted.
  // Corruption on a bad header elsewhere or a gap in the file names.
  static Result<std::unique_ptr<HeadChunkFiles>> Open(const std::string& dir,
                                                      const HeadChunkFilesOptions& opts = {});
  ~HeadChunkFiles();  // Close(), errors ignored
  HeadChunkFiles(const HeadChunkFiles&) = delete;
  HeadChunkFiles& operator=(const HeadChunkFiles&) = delete;

  // Visits every chunk of the files present at Open, in file and offset order; call it once
  // before the first write. A zeroed region ends a file (Prometheus preallocates). In the
  // last file, a record that is cut short or fails its checksum is a torn tail: the file is
  // truncated where that record starts and *report says so. Damage in an earlier file is
  // Corruption naming the file and offset (DeleteFrom() then drops it and the files after
  // it). An error returned by fn stops the scan and is returned as is.
  Status Scan(const std::function<Status(const HeadChunkMeta&)>& fn,
              HeadChunkScanReport* report = nullptr);

  // Appends one chunk and returns its reference. InvalidArgument if the record could never
  // fit into a file; IOError when the full current file cannot be finished or the next one
  // not created (the chunk is then not stored). A failing flush is not an error here.
  Result<HeadChunkRef> WriteChunk(uint64_t series_ref, int64_t mint, int64_t maxt,
                                  chunkenc::Encoding encoding, std::string_view data,
                                  bool out_of_order = false);

  // The chunk at `ref`, checksum verified. NotFound for a ref to no stored chunk
  // (deleted file, offset past the end); Corruption on a damaged record. A record whose
  // flush fails is returned from the buffer (`buffered`).
  Result<HeadChunk> Chunk(HeadChunkRef ref);

  // Hands buffered records to the OS / makes everything written durable.
  Status Flush();
  Status Sync();
  // Finishes the current file (flush + fsync); the next write starts a new one.
  Status CutNewFile();
  // Deletes the files whose chunks all end before `mint` (the current file stays).
  // Internal error if called before Scan() (file time ranges are unknown).
  Status Truncate(int64_t mint);
  // Deletes file `seq` and every later one (after Corruption from Scan).
  Status DeleteFrom(uint32_t seq);
  // Flushes, fsyncs and closes the current file; mappings handed out stay valid.
  Status Close();

  // Sequence numbers of the files present, ascending.
  std::vector<uint32_t> Files() const;

 private:
  struct File {
    std::shared_ptr<const fs::MappedFile> map;
    std::string path;
    std::atomic<uint64_t> readable{0};  // bytes that may be read (flushed / file size)
    int64_t maxt = INT64_MIN;
    bool maxt_known = false;
  };

  HeadChunkFiles(std::string dir, const HeadChunkFilesOptions& opts);
  Status CutLocked() VIGIL_REQUIRES(write_mu_);
  Status FlushLocked() VIGIL_REQUIRES(write_mu_);
  // A copy of the buffered record at `ref` (after a failed flush).
  Result<HeadChunk> BufferedChunkLocked(HeadChunkRef ref) VIGIL_REQUIRES(write_mu_);
  std::shared_ptr<File> FindFile(uint32_t seq) const;

  const std::string dir_;
  const HeadChunkFilesOptions opts_;
  fs::FileSystem* const fs_;

  Mutex write_mu_;  // taken before files_mu_ when both are needed
  std::unique_ptr<fs::WritableFile> cur_ VIGIL_GUARDED_BY(write_mu_);
  uint32_t cur_seq_ VIGIL_GUARDED_BY(write_mu_) = 0;
  uint64_t cur_size_ VIGIL_GUARDED_BY(write_mu_) = 0;  // including buffered bytes
  std::string buf_ VIGIL_GUARDED_BY(write_mu_);
  bool flush_failing_ VIGIL_GUARDED_BY(write_mu_) = false;  // logged once per outage
  uint32_t next_seq_ VIGIL_GUARDED_BY(write_mu_) = 1;
  bool scanned_ VIGIL_GUARDED_BY(write_mu_) = false;
  bool closed_ VIGIL_GUARDED_BY(write_mu_) = false;
  std::atomic<uint64_t> unflushed_from_{UINT64_MAX};  // head ref where buffered bytes start

  mutable RWMutex files_mu_;
  std::map<uint32_t, std::shared_ptr<File>> files_ VIGIL_GUARDED_BY(files_mu_);
};

}  // namespace vigil::tsdb::chunks
