#include "tsdb/wal/writer.h"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "base/coding.h"
#include "base/logging.h"
#include "tsdb/wal/reader.h"

namespace vigil::tsdb::wal {

Writer::Writer(std::string dir, const WriterOptions& opts)
    : dir_(std::move(dir)),
      opts_(opts),
      fs_(opts.fs != nullptr ? opts.fs : fs::DefaultFileSystem()),
      page_(new uint8_t[kPageSize]()) {}

Writer::~Writer() {
  Close().IgnoreError();
  if (zstd_ != nullptr) ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_));
}

Result<std::unique_ptr<Writer>> Writer::Open(const std::string& dir, const WriterOptions& opts) {
  if (opts.segment_size == 0 || opts.segment_size % kPageSize != 0 ||
      opts.segment_size / kPageSize > 0xFFFFFFFFull) {
    return Status::InvalidArgument("wal: segment size " + std::to_string(opts.segment_size) +
                                   " is not a positive multiple of 32 KiB");
  }
  std::unique_ptr<Writer> w(new Writer(dir, opts));
  VIGIL_RETURN_IF_ERROR(w->fs_->CreateDirs(dir));
  VIGIL_ASSIGN_OR_RETURN(std::vector<int> segs, ListSegments(w->fs_, dir));
  int next = 0;
  if (!segs.empty()) {
    VIGIL_RETURN_IF_ERROR(w->RepairLastSegment(segs.back()));
    next = segs.back() + 1;
  }
  VIGIL_RETURN_IF_ERROR(w->OpenSegment(next));
  return w;
}

Status Writer::RepairLastSegment(int last) {
  fs::FileSystem* fs = fs_;
  Reader r({{dir_, last}}, [fs](const Reader::SegmentRef& s) {
    return fs->NewSequentialFile(SegmentPath(s.dir, s.index));
  });
  while (r.Next()) {
  }
  const CorruptionInfo* c = r.corruption();
  if (!r.Err().ok() && c == nullptr) return r.Err();  // I/O error
  if (c != nullptr && !c->torn_tail) {
    return r.Err().WithPrefix(
        "wal: last segment damaged before its end; replay and Repair() first");
  }
  const std::string path = SegmentPath(dir_, last);
  VIGIL_ASSIGN_OR_RETURN(uint64_t size, fs_->FileSize(path));
  uint64_t keep = size;
  bool changed = false;
  if (c != nullptr) {
    keep = c->record_offset;
    report_ = OpenReport{true, last, keep, size - keep, c->reason};
    VIGIL_LOG_WARN("wal", "repairing torn tail of the last segment",
                   "segment={} offset={} dropped_bytes={} reason={}", path, keep, size - keep,
                   LogQuote(c->reason));
    VIGIL_RETURN_IF_ERROR(fs_->TruncateFile(path, keep));
    changed = true;
  }
  if (keep % kPageSize != 0) {
    // Zero-pad the torn page so that the segment ends on a page boundary again.
    VIGIL_ASSIGN_OR_RETURN(auto f, fs_->NewAppendableFile(path));
    VIGIL_RETURN_IF_ERROR(f->Append(std::string(kPageSize - keep % kPageSize, '\0')));
    VIGIL_RETURN_IF_ERROR(f->Sync());
    VIGIL_RETURN_IF_ERROR(f->Close());
  } else if (changed) {
    VIGIL_ASSIGN_OR_RETURN(auto f, fs_->NewAppendableFile(path));
    VIGIL_RETURN_IF_ERROR(f->Sync());
    VIGIL_RETURN_IF_ERROR(f->Close());
  }
  return Status::OK();
}

Status Writer::OpenSegment(int index) {
  VIGIL_ASSIGN_OR_RETURN(file_, fs_->NewWritableFile(SegmentPath(dir_, index)));
  segment_ = index;
  done_pages_ = 0;
  alloc_ = 0;
  flushed_ = 0;
  std::memset(page_.get(), 0, kPageSize);
  // Make the new directory entry durable, so a Sync() of the segment is enough later.
  return fs_->SyncDir(dir_);
}

Status Writer::Broken(Status s) {
  if (broken_.ok()) broken_ = s;
  return s;
}

std::string_view Writer::Compress(std::string_view rec, uint8_t* flags) {
  *flags = 0;
  if (rec.empty() || opts_.compression == Compression::kNone) return rec;
  if (opts_.compression == Compression::kSnappy) {
    const size_t cap = snappy::MaxCompressedLength(rec.size());
    if (scratch_.size() < cap) scratch_.resize(cap);
    size_t n = 0;
    snappy::RawCompress(rec.data(), rec.size(), scratch_.data(), &n);
    if (n >= rec.size()) return rec;  // no gain (small records): store as is
    *flags = kSnappyFlag;
    return std::string_view(scratch_.data(), n);
  }
  if (zstd_ == nullptr) zstd_ = ZSTD_createCCtx();
  const size_t cap = ZSTD_compressBound(rec.size());
  if (scratch_.size() < cap) scratch_.resize(cap);
  const size_t n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(zstd_), scratch_.data(), cap,
                                     rec.data(), rec.size(), 1);
  if (ZSTD_isError(n) || n >= rec.size()) return rec;
  *flags = kZstdFlag;
  return std::string_view(scratch_.data(), n);
}

Status Writer::FlushPage(bool clear) {
  if (clear) alloc_ = kPageSize;  // the rest of the page is already zero
  if (alloc_ > flushed_) {
    VIGIL_RETURN_IF_ERROR(file_->Append(std::string_view(
        reinterpret_cast<const char*>(page_.get()) + flushed_, alloc_ - flushed_)));
    flushed_ = alloc_;
  }
  if (clear) {
    std::memset(page_.get(), 0, kPageSize);
    alloc_ = 0;
    flushed_ = 0;
    ++done_pages_;
  }
  return Status::OK();
}

Status Writer::LogRecord(std::string_view rec, bool final) {
  // A page with room for a header only is padded rather than given an empty fragment.
  if (kPageSize - alloc_ <= kFragmentHeaderSize) VIGIL_RETURN_IF_ERROR(FlushPage(true));
  uint8_t flags;
  std::string_view enc = Compress(rec, &flags);

  // Cut the segment if the record does not fit into what is left of it (records never
  // cross segments); an empty segment takes any record.
  const int64_t pages_per_segment = int64_t(opts_.segment_size / kPageSize);
  const int64_t left = int64_t(kPageSize - alloc_ - kFragmentHeaderSize) +
                       int64_t(kMaxFragmentPayload) * (pages_per_segment - done_pages_ - 1);
  if (int64_t(enc.size()) > left && offset() > 0) {
    VIGIL_ASSIGN_OR_RETURN(int next, NextSegment());
    (void)next;
  }

  for (int i = 0; i == 0 || !enc.empty(); ++i) {
    const size_t n = std::min<size_t>(enc.size(), kPageSize - alloc_ - kFragmentHeaderSize);
    FragmentType type;
    if (i == 0) {
      type = n == enc.size() ? FragmentType::kFull : FragmentType::kFirst;
    } else {
      type = n == enc.size() ? FragmentType::kLast : FragmentType::kMiddle;
    }
    uint8_t* buf = page_.get() + alloc_;
    buf[0] = uint8_t(type) | flags;
    buf[1] = uint8_t(n >> 8);
    buf[2] = uint8_t(n);
    EncodeBE32(reinterpret_cast<char*>(buf + 3), Crc32c(enc.data(), n));
    std::memcpy(buf + kFragmentHeaderSize, enc.data(), n);
    alloc_ += uint32_t(kFragmentHeaderSize + n);
    enc.remove_prefix(n);
    if (kPageSize - alloc_ < kFragmentHeaderSize) VIGIL_RETURN_IF_ERROR(FlushPage(true));
  }
  if (final && alloc_ > flushed_) VIGIL_RETURN_IF_ERROR(FlushPage(false));
  return Status::OK();
}

Status Writer::Log(std::string_view record) {
  return Log(std::span<const std::string_view>(&record, 1));
}

Status Writer::Log(std::span<const std::string_view> records) {
  if (closed_) return Status::Internal("wal: Log after Close");
  if (!broken_.ok()) return broken_;
  if (records.empty()) return Status::OK();
  for (std::string_view r : records) {
    // Readers treat an empty record as damage (see Reader), so none is ever written.
    if (r.empty()) return Status::InvalidArgument("wal: empty record");
  }
  // Everything is written at batch boundaries, so (segment, offset) is the file's size.
  const int seg0 = segment_;
  const uint64_t off0 = offset();
  for (size_t i = 0; i < records.size(); ++i) {
    Status s = LogRecord(records[i], i + 1 == records.size());
    if (!s.ok()) {
      if (!broken_.ok()) return s;
      Status rb = Rollback(seg0, off0);
      if (!rb.ok())
        return Broken(
            s.WithPrefix("wal write failed and could not be undone (" + rb.ToString() + ")"));
      return s;
    }
  }
  if (opts_.sync_every_log) return Sync();
  return Status::OK();
}

// Cuts the current segment back to the start of a failed batch and reloads the page.
Status Writer::Rollback(int segment, uint64_t offset) {
  const uint64_t target = segment_ == segment ? offset : 0;
  VIGIL_RETURN_IF_ERROR(file_->Truncate(target));
  done_pages_ = uint32_t(target / kPageSize);
  alloc_ = uint32_t(target % kPageSize);
  flushed_ = alloc_;
  std::memset(page_.get(), 0, kPageSize);
  if (alloc_ > 0) {
    VIGIL_ASSIGN_OR_RETURN(auto f, fs_->NewRandomAccessFile(file_->path()));
    VIGIL_ASSIGN_OR_RETURN(size_t n, f->ReadAt(uint64_t(done_pages_) * kPageSize,
                                               reinterpret_cast<char*>(page_.get()), alloc_));
    if (n != alloc_) return Status::IOError("wal: short read reloading page of " + file_->path());
  }
  return Status::OK();
}

Status Writer::Sync() {
  if (closed_) return Status::Internal("wal: Sync after Close");
  if (!broken_.ok()) return broken_;
  Status s = file_->Sync();
  if (!s.ok()) return Broken(s);
  return Status::OK();
}

Result<int> Writer::NextSegment() {
  if (closed_) return Status::Internal("wal: NextSegment after Close");
  if (!broken_.ok()) return broken_;
  if (alloc_ > 0) VIGIL_RETURN_IF_ERROR(FlushPage(true));
  Status s = file_->Sync();
  if (!s.ok()) return Broken(s);
  s = file_->Close();
  if (!s.ok()) return Broken(s);
  s = OpenSegment(segment_ + 1);
  if (!s.ok()) return Broken(s);
  return segment_;
}

Status Writer::Truncate(int before) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<int> segs, ListSegments(fs_, dir_));
  for (int i : segs) {
    if (i >= before || i >= segment_) break;
    VIGIL_RETURN_IF_ERROR(fs_->RemoveFile(SegmentPath(dir_, i)));
  }
  return Status::OK();
}

Status Writer::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  if (file_ == nullptr) return Status::OK();
  if (!broken_.ok()) {
    file_->Close().IgnoreError();
    return broken_;
  }
  // Pad the last page (an empty page stays unwritten) and make everything durable.
  if (alloc_ > 0) VIGIL_RETURN_IF_ERROR(FlushPage(true));
  VIGIL_RETURN_IF_ERROR(file_->Sync());
  return file_->Close();
}

}  // namespace vigil::tsdb::wal
