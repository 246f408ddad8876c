#include "tsdb/head/head.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "base/logging.h"
#include "tsdb/head/head_wal.h"

namespace vigil::tsdb {
namespace {

// Largest growth of an XOR chunk by one sample (Prometheus: 8 + 2 + 64 + ... bits).
constexpr size_t kMaxSampleBytes = 20;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// End of the chunk range holding t (Prometheus' rangeForTimestamp).
int64_t RangeEnd(int64_t t, int64_t range) { return (FloorDiv(t, range) + 1) * range; }

// Prometheus' computeChunkEndTime with ratioToFull 4: spreads the samples left in the
// range evenly over the chunks still to be cut.
int64_t ComputeChunkEndTime(int64_t start, int64_t cur, int64_t max_t) {
  double n = double(max_t - start) / (double(cur - start + 1) * 4.0);
  if (n <= 1) return max_t;
  return int64_t(double(start) + double(max_t - start) / std::floor(n));
}

void AppendLabel(std::string* out, std::string_view s) {
  uint64_t v = s.size();
  while (v >= 0x80) {
    out->push_back(char(v | 0x80));
    v >>= 7;
  }
  out->push_back(char(v));
  out->append(s);
}

}  // namespace

Head::Head(HeadOptions opts)
    : opts_(std::move(opts)),
      clock_(opts_.clock ? opts_.clock : RealClock::Default()),
      postings_(&symbols_),
      stripes_(new Stripe[kStripes]),
      slab_(this) {
  states_.EnsureSize(1);  // id 0 is never a series
}

Head::~Head() {
  Status s = Close();
  if (!s.ok()) VIGIL_LOG_WARN("tsdb", "closing head failed", "err={}", LogQuote(s.ToString()));
}

std::vector<SymPair>& Head::ScratchPairs() const {
  thread_local std::vector<SymPair> pairs;
  return pairs;
}

uint32_t Head::FindLocked(const Labels& labels, uint64_t hash) const {
  return series_hash_.Find(hash, [&](uint32_t id) { return LabelsEqual(id, labels); });
}

bool Head::LabelsEqual(uint32_t id, const Labels& l) const {
  auto& pairs = ScratchPairs();
  label_store_.Decode(states_[id].labels, &pairs,
                      [&](uint32_t a, uint32_t b) { return symbols_.Get(a) < symbols_.Get(b); });
  auto it = l.begin();
  for (const auto& [n, v] : pairs) {
    if (it == l.end()) return false;
    if (it->name != symbols_.Get(n) || it->value != symbols_.Get(v)) return false;
    ++it;
  }
  return it == l.end();
}

Labels Head::LabelsOf(uint32_t id) const {
  auto& pairs = ScratchPairs();
  label_store_.Decode(states_[id].labels, &pairs,
                      [&](uint32_t a, uint32_t b) { return symbols_.Get(a) < symbols_.Get(b); });
  std::string data;
  for (const auto& [n, v] : pairs) {
    AppendLabel(&data, symbols_.Get(n));
    AppendLabel(&data, symbols_.Get(v));
  }
  return Labels::FromEncoded(std::move(data));
}

namespace {

Status ValidateLabels(const Labels& labels) {
  if (labels.empty()) return Status::InvalidArgument("empty labelset");
  std::string_view prev;
  bool first = true;
  for (const auto& l : labels) {
    if (l.name.empty()) return Status::InvalidArgument("label with an empty name");
    if (!first && l.name <= prev) {
      return Status::InvalidArgument(
          fmt::format("label set is not sorted or repeats {}", std::string(l.name)));
    }
    if (l.value.empty()) return Status::InvalidArgument("label with an empty value");
    prev = l.name;
    first = false;
  }
  return Status::OK();
}

}  // namespace

uint32_t Head::InsertLocked(uint32_t id, const Labels& labels, uint64_t hash, uint32_t* label_base,
                            uint32_t extra_flags) {
  auto& pairs = ScratchPairs();
  pairs.clear();
  for (const auto& l : labels)
    pairs.emplace_back(symbols_.Intern(l.name), symbols_.Intern(l.value));
  uint32_t handle = label_store_.Add(pairs, label_base);
  if (handle == LabelStore::kNoBase) return 0;
  states_.EnsureSize(size_t(id) + 1);
  {
    // A free slot is all zero, except for chunk refs and the last-chunk time the startup
    // scan attached to it; both are kept.
    MutexLock l(&StripeOf(id));
    SeriesState& s = states_[id];
    s.next_at |= extra_flags;
    SetLabelsHandle(id, handle);
  }
  postings_.Add(id, pairs);
  series_hash_.Insert(hash, id);
  num_series_.fetch_add(1, std::memory_order_relaxed);
  c_.series_created.fetch_add(1, std::memory_order_relaxed);
  if (++new_since_optimize_ >= opts_.postings_optimize_every) {
    new_since_optimize_ = 0;
    postings_.RunOptimize();
  }
  return handle;
}

uint32_t Head::AllocIdLocked() {
  // Ids in limbo_ are promoted by Truncate(), never here: checking them costs a scan.
  if (!free_ids_.empty()) {
    uint32_t id = free_ids_.back();
    free_ids_.pop_back();
    return id;
  }
  uint32_t id = next_id_.load(std::memory_order_relaxed);
  return id > kMaxSeriesId ? 0 : id;
}

Result<uint32_t> Head::GetOrCreate(const Labels& labels, uint32_t* label_base, bool* created,
                                   uint32_t* handle) {
  *created = false;
  uint64_t hash = labels.Hash();
  {
    ReaderLock l(&index_mu_);
    if (uint32_t id = FindLocked(labels, hash); id != 0) {
      *handle = LabelsHandle(id);
      return id;
    }
  }
  VIGIL_RETURN_IF_ERROR(ValidateLabels(labels));
  WriterLock l(&index_mu_);
  if (uint32_t id = FindLocked(labels, hash); id != 0) {
    *handle = LabelsHandle(id);
    return id;
  }
  if (opts_.max_series != 0 && num_series_.load(std::memory_order_relaxed) >= opts_.max_series) {
    c_.series_limit.fetch_add(1, std::memory_order_relaxed);
    return Status::ResourceExhausted(
        fmt::format("head series limit reached ({}): new series dropped", opts_.max_series));
  }
  uint32_t id = AllocIdLocked();
  if (id == 0) return Status::ResourceExhausted("head series ids exhausted");
  *handle = InsertLocked(id, labels, hash, label_base, kFlagPending);
  if (*handle == 0) {
    if (id < next_id_.load(std::memory_order_relaxed)) free_ids_.push_back(id);
    return Status::InvalidArgument("label set too large");
  }
  if (id >= next_id_.load(std::memory_order_relaxed)) {
    next_id_.store(id + 1, std::memory_order_release);
  }
  *created = true;
  return id;
}

void Head::FreeCellsLocked(uint32_t id, SeriesState& s) {
  if (s.cell != 0) {
    uint32_t old = s.cell;
    s.cell = 0;
    slab_.Free(old, id);
  }
  FreeRefListLocked(id, s);
}

void Head::FreeRefListLocked(uint32_t id, SeriesState& s) {
  while (s.mmapped != 0) {
    uint32_t cell = s.mmapped;
    uint32_t older;
    std::memcpy(&older, slab_.Data(cell) + 4, 4);
    s.mmapped = older;
    // Free may relocate other cells of this series; it updates s (the head of the chain)
    // and chain links it finds from s.mmapped, which no longer includes `cell`.
    if (older != 0) slab_.SetOwner(older, (id << 2) | kOwnerRefList);
    slab_.Free(cell, id);
  }
}

void Head::MmappedRefsLocked(const SeriesState& s, std::vector<uint64_t>* out) const {
  out->clear();
  for (uint32_t cell = s.mmapped; cell != 0;) {
    uint32_t count, older;
    const uint8_t* p = slab_.Data(cell);
    std::memcpy(&count, p, 4);
    std::memcpy(&older, p + 4, 4);
    size_t at = out->size();
    out->resize(at + count);
    std::memcpy(out->data() + at, p + 8, size_t(count) * 8);
    // Chain links hold older refs; keep the overall order oldest-first.
    std::rotate(out->begin(), out->begin() + at, out->end());
    cell = older;
  }
}

void Head::RemoveSeriesLocked(uint32_t id, SeriesState& s) {
  Labels l = LabelsOf(id);
  auto& pairs = ScratchPairs();
  label_store_.Decode(s.labels, &pairs,
                      [&](uint32_t a, uint32_t b) { return symbols_.Get(a) < symbols_.Get(b); });
  postings_.Remove(id, pairs);
  series_hash_.Erase(l.Hash(), id);
  FreeCellsLocked(id, s);
  SetLabelsHandle(id, 0);
  // Back to the all-zero free slot (field by field: `labels` is read racily via Live()).
  std::memset(static_cast<void*>(&s.xor_state), 0, sizeof(s.xor_state));
  s.next_at = 0;
  num_series_.fetch_sub(1, std::memory_order_relaxed);
  c_.series_removed.fetch_add(1, std::memory_order_relaxed);
}

int64_t Head::MinValidTime() const {
  int64_t mv = min_valid_time_.load(std::memory_order_relaxed);
  int64_t maxt = maxt_.load(std::memory_order_relaxed);
  if (maxt != INT64_MIN) mv = std::max(mv, maxt - opts_.chunk_range_ms / 2);
  return mv;
}

Status Head::CheckAppendable(const SeriesState& s, int64_t t, double v, bool* dup) const {
  *dup = false;
  if ((s.next_at & kFlagHasSample) == 0 || t > s.xor_state.t) return Status::OK();
  if (t == s.xor_state.t) {
    if ((s.next_at & kFlagValueKnown) == 0 || std::bit_cast<uint64_t>(v) == s.xor_state.v_bits) {
      *dup = true;
      return Status::OK();
    }
    return Status::AlreadyExists("duplicate sample for timestamp");
  }
  return Status::OutOfOrder("out of order sample");
}

bool Head::Relocate(uint32_t owner, uint32_t from, uint32_t to, uint32_t held) {
  uint32_t id = owner >> 2;
  std::mutex& mu = StripeOf(id).native();
  bool same = held != UINT32_MAX && id % kStripes == held % kStripes;
  if (!same && !mu.try_lock()) return false;
  SeriesState& s = states_[id];
  std::memcpy(slab_.Data(to), slab_.Data(from), Slab::CellBytes(from));
  switch (owner & 3) {
    case kOwnerOpenChunk:
      VIGIL_DCHECK(s.cell == from);
      s.cell = to;
      break;
    case kOwnerRefList:
      VIGIL_DCHECK(s.mmapped == from);
      s.mmapped = to;
      break;
    default:
      for (uint32_t c = s.mmapped; c != 0;) {
        uint32_t older;
        std::memcpy(&older, slab_.Data(c) + 4, 4);
        if (older == from) {
          std::memcpy(slab_.Data(c) + 4, &to, 4);
          break;
        }
        c = older;
      }
  }
  if (!same) mu.unlock();
  return true;
}

void Head::AddMmappedRefLocked(uint32_t id, SeriesState& s, uint64_t ref) {
  // Cell layout: u32 count, u32 older cell (a chain once the largest class is full),
  // then count x u64 refs, oldest first.
  uint32_t count = 0;
  if (s.mmapped != 0) std::memcpy(&count, slab_.Data(s.mmapped), 4);
  uint32_t cap = s.mmapped == 0 ? 0 : (Slab::CellBytes(s.mmapped) - 8) / 8;
  if (count == cap) {
    uint32_t cell;
    uint32_t older = 0;
    if (s.mmapped != 0 && Slab::CellBytes(s.mmapped) == Slab::kMaxCellBytes) {
      cell = slab_.Alloc(Slab::kNumClasses - 1, (id << 2) | kOwnerRefList);  // a new link
      older = s.mmapped;
      slab_.SetOwner(older, (id << 2) | kOwnerRefLink);
      count = 0;
      std::memcpy(slab_.Data(cell) + 4, &older, 4);
      s.mmapped = cell;
    } else {
      cell = slab_.Alloc(Slab::ClassFor(8 + 8 * (size_t(count) + 1)), (id << 2) | kOwnerRefList);
      uint32_t old = s.mmapped;
      if (old != 0) {
        std::memcpy(slab_.Data(cell), slab_.Data(old), 8 + 8 * size_t(count));
      } else {
        std::memcpy(slab_.Data(cell) + 4, &older, 4);
      }
      // Point at the new cell before freeing the old one: Free may relocate cells of this
      // very series (including the new one) and updates the state it finds.
      s.mmapped = cell;
      slab_.Free(old, id);
    }
  }
  uint8_t* p = slab_.Data(s.mmapped);
  std::memcpy(p + 8 + 8 * size_t(count), &ref, 8);
  ++count;
  std::memcpy(p, &count, 4);
}

int64_t Head::ChunkMintLocked(const SeriesState& s) const {
  const uint8_t* p = slab_.Data(s.cell) + chunkenc::kChunkHeaderSize;
  uint64_t u = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = *p++;
    u |= uint64_t(b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  return int64_t(u >> 1) ^ -int64_t(u & 1);
}

void Head::CutChunkLocked(uint32_t id, SeriesState& s) {
  if (s.cell == 0) return;
  std::string_view bytes(reinterpret_cast<const char*>(slab_.Data(s.cell)),
                         chunkenc::XorByteLen(s.xor_state));
  Result<uint64_t> ref = chunks_->Write(id, ChunkMintLocked(s), s.xor_state.t, bytes);
  if (ref.has_value()) {
    AddMmappedRefLocked(id, s, *ref);
  } else {
    // The samples stay in the WAL; a restart recovers them. Keep serving the rest.
    VIGIL_LOG_ERROR("tsdb", "writing head chunk failed; chunk dropped from memory",
                    "series={} err={}", id, LogQuote(ref.error().ToString()));
  }
  uint32_t old = s.cell;
  s.cell = 0;
  slab_.Free(old, id);
}

void Head::AppendLocked(uint32_t id, SeriesState& s, int64_t t, double v) {
  chunkenc::XorState& st = s.xor_state;
  const uint32_t flags = s.next_at & ~kNextAtMask;
  // The cut time is kept relative to the last sample, so the per-sample path never reads
  // the chunk's first timestamp (a second cache miss into the chunk).
  int64_t next_at = 0;
  if (s.cell != 0) {
    next_at = st.t + int64_t(s.next_at & kNextAtMask);
    const uint32_t n = st.num_samples;
    if (n == opts_.samples_per_chunk / 4) {
      next_at = ComputeChunkEndTime(ChunkMintLocked(s), st.t, next_at);
    }
    if (t >= next_at || n >= opts_.samples_per_chunk * 2 ||
        chunkenc::XorByteLen(st) + kMaxSampleBytes > Slab::kMaxCellBytes) {
      CutChunkLocked(id, s);
    }
  }
  if (s.cell == 0) {
    s.cell = slab_.Alloc(0, (id << 2) | kOwnerOpenChunk);
    int64_t last_t = st.t;
    uint64_t last_v = st.v_bits;
    chunkenc::XorInit(&st, slab_.Data(s.cell));
    st.t = last_t;  // harmless: XorAppend of the first sample overwrites both
    st.v_bits = last_v;
    next_at = RangeEnd(t, opts_.chunk_range_ms);
    c_.chunks_created.fetch_add(1, std::memory_order_relaxed);
  }
  // Cells are kept tight (no room reserved for the next sample): XorAppend may store up
  // to kXorAppendSlack bytes past the chunk, so in the last kXorAppendSlack bytes of a cell
  // the sample is appended to a scratch buffer, and the cell grows only if the result does
  // not fit. This saves ~20 B per series over reserving the worst case in every cell.
  // XorAppend reads only the byte holding the last bit and writes the 2-byte header and
  // the bytes after it, so the scratch needs just those (not a copy of the chunk).
  const size_t len = chunkenc::XorByteLen(st);
  const uint32_t cap = Slab::CellBytes(s.cell);
  uint8_t* buf = slab_.Data(s.cell);
  if (len + chunkenc::kXorAppendSlack <= cap) {
    chunkenc::XorAppend(&st, buf, t, v);
  } else {
    uint8_t tmp[Slab::kMaxCellBytes + chunkenc::kXorAppendSlack];
    const size_t from = len - 1;  // len >= 2: the header
    tmp[from] = buf[from];
    const size_t n = chunkenc::XorAppend(&st, tmp, t, v);
    if (n > cap) {
      const uint32_t bigger = slab_.Alloc(Slab::ClassFor(n), (id << 2) | kOwnerOpenChunk);
      std::memcpy(slab_.Data(bigger), buf, from);
      const uint32_t old = s.cell;
      s.cell = bigger;
      slab_.Free(old, id);  // may move s.cell, contents included (see AddMmappedRefLocked)
      buf = slab_.Data(s.cell);
    }
    buf[0] = tmp[0];
    buf[1] = tmp[1];
    std::memcpy(buf + from, tmp + from, n - from);
  }
  s.next_at = flags | kFlagHasSample | kFlagValueKnown |
              uint32_t(std::clamp<int64_t>(next_at - t, 0, kNextAtMask));
}

void Head::UpdateMinMax(int64_t mint, int64_t maxt) {
  int64_t cur = mint_.load(std::memory_order_relaxed);
  while (mint < cur && !mint_.compare_exchange_weak(cur, mint, std::memory_order_relaxed)) {
  }
  cur = maxt_.load(std::memory_order_relaxed);
  while (maxt > cur && !maxt_.compare_exchange_weak(cur, maxt, std::memory_order_relaxed)) {
  }
}

HeadCounters Head::Counters() const {
  HeadCounters h;
  auto ld = [](const auto& a) { return a.load(std::memory_order_relaxed); };
  h.samples_appended = ld(c_.samples_appended);
  h.series_created = ld(c_.series_created);
  h.series_removed = ld(c_.series_removed);
  h.out_of_order_samples = ld(c_.out_of_order);
  h.duplicate_samples = ld(c_.duplicate);
  h.out_of_bounds_samples = ld(c_.out_of_bounds);
  h.series_limit_rejections = ld(c_.series_limit);
  h.chunks_created = ld(c_.chunks_created);
  h.wal_fsyncs = ld(c_.wal_fsyncs);
  h.wal_bytes = ld(c_.wal_bytes);
  h.wal_corruptions = ld(c_.wal_corruptions);
  h.wal_commits = ld(c_.wal_commits);
  h.wal_write_errors = ld(c_.wal_write_errors);
  h.replay_samples = ld(c_.replay_samples);
  h.replay_series = ld(c_.replay_series);
  h.replay_unknown_refs = ld(c_.replay_unknown_refs);
  h.replay_samples_skipped = ld(c_.replay_samples_skipped);
  h.replay_skipped_records = ld(c_.replay_skipped_records);
  h.replay_tombstones = ld(c_.replay_tombstones);
  h.replay_mmapped_chunks = ld(c_.replay_mmapped_chunks);
  h.replay_dropped_chunks = ld(c_.replay_dropped_chunks);
  h.replay_duration_ms = ld(c_.replay_duration_ms);
  h.mmap_chunk_corruptions = ld(c_.mmap_chunk_corruptions);
  h.truncations = ld(c_.truncations);
  h.truncations_failed = ld(c_.truncations_failed);
  h.chunks_removed = ld(c_.chunks_removed);
  h.checkpoints = ld(c_.checkpoints);
  h.checkpoints_failed = ld(c_.checkpoints_failed);
  h.samples_dropped_removed_series = ld(c_.dropped_removed);
  return h;
}

HeadStats Head::Stats(size_t limit) {
  HeadStats st;
  st.num_series = NumSeries();
  st.mint = MinTime();
  st.maxt = MaxTime();
  uint32_t n = next_id_.load(std::memory_order_acquire);
  for (uint32_t id = 1; id < n; ++id) {
    MutexLock l(&StripeOf(id));
    const SeriesState& s = states_[id];
    if (s.labels == 0) continue;
    if (s.cell != 0) ++st.num_chunks;
    for (uint32_t cell = s.mmapped; cell != 0;) {
      uint32_t count, older;
      std::memcpy(&count, slab_.Data(cell), 4);
      std::memcpy(&older, slab_.Data(cell) + 4, 4);
      st.num_chunks += count;
      cell = older;
    }
  }
  ReaderLock l(&index_mu_);
  PostingsStats ps = postings_.Stats(limit);
  st.num_label_pairs = ps.num_label_pairs;
  st.series_count_by_metric_name = std::move(ps.series_count_by_metric_name);
  st.label_value_count_by_label_name = std::move(ps.label_value_count_by_label_name);
  st.memory_in_bytes_by_label_name = std::move(ps.memory_in_bytes_by_label_name);
  st.series_count_by_label_value_pair = std::move(ps.series_count_by_label_value_pair);
  return st;
}

HeadMemory Head::MemoryByStructure() {
  HeadMemory m;
  {
    ReaderLock l(&index_mu_);
    m.symbols = symbols_.MemoryBytes();
    m.labels = label_store_.UsedBytes();
    m.postings = postings_.MemoryBytes();
    m.series_hash = series_hash_.MemoryBytes();
  }
  m.series_state = size_t(next_id_.load(std::memory_order_relaxed)) * sizeof(SeriesState) +
                   kStripes * sizeof(Stripe);
  m.open_chunks = slab_.MemoryBytes();
  m.chunk_store = chunks_ ? chunks_->MemoryBytes() : 0;
  m.wal_buffers = wal_buffer_bytes_.load(std::memory_order_relaxed);
  return m;
}

}  // namespace vigil::tsdb
