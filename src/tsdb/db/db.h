// DB: the local TSDB (Prometheus' tsdb.DB): the head (tsdb/head) plus the persisted blocks
// of the data directory (tsdb/block), behind storage::Storage.
//
//   data_dir/
//     01H...ULID/          blocks (meta.json, index, chunks/, tombstones)
//     wal/, chunks_head/   the head
//
// Open() removes leftover `*.tmp-for-creation` / `*.tmp-for-deletion` directories, opens
// every block (a block that fails to open is skipped, logged and counted; the DB still
// starts) and opens the head with min_valid_time = the newest block's maxt.
//
// Head compaction (CompactHead(), also run every compact_interval by a background thread,
// and at once when an appender's commit leaves the head spanning more than 1.5 ranges):
// while the head spans more than 1.5 block ranges, the oldest range [head mint, next range
// boundary) is written as a block, the block joins the list, and the head is truncated at
// the block's maxt. A failed write changes nothing (the head keeps its data) and is counted.
// Then blocks whose time ranges overlap are merged into one spanning their union (vertical
// compaction; on equal timestamps the newer block's sample is kept, as queries do), and
// adjacent blocks are merged into blocks of 3x, 9x, ... the range up to
// max_block_duration_ms (tsdb/db/compact.h). A failed merge leaves its blocks as they are;
// blocks whose merge failed on their data (Corruption, chunks that cannot be merged) are
// left out of later plans until a restart. Parents of a merged block found at open (a crash
// before they were deleted) are deleted.
// Retention runs after each compaction: blocks whose maxt is more than retention_ms older
// than the newest block's maxt are deleted, then the oldest blocks while blocks + WAL +
// chunks_head exceed retention_bytes.
//
// Queries: NewQuerier() merges the queriers of the blocks overlapping the range and of the
// head (tsdb/db/merge_querier.h; the head wins equal timestamps). A querier holds its blocks
// (shared_ptr): a block removed by retention is renamed to `<ULID>.tmp-for-deletion` at once
// and its directory is deleted only when no querier holds it any more. Before truncating
// the head, compaction waits (bounded by head_truncate_wait_ms) for queriers opened before
// the new block was listed, so no running query loses the samples moved into the block.
//
// Deletion (the admin API's delete_series / clean_tombstones, as Prometheus' DB.Delete and
// DB.CleanTombstones): Delete() writes tombstones into every overlapping block (a new Block
// object replaces the old one in the list; queriers holding the old one keep their view)
// and into the head (WAL-logged). Deleted samples are dropped whenever data is rewritten:
// head compaction, block compaction (the planner also rewrites a block alone when enough
// of its series have tombstones, tsdb/db/compact.h), and CleanTombstones(), which rewrites
// every block with tombstones into a new block (new ULID, same range, level and sources,
// the old block as parent) and deletes the old one like retention does.
//
// Thread-safety: all public methods are thread-safe. Ownership: the DB owns the head and
// the blocks; queriers and appenders must not outlive the DB.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/metrics.h"
#include "base/mutex.h"
#include "base/result.h"
#include "fs/file_system.h"
#include "storage/interface.h"
#include "tsdb/block/block.h"
#include "tsdb/head/head.h"

namespace vigil::tsdb {

inline constexpr const char* kTmpForDeletionSuffix = ".tmp-for-deletion";

struct DBOptions {
  std::string dir;  // data directory (required)
  // Options of the head; dir, chunk_range_ms and min_valid_time are set by the DB.
  HeadOptions head;
  // Range of blocks cut from the head (--storage.tsdb.min-block-duration; Prometheus: 2h).
  int64_t block_range_ms = 2 * 3600 * 1000;
  // Longest block leveled compaction builds (--storage.tsdb.max-block-duration); raised to
  // block_range_ms when below. Vertical compaction of overlapping blocks ignores it.
  int64_t max_block_duration_ms = 2 * 3600 * 1000;
  // Time retention (0: none) and size retention in bytes (0: none).
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;
  uint64_t retention_bytes = 0;
  // Period of the background compaction loop; 0: no background thread (tests call
  // CompactHead() themselves).
  int64_t compact_interval_ms = 60 * 1000;
  // Longest wait for older queriers before a head truncation (then it proceeds anyway).
  int64_t head_truncate_wait_ms = 2 * 60 * 1000;
  fs::FileSystem* fs = nullptr;  // POSIX when null
  const Clock* clock = nullptr;  // RealClock::Default() when null
};

// Monotonic counters and gauges (a snapshot) for /metrics.
struct DBCounters {
  uint64_t blocks_loaded = 0;            // prometheus_tsdb_blocks_loaded (gauge)
  uint64_t block_load_failures = 0;      // vigil_tsdb_block_load_failures_total
  uint64_t compactions = 0;              // prometheus_tsdb_compactions_total
  uint64_t compactions_failed = 0;       // prometheus_tsdb_compactions_failed_total
  uint64_t time_retentions = 0;          // prometheus_tsdb_time_retentions_total
  uint64_t size_retentions = 0;          // prometheus_tsdb_size_retentions_total
  uint64_t blocks_bytes = 0;             // prometheus_tsdb_storage_blocks_bytes (gauge)
  int64_t lowest_timestamp = INT64_MAX;  // prometheus_tsdb_lowest_timestamp (gauge)
  int64_t last_compaction_duration_ms = 0;
};

class DB final : public storage::Storage {
 public:
  // Opens the DB (see the file comment). Errors: InvalidArgument for bad options; the
  // head's errors (IOError, Corruption); IOError when the data directory cannot be listed.
  // Broken blocks are not errors.
  static Result<std::unique_ptr<DB>> Open(DBOptions opts);
  ~DB() override;

  std::unique_ptr<storage::Appender> NewAppender() override;
  // A querier over the blocks overlapping [mint, maxt] and the head, merged.
  Result<std::unique_ptr<storage::Querier>> NewQuerier(int64_t mint, int64_t maxt) override;

  // Cuts blocks from the head while it spans more than 1.5 block ranges, then applies
  // retention. Returns the number of blocks written. Errors: the first failed block write
  // (IOError, ...) -- the head keeps that data and a later call retries.
  Result<int> CompactHead();
  // Merges overlapping blocks (vertical compaction) and then adjacent ones as the planner
  // (tsdb/db/compact.h) picks them; CompactHead()
  // does this after cutting head blocks. The parents are deleted like retention deletes
  // (when unreferenced). Returns blocks written. Errors: the failed write (nothing changed).
  Result<int> CompactBlocks();
  // Applies time and size retention now (CompactHead() also does). Returns blocks deleted.
  int ApplyRetention();

  // Writes a snapshot of the DB into `dir` (created; must not exist or be empty), as
  // Prometheus' /api/v1/admin/tsdb/snapshot: every block hard-linked (copied where links
  // fail) and, with `with_head`, the head's samples written as one more block. The result is
  // a data directory Prometheus and Vigil open. Errors: IOError; the block writer's errors.
  Status Snapshot(const std::string& dir, bool with_head);

  // Prometheus' DB.Delete: marks [mint, maxt] (inclusive) of the series matching
  // `matchers` as deleted in every block overlapping it (Block::Delete) and in the head
  // (Head::Delete). Runs one at a time with compaction and retention. Errors: IOError or
  // Corruption from a block (blocks handled before it keep their deletion; the head is not
  // touched then); the head's WAL write error.
  Status Delete(int64_t mint, int64_t maxt, const std::vector<Matcher>& matchers);
  // Prometheus' DB.CleanTombstones: rewrites every block that has tombstones without the
  // deleted data (a block left with no data is just deleted). Returns the number of blocks
  // rewritten or deleted. Errors: the failed write (that block and the ones after it are
  // unchanged).
  Result<int> CleanTombstones();

  // Stops the background loop and closes the head. The DB must not be used afterwards.
  Status Close();

  Head* head() const { return head_.get(); }
  // The open blocks, oldest first (a snapshot).
  std::vector<std::shared_ptr<block::Block>> Blocks() const;
  DBCounters Counters() const;
  // prometheus_tsdb_compaction_duration_seconds: every head block write and block merge,
  // failed ones included (Prometheus' buckets: 1, 2, 4, ... 8192 s).
  const Histogram& compaction_duration() const { return compaction_duration_; }
  const DBOptions& options() const { return opts_; }

 private:
  class DBQuerier;
  class DBAppender;
  explicit DB(DBOptions opts);
  Status Init();
  // Writes [mint, maxt) of the head as a block and lists it (compact_mu_ held).
  Status CompactRange(int64_t mint, int64_t maxt) VIGIL_REQUIRES(compact_mu_);
  // Removes `doomed` from the list; their directories go when unreferenced. `failpoint` is
  // hit after each rename (base/failpoint.h).
  void DeleteBlocks(const std::vector<std::shared_ptr<block::Block>>& doomed,
                    const char* failpoint);
  // Notes a compaction run of `ms` milliseconds in the last-duration gauge and histogram.
  void RecordCompaction(int64_t ms);
  // Deletes renamed block directories no querier holds any more.
  void ReapDeleted();
  uint64_t HeadDiskBytes();
  int ApplyRetentionLocked() VIGIL_REQUIRES(compact_mu_);
  Result<int> CompactBlocksLocked() VIGIL_REQUIRES(compact_mu_);
  Status MergeBlocks(const std::vector<std::shared_ptr<block::Block>>& parents)
      VIGIL_REQUIRES(compact_mu_);
  // Leaves `b` out of later compaction plans, in memory and in its meta.json (logged if
  // that cannot be written), and lists the block with the new meta in its place.
  void MarkCompactionFailed(const std::shared_ptr<block::Block>& b) VIGIL_REQUIRES(compact_mu_);
  // Writes `b` again without its deleted data, lists the new block and deletes `b`.
  Status RewriteBlock(const std::shared_ptr<block::Block>& b) VIGIL_REQUIRES(compact_mu_);
  // Lists a block just written to opts_.dir (opens it; on failure removes its directory).
  Status AddBlock(const block::Ulid& ulid);

  // Reader registration for head truncation (see the file comment).
  uint64_t ReaderStarted(int64_t mint);
  void ReaderDone(uint64_t id);
  void WaitForReaders(uint64_t before_id, int64_t maxt);

  DBOptions opts_;
  fs::FileSystem* fs_;
  const Clock* clock_;
  std::unique_ptr<Head> head_;

  mutable Mutex mu_;
  std::vector<std::shared_ptr<block::Block>> blocks_ VIGIL_GUARDED_BY(mu_);  // by mint
  struct Doomed {
    std::weak_ptr<block::Block> block;
    std::string dir;  // renamed directory to delete
  };
  std::vector<Doomed> doomed_ VIGIL_GUARDED_BY(mu_);

  Mutex compact_mu_;  // one compaction / retention at a time
  // Blocks whose merge cannot succeed (damaged data, unmergeable chunks): not planned
  // again. Damaged ones also carry compaction.failed in meta.json, which outlives a restart.
  std::set<block::Ulid> compaction_failed_ VIGIL_GUARDED_BY(compact_mu_);

  // Open queriers: id -> mint. Plain std::mutex for the condition variable.
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::map<uint64_t, int64_t> readers_;
  uint64_t next_reader_ = 1;

  std::atomic<uint64_t> load_failures_{0}, compactions_{0}, compactions_failed_{0},
      time_retentions_{0}, size_retentions_{0};
  std::atomic<int64_t> last_compaction_ms_{0};
  Histogram compaction_duration_{Histogram::ExponentialBounds(1, 2, 14)};
  bool closed_ = false;

  // The background compaction loop (compact_interval_ms > 0): CompactHead() every interval
  // and as soon as a commit leaves the head compactable (Prometheus' dbAppender.Commit
  // signal), so a fast backfill through remote write does not pile up in the head.
  void CompactLoop();
  // Wakes the loop when the head spans more than 1.5 block ranges (cheap: two atomics).
  void MaybeKickCompaction();
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool loop_stop_ = false;  // guarded by loop_mu_
  bool loop_kick_ = false;  // guarded by loop_mu_
  std::thread loop_;        // last: joined by Close()
};

}  // namespace vigil::tsdb
