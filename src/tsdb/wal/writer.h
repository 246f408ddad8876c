// Writer: appends records to a Prometheus-compatible WAL directory (docs/format/wal.md).
//
// Records are compressed whole (snappy by default, skipped when it does not shrink the
// record), split into fragments that fill 32 KiB pages, and written to the current
// segment; a record never crosses segments, so a segment is cut when the next record does
// not fit (a record bigger than a segment gets its own, oversized segment). Each Log() ends
// by handing the unwritten part of the current page to the OS (one write(2)); durability
// needs Sync() or sync_every_log. The previous segment is fsynced when a segment is cut.
//
// Open() repairs a torn tail of the last segment (Reader's definition: cut at the start of
// the damaged record, zero-pad the page), then starts a fresh segment after it, as
// Prometheus does. It refuses a last segment damaged in the middle (Corruption): replay it,
// decide, call Repair() (reader.h), then Open again.
//
// Failures: if a write fails (ENOSPC, EIO), the segment is cut back to where the failed
// Log() began, so the log holds no partial record; the Writer stays usable. If the batch had
// already cut a new segment, the records written to the previous one stay (a prefix of the
// batch may be replayed). If the file cannot be cut back, or an fsync fails, the Writer is
// broken: every later call returns that error (page-cache state is unknown after a failed
// fsync), and the owner must reopen it.
//
// Thread-compatible: one thread at a time (the head's group commit, or an external lock).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "fs/file_system.h"
#include "tsdb/wal/format.h"

namespace vigil::tsdb::wal {

struct WriterOptions {
  // Bytes per segment; a positive multiple of kPageSize.
  uint64_t segment_size = kDefaultSegmentSize;
  Compression compression = Compression::kSnappy;
  // fsync at the end of every Log().
  bool sync_every_log = false;
  // nullptr: fs::DefaultFileSystem().
  fs::FileSystem* fs = nullptr;
};

// What Open() found and repaired in the last segment.
struct OpenReport {
  bool repaired = false;
  int segment = -1;            // the repaired segment
  uint64_t truncated_at = 0;   // new length before padding
  uint64_t dropped_bytes = 0;  // bytes cut off
  std::string reason;
};

class Writer {
 public:
  // Opens (creating if needed) the WAL in `dir`. InvalidArgument for a bad segment_size;
  // Corruption if the last segment is damaged other than by a torn tail.
  static Result<std::unique_ptr<Writer>> Open(const std::string& dir, const WriterOptions& opts);
  ~Writer();  // Close(), errors ignored
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends one record (its first byte is the record type, records.h). An empty record is
  // InvalidArgument (readers take an empty record for zeroed-out damage).
  Status Log(std::string_view record);
  // Appends several records as one batch: one write(2) for all the pages they fill.
  Status Log(std::span<const std::string_view> records);
  // fsyncs the current segment.
  Status Sync();
  // Pads and fsyncs the current segment and starts the next one; returns its index.
  Result<int> NextSegment();
  // Deletes the segments before index `before` (never the current one).
  Status Truncate(int before);
  // Pads the last page, fsyncs and closes. Later calls fail. Idempotent.
  Status Close();

  const std::string& dir() const { return dir_; }
  int segment() const { return segment_; }
  // Bytes of the current segment, including the part of the page not yet written.
  uint64_t offset() const { return uint64_t(done_pages_) * kPageSize + alloc_; }
  const OpenReport& open_report() const { return report_; }

 private:
  Writer(std::string dir, const WriterOptions& opts);
  Status RepairLastSegment(int last);
  Status OpenSegment(int index);
  Status LogRecord(std::string_view rec, bool final);
  Status FlushPage(bool clear);
  Status Rollback(int segment, uint64_t offset);
  Status Broken(Status s);
  std::string_view Compress(std::string_view rec, uint8_t* flags);

  const std::string dir_;
  const WriterOptions opts_;
  fs::FileSystem* const fs_;
  std::unique_ptr<fs::WritableFile> file_;
  int segment_ = -1;
  uint32_t done_pages_ = 0;  // full pages written to the current segment
  std::unique_ptr<uint8_t[]> page_;
  uint32_t alloc_ = 0;    // bytes of the page in use
  uint32_t flushed_ = 0;  // bytes of the page already written to the file
  std::string scratch_;   // compression output
  void* zstd_ = nullptr;  // ZSTD_CCtx*
  Status broken_;
  bool closed_ = false;
  OpenReport report_;
};

}  // namespace vigil::tsdb::wal
