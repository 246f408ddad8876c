// Head::Open / Close: options, directories, and the startup sequence (head_replay.cc).
#include <fmt/format.h>

#include "base/logging.h"
#include "tsdb/head/disk_chunk_store.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_wal.h"
#include "tsdb/wal/format.h"

namespace vigil::tsdb {

Result<std::unique_ptr<Head>> Head::Open(HeadOptions opts) {
  if (opts.chunk_range_ms <= 0 || opts.chunk_range_ms > int64_t(kNextAtMask)) {
    return Status::InvalidArgument(
        fmt::format("chunk range must be in (0, {}] ms", int64_t(kNextAtMask)));
  }
  if (opts.samples_per_chunk < 4 || opts.samples_per_chunk > 30000) {
    return Status::InvalidArgument("samples per chunk must be in [4, 30000]");
  }
  if (opts.wal_segment_bytes % wal::kPageSize != 0) {
    return Status::InvalidArgument(
        fmt::format("WAL segment size must be a multiple of {} bytes", wal::kPageSize));
  }
  std::unique_ptr<Head> head(new Head(std::move(opts)));
  VIGIL_RETURN_IF_ERROR(head->Init());
  return head;
}

Status Head::Init() {
  min_valid_time_.store(opts_.min_valid_time, std::memory_order_relaxed);
  if (opts_.dir.empty()) {
    chunks_ = std::make_unique<MemoryChunkStore>();
    return Status::OK();
  }
  persistent_ = true;
  fs_ = opts_.fs != nullptr ? opts_.fs : fs::DefaultFileSystem();
  wal_dir_ = fs::JoinPath(opts_.dir, "wal");
  VIGIL_RETURN_IF_ERROR(fs_->CreateDirs(wal_dir_));
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<DiskChunkStore> store,
                         DiskChunkStore::Open(fs::JoinPath(opts_.dir, "chunks_head"), fs_,
                                              opts_.chunk_write_buffer_bytes));
  disk_chunks_ = store.get();
  chunks_ = std::move(store);

  const int64_t start_ns = clock_->MonotonicNs();
  VIGIL_RETURN_IF_ERROR(LoadChunks());
  VIGIL_RETURN_IF_ERROR(ReplayWal());
  FinishReplay();
  disk_chunks_->ReleasePages();
  // The writer starts a new segment after the replayed ones, as Prometheus does.
  VIGIL_RETURN_IF_ERROR(ReopenWal());
  wal_buffer_bytes_.store(wal_->BufferBytes(), std::memory_order_relaxed);
  const int64_t ms = (clock_->MonotonicNs() - start_ns) / 1000000;
  c_.replay_duration_ms.store(ms, std::memory_order_relaxed);
  VIGIL_LOG_INFO("tsdb", "head opened", "dir={} series={} samples={} mmapped_chunks={} ms={}",
                 opts_.dir, NumSeries(), c_.replay_samples.load(), c_.replay_mmapped_chunks.load(),
                 ms);
  return Status::OK();
}

Status Head::Close() {
  if (!persistent_) return Status::OK();
  Status s;
  {
    std::unique_lock<std::mutex> lock(wal_mu_);
    wal_cv_.wait(lock, [&] { return !wal_writing_; });
    if (wal_closed_) return Status::OK();
    wal_closed_ = true;
    if (wal_ != nullptr) {
      s = wal_->Close();
      wal_.reset();
    }
  }
  // Every open chunk goes to chunks_head/ before it closes: the next start attaches them
  // and only decodes the WAL samples they cover, instead of appending each again (a
  // restart with 1M series and 100M samples in open chunks spends most of its time
  // there). The WAL is closed already and still has the samples should a write fail.
  const uint32_t end =
      opts_.write_open_chunks_on_close ? next_id_.load(std::memory_order_acquire) : 0;
  for (uint32_t id = 1; id < end; ++id) {
    MutexLock l(&StripeOf(id));
    SeriesState& st = State(id);
    if (st.labels != 0 && st.cell != 0) CutChunkLocked(id, st);
  }
  Status c = chunks_->Close();
  return s.ok() ? c : s;
}

}  // namespace vigil::tsdb
