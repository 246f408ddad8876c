#include "tsdb/wal/reader.h"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "base/coding.h"

namespace vigil::tsdb::wal {

std::string CorruptionInfo::ToString() const {
  std::string s = "wal: corruption in segment " + SegmentPath(dir, segment) + " at offset " +
                  std::to_string(error_offset);
  if (record_offset != error_offset) s += " (record at " + std::to_string(record_offset) + ")";
  s += ": " + reason;
  if (torn_tail) s += " [torn tail]";
  return s;
}

Result<std::unique_ptr<Reader>> Reader::Open(fs::FileSystem* fs, const std::string& dir) {
  return Open(fs, std::vector<SegmentRange>{{dir, -1, -1}});
}

Result<std::unique_ptr<Reader>> Reader::Open(fs::FileSystem* fs,
                                             const std::vector<SegmentRange>& ranges) {
  std::vector<SegmentRef> segs;
  for (const SegmentRange& r : ranges) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<int> idx, ListSegments(fs, r.dir));
    for (int i : idx) {
      if (r.first >= 0 && i < r.first) continue;
      if (r.last >= 0 && i > r.last) break;
      segs.push_back({r.dir, i});
    }
  }
  Opener open = [fs](const SegmentRef& s) {
    return fs->NewSequentialFile(SegmentPath(s.dir, s.index));
  };
  return std::make_unique<Reader>(std::move(segs), std::move(open));
}

Reader::Reader(std::vector<SegmentRef> segments, Opener open)
    : segments_(std::move(segments)), open_(std::move(open)), page_(new uint8_t[kPageSize]) {}

Reader::~Reader() {
  if (zstd_ != nullptr) ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(zstd_));
}

int Reader::Segment() const {
  return rec_segment_ >= 0 ? segments_[size_t(rec_segment_)].index : -1;
}

const std::string& Reader::SegmentDir() const {
  static const std::string kEmpty;
  return rec_segment_ >= 0 ? segments_[size_t(rec_segment_)].dir : kEmpty;
}

bool Reader::OpenNextSegment() {
  file_.reset();
  ++cur_;
  if (size_t(cur_) >= segments_.size()) return false;
  auto f = open_(segments_[size_t(cur_)]);
  if (!f.has_value()) {
    err_ = f.error();
    return false;
  }
  file_ = std::move(f).value();
  page_start_ = 0;
  page_len_ = 0;
  page_pos_ = 0;
  return true;
}

// Reads the next page of the current segment; false at its end or on an I/O error.
bool Reader::LoadPage() {
  page_start_ += page_len_;
  page_len_ = 0;
  page_pos_ = 0;
  while (page_len_ < kPageSize) {
    auto n = file_->Read(reinterpret_cast<char*>(page_.get()) + page_len_, kPageSize - page_len_);
    if (!n.has_value()) {
      err_ = n.error();
      return false;
    }
    if (*n == 0) break;
    page_len_ += uint32_t(*n);
  }
  return page_len_ > 0;
}

bool Reader::Next() {
  if (finished_ || !err_.ok()) return false;
  raw_.clear();
  record_ = {};
  int frags = 0;
  uint8_t flags = 0;
  while (true) {
    if (cur_ < 0 || page_pos_ >= page_len_) {
      if (cur_ >= 0 && LoadPage()) continue;
      if (!err_.ok()) return false;
      if (frags > 0) {
        return Fail(Damage::kTruncated, page_start_ + page_len_, rec_offset_,
                    "segment ends inside a record", -1);
      }
      if (!OpenNextSegment()) {
        finished_ = err_.ok();
        return false;
      }
      continue;
    }
    const uint8_t* p = page_.get() + page_pos_;
    const uint32_t avail = page_len_ - page_pos_;
    const uint64_t here = page_start_ + page_pos_;
    const uint64_t rec_start = frags > 0 ? rec_offset_ : here;
    // A page the file ends inside: running out of bytes there is a truncation.
    const bool partial = page_len_ < kPageSize;

    if (p[0] == 0) {
      // Page padding: zeros up to the end of the page.
      for (uint32_t i = 1; i < avail; ++i) {
        if (p[i] != 0) {
          return Fail(Damage::kData, here + i, rec_start, "non-zero byte in padded page", -1);
        }
      }
      page_pos_ = page_len_;
      continue;
    }
    if (avail < kFragmentHeaderSize) {
      if (partial)
        return Fail(Damage::kTruncated, here, rec_start, "truncated fragment header", -1);
      return Fail(Damage::kData, here, rec_start, "fragment header crosses a page boundary", -1);
    }
    const uint32_t len = DecodeBE16(reinterpret_cast<const char*>(p + 1));
    const uint32_t crc = DecodeBE32(reinterpret_cast<const char*>(p + 3));
    if (len > kMaxFragmentPayload) {
      return Fail(Damage::kData, here, rec_start, "invalid fragment length " + std::to_string(len),
                  -1);
    }
    const int64_t next = int64_t(here + kFragmentHeaderSize + len);
    if (kFragmentHeaderSize + len > avail) {
      if (partial) {
        return Fail(Damage::kTruncated, here, rec_start,
                    "fragment runs past the end of the segment", -1);
      }
      return Fail(Damage::kData, here, rec_start, "fragment crosses a page boundary", -1);
    }
    const uint8_t* payload = p + kFragmentHeaderSize;
    if (Crc32c(payload, len) != crc) {
      return Fail(Damage::kData, here, rec_start, "fragment checksum mismatch", next);
    }
    const uint8_t type = p[0] & kFragmentTypeMask;
    const uint8_t fl = p[0] & (kSnappyFlag | kZstdFlag);
    if (fl == (kSnappyFlag | kZstdFlag)) {
      return Fail(Damage::kData, here, rec_start, "both compression flags set", next);
    }
    switch (FragmentType(type)) {
      case FragmentType::kFull:
        // No writer logs empty records (every record has a type byte); zeros over a
        // fragment's length and CRC would otherwise read as one (the CRC of nothing is 0).
        if (len == 0) return Fail(Damage::kData, here, rec_start, "empty record", next);
        [[fallthrough]];
      case FragmentType::kFirst:
        if (frags != 0) {
          return Fail(Damage::kData, here, rec_start,
                      "new record starts before the previous one ended", next);
        }
        break;
      case FragmentType::kMiddle:
      case FragmentType::kLast:
        if (frags == 0) {
          return Fail(Damage::kData, here, rec_start, "continuation fragment without a start",
                      next);
        }
        // Writers never emit empty continuations (see kFull above).
        if (len == 0) {
          return Fail(Damage::kData, here, rec_start, "empty continuation fragment", next);
        }
        break;
      default:
        return Fail(Damage::kData, here, rec_start, "unknown fragment type " + std::to_string(type),
                    next);
    }
    if (frags == 0) {
      rec_offset_ = here;
      rec_segment_ = cur_;
      flags = fl;
    } else if (fl != flags) {
      return Fail(Damage::kData, here, rec_start, "compression flags change within a record", next);
    }
    page_pos_ += kFragmentHeaderSize + len;
    if (FragmentType(type) == FragmentType::kFull) {
      // The common case: no copy, the record is read straight from the page buffer.
      return Finish(flags, std::string_view(reinterpret_cast<const char*>(payload), len));
    }
    raw_.append(reinterpret_cast<const char*>(payload), len);
    if (FragmentType(type) == FragmentType::kLast) return Finish(flags, raw_);
    ++frags;
  }
}

bool Reader::Finish(uint8_t flags, std::string_view raw) {
  if (flags == 0 || raw.empty()) {
    record_ = raw;
    return true;
  }
  const std::string_view reason_prefix =
      (flags & kSnappyFlag) != 0 ? "snappy record: " : "zstd record: ";
  if ((flags & kSnappyFlag) != 0) {
    size_t n = 0;
    if (!snappy::GetUncompressedLength(raw.data(), raw.size(), &n)) {
      return Fail(Damage::kDecode, rec_offset_, rec_offset_,
                  std::string(reason_prefix) + "invalid length header", -1);
    }
    // Snappy expands at most ~21x (a 3-byte copy of 64 bytes); more is a lie.
    if (n > kMaxRecordSize || n > raw.size() * 32 + 64) {
      return Fail(Damage::kDecode, rec_offset_, rec_offset_,
                  std::string(reason_prefix) + "implausible length " + std::to_string(n), -1);
    }
    decompressed_.resize(n);
    if (!snappy::RawUncompress(raw.data(), raw.size(), decompressed_.data())) {
      return Fail(Damage::kDecode, rec_offset_, rec_offset_,
                  std::string(reason_prefix) + "invalid data", -1);
    }
    record_ = decompressed_;
    return true;
  }
  if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
  auto* dctx = static_cast<ZSTD_DCtx*>(zstd_);
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  decompressed_.clear();
  ZSTD_inBuffer in{raw.data(), raw.size(), 0};
  size_t ret = 1;
  size_t produced = 0;
  while (true) {
    if (decompressed_.size() - produced < 64 * 1024) {
      const size_t grow = std::max<size_t>(decompressed_.size(), 256 * 1024);
      if (decompressed_.size() + grow > kMaxRecordSize + 256 * 1024) {
        return Fail(Damage::kDecode, rec_offset_, rec_offset_,
                    std::string(reason_prefix) + "record too large", -1);
      }
      decompressed_.resize(decompressed_.size() + grow);
    }
    ZSTD_outBuffer out{decompressed_.data() + produced, decompressed_.size() - produced, 0};
    const size_t in_before = in.pos;
    ret = ZSTD_decompressStream(dctx, &out, &in);
    produced += out.pos;
    if (ZSTD_isError(ret)) {
      return Fail(Damage::kDecode, rec_offset_, rec_offset_,
                  std::string(reason_prefix) + ZSTD_getErrorName(ret), -1);
    }
    if (produced > kMaxRecordSize) {
      return Fail(Damage::kDecode, rec_offset_, rec_offset_,
                  std::string(reason_prefix) + "record too large", -1);
    }
    if (ret == 0 && in.pos == in.size) break;  // frame(s) complete and input consumed
    if ((in.pos == in.size && out.pos < out.size) || (in.pos == in_before && out.pos == 0)) {
      return Fail(Damage::kDecode, rec_offset_, rec_offset_,
                  std::string(reason_prefix) + "truncated frame", -1);
    }
  }
  decompressed_.resize(produced);
  record_ = decompressed_;
  return true;
}

bool Reader::Fail(Damage kind, uint64_t error_offset, uint64_t record_offset, std::string reason,
                  int64_t next_guess) {
  corruption_ = CorruptionInfo{};
  corruption_.dir = segments_[size_t(cur_)].dir;
  corruption_.segment = segments_[size_t(cur_)].index;
  corruption_.record_offset = record_offset;
  corruption_.error_offset = error_offset;
  corruption_.reason = std::move(reason);
  if (size_t(cur_) + 1 == segments_.size()) {
    if (kind == Damage::kTruncated) {
      corruption_.torn_tail = true;
    } else if (kind == Damage::kData) {
      corruption_.torn_tail = !IntactFragmentFollows(next_guess);
      if (!err_.ok()) return false;  // I/O error while probing
    }
  }
  has_corruption_ = true;
  err_ = Status::Corruption(corruption_.ToString());
  return false;
}

namespace {

// True if a fragment with a valid checksum starts at page[pos] (within len bytes).
bool ProbeFragment(const uint8_t* page, uint32_t len, uint32_t pos) {
  if (pos + kFragmentHeaderSize > len) return false;
  const uint8_t* p = page + pos;
  const uint8_t type = p[0] & kFragmentTypeMask;
  if (type < uint8_t(FragmentType::kFull) || type > uint8_t(FragmentType::kLast)) return false;
  const uint32_t n = DecodeBE16(reinterpret_cast<const char*>(p + 1));
  if (pos + kFragmentHeaderSize + n > len) return false;
  return Crc32c(p + kFragmentHeaderSize, n) == DecodeBE32(reinterpret_cast<const char*>(p + 3));
}

}  // namespace

// Looks for intact data after damage in the last segment: right after the damaged fragment
// (if its length was plausible) and at every later page start.
bool Reader::IntactFragmentFollows(int64_t next_guess) {
  if (next_guess >= 0 && uint64_t(next_guess) >= page_start_ &&
      uint64_t(next_guess) < page_start_ + page_len_) {
    if (ProbeFragment(page_.get(), page_len_, uint32_t(uint64_t(next_guess) - page_start_))) {
      return true;
    }
  }
  while (LoadPage()) {
    if (ProbeFragment(page_.get(), page_len_, 0)) return true;
  }
  return false;
}

Status Repair(fs::FileSystem* fs, const std::string& dir, const CorruptionInfo& info) {
  if (info.dir != dir || info.segment < 0) {
    return Status::InvalidArgument("wal repair: damage in " + SegmentPath(info.dir, info.segment) +
                                   " is not in " + dir);
  }
  VIGIL_ASSIGN_OR_RETURN(std::vector<int> segs, ListSegments(fs, dir));
  for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
    if (*it <= info.segment) break;
    VIGIL_RETURN_IF_ERROR(fs->RemoveFile(SegmentPath(dir, *it)));
  }
  const std::string path = SegmentPath(dir, info.segment);
  VIGIL_RETURN_IF_ERROR(fs->TruncateFile(path, info.record_offset));
  VIGIL_ASSIGN_OR_RETURN(auto f, fs->NewAppendableFile(path));
  if (const uint64_t rem = info.record_offset % kPageSize; rem != 0) {
    VIGIL_RETURN_IF_ERROR(f->Append(std::string(kPageSize - rem, '\0')));
  }
  VIGIL_RETURN_IF_ERROR(f->Sync());
  VIGIL_RETURN_IF_ERROR(f->Close());
  return fs->SyncDir(dir);
}

}  // namespace vigil::tsdb::wal
