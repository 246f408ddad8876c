#include "tsdb/head/disk_chunk_store.h"

#include <sys/mman.h>
#include <unistd.h>

#include "base/coding.h"
#include "base/logging.h"

namespace vigil::tsdb {

Result<std::unique_ptr<DiskChunkStore>> DiskChunkStore::Open(const std::string& dir,
                                                             fs::FileSystem* fs,
                                                             size_t write_buffer_bytes) {
  chunks::HeadChunkFilesOptions o;
  o.fs = fs;
  o.write_buffer_size = write_buffer_bytes;
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<chunks::HeadChunkFiles> files,
                         chunks::HeadChunkFiles::Open(dir, o));
  return std::unique_ptr<DiskChunkStore>(new DiskChunkStore(std::move(files), write_buffer_bytes));
}

Status DiskChunkStore::Scan(const std::function<Status(const chunks::HeadChunkMeta&)>& fn,
                            const std::function<void()>& reset, chunks::HeadChunkScanReport* report,
                            uint64_t* corrupted_files) {
  // The scan reads every record through the file's mapping; the pages it has passed are
  // dropped from the process every few MiB, so that the scan's RSS peak stays small
  // (they remain in the page cache).
  constexpr uint64_t kReleaseEvery = 2 << 20;
  uint32_t cur_file = 0;
  uint64_t released_to = 0;
  std::shared_ptr<const fs::MappedFile> map;
  auto visit = [&](const chunks::HeadChunkMeta& m) {
    NoteFile(m.ref);
    const uint32_t file = chunks::HeadChunkFile(m.ref);
    const uint64_t off = chunks::HeadChunkOffset(m.ref);
    if (file != cur_file || map == nullptr) {
      if (map != nullptr) ::madvise(const_cast<char*>(map->data()), map->size(), MADV_DONTNEED);
      map.reset();
      cur_file = file;
      released_to = 0;
      if (Result<chunks::HeadChunk> c = files_->Chunk(m.ref); c.has_value() && !c->buffered) {
        map = std::move(c->mapping);
      }
    }
    if (map != nullptr && off - released_to >= kReleaseEvery) {
      static const uint64_t kPage = uint64_t(::sysconf(_SC_PAGESIZE));
      const uint64_t upto = off / kPage * kPage;
      ::madvise(const_cast<char*>(map->data()) + released_to, upto - released_to, MADV_DONTNEED);
      released_to = upto;
    }
    return fn(m);
  };
  while (true) {
    chunks::HeadChunkScanReport rep;
    Status s = files_->Scan(visit, &rep);
    if (s.ok()) {
      if (report != nullptr) *report = rep;
      return s;
    }
    if (!s.IsCorruption() || rep.file == 0) return s;
    // Prometheus' removeCorruptedMmappedChunks: drop the damaged file and all later ones
    // (their chunks are rebuilt from the WAL where it still has the samples), then scan
    // again from the start.
    VIGIL_LOG_ERROR("tsdb",
                    "head chunk file damaged; deleting it and every later file, the WAL "
                    "refills what it still holds",
                    "file={} offset={} reason={}", rep.file, rep.truncated_at,
                    LogQuote(rep.reason));
    if (corrupted_files != nullptr) ++*corrupted_files;
    VIGIL_RETURN_IF_ERROR(files_->DeleteFrom(rep.file));
    reset();
  }
}

Result<uint64_t> DiskChunkStore::Write(uint64_t series_ref, int64_t mint, int64_t maxt,
                                       std::string_view bytes) {
  if (!has_waiting_.load(std::memory_order_acquire)) {
    Result<uint64_t> ref =
        files_->WriteChunk(series_ref, mint, maxt, chunkenc::Encoding::kXor, bytes);
    if (ref.has_value()) {
      NoteFile(*ref);
      return ref;
    }
  }
  MutexLock l(&mem_mu_);
  Status err;
  if (DrainLocked()) {
    Result<uint64_t> ref =
        files_->WriteChunk(series_ref, mint, maxt, chunkenc::Encoding::kXor, bytes);
    if (ref.has_value()) {
      NoteFile(*ref);
      return ref;
    }
    err = ref.error();
  }
  if (waiting_.empty()) {
    VIGIL_LOG_ERROR("tsdb", "Writing head chunks failed; keeping them in memory until it works",
                    "err={}", LogQuote(err.ToString()));
  }
  const uint64_t ref = kMemoryRefBit | next_mem_++;
  mem_.emplace(
      ref, std::make_shared<const MemChunk>(MemChunk{series_ref, mint, maxt, std::string(bytes)}));
  mem_bytes_ += bytes.size() + sizeof(MemChunk) + 64;
  waiting_.push_back(ref);
  has_waiting_.store(true, std::memory_order_release);
  return ref;
}

bool DiskChunkStore::DrainLocked() {
  size_t written = 0;
  while (!waiting_.empty()) {
    auto it = mem_.find(waiting_.front());
    if (it != mem_.end()) {
      const MemChunk& c = *it->second;
      Result<uint64_t> ref =
          files_->WriteChunk(c.series_ref, c.mint, c.maxt, chunkenc::Encoding::kXor, c.bytes);
      if (!ref.has_value()) return false;
      NoteFile(*ref);  // the memory copy serves reads until Truncate frees it
      ++written;
    }
    waiting_.pop_front();
  }
  has_waiting_.store(false, std::memory_order_release);
  if (written > 0) {
    VIGIL_LOG_INFO("tsdb", "Writing head chunks works again", "chunks_written={}", written);
  }
  return true;
}

size_t DiskChunkStore::MemoryBytes() const {
  MutexLock l(&mem_mu_);
  return write_buffer_bytes_ + mem_bytes_;
}

void DiskChunkStore::NoteFile(uint64_t ref) {
  MutexLock l(&mu_);
  file_refs_.emplace(chunks::HeadChunkFile(ref), ref);
}

void DiskChunkStore::ReleasePages() {
  std::map<uint32_t, uint64_t> refs;
  {
    MutexLock l(&mu_);
    refs = file_refs_;
  }
  for (const auto& [seq, ref] : refs) {
    Result<chunks::HeadChunk> c = files_->Chunk(ref);
    if (!c.has_value() || c->buffered) {
      if (!c.has_value() && c.error().IsNotFound()) {
        MutexLock l(&mu_);
        file_refs_.erase(seq);
      }
      continue;
    }
    // Page-aligned (the start of an mmap); MADV_DONTNEED on a shared file mapping only
    // unmaps pages from this process, the page cache keeps them.
    ::madvise(const_cast<char*>(c->mapping->data()), c->mapping->size(), MADV_DONTNEED);
  }
}

Result<ChunkMeta> DiskChunkStore::Read(uint64_t ref) const {
  if ((ref & kMemoryRefBit) != 0) {
    MutexLock l(&mem_mu_);
    auto it = mem_.find(ref);
    if (it == mem_.end()) return Status::NotFound("head chunk ref out of range");
    return ChunkMeta{it->second->mint, it->second->maxt, it->second->bytes, it->second};
  }
  VIGIL_ASSIGN_OR_RETURN(chunks::HeadChunk c, files_->Chunk(ref));
  if (c.view.encoding != chunkenc::Encoding::kXor || c.out_of_order) {
    return Status::Corruption("head chunk " + std::to_string(ref) + ": unsupported encoding " +
                              std::string(chunkenc::EncodingName(c.view.encoding)));
  }
  ChunkMeta m;
  m.mint = c.mint;
  m.maxt = c.maxt;
  m.bytes = c.view.data;
  m.hold = std::move(c.mapping);
  return m;
}

Result<std::pair<int64_t, int64_t>> DiskChunkStore::Times(uint64_t ref) const {
  VIGIL_ASSIGN_OR_RETURN(ChunkMeta m, Read(ref));
  return std::make_pair(m.mint, m.maxt);
}

Status DiskChunkStore::Truncate(int64_t mint) {
  {
    MutexLock l(&mem_mu_);
    for (auto it = mem_.begin(); it != mem_.end();) {
      if (it->second->maxt < mint) {
        mem_bytes_ -= it->second->bytes.size() + sizeof(MemChunk) + 64;
        it = mem_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return files_->Truncate(mint);
}

uint64_t DiskChunkStore::WriteMark() const {
  std::vector<uint32_t> f = files_->Files();
  return f.empty() ? 0 : f.back();
}

bool DiskChunkStore::Released(uint64_t mark) const {
  std::vector<uint32_t> f = files_->Files();
  return f.empty() || f.front() > mark;
}

Status DiskChunkStore::Sync() { return files_->Sync(); }

Status DiskChunkStore::Close() { return files_->Close(); }

}  // namespace vigil::tsdb
