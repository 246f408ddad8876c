// Fault injection through the DB: {ENOSPC, EIO} × {write, fsync} while appending to the WAL,
// writing head chunk files, writing a block from the head and merging blocks. Each case
// checks the error names the cause, that queries keep answering with every acknowledged
// sample, that nothing is left half-written, that the DB recovers once the fault clears, and
// that a reopen still has every acknowledged sample.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/block_writer.h"
#include "tsdb/db/compact.h"
#include "tsdb/db/db.h"
#include "tsdb/db/db_test_util.h"

namespace vigil::tsdb {
namespace {

using block::testing::GenerateSeries;
using block::testing::TestSeries;
using testing::HasEntryWithSuffix;

constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT0 = 1700000000000;

struct Fault {
  const char* name;
  int err;
  bool on_sync;     // every fsync fails; otherwise writes fail after `budget` bytes
  uint64_t budget;  // bytes that still succeed (a short write crosses it)
};

const Fault kFaults[] = {
    {"enospc_write", ENOSPC, false, 0}, {"enospc_short_write", ENOSPC, false, 3000},
    {"eio_write", EIO, false, 0},       {"eio_short_write", EIO, false, 3000},
    {"enospc_fsync", ENOSPC, true, 0},  {"eio_fsync", EIO, true, 0},
};

void Arm(fs::FaultInjectingFileSystem* ffs, const Fault& f, const std::string& filter) {
  ffs->SetFaultPathFilter(filter);
  if (f.on_sync) {
    ffs->FailSyncs(f.err);
  } else {
    ffs->FailWritesAfter(f.budget, f.err);
  }
}

::testing::AssertionResult NamesCause(const Status& s, const Fault& f) {
  if (s.ok()) return ::testing::AssertionFailure() << "no error";
  const std::string msg = s.ToString();
  if (msg.find(std::strerror(f.err)) == std::string::npos) {
    return ::testing::AssertionFailure() << "error does not name the cause: " << msg;
  }
  return ::testing::AssertionSuccess();
}

using Dump = std::map<Labels, std::map<int64_t, double>>;

// Every sample of every series in [mint, maxt]; *err gets the first query error.
Dump Query(storage::Queryable* q, int64_t mint, int64_t maxt, Status* err) {
  Dump out;
  auto querier = q->NewQuerier(mint, maxt);
  if (!querier.has_value()) {
    *err = querier.error();
    return out;
  }
  auto m = Matcher::Make(MatchType::kRegexMatch, "__name__", ".+");
  auto set = (*querier)->Select(Context::Background(), true, nullptr, {*m});
  while (set->Next()) {
    auto it = set->At().Iterator();
    auto& v = out[set->At().labels()];
    while (it->Next()) v[it->AtT()] = it->AtV();
    if (!it->Err().ok() && err->ok()) *err = it->Err();
  }
  if (!set->Err().ok() && err->ok()) *err = set->Err();
  return out;
}

// Samples are compared by bits (NaN included).
bool SameValue(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// got holds every sample of `acked` (and may hold samples of `maybe`, commits that failed
// after their bytes reached the disk), and nothing else.
::testing::AssertionResult Holds(const Dump& got, const Dump& acked, const Dump& maybe = {}) {
  size_t n = 0;
  for (const auto& [l, samples] : acked) {
    auto it = got.find(l);
    for (const auto& [t, v] : samples) {
      ++n;
      if (it == got.end() || it->second.count(t) == 0) {
        return ::testing::AssertionFailure()
               << "acknowledged sample lost: " << l.ToString() << " @" << t;
      }
      if (!SameValue(it->second.at(t), v)) {
        return ::testing::AssertionFailure() << "wrong value: " << l.ToString() << " @" << t;
      }
    }
  }
  for (const auto& [l, samples] : got) {
    for (const auto& [t, v] : samples) {
      auto a = acked.find(l);
      auto m = maybe.find(l);
      if ((a == acked.end() || a->second.count(t) == 0) &&
          (m == maybe.end() || m->second.count(t) == 0)) {
        return ::testing::AssertionFailure()
               << "sample never written: " << l.ToString() << " @" << t;
      }
    }
  }
  if (n == 0) return ::testing::AssertionFailure() << "nothing acknowledged";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Serves(DB* db, const Dump& acked, const Dump& maybe = {}) {
  Status err;
  Dump got = Query(db, INT64_MIN / 2, INT64_MAX / 2, &err);
  if (!err.ok()) return ::testing::AssertionFailure() << "query failed: " << err.ToString();
  return Holds(got, acked, maybe);
}

// Appends the samples of `series` with t in [from, until) in one commit; on success they
// join *acked, otherwise *maybe. Returns the commit's status.
Status AppendRange(DB* db, const std::vector<TestSeries>& series, int64_t from, int64_t until,
                   Dump* acked, Dump* maybe) {
  auto app = db->NewAppender();
  Dump batch;
  for (const auto& s : series) {
    for (const Sample& x : s.samples) {
      if (x.t < from || x.t >= until) continue;
      auto r = app->Append(0, s.labels, x.t, x.v);
      if (!r.has_value()) {
        app->Rollback().IgnoreError();
        return r.error();
      }
      batch[s.labels][x.t] = x.v;
    }
  }
  Status st = app->Commit();
  Dump* into = st.ok() ? acked : maybe;
  for (auto& [l, v] : batch) into->operator[](l).insert(v.begin(), v.end());
  return st;
}

DBOptions Options(const std::string& dir, fs::FileSystem* fs) {
  DBOptions o = testing::TestOptions(dir, fs);
  o.head_truncate_wait_ms = 0;
  return o;
}

std::vector<TestSeries> Series(int64_t span_ms, size_t n = 20) {
  return GenerateSeries(testing::Gen(span_ms, n));
}

// The compaction failed naming the cause, and the DB counted it once.
::testing::AssertionResult FailedWithCause(DB* db, const Result<int>& n, const Fault& f) {
  if (n.has_value()) return ::testing::AssertionFailure() << "compaction succeeded";
  if (auto r = NamesCause(n.error(), f); !r) return r;
  if (db->Counters().compactions_failed != 1u) {
    return ::testing::AssertionFailure()
           << db->Counters().compactions_failed << " failed compactions counted, want 1";
  }
  return ::testing::AssertionSuccess();
}

// The compaction succeeded and wrote at least one block.
::testing::AssertionResult Compacted(const Result<int>& n) {
  if (!n.has_value()) return ::testing::AssertionFailure() << n.error().ToString();
  if (*n < 1) return ::testing::AssertionFailure() << "no block written";
  return ::testing::AssertionSuccess();
}

// A temporary directory in `dir` and a fault-injecting file system over POSIX; collects
// the samples acknowledged (and those that may have been written) as the test appends.
class DBFault : public ::testing::Test {
 protected:
  // Appends [*t, until) of series_ in commits of `step` ms; stops at the first failed
  // commit and returns its status. *t is then where the next commit would start.
  Status AppendSteps(DB* db, int64_t* t, int64_t until, int64_t step) {
    for (; *t < until; *t += step) {
      Status st = AppendRange(db, series_, *t, *t + step, &acked_, &maybe_);
      if (!st.ok()) {
        *t += step;
        return st;
      }
    }
    return Status();
  }

  // Writes series_ in [kT0, kT0 + span) into 2h blocks (no merging), without faults.
  void WriteTwoHourBlocks(int64_t span) {
    auto db = DB::Open(Options(d_.path(), nullptr));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series_, kT0, kT0 + span, &acked_, &maybe_).ok());
    ASSERT_TRUE((*db)->CompactHead().has_value());
    ASSERT_GE((*db)->Blocks().size(), 3u);
    ASSERT_TRUE((*db)->Close().ok());
  }

  // A reopen (without faults) serves every acknowledged sample.
  void ExpectReopenServes() {
    auto db = DB::Open(Options(d_.path(), nullptr));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    EXPECT_TRUE(Serves(db->get(), acked_, maybe_));
  }

  fs::TempDir d_;
  fs::FaultInjectingFileSystem ffs_{fs::DefaultFileSystem()};
  std::vector<TestSeries> series_;
  Dump acked_, maybe_;
};

class DBFaultTest : public DBFault, public ::testing::WithParamInterface<Fault> {};

// The WAL refuses a commit: the appender's Commit fails naming the cause, the head keeps
// serving what was acknowledged, and commits work again once the fault clears.
TEST_P(DBFaultTest, WalAppendFailsTheCommitAndKeepsServing) {
  const Fault f = GetParam();
  series_ = Series(3 * kHour);
  DBOptions o = Options(d_.path(), &ffs_);
  o.head.wal_sync_on_commit = true;  // so that a failing fsync fails the commit
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series_, kT0, kT0 + kHour, &acked_, &maybe_).ok());
    Arm(&ffs_, f, "wal");
    int64_t t = kT0 + kHour;
    EXPECT_TRUE(NamesCause(AppendSteps(db->get(), &t, kT0 + 2 * kHour, 5 * 60000), f));
    EXPECT_TRUE(Serves(db->get(), acked_));
    EXPECT_GE((*db)->head()->Counters().wal_write_errors, 1u);
    ffs_.ClearFaults();
    Status again = AppendRange(db->get(), series_, t, kT0 + 3 * kHour, &acked_, &maybe_);
    if (!again.ok()) {  // the writer may need one failed commit to reopen
      again = AppendRange(db->get(), series_, t, kT0 + 3 * kHour, &acked_, &maybe_);
    }
    EXPECT_TRUE(again.ok()) << again.ToString();
    EXPECT_TRUE(Serves(db->get(), acked_));
    ASSERT_TRUE((*db)->Close().ok());
  }
  ExpectReopenServes();
}

// Head chunk files fail while the WAL works: every commit is acknowledged, so every cut
// chunk must stay readable (in memory until its file write succeeds), go into the block at
// compaction, and survive a reopen.
TEST_P(DBFaultTest, HeadChunkWriteFailureLosesNoAcknowledgedSample) {
  const Fault f = GetParam();
  series_ = Series(5 * kHour);
  DBOptions o = Options(d_.path(), &ffs_);
  o.head.chunk_write_buffer_bytes = 4096;  // flush (and fail) often
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series_, kT0, kT0 + kHour, &acked_, &maybe_).ok());
    Arm(&ffs_, f, "chunks_head");
    int64_t t = kT0 + kHour;
    ASSERT_TRUE(AppendSteps(db->get(), &t, kT0 + 4 * kHour, 10 * 60000).ok());
    EXPECT_TRUE(Serves(db->get(), acked_));
    // Blocks are written (their files are not the failing ones) from every acked sample.
    ASSERT_TRUE(Compacted((*db)->CompactHead()));
    EXPECT_TRUE(Serves(db->get(), acked_));
    ffs_.ClearFaults();
    ASSERT_TRUE(AppendRange(db->get(), series_, t, kT0 + 5 * kHour, &acked_, &maybe_).ok());
    EXPECT_TRUE(Serves(db->get(), acked_));
    (*db)->Close().IgnoreError();  // may report the earlier chunk file failure
  }
  ExpectReopenServes();
}

// No inode for the next head chunk file (the head truncation finished the current one):
// the cut chunks wait in memory, stay readable, go into blocks, and are written to a file
// in order once files can be created again.
TEST_F(DBFault, HeadChunkFileCreationFailureKeepsChunksInMemory) {
  series_ = Series(9 * kHour);
  {
    auto db = DB::Open(Options(d_.path(), &ffs_));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series_, kT0, kT0 + 4 * kHour, &acked_, &maybe_).ok());
    ASSERT_GE(*(*db)->CompactHead(), 1);  // truncation finishes the current chunk file
    ffs_.SetFaultPathFilter("chunks_head");
    ffs_.FailCreates(ENOSPC);
    int64_t t = kT0 + 4 * kHour;
    ASSERT_TRUE(AppendSteps(db->get(), &t, kT0 + 7 * kHour, 10 * 60000).ok());
    EXPECT_GT((*db)->head()->MemoryByStructure().chunk_store, size_t(1) << 20);  // waiting
    EXPECT_TRUE(Serves(db->get(), acked_));
    ffs_.ClearFaults();  // the next cut writes the waiting chunks first
    ASSERT_TRUE(AppendSteps(db->get(), &t, kT0 + 9 * kHour, 10 * 60000).ok());
    EXPECT_TRUE(Serves(db->get(), acked_));
    ASSERT_TRUE(Compacted((*db)->CompactHead()));
    EXPECT_TRUE(Serves(db->get(), acked_));
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(Options(d_.path(), nullptr));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_TRUE(Serves(db->get(), acked_, maybe_));
  EXPECT_EQ((*db)->head()->Counters().replay_dropped_chunks, 0u);  // in order on disk
}

// Writing a block from the head fails: CompactHead returns the cause, counts the failure,
// leaves no temporary directory and no block, and the head keeps the data.
TEST_P(DBFaultTest, HeadCompactionFailureKeepsTheHead) {
  const Fault f = GetParam();
  series_ = Series(6 * kHour);
  {
    auto db = DB::Open(Options(d_.path(), &ffs_));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series_, kT0, kT0 + 6 * kHour, &acked_, &maybe_).ok());
    Arm(&ffs_, f, "");
    ASSERT_TRUE(FailedWithCause(db->get(), (*db)->CompactHead(), f));
    EXPECT_TRUE((*db)->Blocks().empty());
    EXPECT_FALSE(HasEntryWithSuffix(d_.path(), block::kTmpForCreationSuffix));
    EXPECT_TRUE(Serves(db->get(), acked_));
    ffs_.ClearFaults();
    ASSERT_TRUE(Compacted((*db)->CompactHead()));
    EXPECT_TRUE(Serves(db->get(), acked_));
    ASSERT_TRUE((*db)->Close().ok());
  }
  ExpectReopenServes();
}

// Merging blocks fails: CompactBlocks returns the cause, counts it, keeps every parent
// block listed and on disk, and leaves nothing half-written.
TEST_P(DBFaultTest, BlockCompactionFailureKeepsTheParents) {
  const Fault f = GetParam();
  series_ = Series(14 * kHour);
  WriteTwoHourBlocks(14 * kHour);
  ASSERT_FALSE(HasFatalFailure());
  DBOptions o = Options(d_.path(), &ffs_);
  o.max_block_duration_ms = 6 * kHour;
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    const size_t before = (*db)->Blocks().size();
    Arm(&ffs_, f, "");
    ASSERT_TRUE(FailedWithCause(db->get(), (*db)->CompactBlocks(), f));
    EXPECT_EQ((*db)->Blocks().size(), before);
    for (const auto& b : (*db)->Blocks()) EXPECT_TRUE(fs::DefaultFileSystem()->Exists(b->dir()));
    EXPECT_FALSE(HasEntryWithSuffix(d_.path(), block::kTmpForCreationSuffix));
    EXPECT_FALSE(HasEntryWithSuffix(d_.path(), kTmpForDeletionSuffix));
    EXPECT_TRUE(Serves(db->get(), acked_));
    // A transient error marks no block compaction-failed (the merge is retried below).
    for (const auto& b : (*db)->Blocks()) {
      auto meta = block::ReadMeta(fs::DefaultFileSystem(), b->dir());
      ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
      EXPECT_FALSE(meta->compaction.failed) << b->dir();
    }
    ffs_.ClearFaults();
    ASSERT_TRUE(Compacted((*db)->CompactBlocks()));
    EXPECT_LT((*db)->Blocks().size(), before);
    EXPECT_TRUE(Serves(db->get(), acked_));
    ASSERT_TRUE((*db)->Close().ok());
  }
  ExpectReopenServes();
}

// A merge that fails on damaged data is not retried on every compaction cycle (it would
// fail forever and hold up every later merge): its blocks leave the plans, the failure is
// counted once, and other merges proceed.
TEST_F(DBFault, MergeOfADamagedBlockIsNotRetried) {
  series_ = Series(20 * kHour);
  WriteTwoHourBlocks(20 * kHour);
  ASSERT_FALSE(HasFatalFailure());
  DBOptions o = Options(d_.path(), nullptr);
  o.max_block_duration_ms = 6 * kHour;
  auto db = DB::Open(o);
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  auto blocks = (*db)->Blocks();
  std::vector<block::BlockMeta> metas;
  for (const auto& b : blocks) metas.push_back(b->meta());
  const auto plan = PlanCompaction(metas, CompactionRanges(2 * kHour, 6 * kHour));
  ASSERT_GE(plan.size(), 2u);
  // Flip a byte of the first chunk's data in the planned group's first block.
  const std::string damaged = blocks[plan[0]]->dir();
  {
    auto f = fs::DefaultFileSystem()->NewAppendableFile(damaged + "/chunks/000001");
    ASSERT_TRUE(f.has_value());
    std::string bytes = *fs::ReadFileToString(fs::DefaultFileSystem(), damaged + "/chunks/000001");
    bytes[8 + 6] = char(bytes[8 + 6] ^ 0xFF);
    ASSERT_TRUE((*f)->Truncate(0).ok());
    ASSERT_TRUE((*f)->Append(bytes).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  auto n = (*db)->CompactBlocks();
  ASSERT_FALSE(n.has_value());
  EXPECT_TRUE(n.error().IsCorruption()) << n.error().ToString();
  EXPECT_EQ((*db)->Counters().compactions_failed, 1u);
  for (int i = 0; i < 2; ++i) {
    n = (*db)->CompactBlocks();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
  }
  EXPECT_EQ((*db)->Counters().compactions_failed, 1u);
  bool listed = false;
  for (const auto& b : (*db)->Blocks()) {
    listed |= b->dir() == damaged;
    for (const auto& p : b->meta().compaction.parents) {
      EXPECT_NE(damaged, fs::JoinPath(d_.path(), p.ulid.ToString()));
    }
  }
  EXPECT_TRUE(listed);
  EXPECT_FALSE(HasEntryWithSuffix(d_.path(), block::kTmpForCreationSuffix));
  // The mark is in meta.json: after a restart the merge is not tried again.
  auto meta = block::ReadMeta(fs::DefaultFileSystem(), damaged);
  ASSERT_TRUE(meta.has_value()) << meta.error().ToString();
  EXPECT_TRUE(meta->compaction.failed);
  ASSERT_TRUE((*db)->Close().ok());
  db = DB::Open(o);
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  n = (*db)->CompactBlocks();
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ((*db)->Counters().compactions_failed, 0u);
  listed = false;
  for (const auto& b : (*db)->Blocks()) {
    if (b->dir() != damaged) continue;
    listed = true;
    EXPECT_TRUE(b->meta().compaction.failed);
  }
  EXPECT_TRUE(listed);
}

INSTANTIATE_TEST_SUITE_P(Faults, DBFaultTest, ::testing::ValuesIn(kFaults),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vigil::tsdb
