// Startup: head chunk files scan and WAL replay, straight into the head's own structures.
//
// Order (as Prometheus' Head.Init): scan chunks_head/ and attach every chunk to the slot of
// its series ref (the slot remembers the chunk's maxt as its last sample time), then
// replay the newest checkpoint and the segments after it. A Series record makes the slot
// a live series (keeping attached chunks); a Samples record appends to the open chunk of
// each series, skipping samples that attached chunks already cover. No intermediate
// per-series maps: the only replay-time structure is the (normally empty) map of WAL refs
// that name another id. Replay applies records on one thread and runs before the head is
// shared, so it appends without stripe locks; a read-ahead thread (wal::ReadAhead) reads
// and decompresses the next records meanwhile.
//
// Damage (following Prometheus, docs in README.md):
//  * a damaged chunk file other than the last: it and every later file are deleted and
//    the scan restarts; a torn tail of the last file is cut off;
//  * a damaged WAL segment record: replay stops there; the damaged segment is cut at the
//    damaged record and later segments are deleted (Prometheus' wlog.Repair), counted in
//    wal_corruptions; a torn tail of the last segment is the same cut;
//  * a damaged checkpoint: what was read of it is kept, the rest is lost, replay goes on
//    with the segments (Prometheus would misapply its segment repair here);
//  * an undecodable record behind a valid checksum: skipped and counted.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/coding.h"
#include "base/logging.h"
#include "tsdb/head/disk_chunk_store.h"
#include "tsdb/head/head.h"
#include "tsdb/wal/checkpoint.h"
#include "tsdb/wal/read_ahead.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/records.h"

namespace vigil::tsdb {
namespace {

inline bool ReadUvarint(const char*& p, const char* end, uint64_t* v) {
  if (p < end && uint8_t(*p) < 0x80) [[likely]] {
    *v = uint8_t(*p++);
    return true;
  }
  uint64_t r = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    const uint8_t b = uint8_t(*p++);
    r |= uint64_t(b & 0x7f) << shift;
    if (b < 0x80) {
      *v = r;
      return true;
    }
  }
  return false;
}

inline bool ReadVarint(const char*& p, const char* end, int64_t* v) {
  uint64_t u;
  if (!ReadUvarint(p, end, &u)) return false;
  *v = int64_t(u >> 1) ^ -int64_t(u & 1);
  return true;
}

}  // namespace

Status Head::LoadChunks() {
  uint64_t attached = 0, dropped = 0;
  int64_t mint = INT64_MAX, maxt = INT64_MIN;
  auto attach = [&](const chunks::HeadChunkMeta& m) -> Status {
    if (m.series_ref == 0 || m.series_ref > kMaxSeriesId ||
        m.encoding != chunkenc::Encoding::kXor || m.out_of_order || m.maxt < opts_.min_valid_time ||
        m.mint > m.maxt) {
      ++dropped;
      return Status::OK();
    }
    const uint32_t id = uint32_t(m.series_ref);
    states_.EnsureSize(size_t(id) + 1);
    SeriesState& s = states_[id];
    if ((s.next_at & kFlagHasSample) != 0 && m.mint <= s.xor_state.t) {
      // Chunks of a series must follow each other in time (Prometheus calls this an
      // out-of-sequence m-mapped chunk); keep the earlier ones, the WAL refills the rest.
      ++dropped;
      return Status::OK();
    }
    AddMmappedRefLocked(id, s, m.ref);
    s.xor_state.t = m.maxt;  // replay skips samples at or before it
    s.next_at |= kFlagHasSample;
    if (id >= next_id_.load(std::memory_order_relaxed)) {
      next_id_.store(id + 1, std::memory_order_relaxed);
    }
    ++attached;
    mint = std::min(mint, m.mint);
    maxt = std::max(maxt, m.maxt);
    return Status::OK();
  };
  auto reset = [&] {
    const uint32_t n = next_id_.load(std::memory_order_relaxed);
    for (uint32_t id = 1; id < n; ++id) {
      SeriesState& s = states_[id];
      FreeCellsLocked(id, s);
      std::memset(static_cast<void*>(&s), 0, sizeof(s));
    }
    next_id_.store(1, std::memory_order_relaxed);
    attached = dropped = 0;
    mint = INT64_MAX;
    maxt = INT64_MIN;
  };
  chunks::HeadChunkScanReport report;
  uint64_t corrupted = 0;
  VIGIL_RETURN_IF_ERROR(disk_chunks_->Scan(attach, reset, &report, &corrupted));
  if (report.repaired) {
    VIGIL_LOG_WARN("tsdb", "cut a torn tail off the last head chunk file", "file={} dropped={}",
                   report.file, report.dropped_bytes);
  }
  if (attached > 0) UpdateMinMax(mint, maxt);
  c_.mmap_chunk_corruptions.fetch_add(corrupted, std::memory_order_relaxed);
  c_.replay_mmapped_chunks.fetch_add(attached, std::memory_order_relaxed);
  c_.replay_dropped_chunks.fetch_add(dropped, std::memory_order_relaxed);
  return Status::OK();
}

Status Head::ReplayWal() {
  int cp_index = -1;
  Result<wal::CheckpointRef> cp = wal::LastCheckpoint(fs_, wal_dir_);
  if (cp.has_value()) {
    cp_index = cp->index;
    VIGIL_RETURN_IF_ERROR(ReplayRecords(cp->path, -1, -1, /*checkpoint=*/true));
  } else if (!cp.error().IsNotFound()) {
    return cp.error();
  }
  VIGIL_ASSIGN_OR_RETURN(std::vector<int> segs, wal::ListSegments(fs_, wal_dir_));
  if (!segs.empty() && cp_index >= 0 && segs.front() > cp_index + 1) {
    VIGIL_LOG_WARN("tsdb", "WAL segments after the checkpoint are missing",
                   "checkpoint={} first={}", cp_index, segs.front());
  }
  wal_first_segment_.store(segs.empty() ? 0 : segs.front(), std::memory_order_relaxed);
  return ReplayRecords(wal_dir_, cp_index + 1, -1, /*checkpoint=*/false);
}

Status Head::ReplayRecords(const std::string& dir, int first, int last, bool checkpoint) {
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<wal::Reader> reader,
                         wal::Reader::Open(fs_, {wal::SegmentRange{dir, first, last}}));
  // Page reads, CRCs and snappy run on the read-ahead thread while this one applies.
  wal::ReadAhead r(std::move(reader));
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  uint64_t skipped = 0;
  while (r.Next()) {
    const std::string_view rec = r.Record();
    switch (wal::RecordTypeOf(rec)) {
      case wal::RecordType::kSeries:
        ReplaySeriesRecord(rec, &pairs);
        break;
      case wal::RecordType::kSamples:
        ReplaySamplesRecord(rec, checkpoint ? -1 : r.Segment());
        break;
      case wal::RecordType::kTombstones:
        ReplayTombstonesRecord(rec);
        break;
      default:
        // Exemplars, metadata, histograms, mmap markers: not kept by the head (yet).
        ++skipped;
        break;
    }
  }
  c_.replay_skipped_records.fetch_add(skipped, std::memory_order_relaxed);
  if (r.Err().ok()) return Status::OK();
  const wal::CorruptionInfo* c = r.corruption();
  if (c == nullptr) return r.Err();  // I/O error: fail the open
  c_.wal_corruptions.fetch_add(1, std::memory_order_relaxed);
  if (checkpoint) {
    VIGIL_LOG_ERROR("tsdb",
                    "WAL checkpoint damaged: records after the damage are lost; replay goes on "
                    "with the segments",
                    "err={}", LogQuote(r.Err().ToString()));
    return Status::OK();
  }
  if (c->torn_tail) {
    VIGIL_LOG_WARN("tsdb", "WAL ends in a torn record (crash during a write); cutting it off",
                   "err={}", LogQuote(r.Err().ToString()));
  } else {
    VIGIL_LOG_ERROR("tsdb",
                    "WAL damaged before its end: replay stops there; the damaged segment is cut "
                    "at the damaged record and later segments are deleted (as Prometheus' WAL "
                    "repair does)",
                    "err={}", LogQuote(r.Err().ToString()));
  }
  return wal::Repair(fs_, wal_dir_, *c);
}

void Head::ReplaySeriesRecord(std::string_view rec,
                              std::vector<std::pair<std::string_view, std::string_view>>* pairs) {
  const char* p = rec.data() + 1;
  const char* end = rec.data() + rec.size();
  uint64_t created = 0;
  // Parses one entry: ref, then the label pairs into *pairs; *canonical if they are sorted
  // with no empty name or value (then [entry, p) is exactly Labels' flat encoding).
  auto parse = [&](uint64_t* ref, const char** entry, bool* canonical) {
    if (end - p < 8) return false;
    *ref = DecodeBE64(p);
    p += 8;
    uint64_t n;
    if (!ReadUvarint(p, end, &n) || n > uint64_t(end - p) / 2) return false;
    *entry = p;
    pairs->clear();
    *canonical = true;
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view sv[2];
      for (auto& x : sv) {
        uint64_t len;
        if (!ReadUvarint(p, end, &len) || len > uint64_t(end - p)) return false;
        x = std::string_view(p, size_t(len));
        p += len;
      }
      if (sv[0].empty() || sv[1].empty() || (!pairs->empty() && sv[0] <= pairs->back().first)) {
        *canonical = false;
      }
      pairs->emplace_back(sv[0], sv[1]);
    }
    return true;
  };
  while (p < end) {
    uint64_t ref;
    const char* entry;
    bool canonical;
    if (!parse(&ref, &entry, &canonical)) {
      c_.wal_corruptions.fetch_add(1, std::memory_order_relaxed);
      VIGIL_LOG_ERROR("tsdb", "WAL replay: undecodable Series record, rest of it skipped",
                      "at_byte={}", p - rec.data());
      break;
    }
    // Prometheus writes label sets sorted, in exactly Labels' flat encoding: adopt the
    // bytes; anything else goes through FromPairs (sorts, drops empty values).
    Labels lset = canonical ? Labels::FromEncoded(std::string(entry, size_t(p - entry)))
                            : Labels::FromPairs(*pairs);
    if (lset.empty()) continue;
    const uint64_t hash = lset.Hash();
    WriterLock l(&index_mu_);
    if (uint32_t existing = FindLocked(lset, hash); existing != 0) {
      // The same label set under another ref (Prometheus' multiRef after restarts).
      if (existing != ref) {
        wal_remap_[ref] = existing;
      } else {
        wal_remap_.erase(ref);
      }
      continue;
    }
    const uint32_t next = next_id_.load(std::memory_order_relaxed);
    const bool own = ref >= 1 && ref <= kMaxSeriesId && (ref >= next || LabelsHandle(ref) == 0);
    const uint32_t id = own ? uint32_t(ref) : next;
    if (id > kMaxSeriesId) {
      VIGIL_LOG_ERROR("tsdb", "WAL replay: series ids exhausted; series dropped", "ref={}", ref);
      continue;
    }
    if (InsertLocked(id, lset, hash, &replay_label_base_, own ? kFlagWalLogged : 0) == 0) {
      VIGIL_LOG_WARN("tsdb", "WAL replay: label set too large; series dropped", "ref={}", ref);
      continue;
    }
    if (id >= next) next_id_.store(id + 1, std::memory_order_relaxed);
    if (own) {
      wal_remap_.erase(ref);
    } else {
      // A ref beyond the id space or already naming another label set: later samples with
      // this ref belong to the newest owner. Not "logged": the next commit writes a Series
      // record under the new id.
      wal_remap_[ref] = id;
    }
    ++created;
  }
  c_.replay_series.fetch_add(created, std::memory_order_relaxed);
}

uint32_t Head::ResolveWalRef(uint64_t ref) const {
  if (!wal_remap_.empty()) {
    if (auto it = wal_remap_.find(ref); it != wal_remap_.end()) {
      return Live(it->second) ? it->second : 0;
    }
  }
  if (ref == 0 || ref > kMaxSeriesId) return 0;
  return Live(uint32_t(ref)) ? uint32_t(ref) : 0;
}

void Head::ReplaySamplesRecord(std::string_view rec, int segment) {
  const char* p = rec.data() + 1;
  const char* end = rec.data() + rec.size();
  if (p == end) return;
  if (end - p < 16) {
    c_.wal_corruptions.fetch_add(1, std::memory_order_relaxed);
    VIGIL_LOG_ERROR("tsdb", "WAL replay: undecodable Samples record skipped", "segment={}",
                    segment);
    return;
  }
  const uint64_t base_ref = DecodeBE64(p);
  const uint64_t base_t = DecodeBE64(p + 8);
  p += 16;
  const int64_t min_valid = opts_.min_valid_time;
  const uint32_t next = next_id_.load(std::memory_order_relaxed);
  uint64_t appended = 0, unknown = 0, skipped = 0;
  int64_t mint = INT64_MAX, maxt = INT64_MIN, rec_maxt = INT64_MIN;
  bool bad = false;
  {
    ReaderLock l(&index_mu_);  // for wal_remap_; nothing else runs during replay
    const bool remap = !wal_remap_.empty();
    // Samples are decoded a batch at a time while their series states are prefetched; the
    // append loop then prefetches the chunk tails a few samples ahead. A series' open
    // chunk is the one cache miss replay cannot avoid; this overlaps them.
    constexpr int kBatch = 128;
    constexpr int kAhead = 16;
    struct Decoded {
      uint32_t id;
      int64_t t;
      uint64_t bits;
    };
    Decoded batch[kBatch];
    auto prefetch_chunk = [&](uint32_t id) {
      const SeriesState& a = states_[id];
      if (a.cell != 0) __builtin_prefetch(slab_.Data(a.cell) + a.xor_state.bit_len / 8, 1);
    };
    while (p < end && !bad) {
      int nb = 0;
      while (nb < kBatch && p < end) {
        int64_t dref, dt;
        if (!ReadVarint(p, end, &dref) || !ReadVarint(p, end, &dt) || end - p < 8) {
          bad = true;
          break;
        }
        const uint64_t bits = DecodeBE64(p);
        p += 8;
        const uint64_t ref = base_ref + uint64_t(dref);
        const int64_t t = int64_t(base_t + uint64_t(dt));
        rec_maxt = std::max(rec_maxt, t);
        uint32_t id;
        if (remap) {
          id = ResolveWalRef(ref);
        } else {
          id = ref != 0 && ref < next ? uint32_t(ref) : 0;  // liveness checked below
        }
        if (id == 0) {
          ++unknown;
          continue;
        }
        __builtin_prefetch(&states_[id], 1);
        batch[nb++] = Decoded{id, t, bits};
      }
      for (int i = 0; i < std::min(nb, kAhead); ++i) prefetch_chunk(batch[i].id);
      for (int i = 0; i < nb; ++i) {
        if (i + kAhead < nb) prefetch_chunk(batch[i + kAhead].id);
        const Decoded& d = batch[i];
        SeriesState& s = states_[d.id];
        if (s.labels == 0) {
          ++unknown;
          continue;
        }
        // Too old, or at or before the newest sample (or attached chunk): duplicate, out
        // of order, or already in a chunk file.
        if (d.t < min_valid || ((s.next_at & kFlagHasSample) != 0 && d.t <= s.xor_state.t)) {
          ++skipped;
          continue;
        }
        AppendLocked(d.id, s, d.t, std::bit_cast<double>(d.bits));
        ++appended;
        mint = std::min(mint, d.t);
        maxt = std::max(maxt, d.t);
      }
    }
  }
  if (segment >= 0) {
    std::lock_guard<std::mutex> l(wal_mu_);
    auto [it, inserted] = seg_maxt_.emplace(segment, rec_maxt);
    if (!inserted) it->second = std::max(it->second, rec_maxt);
  }
  if (appended > 0) UpdateMinMax(mint, maxt);
  c_.replay_samples.fetch_add(appended, std::memory_order_relaxed);
  if (unknown) c_.replay_unknown_refs.fetch_add(unknown, std::memory_order_relaxed);
  if (skipped) c_.replay_samples_skipped.fetch_add(skipped, std::memory_order_relaxed);
  if (bad) {
    c_.wal_corruptions.fetch_add(1, std::memory_order_relaxed);
    VIGIL_LOG_ERROR("tsdb", "WAL replay: undecodable Samples record, rest of it skipped",
                    "segment={}", segment);
  }
}

void Head::ReplayTombstonesRecord(std::string_view rec) {
  std::vector<wal::RefTombstone> stones;
  if (Status s = wal::DecodeTombstones(rec, &stones); !s.ok()) {
    c_.wal_corruptions.fetch_add(1, std::memory_order_relaxed);
    VIGIL_LOG_ERROR("tsdb", "WAL replay: undecodable Tombstones record skipped", "err={}",
                    LogQuote(s.ToString()));
    return;
  }
  uint64_t restored = 0, unknown = 0;
  ReaderLock l(&index_mu_);
  for (const wal::RefTombstone& t : stones) {
    // As Prometheus: intervals entirely before the head's valid range are not needed.
    if (t.maxt < opts_.min_valid_time || t.mint > t.maxt) continue;
    const uint32_t id = ResolveWalRef(t.ref);
    if (id == 0) {
      ++unknown;
      continue;
    }
    chunks::AddInterval(&replay_tombstones_[id], chunks::Interval{t.mint, t.maxt});
    ++restored;
  }
  c_.replay_tombstones.fetch_add(restored, std::memory_order_relaxed);
  if (unknown) c_.replay_unknown_refs.fetch_add(unknown, std::memory_order_relaxed);
}

void Head::FinishReplay() {
  if (!replay_tombstones_.empty()) {
    std::erase_if(replay_tombstones_, [&](const auto& e) { return !Live(e.first); });
    SetTombstones(std::make_shared<TombstoneMap>(std::move(replay_tombstones_)));
    replay_tombstones_ = TombstoneMap();
  }
  WriterLock l(&index_mu_);
  const uint64_t mark = chunks_->WriteMark();
  const uint32_t n = next_id_.load(std::memory_order_relaxed);
  uint64_t orphan_chunks = 0;
  std::vector<uint64_t> refs;
  // Descending, so that free_ids_.back() (the next reused id) is the lowest.
  for (uint32_t id = n; id-- > 1;) {
    SeriesState& s = states_[id];
    if (s.labels != 0) continue;
    if (s.mmapped != 0 || s.cell != 0) {
      // Chunks of a series the WAL no longer names (removed before a checkpoint): drop
      // them, and reuse the id only once their files are gone.
      MmappedRefsLocked(s, &refs);
      orphan_chunks += refs.size();
      FreeCellsLocked(id, s);
      std::memset(static_cast<void*>(&s), 0, sizeof(s));
      limbo_.push_back(LimboId{id, -1, 0, mark});
    } else {
      std::memset(static_cast<void*>(&s), 0, sizeof(s));
      free_ids_.push_back(id);
    }
  }
  c_.replay_dropped_chunks.fetch_add(orphan_chunks, std::memory_order_relaxed);
  c_.replay_mmapped_chunks.fetch_sub(orphan_chunks, std::memory_order_relaxed);
  if (!free_ids_.empty() || !limbo_.empty()) {
    VIGIL_LOG_INFO("tsdb", "replay: unused series ids", "free={} waiting={} orphan_chunks={}",
                   free_ids_.size(), limbo_.size(), orphan_chunks);
  }
  postings_.RunOptimize();
  new_since_optimize_ = 0;
}

}  // namespace vigil::tsdb
