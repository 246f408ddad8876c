#include "tsdb/chunks/head_chunk_files.h"

#include <algorithm>

#include "base/coding.h"
#include "base/logging.h"

namespace vigil::tsdb::chunks {
namespace {

constexpr size_t kRecordFixedSize = 8 + 8 + 8 + 1;  // series ref, mint, maxt, encoding

std::string HeadHeader() {
  std::string h;
  PutBE32(&h, kHeadChunksMagic);
  h.push_back(char(kFormatV1));
  h.append(3, '\0');
  return h;
}

}  // namespace

HeadChunkFiles::HeadChunkFiles(std::string dir, const HeadChunkFilesOptions& opts)
    : dir_(std::move(dir)),
      opts_(opts),
      fs_(opts.fs != nullptr ? opts.fs : fs::DefaultFileSystem()) {}

HeadChunkFiles::~HeadChunkFiles() { Close().IgnoreError(); }

Result<std::unique_ptr<HeadChunkFiles>> HeadChunkFiles::Open(const std::string& dir,
                                                             const HeadChunkFilesOptions& opts) {
  if (opts.max_file_size < kSegmentHeaderSize + kMaxHeadChunkMetaSize ||
      opts.max_file_size > (1ull << 32)) {
    return Status::InvalidArgument("head chunks: max file size out of range");
  }
  std::unique_ptr<HeadChunkFiles> h(new HeadChunkFiles(dir, opts));
  fs::FileSystem* fs = h->fs_;
  VIGIL_RETURN_IF_ERROR(fs->CreateDirs(dir));
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::vector<uint32_t> seqs;
  for (const std::string& n : names) {
    if (n.empty() || n.size() > 9 ||
        !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    seqs.push_back(uint32_t(std::stoul(n)));
  }
  std::sort(seqs.begin(), seqs.end());
  for (size_t i = 1; i < seqs.size(); ++i) {
    if (seqs[i] != seqs[i - 1] + 1) {
      return Status::Corruption("head chunks " + dir + ": files " + ChunkFileName(seqs[i - 1]) +
                                " and " + ChunkFileName(seqs[i]) + " are not consecutive");
    }
  }
  MutexLock wl(&h->write_mu_);
  WriterLock fl(&h->files_mu_);
  for (size_t i = 0; i < seqs.size(); ++i) {
    const std::string path = fs::JoinPath(dir, ChunkFileName(seqs[i]));
    VIGIL_ASSIGN_OR_RETURN(uint64_t size, fs->FileSize(path));
    const bool last = i + 1 == seqs.size();
    if (last && size < kSegmentHeaderSize) {
      // Cut while crashing: nothing in it can be a chunk.
      VIGIL_LOG_WARN("tsdb", "deleting truncated last head chunk file", "file={} size={}", path,
                     size);
      VIGIL_RETURN_IF_ERROR(fs->RemoveFile(path));
      break;
    }
    auto f = std::make_shared<File>();
    f->path = path;
    VIGIL_ASSIGN_OR_RETURN(auto m, fs->MapFile(path));
    if (m->size() < kSegmentHeaderSize || DecodeBE32(m->data()) != kHeadChunksMagic) {
      return Status::Corruption("head chunks " + path + ": bad magic number");
    }
    if (uint8_t(m->data()[4]) != kFormatV1) {
      return Status::Corruption("head chunks " + path + ": unsupported version " +
                                std::to_string(uint8_t(m->data()[4])));
    }
    f->readable.store(m->size());
    f->map = std::move(m);
    h->files_[seqs[i]] = std::move(f);
    h->next_seq_ = seqs[i] + 1;
  }
  return h;
}

std::shared_ptr<HeadChunkFiles::File> HeadChunkFiles::FindFile(uint32_t seq) const {
  ReaderLock l(&files_mu_);
  auto it = files_.find(seq);
  return it == files_.end() ? nullptr : it->second;
}

std::vector<uint32_t> HeadChunkFiles::Files() const {
  ReaderLock l(&files_mu_);
  std::vector<uint32_t> out;
  for (const auto& [seq, f] : files_) out.push_back(seq);
  return out;
}

Status HeadChunkFiles::Scan(const std::function<Status(const HeadChunkMeta&)>& fn,
                            HeadChunkScanReport* report) {
  MutexLock wl(&write_mu_);
  HeadChunkScanReport rep;
  std::vector<std::pair<uint32_t, std::shared_ptr<File>>> files;
  {
    ReaderLock l(&files_mu_);
    for (const auto& [seq, f] : files_) {
      if (cur_ != nullptr && seq == cur_seq_) break;  // written by us, nothing to rebuild
      files.emplace_back(seq, f);
    }
  }
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const uint32_t seq = files[fi].first;
    File& f = *files[fi].second;
    const char* base = f.map->data();
    const uint64_t end = f.readable.load();
    const bool last = fi + 1 == files.size();
    uint64_t pos = kSegmentHeaderSize;
    std::string damage;
    while (pos < end) {
      if (end - pos < kRecordFixedSize) {
        if (std::all_of(base + pos, base + end, [](char c) { return c == 0; })) break;
        damage = "record header cut short";
        break;
      }
      const char* p = base + pos;
      HeadChunkMeta m;
      m.series_ref = DecodeBE64(p);
      m.mint = int64_t(DecodeBE64(p + 8));
      m.maxt = int64_t(DecodeBE64(p + 16));
      // Series refs start at 1: an all-zero record start is the end of the data (the rest of
      // the file is preallocated zeros).
      if (m.series_ref == 0 && m.mint == 0 && m.maxt == 0) break;
      const uint8_t enc = uint8_t(p[24]);
      m.encoding = chunkenc::Encoding(enc & ~kOutOfOrderEncodingMask);
      m.out_of_order = (enc & kOutOfOrderEncodingMask) != 0;
      std::string_view rest(p + kRecordFixedSize, size_t(end - pos - kRecordFixedSize));
      uint64_t len;
      if (!GetUvarint(&rest, &len) || len > rest.size() || rest.size() - len < kCrcSize) {
        damage = "record runs past the end of the file";
        break;
      }
      const uint64_t data_off = uint64_t(rest.data() - base);
      const uint64_t crc_off = data_off + len;
      if (Crc32c(p, size_t(crc_off - pos)) != DecodeBE32(base + crc_off)) {
        damage = "checksum mismatch";
        break;
      }
      m.ref = MakeHeadChunkRef(seq, uint32_t(pos));
      m.num_samples = len >= 2 ? DecodeBE16(base + data_off) : 0;
      VIGIL_RETURN_IF_ERROR(fn(m));
      ++rep.chunks;
      if (!f.maxt_known || m.maxt > f.maxt) f.maxt = m.maxt;
      f.maxt_known = true;
      pos = crc_off + kCrcSize;
    }
    f.maxt_known = true;
    if (damage.empty()) continue;
    if (!last) {
      if (report != nullptr) {
        rep.file = seq;
        rep.truncated_at = pos;
        rep.reason = damage;
        *report = rep;
      }
      return Status::Corruption("head chunks " + f.path + " at offset " + std::to_string(pos) +
                                ": " + damage);
    }
    rep.repaired = true;
    rep.file = seq;
    rep.truncated_at = pos;
    rep.dropped_bytes = end - pos;
    rep.reason = damage;
    VIGIL_LOG_WARN("tsdb", "truncating torn tail of the last head chunk file",
                   "file={} offset={} dropped_bytes={} reason={}", f.path, pos, end - pos,
                   LogQuote(damage));
    f.readable.store(pos);
    VIGIL_RETURN_IF_ERROR(fs_->TruncateFile(f.path, pos));
  }
  scanned_ = true;
  if (report != nullptr) *report = rep;
  return Status::OK();
}

Status HeadChunkFiles::FlushLocked() {
  if (buf_.empty()) return Status::OK();
  const uint64_t before = cur_->Size();
  Status s = cur_->Append(buf_);
  if (!s.ok()) {
    // Cut off a partial write; the records stay buffered for the next attempt.
    cur_->Truncate(before).IgnoreError();
    if (!flush_failing_) {
      flush_failing_ = true;
      VIGIL_LOG_ERROR("tsdb", "Writing head chunks failed; keeping them in memory and retrying",
                      "err={}", LogQuote(s.ToString()));
    }
    return s;
  }
  if (flush_failing_) {
    flush_failing_ = false;
    VIGIL_LOG_INFO("tsdb", "Writing head chunks works again", "bytes={}", buf_.size());
  }
  buf_.clear();
  {
    ReaderLock l(&files_mu_);
    files_.at(cur_seq_)->readable.store(cur_size_, std::memory_order_release);
  }
  unflushed_from_.store(UINT64_MAX, std::memory_order_release);
  return Status::OK();
}

Status HeadChunkFiles::CutLocked() {
  if (cur_ != nullptr) {
    VIGIL_RETURN_IF_ERROR(FlushLocked());
    VIGIL_RETURN_IF_ERROR(cur_->Sync());
    VIGIL_RETURN_IF_ERROR(cur_->Close());
    cur_.reset();
  }
  const uint32_t seq = next_seq_;
  const std::string path = fs::JoinPath(dir_, ChunkFileName(seq));
  VIGIL_ASSIGN_OR_RETURN(auto file, fs_->NewWritableFile(path));
  VIGIL_ASSIGN_OR_RETURN(auto map, fs_->MapFile(path, size_t(opts_.max_file_size)));
  VIGIL_RETURN_IF_ERROR(fs_->SyncDir(dir_));
  auto f = std::make_shared<File>();
  f->path = path;
  f->map = std::move(map);
  f->readable.store(0);  // the header is buffered with the first records
  f->maxt_known = true;
  {
    WriterLock l(&files_mu_);
    files_[seq] = std::move(f);
  }
  ++next_seq_;
  cur_ = std::move(file);
  cur_seq_ = seq;
  buf_ = HeadHeader();
  cur_size_ = kSegmentHeaderSize;
  unflushed_from_.store(MakeHeadChunkRef(seq, 0), std::memory_order_release);
  return Status::OK();
}

Result<HeadChunkRef> HeadChunkFiles::WriteChunk(uint64_t series_ref, int64_t mint, int64_t maxt,
                                                chunkenc::Encoding encoding, std::string_view data,
                                                bool out_of_order) {
  MutexLock l(&write_mu_);
  if (closed_) return Status::Internal("head chunks: write after Close");
  const uint64_t max_rec = kMaxHeadChunkMetaSize + data.size();
  if (kSegmentHeaderSize + max_rec > opts_.max_file_size) {
    return Status::InvalidArgument("head chunks: chunk of " + std::to_string(data.size()) +
                                   " bytes does not fit into a file");
  }
  if (cur_ == nullptr || cur_size_ + max_rec > opts_.max_file_size)
    VIGIL_RETURN_IF_ERROR(CutLocked());
  if (!buf_.empty() && buf_.size() + max_rec > opts_.write_buffer_size) {
    FlushLocked().IgnoreError();  // on failure the buffer grows; logged by FlushLocked
  }
  const HeadChunkRef ref = MakeHeadChunkRef(cur_seq_, uint32_t(cur_size_));
  const size_t start = buf_.size();
  PutBE64(&buf_, series_ref);
  PutBE64(&buf_, uint64_t(mint));
  PutBE64(&buf_, uint64_t(maxt));
  buf_.push_back(char(uint8_t(encoding) | (out_of_order ? kOutOfOrderEncodingMask : 0)));
  PutUvarint(&buf_, data.size());
  buf_.append(data);
  PutBE32(&buf_, Crc32c(buf_.data() + start, buf_.size() - start));
  cur_size_ += buf_.size() - start;
  if (start == 0) unflushed_from_.store(ref, std::memory_order_release);
  {
    ReaderLock fl(&files_mu_);
    File& f = *files_.at(cur_seq_);
    if (maxt > f.maxt) f.maxt = maxt;
  }
  if (buf_.size() >= opts_.write_buffer_size) {
    // The chunk is stored either way; a failed flush is retried and reported later.
    FlushLocked().IgnoreError();
  }
  return ref;
}

Result<HeadChunk> HeadChunkFiles::Chunk(HeadChunkRef ref) {
  if (ref >= unflushed_from_.load(std::memory_order_acquire)) {
    MutexLock l(&write_mu_);
    if (Status s = FlushLocked(); !s.ok()) {
      Result<HeadChunk> c = BufferedChunkLocked(ref);
      if (c.has_value() || !c.error().IsNotFound()) return c;
    }
  }
  const uint32_t seq = HeadChunkFile(ref);
  const uint64_t off = HeadChunkOffset(ref);
  std::shared_ptr<File> f = FindFile(seq);
  if (f == nullptr) {
    return Status::NotFound("head chunks: no file " + ChunkFileName(seq) + " for ref " +
                            std::to_string(ref));
  }
  const uint64_t end = f->readable.load(std::memory_order_acquire);
  if (off < kSegmentHeaderSize || off + kRecordFixedSize >= end) {
    return Status::NotFound("head chunks " + f->path + ": no chunk at offset " +
                            std::to_string(off));
  }
  const char* base = f->map->data();
  std::string_view rest(base + off + kRecordFixedSize, size_t(end - off - kRecordFixedSize));
  uint64_t len;
  if (!GetUvarint(&rest, &len) || len > rest.size() || rest.size() - len < kCrcSize) {
    return Status::Corruption("head chunks " + f->path + ": chunk at " + std::to_string(off) +
                              " runs past the end of the file");
  }
  const uint64_t crc_off = uint64_t(rest.data() - base) + len;
  if (Crc32c(base + off, size_t(crc_off - off)) != DecodeBE32(base + crc_off)) {
    return Status::Corruption("head chunks " + f->path + ": checksum mismatch for chunk at " +
                              std::to_string(off));
  }
  const uint8_t enc = uint8_t(base[off + 24]);
  HeadChunk c;
  c.mint = int64_t(DecodeBE64(base + off + 8));
  c.maxt = int64_t(DecodeBE64(base + off + 16));
  c.view.encoding = chunkenc::Encoding(enc & ~kOutOfOrderEncodingMask);
  c.view.data = rest.substr(0, size_t(len));
  c.out_of_order = (enc & kOutOfOrderEncodingMask) != 0;
  c.mapping = f->map;
  return c;
}

namespace {

// A record copied out of the write buffer, standing in for a file mapping.
class BufferCopy final : public fs::MappedFile {
 public:
  explicit BufferCopy(std::string bytes) : bytes_(std::move(bytes)) {}
  const char* data() const override { return bytes_.data(); }
  size_t size() const override { return bytes_.size(); }

 private:
  std::string bytes_;
};

}  // namespace

Result<HeadChunk> HeadChunkFiles::BufferedChunkLocked(HeadChunkRef ref) {
  const uint64_t off = HeadChunkOffset(ref);
  const uint64_t start = cur_size_ - buf_.size();  // file offset of buf_[0]
  if (cur_ == nullptr || HeadChunkFile(ref) != cur_seq_ || off < start ||
      off < kSegmentHeaderSize || off + kRecordFixedSize >= cur_size_) {
    return Status::NotFound("head chunks: no buffered chunk for ref " + std::to_string(ref));
  }
  std::string_view rec(buf_.data() + (off - start), size_t(cur_size_ - off));
  std::string_view rest = rec.substr(kRecordFixedSize);
  uint64_t len;
  if (!GetUvarint(&rest, &len) || len > rest.size() || rest.size() - len < kCrcSize) {
    return Status::Internal("head chunks: buffered chunk at " + std::to_string(off) +
                            " runs past the buffer");
  }
  const size_t total = size_t(rest.data() - rec.data()) + size_t(len) + kCrcSize;
  auto copy = std::make_shared<BufferCopy>(std::string(rec.substr(0, total)));
  const char* p = copy->data();
  HeadChunk c;
  c.mint = int64_t(DecodeBE64(p + 8));
  c.maxt = int64_t(DecodeBE64(p + 16));
  const uint8_t enc = uint8_t(p[24]);
  c.view.encoding = chunkenc::Encoding(enc & ~kOutOfOrderEncodingMask);
  c.view.data = std::string_view(p + (rest.data() - rec.data()), size_t(len));
  c.out_of_order = (enc & kOutOfOrderEncodingMask) != 0;
  c.buffered = true;
  c.mapping = std::move(copy);
  return c;
}

Status HeadChunkFiles::Flush() {
  MutexLock l(&write_mu_);
  if (cur_ == nullptr) return Status::OK();
  return FlushLocked();
}

Status HeadChunkFiles::Sync() {
  MutexLock l(&write_mu_);
  if (cur_ == nullptr) return Status::OK();
  VIGIL_RETURN_IF_ERROR(FlushLocked());
  return cur_->Sync();
}

Status HeadChunkFiles::CutNewFile() {
  MutexLock l(&write_mu_);
  if (closed_) return Status::Internal("head chunks: cut after Close");
  return CutLocked();
}

Status HeadChunkFiles::Truncate(int64_t mint) {
  MutexLock l(&write_mu_);
  std::vector<std::pair<uint32_t, std::string>> doomed;
  {
    WriterLock fl(&files_mu_);
    for (auto it = files_.begin(); it != files_.end();) {
      File& f = *it->second;
      if (cur_ != nullptr && it->first == cur_seq_) break;
      if (!f.maxt_known) {
        return Status::Internal("head chunks: Truncate before Scan (file time ranges unknown)");
      }
      if (f.maxt >= mint) break;
      doomed.emplace_back(it->first, f.path);
      it = files_.erase(it);
    }
  }
  for (const auto& [seq, path] : doomed) VIGIL_RETURN_IF_ERROR(fs_->RemoveFile(path));
  // Finish a current file that holds chunks, so that it can be deleted in turn later.
  if (cur_ != nullptr && cur_size_ > kSegmentHeaderSize) {
    VIGIL_RETURN_IF_ERROR(FlushLocked());
    VIGIL_RETURN_IF_ERROR(cur_->Sync());
    VIGIL_RETURN_IF_ERROR(cur_->Close());
    cur_.reset();
  }
  return Status::OK();
}

Status HeadChunkFiles::DeleteFrom(uint32_t seq) {
  MutexLock l(&write_mu_);
  if (cur_ != nullptr && cur_seq_ >= seq) {
    cur_->Close().IgnoreError();
    cur_.reset();
    buf_.clear();
    unflushed_from_.store(UINT64_MAX);
  }
  std::vector<std::string> doomed;
  {
    WriterLock fl(&files_mu_);
    for (auto it = files_.lower_bound(seq); it != files_.end();) {
      doomed.push_back(it->second->path);
      it = files_.erase(it);
    }
  }
  for (const std::string& p : doomed) VIGIL_RETURN_IF_ERROR(fs_->RemoveFile(p));
  // Names stay consecutive: the next file reuses the first deleted number.
  if (seq < next_seq_) next_seq_ = seq;
  return Status::OK();
}

Status HeadChunkFiles::Close() {
  MutexLock l(&write_mu_);
  if (closed_) return Status::OK();
  closed_ = true;
  if (cur_ == nullptr) return Status::OK();
  Status s = FlushLocked();
  if (s.ok()) s = cur_->Sync();
  Status c = cur_->Close();
  cur_.reset();
  return s.ok() ? c : s;
}

}  // namespace vigil::tsdb::chunks
