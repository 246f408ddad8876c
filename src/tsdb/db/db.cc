#include "tsdb/db/db.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "base/failpoint.h"
#include "base/logging.h"
#include "tsdb/block/block_writer.h"
#include "tsdb/db/chunk_merge.h"
#include "tsdb/db/compact.h"
#include "tsdb/db/merge_querier.h"

namespace vigil::tsdb {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The end of the block range holding t (Prometheus' rangeForTimestamp), for any sign of t.
int64_t RangeEnd(int64_t t, int64_t width) {
  int64_t q = t / width;
  if (t % width != 0 && t < 0) --q;  // floor division
  return (q + 1) * width;
}

// Bytes of the regular files under `path` (recursive); 0 when missing.
uint64_t DirBytes(fs::FileSystem* fs, const std::string& path) {
  if (!fs->IsDirectory(path)) {
    auto sz = fs->FileSize(path);
    return sz.has_value() ? *sz : 0;
  }
  auto names = fs->ListDir(path);
  if (!names.has_value()) return 0;
  uint64_t total = 0;
  for (const std::string& n : *names) total += DirBytes(fs, fs::JoinPath(path, n));
  return total;
}

}  // namespace

// Forwards to the merged querier and unregisters from the DB when closed.
class DB::DBQuerier final : public storage::Querier {
 public:
  DBQuerier(DB* db, uint64_t id, std::unique_ptr<storage::Querier> merged)
      : db_(db), id_(id), merged_(std::move(merged)) {}
  ~DBQuerier() override {
    merged_.reset();  // releases the blocks before the DB looks for unreferenced ones
    db_->ReaderDone(id_);
    db_->ReapDeleted();
  }

  std::unique_ptr<storage::SeriesSet> Select(const Context& ctx, bool sorted,
                                             const storage::SelectHints* hints,
                                             const std::vector<Matcher>& matchers) override {
    return merged_->Select(ctx, sorted, hints, matchers);
  }
  Result<std::vector<std::string>> LabelValues(const Context& ctx, std::string_view name,
                                               const std::vector<Matcher>& matchers,
                                               size_t limit) override {
    return merged_->LabelValues(ctx, name, matchers, limit);
  }
  Result<std::vector<std::string>> LabelNames(const Context& ctx,
                                              const std::vector<Matcher>& matchers,
                                              size_t limit) override {
    return merged_->LabelNames(ctx, matchers, limit);
  }

 private:
  DB* db_;
  uint64_t id_;
  std::unique_ptr<storage::Querier> merged_;
};

// Forwards to the head's appender; a successful commit may wake the compaction loop.
class DB::DBAppender final : public storage::Appender {
 public:
  DBAppender(DB* db, std::unique_ptr<storage::Appender> app) : db_(db), app_(std::move(app)) {}
  Result<storage::SeriesRef> Append(storage::SeriesRef ref, const Labels& labels, int64_t t,
                                    double v) override {
    return app_->Append(ref, labels, t, v);
  }
  Status Commit() override {
    Status s = app_->Commit();
    if (s.ok()) db_->MaybeKickCompaction();
    return s;
  }
  Status Rollback() override { return app_->Rollback(); }

 private:
  DB* db_;
  std::unique_ptr<storage::Appender> app_;
};

DB::DB(DBOptions opts)
    : opts_(std::move(opts)),
      fs_(opts_.fs != nullptr ? opts_.fs : fs::DefaultFileSystem()),
      clock_(opts_.clock != nullptr ? opts_.clock : RealClock::Default()) {}

DB::~DB() {
  if (!closed_) {
    if (Status s = Close(); !s.ok()) {
      VIGIL_LOG_ERROR("tsdb", "Closing the DB failed", "err={}", LogQuote(s.ToString()));
    }
  }
}

Result<std::unique_ptr<DB>> DB::Open(DBOptions opts) {
  if (opts.dir.empty()) return Status::InvalidArgument("the DB needs a data directory");
  if (opts.block_range_ms <= 0) return Status::InvalidArgument("block range must be positive");
  if (opts.retention_ms < 0) return Status::InvalidArgument("retention must not be negative");
  // Prometheus: a max block duration below the min is raised to it.
  opts.max_block_duration_ms = std::max(opts.max_block_duration_ms, opts.block_range_ms);
  std::unique_ptr<DB> db(new DB(std::move(opts)));
  VIGIL_RETURN_IF_ERROR(db->Init());
  return db;
}

Status DB::Init() {
  VIGIL_RETURN_IF_ERROR(fs_->CreateDirs(opts_.dir));
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->ListDir(opts_.dir));
  std::sort(names.begin(), names.end());
  std::vector<std::shared_ptr<block::Block>> blocks;
  for (const std::string& n : names) {
    const std::string path = fs::JoinPath(opts_.dir, n);
    if (EndsWith(n, block::kTmpForCreationSuffix) || EndsWith(n, kTmpForDeletionSuffix)) {
      VIGIL_LOG_INFO("tsdb", "Removing leftover temporary block directory", "dir={}",
                     LogQuote(path));
      if (Status s = fs_->RemoveAll(path); !s.ok()) {
        VIGIL_LOG_WARN("tsdb", "Removing a temporary directory failed", "err={}",
                       LogQuote(s.ToString()));
      }
      continue;
    }
    if (!block::Ulid::Parse(n).has_value() || !fs_->IsDirectory(path)) continue;
    auto b = block::Block::Open(path, fs_);
    if (!b.has_value()) {
      load_failures_.fetch_add(1, std::memory_order_relaxed);
      VIGIL_LOG_ERROR("tsdb", "Skipping a block that cannot be opened", "dir={} err={}",
                      LogQuote(path), LogQuote(b.error().ToString()));
      continue;
    }
    blocks.push_back(std::move(*b));
  }
  // Parents of a merged block survive a crash between the merge and their deletion.
  std::set<block::Ulid> parents;
  for (const auto& b : blocks) {
    for (const auto& p : b->meta().compaction.parents) parents.insert(p.ulid);
  }
  std::erase_if(blocks, [&](const std::shared_ptr<block::Block>& b) {
    if (parents.count(b->meta().ulid) == 0) return false;
    VIGIL_LOG_INFO("tsdb", "Deleting a block already compacted into another", "dir={}",
                   LogQuote(b->dir()));
    fs_->RemoveAll(b->dir()).IgnoreError();
    return true;
  });
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
    if (a->meta().min_time != b->meta().min_time) return a->meta().min_time < b->meta().min_time;
    return a->meta().ulid < b->meta().ulid;
  });
  int64_t newest_maxt = INT64_MIN;
  for (const auto& b : blocks) newest_maxt = std::max(newest_maxt, b->meta().max_time);

  HeadOptions ho = opts_.head;
  ho.dir = opts_.dir;
  ho.chunk_range_ms = opts_.block_range_ms;
  ho.min_valid_time = std::max(ho.min_valid_time, newest_maxt);
  if (ho.fs == nullptr) ho.fs = opts_.fs;
  if (ho.clock == nullptr) ho.clock = opts_.clock;
  VIGIL_ASSIGN_OR_RETURN(head_, Head::Open(std::move(ho)));
  {
    MutexLock l(&mu_);
    blocks_ = std::move(blocks);
  }
  VIGIL_LOG_INFO("tsdb", "TSDB opened", "blocks={} block_load_failures={} head_series={}",
                 Blocks().size(), load_failures_.load(), head_->NumSeries());
  ApplyRetention();  // as Prometheus' reload at open
  if (opts_.compact_interval_ms > 0) {
    loop_ = std::thread([this] { CompactLoop(); });
  }
  return Status::OK();
}

Status DB::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  {
    std::lock_guard<std::mutex> l(loop_mu_);
    loop_stop_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  Status s = head_ ? head_->Close() : Status::OK();
  ReapDeleted();
  return s;
}

std::unique_ptr<storage::Appender> DB::NewAppender() {
  return std::make_unique<DBAppender>(this, head_->NewAppender());
}

void DB::CompactLoop() {
  std::unique_lock<std::mutex> l(loop_mu_);
  bool failed = false;
  while (true) {
    // After a failure (say a full disk) commits do not wake the loop before the interval:
    // no retry storm.
    loop_cv_.wait_for(l, std::chrono::milliseconds(opts_.compact_interval_ms),
                      [&] { return loop_stop_ || (loop_kick_ && !failed); });
    if (loop_stop_) return;
    loop_kick_ = false;
    l.unlock();
    failed = !CompactHead().has_value();  // logged and counted inside
    l.lock();
  }
}

void DB::MaybeKickCompaction() {
  if (opts_.compact_interval_ms <= 0) return;
  const int64_t hmin = head_->MinTime(), hmax = head_->MaxTime();
  if (hmin == INT64_MAX || hmax == INT64_MIN || hmax - hmin <= opts_.block_range_ms / 2 * 3) {
    return;
  }
  {
    std::lock_guard<std::mutex> l(loop_mu_);
    loop_kick_ = true;
  }
  loop_cv_.notify_all();
}

Result<std::unique_ptr<storage::Querier>> DB::NewQuerier(int64_t mint, int64_t maxt) {
  // Registered before the block snapshot: a truncation that lists a block after this point
  // waits for this querier (see WaitForReaders).
  const uint64_t id = ReaderStarted(mint);
  std::vector<std::unique_ptr<storage::Querier>> children;
  for (const auto& b : Blocks()) {
    if (!b->Overlaps(mint, maxt)) continue;
    auto q = b->NewQuerier(mint, maxt);
    if (!q.has_value()) {
      ReaderDone(id);
      return q.error().WithPrefix("querying block " + b->meta().ulid.ToString());
    }
    children.push_back(std::move(*q));
  }
  auto hq = head_->NewQuerier(mint, maxt);
  if (!hq.has_value()) {
    ReaderDone(id);
    return hq.error();
  }
  children.push_back(std::move(*hq));  // last: the head wins equal timestamps
  return std::unique_ptr<storage::Querier>(
      new DBQuerier(this, id, NewMergeQuerier(std::move(children))));
}

std::vector<std::shared_ptr<block::Block>> DB::Blocks() const {
  MutexLock l(&mu_);
  return blocks_;
}

DBCounters DB::Counters() const {
  DBCounters c;
  {
    MutexLock l(&mu_);
    c.blocks_loaded = blocks_.size();
    for (const auto& b : blocks_) {
      c.blocks_bytes += b->size_bytes();
      c.lowest_timestamp = std::min(c.lowest_timestamp, b->meta().min_time);
    }
  }
  if (head_ && head_->NumSeries() > 0) {
    c.lowest_timestamp = std::min(c.lowest_timestamp, head_->MinTime());
  }
  c.block_load_failures = load_failures_.load(std::memory_order_relaxed);
  c.compactions = compactions_.load(std::memory_order_relaxed);
  c.compactions_failed = compactions_failed_.load(std::memory_order_relaxed);
  c.time_retentions = time_retentions_.load(std::memory_order_relaxed);
  c.size_retentions = size_retentions_.load(std::memory_order_relaxed);
  c.last_compaction_duration_ms = last_compaction_ms_.load(std::memory_order_relaxed);
  return c;
}

void DB::RecordCompaction(int64_t ms) {
  last_compaction_ms_.store(ms, std::memory_order_relaxed);
  compaction_duration_.Observe(double(ms) / 1000);
}

Result<int> DB::CompactHead() {
  MutexLock l(&compact_mu_);
  const int64_t range = opts_.block_range_ms;
  int written = 0;
  Status failed;
  while (true) {
    const int64_t hmin = head_->MinTime(), hmax = head_->MaxTime();
    if (hmin == INT64_MAX || hmax == INT64_MIN || hmax < hmin) break;
    if (hmax - hmin <= range / 2 * 3) break;  // Prometheus' compactable()
    const int64_t maxt = RangeEnd(hmin, range);
    const int64_t start_ms = clock_->NowMs();
    Status s = CompactRange(hmin, maxt);
    RecordCompaction(clock_->NowMs() - start_ms);
    if (!s.ok()) {
      compactions_failed_.fetch_add(1, std::memory_order_relaxed);
      VIGIL_LOG_ERROR("tsdb", "Head compaction failed; the head keeps the data",
                      "mint={} maxt={} err={}", hmin, maxt, LogQuote(s.ToString()));
      failed = std::move(s);
      break;
    }
    ++written;
    if (head_->MinTime() < maxt && head_->NumSeries() > 0) break;  // no progress: try later
  }
  if (failed.ok()) {
    auto merged = CompactBlocksLocked();
    if (!merged.has_value()) failed = merged.error();
  }
  ApplyRetentionLocked();
  ReapDeleted();
  if (!failed.ok()) return failed;
  return written;
}

Result<int> DB::CompactBlocks() {
  MutexLock l(&compact_mu_);
  auto r = CompactBlocksLocked();
  ReapDeleted();
  return r;
}

Result<int> DB::CompactBlocksLocked() {
  const std::vector<int64_t> ranges =
      CompactionRanges(opts_.block_range_ms, opts_.max_block_duration_ms);
  int written = 0;
  while (true) {
    std::vector<std::shared_ptr<block::Block>> blocks = Blocks();
    std::vector<block::BlockMeta> metas;
    for (const auto& b : blocks) {
      metas.push_back(b->meta());
      if (compaction_failed_.count(b->meta().ulid) != 0) metas.back().compaction.failed = true;
    }
    std::vector<size_t> plan = PlanVerticalCompaction(metas);
    if (plan.empty()) plan = PlanCompaction(metas, ranges);
    if (plan.empty()) break;
    std::vector<std::shared_ptr<block::Block>> parents;
    for (size_t i : plan) parents.push_back(blocks[i]);
    const int64_t start_ms = clock_->NowMs();
    Status s = MergeBlocks(parents);
    RecordCompaction(clock_->NowMs() - start_ms);
    if (!s.ok()) {
      compactions_failed_.fetch_add(1, std::memory_order_relaxed);
      VIGIL_LOG_ERROR("tsdb", "Block compaction failed; the blocks are kept as they are",
                      "blocks={} err={}", parents.size(), LogQuote(s.ToString()));
      // A merge that cannot succeed leaves its blocks out of later plans. Damaged data is
      // marked in meta.json too (as Prometheus does), so a restart does not try again;
      // chunks Vigil cannot merge but Prometheus can (InvalidArgument: overlapping
      // histogram chunks) only in memory, so Prometheus still compacts them. Transient
      // errors (IOError) mark nothing and are retried: unlike Prometheus, a full disk does
      // not keep blocks out of compaction for good.
      if (s.IsCorruption()) {
        for (const auto& p : parents) MarkCompactionFailed(p);
      } else if (s.code() == StatusCode::kInvalidArgument) {
        for (const auto& p : parents) compaction_failed_.insert(p->meta().ulid);
      }
      return s;
    }
    ++written;
  }
  return written;
}

void DB::MarkCompactionFailed(const std::shared_ptr<block::Block>& b) {
  compaction_failed_.insert(b->meta().ulid);
  Result<std::shared_ptr<block::Block>> nb = b->MarkCompactionFailed();
  if (!nb.has_value()) {
    VIGIL_LOG_WARN("tsdb", "Marking a block compaction-failed in meta.json failed", "dir={} err={}",
                   LogQuote(b->dir()), LogQuote(nb.error().ToString()));
    return;
  }
  MutexLock l(&mu_);
  std::replace(blocks_.begin(), blocks_.end(), b, *nb);
}

Status DB::MergeBlocks(const std::vector<std::shared_ptr<block::Block>>& parents) {
  std::vector<std::string> symbols;
  std::vector<std::unique_ptr<chunks::ChunkSeriesSet>> sets;
  block::BlockWriterOptions bo;
  // Overlapping parents (vertical compaction): the union of their ranges.
  bo.mint = INT64_MAX;
  bo.maxt = INT64_MIN;
  for (const auto& p : parents) {
    bo.mint = std::min(bo.mint, p->meta().min_time);
    bo.maxt = std::max(bo.maxt, p->meta().max_time);
  }
  bo.fs = fs_;
  bo.clock = clock_;
  bo.compaction_level = 1;
  for (const auto& p : parents) {
    const block::BlockMeta& m = p->meta();
    VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> syms, p->Symbols());
    std::vector<std::string> merged;
    std::set_union(symbols.begin(), symbols.end(), syms.begin(), syms.end(),
                   std::back_inserter(merged));
    symbols = std::move(merged);
    VIGIL_ASSIGN_OR_RETURN(auto set, p->NewChunkSeriesSet({}, m.min_time, m.max_time - 1));
    sets.push_back(std::move(set));
    bo.compaction_level = std::max(bo.compaction_level, m.compaction.level + 1);
    bo.sources.insert(bo.sources.end(), m.compaction.sources.begin(), m.compaction.sources.end());
    bo.parents.push_back(block::BlockDesc{m.ulid, m.min_time, m.max_time});
  }
  std::sort(bo.sources.begin(), bo.sources.end());
  bo.sources.erase(std::unique(bo.sources.begin(), bo.sources.end()), bo.sources.end());
  // Parents come ordered by (min time, ULID): on equal timestamps in overlapping parents
  // the later one's sample is kept, as the merge querier does (chunk_merge.h).
  auto set = NewMergeChunkSeriesSet(std::move(sets));
  VIGIL_ASSIGN_OR_RETURN(block::BlockMeta meta, block::WriteBlock(Context::Background(), opts_.dir,
                                                                  symbols, set.get(), bo));
  set.reset();
  compactions_.fetch_add(1, std::memory_order_relaxed);
  if (meta.stats.num_series > 0) VIGIL_RETURN_IF_ERROR(AddBlock(meta.ulid));
  bool overlapping = false;
  for (size_t i = 1; i < parents.size(); ++i) {
    overlapping |= parents[i]->meta().min_time < parents[i - 1]->meta().max_time;
  }
  VIGIL_LOG_INFO("tsdb", "Compacted blocks",
                 "ulid={} mint={} maxt={} level={} parents={} overlapping={}", meta.ulid.ToString(),
                 bo.mint, bo.maxt, bo.compaction_level, parents.size(), overlapping);
  VIGIL_FAILPOINT("db.compact_blocks.after_write");
  DeleteBlocks(parents, "db.compact_blocks.mid_delete");
  return Status::OK();
}

Status DB::AddBlock(const block::Ulid& ulid) {
  const std::string dir = fs::JoinPath(opts_.dir, ulid.ToString());
  auto b = block::Block::Open(dir, fs_);
  if (!b.has_value()) {
    fs_->RemoveAll(dir).IgnoreError();
    return b.error().WithPrefix("opening the new block " + dir);
  }
  MutexLock l(&mu_);
  blocks_.push_back(std::move(*b));
  std::sort(blocks_.begin(), blocks_.end(), [](const auto& x, const auto& y) {
    if (x->meta().min_time != y->meta().min_time) return x->meta().min_time < y->meta().min_time;
    return x->meta().ulid < y->meta().ulid;
  });
  return Status::OK();
}

Status DB::Delete(int64_t mint, int64_t maxt, const std::vector<Matcher>& matchers) {
  MutexLock cl(&compact_mu_);
  for (const auto& b : Blocks()) {
    if (!b->Overlaps(mint, maxt)) continue;
    Result<std::shared_ptr<block::Block>> nb = b->Delete(mint, maxt, matchers);
    if (!nb.has_value()) return nb.error().WithPrefix("delete in block " + b->dir());
    if (*nb == nullptr) continue;
    MutexLock l(&mu_);
    std::replace(blocks_.begin(), blocks_.end(), b, *nb);
  }
  return head_->Delete(mint, maxt, matchers);
}

Result<int> DB::CleanTombstones() {
  MutexLock cl(&compact_mu_);
  int n = 0;
  Status st;
  for (const auto& b : Blocks()) {
    if (b->tombstones().empty()) continue;
    st = RewriteBlock(b);
    if (!st.ok()) break;
    ++n;
  }
  ReapDeleted();
  if (!st.ok()) return st;
  return n;
}

Status DB::RewriteBlock(const std::shared_ptr<block::Block>& b) {
  const block::BlockMeta& m = b->meta();
  VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> symbols, b->Symbols());
  VIGIL_ASSIGN_OR_RETURN(auto set, b->NewChunkSeriesSet({}, m.min_time, m.max_time - 1));
  block::BlockWriterOptions bo;
  bo.mint = m.min_time;
  bo.maxt = m.max_time;
  bo.compaction_level = m.compaction.level;
  bo.sources = m.compaction.sources;
  // The old block as parent: a restart after a crash before its deletion deletes it.
  bo.parents.push_back(block::BlockDesc{m.ulid, m.min_time, m.max_time});
  bo.fs = fs_;
  bo.clock = clock_;
  VIGIL_ASSIGN_OR_RETURN(block::BlockMeta meta, block::WriteBlock(Context::Background(), opts_.dir,
                                                                  symbols, set.get(), bo));
  set.reset();
  if (meta.stats.num_series > 0) VIGIL_RETURN_IF_ERROR(AddBlock(meta.ulid));
  VIGIL_LOG_INFO("tsdb", "Rewrote a block without its deleted data", "old={} new={} series={}",
                 m.ulid.ToString(), meta.stats.num_series > 0 ? meta.ulid.ToString() : "none",
                 meta.stats.num_series);
  DeleteBlocks({b}, "db.clean_tombstones.mid_delete");
  return Status::OK();
}

Status DB::CompactRange(int64_t mint, int64_t maxt) {
  const Context ctx = Context::Background();
  std::vector<std::string> symbols = head_->BlockSymbols();
  std::unique_ptr<chunks::ChunkSeriesSet> set = head_->NewChunkSeriesSet(ctx, mint, maxt - 1);
  block::BlockWriterOptions bo;
  bo.mint = mint;
  bo.maxt = maxt;
  bo.fs = fs_;
  bo.clock = clock_;
  VIGIL_ASSIGN_OR_RETURN(block::BlockMeta meta,
                         block::WriteBlock(ctx, opts_.dir, symbols, set.get(), bo));
  set.reset();
  compactions_.fetch_add(1, std::memory_order_relaxed);
  uint64_t mark = 0;
  if (meta.stats.num_series > 0) {
    VIGIL_RETURN_IF_ERROR(AddBlock(meta.ulid));
    {
      std::lock_guard<std::mutex> l(readers_mu_);
      mark = next_reader_;
    }
    VIGIL_LOG_INFO("tsdb", "Wrote block from the head", "ulid={} mint={} maxt={} series={}",
                   meta.ulid.ToString(), mint, maxt, meta.stats.num_series);
    WaitForReaders(mark, maxt);
  }
  VIGIL_FAILPOINT("db.compact_head.before_truncate");
  auto ts = head_->Truncate(maxt);
  if (!ts.has_value()) {
    // The block holds the data; the head's on-disk part is retried at the next truncation.
    VIGIL_LOG_WARN("tsdb", "Head truncation failed", "err={}", LogQuote(ts.error().ToString()));
  }
  return Status::OK();
}

int DB::ApplyRetention() {
  MutexLock l(&compact_mu_);
  int n = ApplyRetentionLocked();
  ReapDeleted();
  return n;
}

int DB::ApplyRetentionLocked() {
  std::vector<std::shared_ptr<block::Block>> blocks = Blocks();
  if (blocks.empty()) return 0;
  // Newest first (by maxt), as Prometheus' retention walks them.
  std::sort(blocks.begin(), blocks.end(),
            [](const auto& a, const auto& b) { return a->meta().max_time > b->meta().max_time; });
  std::vector<std::shared_ptr<block::Block>> doomed;
  size_t keep = blocks.size();
  if (opts_.retention_ms > 0) {
    const int64_t newest = blocks.front()->meta().max_time;
    for (size_t i = 1; i < blocks.size(); ++i) {
      if (newest - blocks[i]->meta().max_time > opts_.retention_ms) {
        keep = i;
        break;
      }
    }
    if (keep < blocks.size()) {
      time_retentions_.fetch_add(1, std::memory_order_relaxed);
      doomed.assign(blocks.begin() + keep, blocks.end());
    }
  }
  if (opts_.retention_bytes > 0) {
    uint64_t total = HeadDiskBytes();
    for (size_t i = 0; i < keep; ++i) {
      total += blocks[i]->size_bytes();
      if (total > opts_.retention_bytes) {
        size_retentions_.fetch_add(1, std::memory_order_relaxed);
        doomed.insert(doomed.begin(), blocks.begin() + i, blocks.begin() + keep);
        break;
      }
    }
  }
  if (doomed.empty()) return 0;
  for (const auto& b : doomed) {
    VIGIL_LOG_INFO("tsdb", "Deleting block beyond retention", "ulid={} mint={} maxt={}",
                   b->meta().ulid.ToString(), b->meta().min_time, b->meta().max_time);
  }
  DeleteBlocks(doomed, "db.retention.mid_delete");
  return int(doomed.size());
}

void DB::DeleteBlocks(const std::vector<std::shared_ptr<block::Block>>& doomed,
                      const char* failpoint) {
  MutexLock l(&mu_);
  for (const auto& b : doomed) {
    blocks_.erase(std::remove(blocks_.begin(), blocks_.end(), b), blocks_.end());
    // Renamed at once so a restart never loads it again; deleted once unreferenced (the
    // files stay mapped by readers either way).
    std::string dir = b->dir() + kTmpForDeletionSuffix;
    if (Status s = fs_->Rename(b->dir(), dir); !s.ok()) {
      VIGIL_LOG_WARN("tsdb", "Renaming a deleted block failed", "err={}", LogQuote(s.ToString()));
      dir = b->dir();
    }
    doomed_.push_back(Doomed{b, std::move(dir)});
    VIGIL_FAILPOINT(failpoint);
  }
  fs_->SyncDir(opts_.dir).IgnoreError();
}

void DB::ReapDeleted() {
  std::vector<std::string> dirs;
  {
    MutexLock l(&mu_);
    for (auto it = doomed_.begin(); it != doomed_.end();) {
      if (it->block.expired()) {
        dirs.push_back(std::move(it->dir));
        it = doomed_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::string& d : dirs) {
    if (Status s = fs_->RemoveAll(d); !s.ok()) {
      VIGIL_LOG_WARN("tsdb", "Removing a deleted block failed", "dir={} err={}", LogQuote(d),
                     LogQuote(s.ToString()));
    }
  }
}

uint64_t DB::HeadDiskBytes() {
  return DirBytes(fs_, fs::JoinPath(opts_.dir, "wal")) +
         DirBytes(fs_, fs::JoinPath(opts_.dir, "chunks_head"));
}

uint64_t DB::ReaderStarted(int64_t mint) {
  std::lock_guard<std::mutex> l(readers_mu_);
  uint64_t id = next_reader_++;
  readers_.emplace(id, mint);
  return id;
}

void DB::ReaderDone(uint64_t id) {
  {
    std::lock_guard<std::mutex> l(readers_mu_);
    readers_.erase(id);
  }
  readers_cv_.notify_all();
}

void DB::WaitForReaders(uint64_t before_id, int64_t maxt) {
  std::unique_lock<std::mutex> l(readers_mu_);
  auto none = [&] {
    for (const auto& [id, mint] : readers_) {
      if (id >= before_id) break;
      if (mint < maxt) return false;
    }
    return true;
  };
  if (!readers_cv_.wait_for(l, std::chrono::milliseconds(opts_.head_truncate_wait_ms), none)) {
    VIGIL_LOG_WARN("tsdb", "Truncating the head while older queries still run", "wait_ms={}",
                   opts_.head_truncate_wait_ms);
  }
}

}  // namespace vigil::tsdb
