// Head: the in-memory, write-ahead-logged part of the TSDB (Prometheus' head block),
// built to need <= 300 bytes of RSS per active series. Implements storage::Storage.
//
// Memory layout (README.md in this folder has the per-series budget):
//  * every series has a dense uint32 id (= its SeriesRef and its WAL ref; 0 is "none");
//  * per-series state is one 48-byte SeriesState slot in a ChunkedArray (pages never move,
//    untouched pages cost nothing): XOR appender state, open-chunk slab cell, chunk mint,
//    next cut time, list of full-chunk refs, label-set handle (chunk mint is decoded from
//    the chunk's first sample);
//  * label names/values are interned in a SymbolTable; a label set is varint symbol ids in a
//    LabelStore (often as a small diff against a similar series);
//  * SeriesHash maps label hash -> id; PostingsIndex keeps a roaring bitmap per label pair;
//  * open chunks live in Slab cells of 32..1024 bytes; a full chunk goes to a ChunkStore
//    (chunks_head/ files, memory-mapped) and the series keeps an 8-byte ref to it.
//
// Concurrency:
//  * index_mu_ (reader/writer) guards symbols, labels, hash and postings. Series creation
//    takes it as writer; queries as reader; appends with a known ref never take it.
//  * kStripes striped mutexes guard SeriesState (stripe = id % kStripes). Appends and the
//    snapshot of a series' chunks for a query lock the series' stripe.
//  * Commit() writes the WAL with group commit (one writer at a time writes the records of
//    every committer waiting, I/O outside all head locks), then applies the samples.
//  * Samples of one commit become visible series by series (there is no cross-series
//    isolation watermark yet); a reader never sees a torn chunk.
//
// Ownership: the Head owns everything; queriers and appenders must not outlive it.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "storage/interface.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/head/chunk_store.h"
#include "tsdb/head/chunked_array.h"
#include "tsdb/head/label_store.h"
#include "tsdb/head/postings.h"
#include "tsdb/head/series_hash.h"
#include "tsdb/head/slab.h"
#include "tsdb/head/symbol_table.h"

namespace vigil::tsdb {

class HeadWal;

struct HeadOptions {
  // Data directory holding wal/ and chunks_head/. Empty: a purely in-memory head (no WAL,
  // full chunks kept in memory) for tests and tools.
  std::string dir;
  // Block range; chunks are cut at its boundaries like Prometheus (2h).
  int64_t chunk_range_ms = 2 * 3600 * 1000;
  // Target samples per chunk (Prometheus' default 120).
  uint32_t samples_per_chunk = 120;
  // Global head series limit (--storage.tsdb.max-series); 0 = unlimited.
  uint64_t max_series = 0;
  // fsync the WAL on every (group) commit. Off by default like Prometheus, which syncs
  // only when a segment is finished; on, a commit acknowledges only durable data.
  bool wal_sync_on_commit = false;
  // WAL segment size in bytes (0: the WAL's default).
  uint64_t wal_segment_bytes = 0;
  // Compress WAL records (zstd) when the WAL supports it.
  bool wal_compression = true;
  // Run-optimise postings after this many new series.
  uint32_t postings_optimize_every = 1 << 16;
  const Clock* clock = nullptr;  // RealClock::Default() when null
};

// Monotonic counters (a snapshot); these feed /metrics.
struct HeadCounters {
  uint64_t samples_appended = 0;         // prometheus_tsdb_head_samples_appended_total
  uint64_t series_created = 0;           // prometheus_tsdb_head_series_created_total
  uint64_t series_removed = 0;           // prometheus_tsdb_head_series_removed_total
  uint64_t out_of_order_samples = 0;     // prometheus_tsdb_out_of_order_samples_total
  uint64_t duplicate_samples = 0;        // "duplicate sample for timestamp"
  uint64_t out_of_bounds_samples = 0;    // prometheus_tsdb_out_of_bounds_samples_total
  uint64_t series_limit_rejections = 0;  // new series refused by max_series
  uint64_t chunks_created = 0;           // prometheus_tsdb_head_chunks_created_total
  uint64_t wal_fsyncs = 0;
  uint64_t wal_bytes = 0;
  uint64_t wal_corruptions = 0;  // prometheus_tsdb_wal_corruptions_total
  uint64_t wal_commits = 0;      // group-commit batches written
  uint64_t replay_samples = 0;
  uint64_t replay_series = 0;
  uint64_t replay_unknown_refs = 0;  // samples for series with no Series record
  int64_t replay_duration_ms = 0;
};

// Bytes of anonymous memory by structure (vigil_head_memory_bytes{structure=...}).
struct HeadMemory {
  size_t symbols = 0;       // interned strings + id table + hash
  size_t labels = 0;        // packed label sets
  size_t series_state = 0;  // SeriesState slots
  size_t postings = 0;      // roaring bitmaps + pair tables
  size_t open_chunks = 0;   // slab cells for open chunks and chunk-ref lists
  size_t series_hash = 0;   // label hash -> id table
  size_t chunk_store = 0;   // buffers of the full-chunk store (not its page cache)
  size_t wal_buffers = 0;
  size_t total() const {
    return symbols + labels + series_state + postings + open_chunks + series_hash + chunk_store +
           wal_buffers;
  }
};

struct HeadStats {
  uint64_t num_series = 0;
  int64_t mint = 0;  // INT64_MAX / INT64_MIN when empty
  int64_t maxt = 0;
  uint64_t num_chunks = 0;  // open + full chunks in the head
  uint64_t num_label_pairs = 0;
  // /api/v1/status/tsdb (top N each).
  std::vector<IndexStat> series_count_by_metric_name;
  std::vector<IndexStat> label_value_count_by_label_name;
  std::vector<IndexStat> memory_in_bytes_by_label_name;
  std::vector<IndexStat> series_count_by_label_value_pair;
};

class Head final : public storage::Storage, private Slab::Relocator {
 public:
  // Opens a head: creates dir/wal and dir/chunks_head if needed, scans the head chunk
  // files, replays the WAL (checkpoint then segments). Corruption in the WAL tail is
  // repaired (the damaged tail is dropped and counted); other I/O errors fail.
  static Result<std::unique_ptr<Head>> Open(HeadOptions opts);
  ~Head() override;

  std::unique_ptr<storage::Appender> NewAppender() override;
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Flushes and closes the WAL and chunk files. The head must not be used afterwards.
  Status Close();

  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  int64_t MinTime() const { return mint_.load(std::memory_order_relaxed); }
  int64_t MaxTime() const { return maxt_.load(std::memory_order_relaxed); }
  HeadCounters Counters() const;
  HeadStats Stats(size_t limit = 10);
  HeadMemory MemoryByStructure();
  const HeadOptions& options() const { return opts_; }

 private:
  friend class HeadAppender;
  friend class HeadQuerier;
  friend class HeadSeriesSet;
  friend class HeadReplayer;

  // Per-series state; one slot per id. Guarded by the series' stripe lock, except
  // `labels`, which is written once before the id is published.
  struct SeriesState {
    chunkenc::XorState xor_state;  // of the open chunk; t/v_bits = last sample even when
                                   // no chunk is open
    uint32_t cell;                 // slab cell of the open chunk; 0 = none
    uint32_t next_at;              // kFlag* bits | ms after chunk_mint at which to cut
    uint32_t mmapped;              // slab cell with the refs of full chunks; 0 = none
    uint32_t labels;               // LabelStore handle; valid for live series
  };
  static_assert(sizeof(SeriesState) == 48);
  static constexpr uint32_t kFlagHasSample = 1u << 31;   // xor_state.t/v_bits are valid
  static constexpr uint32_t kFlagWalLogged = 1u << 30;   // a Series record is in the WAL
  static constexpr uint32_t kFlagValueKnown = 1u << 29;  // v_bits is the last value
  static constexpr uint32_t kNextAtMask = (1u << 29) - 1;

  static constexpr size_t kStripes = 4096;
  struct alignas(64) Stripe {
    Mutex mu;
  };

  struct Counters_ {
    std::atomic<uint64_t> samples_appended{0}, series_created{0}, series_removed{0},
        out_of_order{0}, duplicate{0}, out_of_bounds{0}, series_limit{0}, chunks_created{0},
        wal_fsyncs{0}, wal_bytes{0}, wal_corruptions{0}, wal_commits{0}, replay_samples{0},
        replay_series{0}, replay_unknown_refs{0};
    std::atomic<int64_t> replay_duration_ms{0};
  };

  explicit Head(HeadOptions opts);
  Status Init();

  Mutex& StripeOf(uint32_t id) const { return stripes_[id % kStripes].mu; }
  SeriesState& State(uint32_t id) const { return states_[id]; }
  bool Live(uint32_t id) const {
    return id != 0 && id < next_id_.load(std::memory_order_acquire) && states_[id].labels != 0;
  }

  // Finds or creates the series of `labels`. *created is set when it was new.
  // `label_base` is the LabelStore hint of the caller (see LabelStore::Add).
  Result<uint32_t> GetOrCreate(const Labels& labels, uint32_t* label_base, bool* created);
  // Creates a series with a given id (WAL replay). An existing identical label set returns
  // its id instead.
  Result<uint32_t> CreateWithId(uint32_t id, const Labels& labels, uint32_t* label_base)
      VIGIL_EXCLUDES(index_mu_);
  uint32_t FindLocked(const Labels& labels, uint64_t hash) const VIGIL_REQUIRES_SHARED(index_mu_);
  uint32_t InsertLocked(uint32_t id, const Labels& labels, uint64_t hash, uint32_t* label_base)
      VIGIL_REQUIRES(index_mu_);
  // The labels of a live series.
  Labels LabelsOf(uint32_t id) const VIGIL_REQUIRES_SHARED(index_mu_);
  bool LabelsEqual(uint32_t id, const Labels& l) const VIGIL_REQUIRES_SHARED(index_mu_);
  std::vector<SymPair>& ScratchPairs() const;

  // Appendability of (t, v) against a series' committed state.
  // Returns OK, or OutOfOrder / AlreadyExists; sets *dup for an exact duplicate.
  Status CheckAppendable(const SeriesState& s, int64_t t, double v, bool* dup) const;
  int64_t MinValidTime() const;

  // Appends one sample to a series (stripe lock held). May cut and write a full chunk.
  void AppendLocked(uint32_t id, SeriesState& s, int64_t t, double v);
  void CutChunkLocked(uint32_t id, SeriesState& s);
  // First timestamp of the open chunk, decoded from the chunk itself (the zig-zag varint
  // after the 2-byte header) instead of spending 8 bytes per series on it.
  int64_t ChunkMintLocked(const SeriesState& s) const;
  void AddMmappedRefLocked(uint32_t id, SeriesState& s, uint64_t ref);
  // Slab::Relocator: moves a cell of series owner >> 2 (kind = owner & 3, see kOwner*).
  bool Relocate(uint32_t owner, uint32_t from, uint32_t to, uint32_t held) override;
  static constexpr uint32_t kOwnerOpenChunk = 0;  // SeriesState::cell
  static constexpr uint32_t kOwnerRefList = 1;    // SeriesState::mmapped
  static constexpr uint32_t kOwnerRefLink = 2;    // an older link of the ref-list chain
  static constexpr uint32_t kMaxSeriesId = (1u << 30) - 1;
  void UpdateMinMax(int64_t mint, int64_t maxt);

  // Group-committed WAL write of already-encoded records.
  Status WriteWal(std::vector<std::string>* records);

  HeadOptions opts_;
  const Clock* clock_;

  mutable RWMutex index_mu_;
  SymbolTable symbols_ VIGIL_GUARDED_BY(index_mu_);
  LabelStore label_store_ VIGIL_GUARDED_BY(index_mu_);
  SeriesHash series_hash_ VIGIL_GUARDED_BY(index_mu_);
  PostingsIndex postings_ VIGIL_GUARDED_BY(index_mu_);
  uint32_t new_since_optimize_ VIGIL_GUARDED_BY(index_mu_) = 0;

  ChunkedArray<SeriesState, 14> states_;
  std::atomic<uint32_t> next_id_{1};     // ids below it are initialised
  std::atomic<uint64_t> num_series_{0};  // live series
  mutable std::unique_ptr<Stripe[]> stripes_;
  Slab slab_;
  std::unique_ptr<ChunkStore> chunks_;

  std::atomic<int64_t> mint_{INT64_MAX};
  std::atomic<int64_t> maxt_{INT64_MIN};
  std::atomic<int64_t> min_valid_time_{INT64_MIN};  // raised by head truncation

  // Group commit.
  std::unique_ptr<HeadWal> wal_;
  // A plain std::mutex (not annotated) because the condition variable needs it; all
  // wal_* fields below are guarded by it.
  std::mutex wal_mu_;
  std::condition_variable wal_cv_;
  std::vector<std::string> wal_pending_;
  uint64_t wal_enqueued_ = 0;  // commits queued so far
  uint64_t wal_done_ = 0;      // commits written (or failed)
  bool wal_writing_ = false;
  Status wal_error_;  // sticky write error

  Counters_ c_;
};

}  // namespace vigil::tsdb
