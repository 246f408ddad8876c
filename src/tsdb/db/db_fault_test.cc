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

namespace vigil::tsdb {
namespace {

using block::testing::GenerateSeries;
using block::testing::GenOptions;
using block::testing::TestSeries;

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

bool HasEntryWithSuffix(const std::string& dir, const std::string& suffix) {
  auto names = fs::DefaultFileSystem()->ListDir(dir);
  if (!names.has_value()) return false;
  for (const auto& n : *names) {
    if (n.size() >= suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  }
  return false;
}

DBOptions Options(const std::string& dir, fs::FileSystem* fs) {
  DBOptions o;
  o.dir = dir;
  o.fs = fs;
  o.compact_interval_ms = 0;
  o.retention_ms = 0;
  o.head_truncate_wait_ms = 0;
  return o;
}

std::vector<TestSeries> Series(int64_t span_ms, size_t n = 20) {
  GenOptions g;
  g.num_series = n;
  g.t0 = kT0;
  g.span_ms = span_ms;
  g.interval_ms = 60000;
  return GenerateSeries(g);
}

class DBFaultTest : public ::testing::TestWithParam<Fault> {};

// The WAL refuses a commit: the appender's Commit fails naming the cause, the head keeps
// serving what was acknowledged, and commits work again once the fault clears.
TEST_P(DBFaultTest, WalAppendFailsTheCommitAndKeepsServing) {
  const Fault f = GetParam();
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  const auto series = Series(3 * kHour);
  DBOptions o = Options(d.path(), &ffs);
  o.head.wal_sync_on_commit = true;  // so that a failing fsync fails the commit
  Dump acked, maybe;
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series, kT0, kT0 + kHour, &acked, &maybe).ok());
    Arm(&ffs, f, "wal");
    Status failed;
    int64_t t = kT0 + kHour;
    for (; t < kT0 + 2 * kHour && failed.ok(); t += 5 * 60000) {
      failed = AppendRange(db->get(), series, t, t + 5 * 60000, &acked, &maybe);
    }
    EXPECT_TRUE(NamesCause(failed, f));
    EXPECT_TRUE(Serves(db->get(), acked));
    EXPECT_GE((*db)->head()->Counters().wal_write_errors, 1u);
    ffs.ClearFaults();
    Status again = AppendRange(db->get(), series, t, kT0 + 3 * kHour, &acked, &maybe);
    if (!again.ok()) {  // the writer may need one failed commit to reopen
      again = AppendRange(db->get(), series, t, kT0 + 3 * kHour, &acked, &maybe);
    }
    EXPECT_TRUE(again.ok()) << again.ToString();
    EXPECT_TRUE(Serves(db->get(), acked));
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(Options(d.path(), nullptr));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_TRUE(Serves(db->get(), acked, maybe));
}

// Head chunk files fail while the WAL works: every commit is acknowledged, so every cut
// chunk must stay readable (in memory until its file write succeeds), go into the block at
// compaction, and survive a reopen.
TEST_P(DBFaultTest, HeadChunkWriteFailureLosesNoAcknowledgedSample) {
  const Fault f = GetParam();
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  const auto series = Series(5 * kHour);
  DBOptions o = Options(d.path(), &ffs);
  o.head.chunk_write_buffer_bytes = 4096;  // flush (and fail) often
  Dump acked, maybe;
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series, kT0, kT0 + kHour, &acked, &maybe).ok());
    Arm(&ffs, f, "chunks_head");
    for (int64_t t = kT0 + kHour; t < kT0 + 4 * kHour; t += 10 * 60000) {
      ASSERT_TRUE(AppendRange(db->get(), series, t, t + 10 * 60000, &acked, &maybe).ok());
    }
    EXPECT_TRUE(Serves(db->get(), acked));
    // Blocks are written (their files are not the failing ones) from every acked sample.
    auto n = (*db)->CompactHead();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_GE(*n, 1);
    EXPECT_TRUE(Serves(db->get(), acked));
    ffs.ClearFaults();
    ASSERT_TRUE(
        AppendRange(db->get(), series, kT0 + 4 * kHour, kT0 + 5 * kHour, &acked, &maybe).ok());
    EXPECT_TRUE(Serves(db->get(), acked));
    (*db)->Close().IgnoreError();  // may report the earlier chunk file failure
  }
  auto db = DB::Open(Options(d.path(), nullptr));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_TRUE(Serves(db->get(), acked, maybe));
}

// No inode for the next head chunk file (the head truncation finished the current one):
// the cut chunks wait in memory, stay readable, go into blocks, and are written to a file
// in order once files can be created again.
TEST(DBFault, HeadChunkFileCreationFailureKeepsChunksInMemory) {
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  const auto series = Series(9 * kHour);
  Dump acked, maybe;
  {
    auto db = DB::Open(Options(d.path(), &ffs));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series, kT0, kT0 + 4 * kHour, &acked, &maybe).ok());
    ASSERT_GE(*(*db)->CompactHead(), 1);  // truncation finishes the current chunk file
    ffs.SetFaultPathFilter("chunks_head");
    ffs.FailCreates(ENOSPC);
    for (int64_t t = kT0 + 4 * kHour; t < kT0 + 7 * kHour; t += 10 * 60000) {
      ASSERT_TRUE(AppendRange(db->get(), series, t, t + 10 * 60000, &acked, &maybe).ok());
    }
    EXPECT_GT((*db)->head()->MemoryByStructure().chunk_store, size_t(1) << 20);  // waiting
    EXPECT_TRUE(Serves(db->get(), acked));
    ffs.ClearFaults();  // the next cut writes the waiting chunks first
    for (int64_t t = kT0 + 7 * kHour; t < kT0 + 9 * kHour; t += 10 * 60000) {
      ASSERT_TRUE(AppendRange(db->get(), series, t, t + 10 * 60000, &acked, &maybe).ok());
    }
    EXPECT_TRUE(Serves(db->get(), acked));
    auto n = (*db)->CompactHead();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_GE(*n, 1);
    EXPECT_TRUE(Serves(db->get(), acked));
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(Options(d.path(), nullptr));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_TRUE(Serves(db->get(), acked, maybe));
  EXPECT_EQ((*db)->head()->Counters().replay_dropped_chunks, 0u);  // in order on disk
}

// Writing a block from the head fails: CompactHead returns the cause, counts the failure,
// leaves no temporary directory and no block, and the head keeps the data.
TEST_P(DBFaultTest, HeadCompactionFailureKeepsTheHead) {
  const Fault f = GetParam();
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  const auto series = Series(6 * kHour);
  Dump acked, maybe;
  {
    auto db = DB::Open(Options(d.path(), &ffs));
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series, kT0, kT0 + 6 * kHour, &acked, &maybe).ok());
    Arm(&ffs, f, "");
    auto n = (*db)->CompactHead();
    ASSERT_FALSE(n.has_value());
    EXPECT_TRUE(NamesCause(n.error(), f));
    EXPECT_EQ((*db)->Counters().compactions_failed, 1u);
    EXPECT_TRUE((*db)->Blocks().empty());
    EXPECT_FALSE(HasEntryWithSuffix(d.path(), block::kTmpForCreationSuffix));
    EXPECT_TRUE(Serves(db->get(), acked));
    ffs.ClearFaults();
    n = (*db)->CompactHead();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_GE(*n, 1);
    EXPECT_TRUE(Serves(db->get(), acked));
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(Options(d.path(), nullptr));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_TRUE(Serves(db->get(), acked, maybe));
}

// Merging blocks fails: CompactBlocks returns the cause, counts it, keeps every parent
// block listed and on disk, and leaves nothing half-written.
TEST_P(DBFaultTest, BlockCompactionFailureKeepsTheParents) {
  const Fault f = GetParam();
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  const auto series = Series(14 * kHour);
  Dump acked, maybe;
  {
    auto db = DB::Open(Options(d.path(), nullptr));  // 2h blocks, no merging
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series, kT0, kT0 + 14 * kHour, &acked, &maybe).ok());
    ASSERT_TRUE((*db)->CompactHead().has_value());
    ASSERT_GE((*db)->Blocks().size(), 3u);
    ASSERT_TRUE((*db)->Close().ok());
  }
  DBOptions o = Options(d.path(), &ffs);
  o.max_block_duration_ms = 6 * kHour;
  {
    auto db = DB::Open(o);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    const size_t before = (*db)->Blocks().size();
    Arm(&ffs, f, "");
    auto n = (*db)->CompactBlocks();
    ASSERT_FALSE(n.has_value());
    EXPECT_TRUE(NamesCause(n.error(), f));
    EXPECT_EQ((*db)->Counters().compactions_failed, 1u);
    EXPECT_EQ((*db)->Blocks().size(), before);
    for (const auto& b : (*db)->Blocks()) EXPECT_TRUE(fs::DefaultFileSystem()->Exists(b->dir()));
    EXPECT_FALSE(HasEntryWithSuffix(d.path(), block::kTmpForCreationSuffix));
    EXPECT_FALSE(HasEntryWithSuffix(d.path(), kTmpForDeletionSuffix));
    EXPECT_TRUE(Serves(db->get(), acked));
    ffs.ClearFaults();
    n = (*db)->CompactBlocks();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    EXPECT_GE(*n, 1);
    EXPECT_LT((*db)->Blocks().size(), before);
    EXPECT_TRUE(Serves(db->get(), acked));
    ASSERT_TRUE((*db)->Close().ok());
  }
  auto db = DB::Open(Options(d.path(), nullptr));
  ASSERT_TRUE(db.has_value()) << db.error().ToString();
  EXPECT_TRUE(Serves(db->get(), acked, maybe));
}

// A merge that fails on damaged data is not retried on every compaction cycle (it would
// fail forever and hold up every later merge): its blocks leave the plans, the failure is
// counted once, and other merges proceed.
TEST(DBFault, MergeOfADamagedBlockIsNotRetried) {
  fs::TempDir d;
  const auto series = Series(20 * kHour);
  Dump acked, maybe;
  {
    auto db = DB::Open(Options(d.path(), nullptr));  // 2h blocks, no merging
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    ASSERT_TRUE(AppendRange(db->get(), series, kT0, kT0 + 20 * kHour, &acked, &maybe).ok());
    ASSERT_TRUE((*db)->CompactHead().has_value());
    ASSERT_TRUE((*db)->Close().ok());
  }
  DBOptions o = Options(d.path(), nullptr);
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
      EXPECT_NE(damaged, fs::JoinPath(d.path(), p.ulid.ToString()));
    }
  }
  EXPECT_TRUE(listed);
  EXPECT_FALSE(HasEntryWithSuffix(d.path(), block::kTmpForCreationSuffix));
}

INSTANTIATE_TEST_SUITE_P(Faults, DBFaultTest, ::testing::ValuesIn(kFaults),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace vigil::tsdb
