// Reader: returns the records of a sequence of WAL segments (docs/format/wal.md), e.g. a
// checkpoint followed by the segments after it, the way WAL replay needs them.
//
// Damage is reported, never skipped silently: Next() returns false and Err() is
// Corruption with the segment, the offset of the damaged record and the reason;
// corruption() has the same as data. A torn tail — an unfinished write at the end of the
// last segment, as a crash leaves it — is told apart from damage in the middle:
//  * the last segment ends inside a fragment or inside a multi-fragment record, or
//  * a fragment of the last segment is damaged and no intact fragment follows it (probing
//    the position right after it and every later page start).
// Both are torn tails (CorruptionInfo::torn_tail); Writer::Open cuts them off. Anything
// else is mid-log corruption that needs Repair() (data after it is lost).
//
// Thread-compatible: one thread uses a Reader. Record() views are valid until Next().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "fs/file_system.h"
#include "tsdb/wal/format.h"

namespace vigil::tsdb::wal {

// Segments [first, last] of `dir`; -1 leaves that end open.
struct SegmentRange {
  std::string dir;
  int first = -1;
  int last = -1;
};

struct CorruptionInfo {
  std::string dir;
  int segment = -1;
  uint64_t record_offset = 0;  // where the damaged record starts in the segment: cut here
  uint64_t error_offset = 0;   // where the damage was found
  bool torn_tail = false;
  std::string reason;

  std::string ToString() const;
};

class Reader {
 public:
  struct SegmentRef {
    std::string dir;
    int index = 0;
  };
  using Opener =
      std::function<Result<std::unique_ptr<fs::SequentialFile>>(const SegmentRef& segment)>;

  // All segments of `dir`. Corruption if they are not consecutive.
  static Result<std::unique_ptr<Reader>> Open(fs::FileSystem* fs, const std::string& dir);
  // The segments of each range, in order.
  static Result<std::unique_ptr<Reader>> Open(fs::FileSystem* fs,
                                              const std::vector<SegmentRange>& ranges);
  // Reads `segments` in order, opening each lazily with `open` (tests, fuzzers).
  Reader(std::vector<SegmentRef> segments, Opener open);
  ~Reader();

  // Advances to the next record; false at the end or on error (see Err()).
  bool Next();
  // The current record (decompressed); valid until the next call to Next().
  std::string_view Record() const { return record_; }
  // Segment index and directory of the current record, and its offset in the segment.
  int Segment() const;
  const std::string& SegmentDir() const;
  uint64_t Offset() const { return rec_offset_; }

  // OK at a clean end; Corruption (see corruption()) or IOError otherwise.
  Status Err() const { return err_; }
  // Details when Err() is Corruption, else null.
  const CorruptionInfo* corruption() const { return has_corruption_ ? &corruption_ : nullptr; }

 private:
  enum class Damage { kTruncated, kData, kDecode };

  bool LoadPage();
  bool OpenNextSegment();
  bool Fail(Damage kind, uint64_t error_offset, uint64_t record_offset, std::string reason,
            int64_t next_guess);
  bool IntactFragmentFollows(int64_t next_guess);
  bool Finish(uint8_t flags, std::string_view raw);

  std::vector<SegmentRef> segments_;
  Opener open_;
  int cur_ = -1;  // index into segments_
  std::unique_ptr<fs::SequentialFile> file_;
  std::unique_ptr<uint8_t[]> page_;
  uint32_t page_len_ = 0;     // bytes of the current page present in the file
  uint32_t page_pos_ = 0;     // parse position in the page
  uint64_t page_start_ = 0;   // offset of the current page in the segment
  std::string raw_;           // fragment payloads of the record being assembled
  std::string decompressed_;  // scratch for compressed records
  std::string_view record_;
  int rec_segment_ = -1;
  uint64_t rec_offset_ = 0;
  bool finished_ = false;
  Status err_;
  bool has_corruption_ = false;
  CorruptionInfo corruption_;
  void* zstd_ = nullptr;  // ZSTD_DCtx*, created on first use
};

// Makes the WAL in `dir` end just before a damaged record: deletes every segment after
// info.segment, cuts info.segment at info.record_offset and zero-pads its last page.
// Records after the damage are lost (as with Prometheus' Repair). InvalidArgument if the
// damage is not in `dir` (a checkpoint cannot be repaired).
Status Repair(fs::FileSystem* fs, const std::string& dir, const CorruptionInfo& info);

}  // namespace vigil::tsdb::wal
