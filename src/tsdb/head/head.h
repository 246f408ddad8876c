// Head: the in-memory, write-ahead-logged part of the TSDB (Prometheus' head block),
// built to need <= 300 bytes of RSS per active series. Implements storage::Storage.
//
// Memory layout (README.md in this folder has the per-series budget):
//  * every series has a dense uint32 id (= its WAL ref and chunk-file series ref; 0 is
//    "none"); the SeriesRef handed to callers is label-set handle << 32 | id;
//  * per-series state is one 48-byte SeriesState slot in a ChunkedArray (pages never move,
//    untouched pages cost nothing): XOR appender state, open-chunk slab cell, flags and
//    next cut time, list of full-chunk refs, label-set handle (the chunk mint is decoded
//    from the chunk's first sample);
//  * label names/values are interned in a SymbolTable; a label set is varint symbol ids in a
//    LabelStore (often as a small diff against a similar series);
//  * SeriesHash maps label hash -> id; PostingsIndex keeps a roaring bitmap per label pair;
//  * open chunks live in Slab cells of 32..1024 bytes; a full chunk goes to a ChunkStore
//    (chunks_head/ files, memory-mapped) and the series keeps an 8-byte ref to it.
//
// Persistence (HeadOptions::dir non-empty): dir/wal is Prometheus' WAL (Series records
// before the Samples that use them, written by group commit) and dir/chunks_head holds the
// full chunks. Open() scans the chunk files, attaches each chunk to its series' slot
// (series id = WAL ref = chunk file series ref), then replays the newest checkpoint and
// the segments after it straight into the same compact structures, skipping samples that
// mmapped chunks already cover. Truncate(mint) drops chunks and series below mint,
// checkpoints the WAL and deletes chunk files that only hold old chunks.
//
// Series ids are reused after GC, but only once nothing on disk (WAL segments, chunk
// files) can still name the old owner and no appender from before the GC is alive; the
// SeriesRef handed to callers also carries the series' label-set handle, so a stale cached
// ref is detected (storage::SeriesRef's contract) instead of appending to a new owner.
//
// Concurrency:
//  * index_mu_ (reader/writer) guards symbols, labels, hash and postings. Series creation
//    takes it as writer; queries as reader; appends with a known ref never take it.
//  * kStripes striped mutexes guard SeriesState (stripe = id % kStripes). Appends and the
//    snapshot of a series' chunks for a query lock the series' stripe.
//  * Commit() writes the WAL with group commit (one writer at a time writes the records of
//    every committer waiting, I/O outside all head locks), then applies the samples.
//  * Truncate() runs one at a time (truncate_mu_); it takes stripes one by one and
//    index_mu_ as writer only to remove dead series. Lock order: truncate_mu_ > index_mu_ >
//    stripe > (chunk store, slab class) ; wal_mu_ and appenders_mu_ are leaves.
//  * Open() replays before the head is shared: replay appends without stripe locks.
//  * Samples of one commit become visible series by series (there is no cross-series
//    isolation watermark yet); a reader never sees a torn chunk.
//
// Deletion (Head::Delete, Prometheus' head tombstones): deleted intervals are kept per series
// id in an immutable map swapped copy-on-write under tombstones_mu_ (queriers take a
// snapshot), logged to the WAL as Tombstones records and restored by replay. Queries and
// NewChunkSeriesSet leave the deleted samples out; Truncate drops the intervals of removed
// series and those ending before mint. Delete holds truncate_mu_, so a series is never
// removed (and its id never reused) while its tombstone is being logged.
//
// Ownership: the Head owns everything; queriers and appenders must not outlive it.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "fs/file_system.h"
#include "storage/interface.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/chunks/chunk_series.h"
#include "tsdb/chunks/intervals.h"
#include "tsdb/head/chunk_store.h"
#include "tsdb/head/chunked_array.h"
#include "tsdb/head/label_store.h"
#include "tsdb/head/postings.h"
#include "tsdb/head/series_hash.h"
#include "tsdb/head/slab.h"
#include "tsdb/head/symbol_table.h"

namespace vigil::tsdb {

class HeadWal;
class DiskChunkStore;

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
  // WAL segment size in bytes, a multiple of 32 KiB (0: Prometheus' 128 MiB).
  uint64_t wal_segment_bytes = 0;
  // Compress WAL records with snappy (Prometheus' --storage.tsdb.wal-compression).
  bool wal_compression = true;
  // Samples and chunks older than this are not loaded and not accepted (Prometheus'
  // Head.Init(minValidTime): the DB passes the end of its newest block).
  int64_t min_valid_time = INT64_MIN;
  // Write buffer of the head chunk files (anonymous memory).
  size_t chunk_write_buffer_bytes = 1 << 20;
  // Close() writes every open chunk to chunks_head/, so that the next Open() attaches it
  // instead of appending its samples again from the WAL (a restart with 1M series and
  // 100M samples in open chunks: 7 s instead of 12). Off: the next Open() rebuilds open
  // chunks from the WAL as after a crash (tests that model a crash with Close()).
  bool write_open_chunks_on_close = true;
  // File system for dir (tests inject faults); nullptr: the POSIX one.
  fs::FileSystem* fs = nullptr;
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
  uint64_t wal_corruptions = 0;   // prometheus_tsdb_wal_corruptions_total
  uint64_t wal_commits = 0;       // group-commit batches written
  uint64_t wal_write_errors = 0;  // group-commit batches that failed (their commits failed)
  uint64_t replay_samples = 0;
  uint64_t replay_series = 0;
  uint64_t replay_unknown_refs = 0;     // samples for series with no Series record
  uint64_t replay_samples_skipped = 0;  // already in a chunk file, duplicate, or too old
  uint64_t replay_skipped_records = 0;  // exemplars, metadata, histograms, unknown types
  uint64_t replay_tombstones = 0;       // deleted intervals restored from the WAL
  uint64_t replay_mmapped_chunks = 0;   // chunks attached from chunks_head/ at startup
  uint64_t replay_dropped_chunks = 0;   // chunks_head/ chunks not attached (orphan, overlap)
  int64_t replay_duration_ms = 0;
  uint64_t mmap_chunk_corruptions = 0;          // prometheus_tsdb_mmap_chunk_corruptions_total
  uint64_t truncations = 0;                     // prometheus_tsdb_head_truncations_total
  uint64_t truncations_failed = 0;              // prometheus_tsdb_head_truncations_failed_total
  uint64_t chunks_removed = 0;                  // prometheus_tsdb_head_chunks_removed_total
  uint64_t checkpoints = 0;                     // prometheus_tsdb_checkpoint_creations_total
  uint64_t checkpoints_failed = 0;              // prometheus_tsdb_checkpoint_creations_failed_total
  uint64_t samples_dropped_removed_series = 0;  // pending samples of a series GC removed
};

// What one Truncate() did.
struct HeadTruncateStats {
  uint64_t chunks_removed = 0;
  uint64_t series_removed = 0;
  int checkpoint = -1;              // index of the checkpoint written (-1: none)
  uint64_t checkpoint_series = 0;   // Series entries kept in it
  uint64_t checkpoint_samples = 0;  // samples kept in it
  uint64_t checkpoint_dropped_samples = 0;
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
  // files, replays the WAL (newest checkpoint, then the segments after it) and starts a
  // new WAL segment. Damage is repaired as Prometheus does and counted (wal_corruptions,
  // mmap_chunk_corruptions): a torn or damaged WAL record ends the replay, the segment is
  // cut there and later segments are deleted; a damaged chunk file is deleted with the
  // files after it. Errors: InvalidArgument for bad options; IOError (and Corruption for a
  // WAL whose segment names are not consecutive) fail the open.
  static Result<std::unique_ptr<Head>> Open(HeadOptions opts);
  ~Head() override;

  std::unique_ptr<storage::Appender> NewAppender() override;
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Flushes and closes the WAL, writes every open chunk to chunks_head/ (so that the next
  // Open() attaches it instead of rebuilding it from the WAL) and closes the chunk files.
  // The head must not be used afterwards.
  Status Close();

  // Head truncation (Prometheus' Head.Truncate), for block cutting: from now on samples
  // older than mint are neither accepted nor returned; full and open chunks that end
  // before mint are dropped; series left without chunks (and with no append in flight)
  // are removed (postings, hash, state cell; the id is reused once nothing on disk names
  // it); WAL segments whose samples are all older than mint are rewritten into a
  // checkpoint keeping only live series and samples >= mint, and deleted; chunk files
  // holding only chunks older than mint are deleted. Safe to call concurrently with
  // appends and queries. Errors: IOError from the chunk files or the checkpoint (the
  // in-memory truncation has happened; the on-disk part is retried next time).
  Result<HeadTruncateStats> Truncate(int64_t mint);

  // Prometheus' Head.Delete: marks [mint, maxt] (inclusive) of every series matching
  // `matchers` that has samples in it as deleted, clamped to the series' first and last
  // sample. The intervals are logged to the WAL as one Tombstones record (after a Series
  // record for series not logged under their id yet) before they take effect; queriers
  // opened afterwards (and block cutting) no longer see those samples. Samples appended
  // later are not affected beyond the clamped interval. Errors: IOError from the WAL write
  // (nothing deleted then).
  Status Delete(int64_t mint, int64_t maxt, const std::vector<Matcher>& matchers);
  // Number of deleted intervals held (Prometheus' head tombstones' Total()).
  uint64_t NumTombstones() const;

  uint64_t NumSeries() const { return num_series_.load(std::memory_order_relaxed); }
  int64_t MinTime() const { return mint_.load(std::memory_order_relaxed); }
  int64_t MaxTime() const { return maxt_.load(std::memory_order_relaxed); }
  HeadCounters Counters() const;
  HeadStats Stats(size_t limit = 10);
  HeadMemory MemoryByStructure();
  const HeadOptions& options() const { return opts_; }

  // Block cutting (head_chunk_series.cc; the block writer is tsdb/block/block_writer.h):
  // every label name and value of the live series plus "", sorted and unique -- a superset
  // of the symbols of any time range, as Prometheus' head gives its compactor.
  std::vector<std::string> BlockSymbols();
  // The chunks of every live series with samples in [mint, maxt], sorted by labels: full
  // chunks as stored in chunks_head/ (mapped, not copied) and a copy of the open chunk, so
  // chunks may reach beyond [mint, maxt] (the block writer trims them). Samples below the
  // truncation point are never included, nor deleted ones (Delete(): chunks with deleted
  // samples are re-encoded without them, wholly deleted chunks and series left out). Sorting holds
  // the index lock as reader and needs 24 bytes per series; a series removed or replaced meanwhile
  // is skipped.
  std::unique_ptr<chunks::ChunkSeriesSet> NewChunkSeriesSet(const Context& ctx, int64_t mint,
                                                            int64_t maxt);

 private:
  friend class HeadAppender;
  friend class HeadQuerier;
  friend class HeadSeriesSet;
  friend class HeadChunkSeriesSet;

  // Deleted intervals by series id; immutable once published (see the file comment).
  using TombstoneMap = std::unordered_map<uint32_t, chunks::Intervals>;
  // The current map; nullptr when nothing is deleted (the common case costs no lock).
  std::shared_ptr<const TombstoneMap> TombstonesSnapshot() const;
  // Publishes `next` (nullptr or empty: no deletions).
  void SetTombstones(std::shared_ptr<const TombstoneMap> next);

  // Per-series state; one slot per id. Guarded by the series' stripe lock, except
  // `labels`, which is written once before the id is published.
  struct SeriesState {
    chunkenc::XorState xor_state;  // of the open chunk; t/v_bits = last sample even when
                                   // no chunk is open
    uint32_t cell;                 // slab cell of the open chunk; 0 = none
    uint32_t next_at;              // kFlag* bits | ms after xor_state.t at which to cut
    uint32_t mmapped;              // slab cell with the refs of full chunks; 0 = none
    uint32_t labels;               // LabelStore handle; valid for live series
  };
  static_assert(sizeof(SeriesState) == 48);
  static constexpr uint32_t kFlagHasSample = 1u << 31;   // xor_state.t/v_bits are valid
  static constexpr uint32_t kFlagWalLogged = 1u << 30;   // a Series record is in the WAL
  static constexpr uint32_t kFlagValueKnown = 1u << 29;  // v_bits is the last value
  static constexpr uint32_t kFlagPending = 1u << 28;     // an appender holds samples for it
  static constexpr uint32_t kNextAtMask = (1u << 28) - 1;

  static constexpr size_t kStripes = 4096;
  struct alignas(64) Stripe {
    Mutex mu;
  };

  struct Counters_ {
    std::atomic<uint64_t> samples_appended{0}, series_created{0}, series_removed{0},
        out_of_order{0}, duplicate{0}, out_of_bounds{0}, series_limit{0}, chunks_created{0},
        wal_fsyncs{0}, wal_bytes{0}, wal_corruptions{0}, wal_commits{0}, wal_write_errors{0},
        replay_samples{0}, replay_series{0}, replay_unknown_refs{0}, replay_samples_skipped{0},
        replay_skipped_records{0}, replay_tombstones{0}, replay_mmapped_chunks{0},
        replay_dropped_chunks{0}, mmap_chunk_corruptions{0}, truncations{0}, truncations_failed{0},
        chunks_removed{0}, checkpoints{0}, checkpoints_failed{0}, dropped_removed{0};
    std::atomic<int64_t> replay_duration_ms{0};
  };

  // A dead series' id waiting until it may be reused (see the file comment).
  struct LimboId {
    uint32_t id;
    int wal_segment;      // the id may appear in WAL segments <= this (-1: in none)
    uint64_t epoch;       // appenders created at or before this epoch may still hold it
    uint64_t chunk_mark;  // ChunkStore::WriteMark() when it died
  };

  explicit Head(HeadOptions opts);
  Status Init();

  Mutex& StripeOf(uint32_t id) const { return stripes_[id % kStripes].mu; }
  SeriesState& State(uint32_t id) const { return states_[id]; }
  // The label-set handle of slot id (0: no live series). Written under index_mu_ (writer)
  // and the stripe lock; read with either held, or racily as a hint.
  uint32_t LabelsHandle(uint32_t id) const {
    return std::atomic_ref<uint32_t>(states_[id].labels).load(std::memory_order_acquire);
  }
  void SetLabelsHandle(uint32_t id, uint32_t h) {
    std::atomic_ref<uint32_t>(states_[id].labels).store(h, std::memory_order_release);
  }
  bool Live(uint32_t id) const {
    return id != 0 && id < next_id_.load(std::memory_order_acquire) && LabelsHandle(id) != 0;
  }
  // The SeriesRef handed to callers: label-set handle (a generation: never reused while
  // the label store lives) << 32 | id.
  static storage::SeriesRef MakeRef(uint32_t id, uint32_t handle) {
    return (storage::SeriesRef(handle) << 32) | id;
  }

  // Finds or creates the series of `labels`. *created is set when it was new; a new series
  // starts with kFlagPending set (its creator is about to append). *handle is the series'
  // label-set handle. `label_base` is the LabelStore hint of the caller.
  Result<uint32_t> GetOrCreate(const Labels& labels, uint32_t* label_base, bool* created,
                               uint32_t* handle);
  uint32_t FindLocked(const Labels& labels, uint64_t hash) const VIGIL_REQUIRES_SHARED(index_mu_);
  // Adds series `id` (slot must be free; its chunk refs and last-sample time, attached by
  // the startup scan, are kept). Returns the label handle, 0 if the label set is too big.
  uint32_t InsertLocked(uint32_t id, const Labels& labels, uint64_t hash, uint32_t* label_base,
                        uint32_t extra_flags) VIGIL_REQUIRES(index_mu_);
  // A free id for a new series (reused or next_id_), or 0 when ids are exhausted.
  uint32_t AllocIdLocked() VIGIL_REQUIRES(index_mu_);
  // Removes live series `id` from the index and frees its cells (stripe lock held too).
  void RemoveSeriesLocked(uint32_t id, SeriesState& s) VIGIL_REQUIRES(index_mu_);
  // Frees the open chunk and chunk-ref cells of a slot (stripe lock held or single thread).
  void FreeCellsLocked(uint32_t id, SeriesState& s);
  void FreeRefListLocked(uint32_t id, SeriesState& s);
  // Refs of a series' full chunks, oldest first (stripe lock held).
  void MmappedRefsLocked(const SeriesState& s, std::vector<uint64_t>* out) const;
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

  // Replaces a broken (or missing) WAL writer; called with the leader role held.
  Status ReopenWal();
  // Group-committed WAL write of already-encoded records whose newest sample is max_t.
  Status WriteWal(std::vector<std::string>* records, int64_t max_t);
  // Runs fn with the WAL to itself (no group-commit leader active).
  Status WithWalExclusive(const std::function<Status(HeadWal*)>& fn);

  // Startup (head_replay.cc).
  uint32_t replay_label_base_ = LabelStore::kNoBase;
  std::atomic<int> wal_first_segment_{0};  // oldest WAL segment on disk
  Status LoadChunks();
  Status ReplayWal();
  Status ReplayRecords(const std::string& dir, int first, int last, bool checkpoint);
  void ReplaySeriesRecord(std::string_view rec,
                          std::vector<std::pair<std::string_view, std::string_view>>* pairs);
  void ReplaySamplesRecord(std::string_view rec, int segment);
  void ReplayTombstonesRecord(std::string_view rec);
  TombstoneMap replay_tombstones_;  // built by replay, published by FinishReplay
  void FinishReplay();
  // Resolves a WAL ref to a live series id (0: unknown).
  uint32_t ResolveWalRef(uint64_t ref) const VIGIL_REQUIRES_SHARED(index_mu_);

  // Truncation (head_truncate.cc).
  void PromoteLimbo() VIGIL_REQUIRES(index_mu_);
  Status TruncateWal(int64_t mint, HeadTruncateStats* stats);
  uint64_t MinLiveAppenderEpoch();
  void AppenderStarted(uint64_t* epoch);
  void AppenderDone(uint64_t epoch);

  HeadOptions opts_;
  const Clock* clock_;

  mutable RWMutex index_mu_;
  SymbolTable symbols_ VIGIL_GUARDED_BY(index_mu_);
  LabelStore label_store_ VIGIL_GUARDED_BY(index_mu_);
  SeriesHash series_hash_ VIGIL_GUARDED_BY(index_mu_);
  PostingsIndex postings_ VIGIL_GUARDED_BY(index_mu_);
  uint32_t new_since_optimize_ VIGIL_GUARDED_BY(index_mu_) = 0;

  std::vector<uint32_t> free_ids_ VIGIL_GUARDED_BY(index_mu_);  // reusable ids
  std::vector<LimboId> limbo_ VIGIL_GUARDED_BY(index_mu_);      // dead, not yet reusable
  // WAL refs that name another id than themselves (duplicate label sets in a foreign WAL,
  // refs beyond the id space); used by replay and by the checkpoint's keep().
  std::unordered_map<uint64_t, uint32_t> wal_remap_ VIGIL_GUARDED_BY(index_mu_);

  ChunkedArray<SeriesState, 14> states_;
  std::atomic<uint32_t> next_id_{1};     // ids below it are initialised
  std::atomic<uint64_t> num_series_{0};  // live series
  mutable std::unique_ptr<Stripe[]> stripes_;
  Slab slab_;
  std::unique_ptr<ChunkStore> chunks_;
  DiskChunkStore* disk_chunks_ = nullptr;  // chunks_ when on disk
  fs::FileSystem* fs_ = nullptr;
  std::string wal_dir_;

  // Appenders alive per GC epoch (an id freed in epoch e is reusable once none of <= e is).
  Mutex appenders_mu_;
  std::map<uint64_t, uint32_t> live_appenders_ VIGIL_GUARDED_BY(appenders_mu_);
  std::atomic<uint64_t> gc_epoch_{1};
  Mutex truncate_mu_;

  std::atomic<int64_t> mint_{INT64_MAX};
  std::atomic<int64_t> maxt_{INT64_MIN};
  std::atomic<int64_t> min_valid_time_{INT64_MIN};  // raised by head truncation

  // Group commit.
  bool persistent_ = false;       // dir is set: WAL + chunk files
  std::unique_ptr<HeadWal> wal_;  // used by the group-commit leader only
  std::atomic<size_t> wal_buffer_bytes_{0};
  int wal_reopen_count_ = 0;  // writers opened so far (leader role held)
  // A plain std::mutex (not annotated) because the condition variable needs it; all
  // wal_* fields below are guarded by it.
  std::mutex wal_mu_;
  std::condition_variable wal_cv_;
  std::vector<std::string> wal_pending_;
  int64_t wal_pending_maxt_ = INT64_MIN;
  uint64_t wal_enqueued_ = 0;  // commits queued so far
  uint64_t wal_done_ = 0;      // commits written (or failed)
  bool wal_writing_ = false;
  std::vector<Status*> wal_pending_results_;  // where the leader stores each commit's result
  bool wal_reopen_ = false;  // the writer broke: open a new one before the next write
  bool wal_closed_ = false;
  // Newest sample time per WAL segment (INT64_MIN: none), for checkpoint selection.
  std::map<int, int64_t> seg_maxt_;

  mutable Mutex tombstones_mu_;
  std::shared_ptr<const TombstoneMap> tombstones_ VIGIL_GUARDED_BY(tombstones_mu_);
  std::atomic<bool> has_tombstones_{false};

  Counters_ c_;
};

}  // namespace vigil::tsdb
