#include "tsdb/chunks/chunk_segments.h"

#include <algorithm>
#include <cstdio>

#include "base/coding.h"

namespace vigil::tsdb::chunks {
namespace {

constexpr size_t kWriteBufferSize = 1 << 20;

std::string Header(uint32_t magic) {
  std::string h;
  PutBE32(&h, magic);
  h.push_back(char(kFormatV1));
  h.append(3, '\0');
  return h;
}

// Sequence numbers of the chunk files in `dir` (names made of digits), ascending.
Result<std::vector<std::pair<uint64_t, std::string>>> ListChunkFiles(fs::FileSystem* fs,
                                                                     const std::string& dir) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const std::string& n : names) {
    if (n.empty() || n.size() > 10 ||
        !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    out.emplace_back(std::stoull(n), n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string ChunkFileName(uint32_t seq) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%06u", seq);
  return buf;
}

// ---------------------------------------------------------------------------------------
// Writer

ChunkSegmentWriter::ChunkSegmentWriter(std::string dir, const ChunkSegmentWriterOptions& opts)
    : dir_(std::move(dir)),
      opts_(opts),
      fs_(opts.fs != nullptr ? opts.fs : fs::DefaultFileSystem()) {}

ChunkSegmentWriter::~ChunkSegmentWriter() { Close().IgnoreError(); }

Result<std::unique_ptr<ChunkSegmentWriter>> ChunkSegmentWriter::Create(
    const std::string& dir, const ChunkSegmentWriterOptions& opts) {
  if (opts.segment_size <= kSegmentHeaderSize || opts.segment_size > (1ull << 32)) {
    return Status::InvalidArgument("chunks: segment size must be in (8 B, 4 GiB]");
  }
  std::unique_ptr<ChunkSegmentWriter> w(new ChunkSegmentWriter(dir, opts));
  VIGIL_RETURN_IF_ERROR(w->fs_->CreateDirs(dir));
  VIGIL_ASSIGN_OR_RETURN(auto existing, ListChunkFiles(w->fs_, dir));
  if (!existing.empty())
    return Status::AlreadyExists("chunks: " + dir + " already has chunk files");
  return w;
}

Status ChunkSegmentWriter::FlushBuffer() {
  if (buf_.empty()) return Status::OK();
  VIGIL_RETURN_IF_ERROR(file_->Append(buf_));
  buf_.clear();
  return Status::OK();
}

Status ChunkSegmentWriter::Cut() {
  if (file_ != nullptr) {
    VIGIL_RETURN_IF_ERROR(FlushBuffer());
    VIGIL_RETURN_IF_ERROR(file_->Sync());
    VIGIL_RETURN_IF_ERROR(file_->Close());
  }
  ++seq_;
  VIGIL_ASSIGN_OR_RETURN(file_,
                         fs_->NewWritableFile(fs::JoinPath(dir_, ChunkFileName(uint32_t(seq_)))));
  buf_ = Header(kChunksMagic);
  file_size_ = kSegmentHeaderSize;
  total_bytes_ += kSegmentHeaderSize;
  file_has_chunks_ = false;
  return Status::OK();
}

Result<BlockChunkRef> ChunkSegmentWriter::Write(chunkenc::Encoding encoding,
                                                std::string_view data) {
  if (closed_) return Status::Internal("chunks: Write after Close");
  if (data.size() > 0xFFFFFFFFull) return Status::InvalidArgument("chunks: chunk over 4 GiB");
  char len[kMaxChunkLengthFieldSize];
  size_t len_size = 0;
  for (uint64_t v = data.size();; v >>= 7) {
    len[len_size++] = char(v >= 0x80 ? (v & 0x7f) | 0x80 : v);
    if (v < 0x80) break;
  }
  const uint64_t rec_size = len_size + 1 + data.size() + kCrcSize;
  if (file_ == nullptr || (file_has_chunks_ && file_size_ + rec_size > opts_.segment_size)) {
    VIGIL_RETURN_IF_ERROR(Cut());
  }
  if (file_size_ > 0xFFFFFFFFull) {
    return Status::InvalidArgument("chunks: segment offset beyond 4 GiB");
  }
  const BlockChunkRef ref = MakeBlockChunkRef(uint32_t(seq_ - 1), uint32_t(file_size_));
  const char enc = char(encoding);
  buf_.append(len, len_size);
  buf_.push_back(enc);
  buf_.append(data);
  PutBE32(&buf_, Crc32cOf(data, Crc32c(&enc, 1)));
  file_size_ += rec_size;
  total_bytes_ += rec_size;
  file_has_chunks_ = true;
  if (buf_.size() >= kWriteBufferSize) VIGIL_RETURN_IF_ERROR(FlushBuffer());
  return ref;
}

Status ChunkSegmentWriter::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  if (file_ != nullptr) {
    VIGIL_RETURN_IF_ERROR(FlushBuffer());
    VIGIL_RETURN_IF_ERROR(file_->Sync());
    VIGIL_RETURN_IF_ERROR(file_->Close());
  }
  return fs_->SyncDir(dir_);
}

// ---------------------------------------------------------------------------------------
// Reader

Result<std::unique_ptr<ChunkSegmentReader>> ChunkSegmentReader::Open(const std::string& dir,
                                                                     fs::FileSystem* fs) {
  if (fs == nullptr) fs = fs::DefaultFileSystem();
  auto r = std::make_unique<ChunkSegmentReader>();
  r->dir_ = dir;
  VIGIL_ASSIGN_OR_RETURN(auto files, ListChunkFiles(fs, dir));
  for (size_t i = 0; i < files.size(); ++i) {
    if (i > 0 && files[i].first != files[i - 1].first + 1) {
      return Status::Corruption("chunks " + dir + ": gap between files " + files[i - 1].second +
                                " and " + files[i].second);
    }
    const std::string path = fs::JoinPath(dir, files[i].second);
    VIGIL_ASSIGN_OR_RETURN(auto m, fs->MapFile(path));
    if (m->size() < kSegmentHeaderSize) {
      return Status::Corruption("chunks " + path + ": file shorter than its header");
    }
    if (DecodeBE32(m->data()) != kChunksMagic) {
      return Status::Corruption("chunks " + path + ": bad magic number");
    }
    if (uint8_t(m->data()[4]) != kFormatV1) {
      return Status::Corruption("chunks " + path + ": unsupported version " +
                                std::to_string(uint8_t(m->data()[4])));
    }
    r->files_.push_back(std::move(m));
    r->names_.push_back(files[i].second);
  }
  return r;
}

uint64_t ChunkSegmentReader::size_bytes() const {
  uint64_t n = 0;
  for (const auto& f : files_) n += f->size();
  return n;
}

Result<ChunkView> ChunkSegmentReader::Chunk(BlockChunkRef ref) const {
  const uint32_t seg = BlockChunkSegment(ref);
  const uint64_t off = BlockChunkOffset(ref);
  if (seg >= files_.size()) {
    return Status::NotFound("chunks " + dir_ + ": no segment " + std::to_string(seg) +
                            " for chunk ref " + std::to_string(ref));
  }
  const fs::MappedFile& f = *files_[seg];
  if (off < kSegmentHeaderSize || off >= f.size()) {
    return Status::NotFound("chunks " + dir_ + "/" + names_[seg] + ": offset " +
                            std::to_string(off) + " outside the file");
  }
  std::string_view in(f.data() + off, f.size() - off);
  uint64_t len;
  if (!GetUvarint(&in, &len) || len > in.size() || in.size() - len < 1 + kCrcSize) {
    return Status::Corruption("chunks " + dir_ + "/" + names_[seg] + ": chunk at " +
                              std::to_string(off) + " runs past the end of the file");
  }
  const std::string_view body = in.substr(0, 1 + len);
  if (Crc32cOf(body) != DecodeBE32(in.data() + 1 + len)) {
    return Status::Corruption("chunks " + dir_ + "/" + names_[seg] +
                              ": checksum mismatch for chunk at " + std::to_string(off));
  }
  return ChunkView{chunkenc::Encoding(uint8_t(body[0])), body.substr(1)};
}

}  // namespace vigil::tsdb::chunks
