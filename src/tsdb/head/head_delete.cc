// Head::Delete and the head's tombstones (see head.h): deleted intervals per series id,
// logged to the WAL as Prometheus Tombstones records (type 3, BE64 ref · varint mint ·
// varint maxt per entry, docs/format/wal.md).
#include <algorithm>

#include "base/logging.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_wal.h"
#include "tsdb/wal/records.h"

namespace vigil::tsdb {

std::shared_ptr<const Head::TombstoneMap> Head::TombstonesSnapshot() const {
  if (!has_tombstones_.load(std::memory_order_acquire)) return nullptr;
  MutexLock l(&tombstones_mu_);
  return tombstones_;
}

void Head::SetTombstones(std::shared_ptr<const TombstoneMap> next) {
  if (next != nullptr && next->empty()) next.reset();
  MutexLock l(&tombstones_mu_);
  tombstones_ = std::move(next);
  has_tombstones_.store(tombstones_ != nullptr, std::memory_order_release);
}

uint64_t Head::NumTombstones() const {
  std::shared_ptr<const TombstoneMap> t = TombstonesSnapshot();
  uint64_t n = 0;
  if (t != nullptr) {
    for (const auto& [id, ivs] : *t) n += ivs.size();
  }
  return n;
}

Status Head::Delete(int64_t mint, int64_t maxt, const std::vector<Matcher>& matchers) {
  if (mint > maxt) return Status::OK();
  // No series is removed (nor its id reused) while its tombstone is chosen and logged.
  MutexLock tl(&truncate_mu_);
  std::vector<uint32_t> ids;
  {
    ReaderLock l(&index_mu_);
    Bitmap bm = postings_.Select(matchers);
    ids.resize(roaring_bitmap_get_cardinality(bm.get()));
    roaring_bitmap_to_uint32_array(bm.get(), ids.data());
  }
  struct Stone {
    uint32_t id;
    uint32_t handle;
    bool logged;
    chunks::Interval iv;
  };
  std::vector<Stone> stones;
  std::vector<uint64_t> refs;
  for (uint32_t id : ids) {
    MutexLock l(&StripeOf(id));
    const SeriesState& s = states_[id];
    if (s.labels == 0 || (s.next_at & kFlagHasSample) == 0) continue;
    // The series' data: first chunk's mint .. last sample. Delete only up to it, not
    // beyond (as Prometheus), so later samples are not hidden.
    int64_t smin;
    if (s.mmapped != 0) {
      MmappedRefsLocked(s, &refs);
      Result<std::pair<int64_t, int64_t>> times = chunks_->Times(refs.front());
      smin = times.has_value() ? times->first : INT64_MIN;
    } else if (s.cell != 0) {
      smin = ChunkMintLocked(s);
    } else {
      continue;  // no chunk left: nothing to delete
    }
    const int64_t smax = s.xor_state.t;
    const int64_t t0 = std::max(mint, smin), t1 = std::min(maxt, smax);
    if (t0 > t1) continue;
    stones.push_back(
        Stone{id, s.labels, (s.next_at & kFlagWalLogged) != 0, chunks::Interval{t0, t1}});
  }
  if (stones.empty()) return Status::OK();

  if (persistent_) {
    std::vector<std::string> records;
    std::string series(1, char(wal::RecordType::kSeries));
    {
      // A series replayed under another WAL ref has no Series record under its id yet.
      ReaderLock l(&index_mu_);
      for (const Stone& st : stones) {
        if (st.logged || LabelsHandle(st.id) != st.handle) continue;
        wal::AppendSeriesEntry(st.id, LabelsOf(st.id), &series);
      }
    }
    if (series.size() > 1) records.push_back(std::move(series));
    std::vector<wal::RefTombstone> entries;
    entries.reserve(stones.size());
    for (const Stone& st : stones) entries.push_back({st.id, st.iv.mint, st.iv.maxt});
    std::string rec;
    wal::EncodeTombstones(entries, &rec);
    records.push_back(std::move(rec));
    VIGIL_RETURN_IF_ERROR(WriteWal(&records, INT64_MIN).WithPrefix("delete: WAL write"));
    for (const Stone& st : stones) {
      if (st.logged) continue;
      MutexLock l(&StripeOf(st.id));
      SeriesState& s = states_[st.id];
      if (s.labels == st.handle) s.next_at |= kFlagWalLogged;
    }
  }
  std::shared_ptr<const TombstoneMap> cur = TombstonesSnapshot();
  auto next =
      cur != nullptr ? std::make_shared<TombstoneMap>(*cur) : std::make_shared<TombstoneMap>();
  for (const Stone& st : stones) chunks::AddInterval(&(*next)[st.id], st.iv);
  SetTombstones(std::move(next));
  VIGIL_LOG_INFO("tsdb", "head: series deleted", "mint={} maxt={} series={}", mint, maxt,
                 stones.size());
  return Status::OK();
}

}  // namespace vigil::tsdb
