// Head::Truncate: drops data below mint, removes dead series, checkpoints the WAL and
// deletes old head chunk files (Prometheus' Head.Truncate: truncateMemory + truncateWAL).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/logging.h"
#include "tsdb/head/disk_chunk_store.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_wal.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/format.h"

namespace vigil::tsdb {

Result<HeadTruncateStats> Head::Truncate(int64_t mint) {
  MutexLock tl(&truncate_mu_);
  HeadTruncateStats stats;
  // 1. From now on nothing below mint is accepted or returned.
  int64_t cur = min_valid_time_.load(std::memory_order_relaxed);
  while (mint > cur && !min_valid_time_.compare_exchange_weak(cur, mint)) {
  }
  // Appenders created from here on get a newer epoch: ids removed below are reused only
  // once every appender of an epoch <= `epoch` is gone (one of them may still hold one).
  const uint64_t epoch = gc_epoch_.fetch_add(1, std::memory_order_acq_rel) + 1;

  // 2. Chunks: drop full chunks ending before mint (oldest first) and open chunks whose
  //    newest sample is older than mint (then every full chunk goes too).
  std::vector<uint64_t> refs;
  std::vector<uint32_t> dead;
  int64_t new_mint = INT64_MAX;
  uint64_t removed_chunks = 0;
  const uint32_t n = next_id_.load(std::memory_order_acquire);
  for (uint32_t id = 1; id < n; ++id) {
    MutexLock l(&StripeOf(id));
    SeriesState& s = states_[id];
    if (s.labels == 0) continue;
    const bool open_old = s.cell != 0 && s.xor_state.t < mint;
    size_t kept_refs = 0;
    if (s.mmapped != 0) {
      MmappedRefsLocked(s, &refs);
      size_t drop = 0;
      if (open_old) {
        drop = refs.size();
      } else {
        while (drop < refs.size()) {
          Result<std::pair<int64_t, int64_t>> times = chunks_->Times(refs[drop]);
          if (!times.has_value()) {
            if (times.error().IsNotFound()) {
              ++drop;  // its storage is gone already
              continue;
            }
            // Damaged: keep it (queries report it) rather than guess its time range.
            new_mint = std::min(new_mint, mint);
            break;
          }
          if (times->second >= mint) {
            new_mint = std::min(new_mint, times->first);
            break;
          }
          ++drop;
        }
      }
      if (drop > 0) {
        // Rebuild the ref list from the survivors (rare: once per chunk lifetime).
        FreeRefListLocked(id, s);
        for (size_t i = drop; i < refs.size(); ++i) AddMmappedRefLocked(id, s, refs[i]);
        removed_chunks += drop;
      }
      kept_refs = refs.size() - drop;
    }
    if (open_old) {
      const uint32_t old = s.cell;
      s.cell = 0;
      slab_.Free(old, id);
      ++removed_chunks;
    } else if (s.cell != 0 && kept_refs == 0) {
      new_mint = std::min(new_mint, ChunkMintLocked(s));
    }
    if (s.cell == 0 && s.mmapped == 0 && (s.next_at & kFlagPending) == 0) dead.push_back(id);
  }

  // 3. Remove series left without chunks (re-checked under both locks: an appender may
  //    have picked one up meanwhile).
  std::vector<uint32_t> removed;
  if (!dead.empty()) {
    WriterLock il(&index_mu_);
    for (uint32_t id : dead) {
      MutexLock l(&StripeOf(id));
      SeriesState& s = states_[id];
      if (s.labels == 0 || s.cell != 0 || s.mmapped != 0 || (s.next_at & kFlagPending) != 0) {
        continue;
      }
      RemoveSeriesLocked(id, s);
      removed.push_back(id);
    }
    if (!wal_remap_.empty()) {
      for (auto it = wal_remap_.begin(); it != wal_remap_.end();) {
        it = Live(it->second) ? std::next(it) : wal_remap_.erase(it);
      }
    }
  }
  gc_epoch_.fetch_add(1, std::memory_order_acq_rel);
  // Tombstones: those of removed series go (their ids will be reused), and so do intervals
  // ending before mint (Prometheus' DeleteTombstones + TruncateBefore). Delete() cannot run
  // meanwhile (truncate_mu_). min_valid_time_ was raised above, before this: readers take
  // the intervals first and then the truncation point, so they never return a sample whose
  // interval is dropped here.
  if (std::shared_ptr<const TombstoneMap> cur = TombstonesSnapshot()) {
    auto next = std::make_shared<TombstoneMap>();
    for (const auto& [id, ivs] : *cur) {
      if (!Live(id)) continue;
      chunks::Intervals kept;
      for (const chunks::Interval& iv : ivs) {
        if (iv.maxt >= mint) kept.push_back(iv);
      }
      if (!kept.empty()) next->emplace(id, std::move(kept));
    }
    SetTombstones(std::move(next));
  }
  stats.chunks_removed = removed_chunks;
  stats.series_removed = removed.size();
  c_.chunks_removed.fetch_add(removed_chunks, std::memory_order_relaxed);

  // Head time range: what is left (Prometheus: max(mint, actual mint)).
  int64_t want = new_mint == INT64_MAX ? mint : std::max(mint, new_mint);
  int64_t hm = mint_.load(std::memory_order_relaxed);
  while (hm < want && !mint_.compare_exchange_weak(hm, want)) {
  }

  // 4. Disk. The WAL segment written now is the newest that can name a removed series.
  Status st;
  int wal_segment = -1;
  if (persistent_) {
    st = WithWalExclusive([&](HeadWal* w) {
      wal_segment = w->Segment();
      return Status::OK();
    });
    if (!st.ok()) wal_segment = INT32_MAX;  // unknown: not reusable until a later truncation
  }
  {
    const uint64_t mark = chunks_->WriteMark();
    WriterLock il(&index_mu_);
    for (uint32_t id : removed) limbo_.push_back(LimboId{id, wal_segment, epoch, mark});
  }
  if (st.ok()) st = chunks_->Truncate(mint);
  if (disk_chunks_ != nullptr) disk_chunks_->ReleasePages();  // read by Times() above
  if (st.ok() && persistent_) st = TruncateWal(mint, &stats);
  {
    WriterLock il(&index_mu_);
    PromoteLimbo();
  }
  c_.truncations.fetch_add(1, std::memory_order_relaxed);
  if (!st.ok()) {
    c_.truncations_failed.fetch_add(1, std::memory_order_relaxed);
    VIGIL_LOG_ERROR("tsdb", "head truncation: on-disk part failed (retried next time)",
                    "mint={} err={}", mint, LogQuote(st.ToString()));
    return st.WithPrefix("head truncation");
  }
  VIGIL_LOG_INFO("tsdb", "head truncated", "mint={} chunks_removed={} series_removed={}", mint,
                 stats.chunks_removed, stats.series_removed);
  return stats;
}

Status Head::TruncateWal(int64_t mint, HeadTruncateStats* stats) {
  // Finish the segment being written so that it can be checkpointed too (Prometheus does
  // the same so that a quiet head does not keep more WAL than needed).
  int cur = -1;
  VIGIL_RETURN_IF_ERROR(WithWalExclusive([&](HeadWal* w) -> Status {
    VIGIL_ASSIGN_OR_RETURN(cur, w->NextSegment());
    return Status::OK();
  }));
  // Segments at or below the last checkpoint are in it already (a crash between writing a
  // checkpoint and deleting its segments leaves them): delete them first.
  Result<wal::CheckpointRef> last_cp = wal::LastCheckpoint(fs_, wal_dir_);
  if (!last_cp.has_value() && !last_cp.error().IsNotFound()) return last_cp.error();
  VIGIL_ASSIGN_OR_RETURN(std::vector<int> segs, wal::ListSegments(fs_, wal_dir_));
  if (last_cp.has_value()) {
    while (!segs.empty() && segs.front() <= last_cp->index && segs.front() < cur) {
      VIGIL_RETURN_IF_ERROR(fs_->RemoveFile(wal::SegmentPath(wal_dir_, segs.front())));
      segs.erase(segs.begin());
    }
  }
  if (segs.empty()) return Status::OK();
  wal_first_segment_.store(segs.front(), std::memory_order_relaxed);
  // Checkpoint the oldest segments whose samples are all older than mint: their Series
  // records of live series move into the checkpoint, everything else goes. (Prometheus
  // checkpoints the older two thirds of the segments instead; knowing each segment's
  // newest sample lets Vigil take exactly the ones that hold only truncated data.)
  int to = -1;
  {
    std::lock_guard<std::mutex> l(wal_mu_);
    for (int s : segs) {
      if (s >= cur) break;
      auto it = seg_maxt_.find(s);
      if (it != seg_maxt_.end() && it->second >= mint) break;
      to = s;
    }
  }
  if (to < segs.front()) return Status::OK();
  auto keep = [this](uint64_t ref) {
    ReaderLock l(&index_mu_);
    return ResolveWalRef(ref) != 0;
  };
  wal::CheckpointOptions co;
  co.fs = fs_;
  co.compression = opts_.wal_compression ? wal::Compression::kSnappy : wal::Compression::kNone;
  co.delete_old = true;
  Result<wal::CheckpointStats> cs = wal::Checkpoint(wal_dir_, segs.front(), to, keep, mint, co);
  if (!cs.has_value()) {
    c_.checkpoints_failed.fetch_add(1, std::memory_order_relaxed);
    return cs.error();
  }
  c_.checkpoints.fetch_add(1, std::memory_order_relaxed);
  stats->checkpoint = cs->index;
  stats->checkpoint_series = cs->total_series - cs->dropped_series;
  stats->checkpoint_samples = cs->total_samples - cs->dropped_samples;
  stats->checkpoint_dropped_samples = cs->dropped_samples;
  {
    std::lock_guard<std::mutex> l(wal_mu_);
    seg_maxt_.erase(seg_maxt_.begin(), seg_maxt_.upper_bound(to));
  }
  wal_first_segment_.store(to + 1, std::memory_order_relaxed);
  return Status::OK();
}

void Head::PromoteLimbo() {
  if (limbo_.empty()) return;
  const uint64_t min_epoch = MinLiveAppenderEpoch();
  const int first_segment = wal_first_segment_.load(std::memory_order_relaxed);
  uint64_t released_mark = 0;  // marks <= this are known released
  bool any_released = false;
  size_t kept = 0;
  for (const LimboId& e : limbo_) {
    bool ok = e.epoch < min_epoch && e.wal_segment < first_segment;
    if (ok && !(any_released && e.chunk_mark <= released_mark)) {
      ok = chunks_->Released(e.chunk_mark);
      if (ok) {
        released_mark = std::max(released_mark, e.chunk_mark);
        any_released = true;
      }
    }
    if (ok) {
      free_ids_.push_back(e.id);
    } else {
      limbo_[kept++] = e;
    }
  }
  limbo_.resize(kept);
}

}  // namespace vigil::tsdb
