// Tests of the persistent head: WAL logging and replay, head chunk files, crash and fault
// injection, corruption, truncation with checkpoints and series id reuse.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "fs/fault_injecting_file_system.h"
#include "fs/temp_dir.h"
#include "model/value.h"
#include "tsdb/head/head.h"
#include "tsdb/head/head_wal.h"
#include "tsdb/wal/format.h"

namespace vigil {
bool operator==(const Sample& a, const Sample& b);
}  // namespace vigil

namespace vigil::tsdb {
namespace {

using Model = std::map<std::string, std::vector<Sample>>;

Matcher M(MatchType t, std::string_view n, std::string_view v) { return *Matcher::Make(t, n, v); }

Model QueryAll(Head* h, int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX) {
  Model out;
  auto q = h->NewQuerier(mint, maxt);
  EXPECT_TRUE(q.has_value());
  auto ss = (*q)->Select(Context::Background(), false, nullptr,
                         {M(MatchType::kRegexMatch, "__name__", ".+")});
  while (ss->Next()) {
    auto it = ss->At().Iterator();
    auto& v = out[ss->At().labels().ToString()];
    while (it->Next()) v.push_back({it->AtT(), it->AtV()});
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  }
  EXPECT_TRUE(ss->Err().ok()) << ss->Err().ToString();
  // Series without samples in range are not returned by Select; drop empty model entries
  // so that models compare equal.
  return out;
}

// The first few differences between two models ("" if equal), for readable failures.
std::string Diff(const Model& got, const Model& want) {
  std::string out;
  int n = 0;
  auto show = [](const std::vector<Sample>& v) {
    std::string s = std::to_string(v.size()) + " samples";
    if (!v.empty()) s += fmt::format(" [{}..{}]", v.front().t, v.back().t);
    return s;
  };
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      if (n++ < 5) out += "missing " + k + ": " + show(v) + "\n";
    } else if (it->second != v) {
      if (n++ < 5) out += "differs " + k + ": got " + show(it->second) + ", want " + show(v) + "\n";
    }
  }
  for (const auto& [k, v] : got) {
    if (want.find(k) == want.end() && n++ < 5) out += "extra " + k + ": " + show(v) + "\n";
  }
  if (n > 5) out += std::to_string(n - 5) + " more\n";
  return out;
}

Model WithoutEmpty(Model m) {
  for (auto it = m.begin(); it != m.end();) it = it->second.empty() ? m.erase(it) : std::next(it);
  return m;
}

Model Above(const Model& m, int64_t mint) {
  Model out;
  for (const auto& [k, v] : m) {
    for (const Sample& s : v) {
      if (s.t >= mint) out[k].push_back(s);
    }
  }
  return out;
}

std::unique_ptr<Head> OpenHead(HeadOptions o) {
  auto h = Head::Open(std::move(o));
  EXPECT_TRUE(h.has_value()) << h.error().ToString();
  return h.has_value() ? std::move(h).value() : nullptr;
}

HeadOptions Opts(const std::string& dir) {
  HeadOptions o;
  o.dir = dir;
  return o;
}

// Close() leaves the open chunks to the WAL, as a crash does.
HeadOptions CrashOpts(const std::string& dir) {
  HeadOptions o = Opts(dir);
  o.write_open_chunks_on_close = false;
  return o;
}

Labels SeriesLabels(int i) {
  return Labels{{"__name__", "m" + std::to_string(i % 7)},
                {"instance", "host-" + std::to_string(i / 7)},
                {"job", "test"}};
}

// Appends one sample per series for series [first, first+n) at time t into `model` (on
// success of the commit). Values: a per-series deterministic walk.
Status AppendRound(Head* h, Model* model, int first, int n, int64_t t, bool commit = true) {
  auto app = h->NewAppender();
  std::vector<std::pair<std::string, Sample>> added;
  for (int i = first; i < first + n; ++i) {
    Labels l = SeriesLabels(i);
    double v = double(i) * 1000 + double(t % 100003) / 7;
    auto r = app->Append(0, l, t, v);
    if (!r.has_value()) return r.error();
    added.emplace_back(l.ToString(), Sample{t, v});
  }
  if (!commit) return app->Rollback();
  VIGIL_RETURN_IF_ERROR(app->Commit());
  for (auto& [k, s] : added) (*model)[k].push_back(s);
  return Status::OK();
}

TEST(HeadPersist, ReopenReplaysCommittedSamplesAndNoRolledBackOnes) {
  fs::TempDir d;
  Model model;
  {
    auto h = OpenHead(Opts(d.path()));
    for (int r = 0; r < 50; ++r) {
      const bool commit = r % 5 != 3;
      ASSERT_TRUE(AppendRound(h.get(), &model, r % 3 == 0 ? 0 : 20, 40, 1000 * r, commit).ok());
    }
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
    ASSERT_TRUE(h->Close().ok());
  }
  auto h = OpenHead(Opts(d.path()));
  EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
  auto c = h->Counters();
  EXPECT_EQ(c.wal_corruptions, 0u);
  EXPECT_EQ(c.replay_unknown_refs, 0u);
  EXPECT_EQ(h->NumSeries(), 60u);  // series of rolled-back rounds were created too
}

// Copies a head directory, as a crash would leave it (the head keeps running on the
// original).
void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

std::string LastSegment(const std::string& wal_dir) {
  auto segs = wal::ListSegments(fs::DefaultFileSystem(), wal_dir);
  EXPECT_TRUE(segs.has_value() && !segs->empty());
  return wal::SegmentPath(wal_dir, segs->back());
}

TEST(HeadPersist, MmappedChunksAreAttachedAndReplayGivesIdenticalResults) {
  fs::TempDir d;
  Model model;
  const int kSeries = 30;
  {
    auto h = OpenHead(CrashOpts(d.path()));
    for (int r = 0; r < 500; ++r)
      ASSERT_TRUE(AppendRound(h.get(), &model, 0, kSeries, 15000 * r).ok());
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
    ASSERT_TRUE(h->Close().ok());
  }
  {
    auto h = OpenHead(CrashOpts(d.path()));
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
    // Sub-ranges, including ones that start and end inside chunks.
    for (int64_t a : {0, 777777, 2000000, 5000000}) {
      EXPECT_EQ(QueryAll(h.get(), a, a + 1500000), WithoutEmpty(Above(
                                                       [&] {
                                                         Model m;
                                                         for (auto& [k, v] : model) {
                                                           for (auto& x : v) {
                                                             if (x.t <= a + 1500000)
                                                               m[k].push_back(x);
                                                           }
                                                         }
                                                         return m;
                                                       }(),
                                                       a)));
    }
    auto c = h->Counters();
    EXPECT_GE(c.replay_mmapped_chunks, uint64_t(kSeries) * 3);
    // Samples covered by chunk files are skipped, only the open chunks are rebuilt.
    EXPECT_LT(c.replay_samples, uint64_t(kSeries) * 500 / 2);
    EXPECT_GT(c.replay_samples, 0u);
    EXPECT_EQ(c.replay_dropped_chunks, 0u);
    // Keep going after the restart, restart again.
    for (int r = 500; r < 700; ++r)
      ASSERT_TRUE(AppendRound(h.get(), &model, 0, kSeries, 15000 * r).ok());
    ASSERT_TRUE(h->Close().ok());
  }
  auto h = OpenHead(CrashOpts(d.path()));
  EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
  EXPECT_EQ(h->NumSeries(), uint64_t(kSeries));
  // Full chunks are in chunks_head/ files, not in anonymous memory.
  EXPECT_EQ(h->MemoryByStructure().chunk_store, HeadOptions().chunk_write_buffer_bytes);
}

// A clean Close() writes the open chunks to chunks_head/: the next Open() attaches them and
// appends no WAL sample again, answers the same, and the series go on in new chunks.
TEST(HeadPersist, CloseWritesOpenChunksSoReplayAppendsNothing) {
  fs::TempDir d;
  Model model;
  const int kSeries = 30;
  {
    auto h = OpenHead(Opts(d.path()));
    for (int r = 0; r < 50; ++r)  // 50 samples: every series has just an open chunk
      ASSERT_TRUE(AppendRound(h.get(), &model, 0, kSeries, 15000 * r).ok());
    ASSERT_TRUE(h->Close().ok());
  }
  {
    auto h = OpenHead(Opts(d.path()));
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
    auto c = h->Counters();
    EXPECT_EQ(c.replay_mmapped_chunks, uint64_t(kSeries));
    EXPECT_EQ(c.replay_samples, 0u);
    EXPECT_EQ(c.replay_samples_skipped, uint64_t(kSeries) * 50);
    for (int r = 50; r < 80; ++r)
      ASSERT_TRUE(AppendRound(h.get(), &model, 0, kSeries, 15000 * r).ok());
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
    ASSERT_TRUE(h->Close().ok());
  }
  auto h = OpenHead(Opts(d.path()));
  EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
  EXPECT_EQ(h->Counters().replay_mmapped_chunks, uint64_t(kSeries) * 2);
  EXPECT_EQ(h->Counters().replay_samples, 0u);
}

TEST(HeadPersist, TornWalTailAtManyOffsetsLosesOnlyTheTornCommit) {
  fs::TempDir d;
  std::vector<Model> prefix{{}};  // model after i commits
  std::vector<uint64_t> end{0};   // WAL size after i commits
  std::string seg;
  {
    HeadOptions o = CrashOpts(d.path());
    o.wal_sync_on_commit = true;
    auto h = OpenHead(o);
    seg = LastSegment(d.Sub("wal"));
    for (int r = 0; r < 40; ++r) {
      Model m = prefix.back();
      ASSERT_TRUE(AppendRound(h.get(), &m, r % 4 * 5, 10 + r % 3, 1000 * r).ok());
      prefix.push_back(m);
      end.push_back(std::filesystem::file_size(seg));
    }
    ASSERT_TRUE(h->Close().ok());
  }
  const uint64_t size = std::filesystem::file_size(seg);
  std::vector<uint64_t> offsets;
  for (uint64_t o = 0; o < size; o += size / 97 + 1) offsets.push_back(o);
  for (uint64_t e : end) {
    for (int64_t delta : {-1, 0, 1}) {
      if (int64_t(e) + delta >= 0) offsets.push_back(uint64_t(int64_t(e) + delta));
    }
  }
  fs::TempDir work;
  const std::string crash = work.Sub("crash");
  int checked = 0;
  for (uint64_t off : offsets) {
    SCOPED_TRACE("offset " + std::to_string(off));
    CopyDir(d.path(), crash);
    std::filesystem::resize_file(crash + "/wal/" + std::filesystem::path(seg).filename().string(),
                                 off);
    size_t k = 0;
    while (k + 1 < end.size() && end[k + 1] <= off) ++k;
    auto h = OpenHead(Opts(crash));
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(Diff(QueryAll(h.get()), prefix[k]), "");
    const bool at_boundary =
        off >= end.back() || std::find(end.begin(), end.end(), off) != end.end();
    EXPECT_EQ(h->Counters().wal_corruptions, at_boundary ? 0u : 1u);
    if (++checked % 10 == 0) {
      // The repaired WAL takes new commits and replays them.
      Model m = prefix[k];
      ASSERT_TRUE(AppendRound(h.get(), &m, 0, 5, 1000000).ok());
      ASSERT_TRUE(h->Close().ok());
      h.reset();
      auto h2 = OpenHead(Opts(crash));
      EXPECT_EQ(Diff(QueryAll(h2.get()), m), "");
      EXPECT_EQ(h2->Counters().wal_corruptions, 0u);
    }
  }
}

TEST(HeadPersist, PowerLossWithSyncOnCommitKeepsEveryAcknowledgedSample) {
  for (bool sync : {true, false}) {
    for (int crash_after : {1, 9, 40, 90}) {
      SCOPED_TRACE(fmt::format("sync={} crash_after={}", sync, crash_after));
      fs::TempDir d;
      fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
      HeadOptions o = Opts(d.path());
      o.fs = &ffs;
      o.wal_sync_on_commit = sync;
      o.wal_segment_bytes = 2 * wal::kPageSize;  // segments are cut (and synced) often
      o.samples_per_chunk = 8;                   // chunk files are written too
      std::vector<Model> prefix{{}};
      auto h = OpenHead(o);
      for (int r = 0; r < crash_after; ++r) {
        Model m = prefix.back();
        ASSERT_TRUE(AppendRound(h.get(), &m, r % 2 * 10, 60, 10000 * r).ok());
        prefix.push_back(m);
      }
      // Power cut: everything not fsynced is gone.
      ASSERT_TRUE(ffs.DropUnsyncedData().ok());
      fs::TempDir work;
      CopyDir(d.path(), work.Sub("crash"));
      auto h2 = OpenHead(Opts(work.Sub("crash")));
      ASSERT_NE(h2, nullptr);
      Model got = QueryAll(h2.get());
      if (sync) {
        EXPECT_EQ(got, prefix.back());
      } else {
        // Only whole commits, and a prefix of them.
        bool is_prefix = false;
        for (const Model& p : prefix) is_prefix |= got == p;
        EXPECT_TRUE(is_prefix);
      }
    }
  }
}

// Flips one byte of a head chunk file and reopens: the damaged chunk (Prometheus: the
// whole file and later ones) is dropped and the WAL refills what it still has.
TEST(HeadPersist, CorruptedHeadChunkIsDroppedAndTheWalRefills) {
  fs::TempDir d;
  Model model;
  for (int session = 0; session < 2; ++session) {
    auto h = OpenHead(Opts(d.path()));
    for (int r = session * 300; r < (session + 1) * 300; ++r) {
      ASSERT_TRUE(AppendRound(h.get(), &model, 0, 20, 15000 * r).ok());
    }
    ASSERT_TRUE(h->Close().ok());
  }
  ASSERT_TRUE(std::filesystem::exists(d.Sub("chunks_head/000002")));
  struct Case {
    const char* file;
    bool earlier;  // not the last file: Prometheus-style corruption handling
  };
  for (Case c : {Case{"000001", true}, Case{"000002", false}}) {
    SCOPED_TRACE(c.file);
    fs::TempDir work;
    const std::string dir = work.Sub("head");
    CopyDir(d.path(), dir);
    const std::string path = dir + "/chunks_head/" + c.file;
    std::string bytes = *fs::ReadFileToString(fs::DefaultFileSystem(), path);
    bytes[bytes.size() / 2] ^= 0x04;
    ASSERT_TRUE(fs::WriteFileAtomic(fs::DefaultFileSystem(), path, bytes).ok());
    auto h = OpenHead(Opts(dir));
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
    EXPECT_EQ(h->Counters().mmap_chunk_corruptions, c.earlier ? 1u : 0u);
    // And the refilled head survives another restart.
    ASSERT_TRUE(h->Close().ok());
    h.reset();
    auto h2 = OpenHead(Opts(dir));
    EXPECT_EQ(Diff(QueryAll(h2.get()), model), "");
    EXPECT_EQ(h2->Counters().mmap_chunk_corruptions, 0u);
  }
}

TEST(HeadPersist, EnospcInWalWriteFailsTheCommitCleanlyAndLaterCommitsWork) {
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  HeadOptions o = Opts(d.path());
  o.fs = &ffs;
  Model model;
  auto h = OpenHead(o);
  for (int r = 0; r < 5; ++r) ASSERT_TRUE(AppendRound(h.get(), &model, 0, 20, 1000 * r).ok());
  for (uint64_t budget : {0, 100, 300}) {
    ffs.FailWritesAfter(budget, ENOSPC);
    Model ignored;
    Status st = AppendRound(h.get(), &ignored, 10, 20, 10000 + int64_t(budget));
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(st.IsIOError()) << st.ToString();
    EXPECT_NE(st.message().find("No space left"), std::string_view::npos) << st.ToString();
    EXPECT_NE(st.message().find("WAL"), std::string_view::npos) << st.ToString();
    // Nothing of the failed commit is visible.
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
  }
  ffs.ClearFaults();
  for (int r = 0; r < 5; ++r) {
    ASSERT_TRUE(AppendRound(h.get(), &model, 5, 20, 20000 + 1000 * r).ok());
  }
  EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
  EXPECT_EQ(h->Counters().wal_write_errors, 3u);
  ASSERT_TRUE(h->Close().ok());
  h.reset();
  auto h2 = OpenHead(Opts(d.path()));
  EXPECT_EQ(Diff(QueryAll(h2.get()), model), "");
  EXPECT_EQ(h2->Counters().wal_corruptions, 0u);
}

TEST(HeadPersist, FailedFsyncBreaksTheWriterWhichIsReopened) {
  fs::TempDir d;
  fs::FaultInjectingFileSystem ffs(fs::DefaultFileSystem());
  HeadOptions o = Opts(d.path());
  o.fs = &ffs;
  o.wal_sync_on_commit = true;
  Model model;
  auto h = OpenHead(o);
  ASSERT_TRUE(AppendRound(h.get(), &model, 0, 10, 0).ok());
  ffs.FailSyncs(EIO);
  Model failed;
  for (int r = 1; r <= 3; ++r) {
    Status st = AppendRound(h.get(), &failed, 0, 10, 1000 * r);
    EXPECT_TRUE(st.IsIOError()) << st.ToString();
  }
  EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
  ffs.ClearFaults();
  for (int r = 4; r <= 6; ++r) ASSERT_TRUE(AppendRound(h.get(), &model, 0, 10, 1000 * r).ok());
  EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
  ASSERT_TRUE(h->Close().ok());
  h.reset();
  // Failed commits may or may not be in the WAL (their bytes were written before the fsync
  // failed); acknowledged ones must all be there, in order.
  auto h2 = OpenHead(Opts(d.path()));
  Model got = QueryAll(h2.get());
  for (const auto& [k, v] : model) {
    for (const Sample& s : v) {
      EXPECT_NE(std::find(got[k].begin(), got[k].end(), s), got[k].end()) << k << " " << s.t;
    }
  }
}

TEST(HeadPersist, ConcurrentGroupCommitsAreAllReplayed) {
  fs::TempDir d;
  HeadOptions o = Opts(d.path());
  o.wal_sync_on_commit = true;
  o.wal_segment_bytes = 4 * wal::kPageSize;
  std::vector<Model> models(4);
  {
    auto h = OpenHead(o);
    std::vector<std::thread> ts;
    for (int w = 0; w < 4; ++w) {
      ts.emplace_back([&, w] {
        for (int r = 0; r < 60; ++r) {
          ASSERT_TRUE(AppendRound(h.get(), &models[w], w * 100, 25, 1000 * r).ok());
        }
      });
    }
    for (auto& t : ts) t.join();
    auto c = h->Counters();
    EXPECT_LE(c.wal_commits, 240u);  // batches: at most one per commit
    ASSERT_TRUE(h->Close().ok());
  }
  Model all;
  for (auto& m : models) all.insert(m.begin(), m.end());
  auto h = OpenHead(o);
  EXPECT_EQ(Diff(QueryAll(h.get()), all), "");
}

// Series 0..49 live for 6h, 50..69 only for the first hour; samples every minute.
void FillForTruncation(Head* h, Model* model, int64_t from_min, int64_t to_min) {
  for (int64_t m = from_min; m < to_min; ++m) {
    const int64_t t = m * 60000;
    ASSERT_TRUE(AppendRound(h, model, 0, 50, t).ok());
    if (m < 60) {
      ASSERT_TRUE(AppendRound(h, model, 50, 20, t).ok());
    }
  }
}

TEST(HeadPersist, TruncateCheckpointAndReopenKeepExactlyTheDataAboveMint) {
  fs::TempDir d;
  HeadOptions o = Opts(d.path());
  o.wal_segment_bytes = 2 * wal::kPageSize;
  Model model;
  const int64_t mint = 3 * 3600 * 1000;
  {
    auto h = OpenHead(o);
    FillForTruncation(h.get(), &model, 0, 360);
    auto segs_before = *wal::ListSegments(fs::DefaultFileSystem(), d.Sub("wal"));
    auto st = h->Truncate(mint);
    ASSERT_TRUE(st.has_value()) << st.error().ToString();
    EXPECT_EQ(st->series_removed, 20u);
    EXPECT_GT(st->chunks_removed, 50u);
    EXPECT_GE(st->checkpoint, segs_before.front());
    EXPECT_GT(st->checkpoint_dropped_samples, 0u);
    EXPECT_EQ(st->checkpoint_series, 50u);  // only live series are kept
    EXPECT_EQ(h->NumSeries(), 50u);
    EXPECT_EQ(Diff(QueryAll(h.get()), Above(model, mint)), "");
    EXPECT_GE(h->MinTime(), mint);
    // Old segments went into the checkpoint.
    auto cp = wal::ListCheckpoints(fs::DefaultFileSystem(), d.Sub("wal"));
    ASSERT_EQ(cp->size(), 1u);
    auto segs_after = *wal::ListSegments(fs::DefaultFileSystem(), d.Sub("wal"));
    EXPECT_EQ(segs_after.front(), st->checkpoint + 1);
    // Samples below mint are refused now.
    auto app = h->NewAppender();
    EXPECT_EQ(app->Append(0, SeriesLabels(0), mint - 1, 1).error().code(),
              StatusCode::kOutOfBounds);
    ASSERT_TRUE(app->Rollback().ok());
    FillForTruncation(h.get(), &model, 360, 420);
    ASSERT_TRUE(h->Close().ok());
  }
  o.min_valid_time = mint;  // as the DB will pass (the end of its newest block)
  {
    auto h = OpenHead(o);
    EXPECT_EQ(Diff(QueryAll(h.get()), Above(model, mint)), "");
    EXPECT_EQ(h->NumSeries(), 50u);
    EXPECT_EQ(h->Counters().wal_corruptions, 0u);
  }
  // A crash between writing a checkpoint and deleting its segments leaves a segment the
  // checkpoint already covers: replay skips it, the next truncation deletes it.
  auto cp = wal::ListCheckpoints(fs::DefaultFileSystem(), d.Sub("wal"))->back().index;
  const std::string stale = wal::SegmentPath(d.Sub("wal"), cp);
  ASSERT_TRUE(fs::WriteFileAtomic(fs::DefaultFileSystem(), stale, std::string(8, 'x')).ok());
  auto h = OpenHead(o);
  EXPECT_EQ(Diff(QueryAll(h.get()), Above(model, mint)), "");
  EXPECT_EQ(h->Counters().wal_corruptions, 0u);
  ASSERT_TRUE(h->Truncate(mint).has_value());
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_EQ(Diff(QueryAll(h.get()), Above(model, mint)), "");
}

TEST(HeadPersist, TruncateDeletesOldChunkFiles) {
  fs::TempDir d;
  Model model;
  auto h = OpenHead(Opts(d.path()));
  FillForTruncation(h.get(), &model, 0, 180);
  ASSERT_TRUE(h->Truncate(0).has_value());  // finishes the current chunk file
  FillForTruncation(h.get(), &model, 180, 480);
  ASSERT_TRUE(std::filesystem::exists(d.Sub("chunks_head/000001")));
  auto st = h->Truncate(6 * 3600 * 1000);
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_FALSE(std::filesystem::exists(d.Sub("chunks_head/000001")));
  EXPECT_EQ(Diff(QueryAll(h.get()), Above(model, 6 * 3600 * 1000)), "");
}

// A removed series' id is reused only once no WAL segment, checkpoint or chunk file can
// name the old owner; after a restart the new owner has exactly its own data.
TEST(HeadPersist, ReusedSeriesIdsNeverMixOldAndNewOwners) {
  fs::TempDir d;
  HeadOptions o = Opts(d.path());
  o.wal_segment_bytes = 2 * wal::kPageSize;
  Model model;
  std::set<uint32_t> old_ids;
  const int64_t h1 = 3600 * 1000;
  {
    auto h = OpenHead(o);
    {
      auto app = h->NewAppender();
      for (int i = 50; i < 70; ++i) {
        old_ids.insert(uint32_t(*app->Append(0, SeriesLabels(i), 0, 0)));
      }
      ASSERT_TRUE(app->Rollback().ok());
    }
    FillForTruncation(h.get(), &model, 0, 180);  // series 50..69 stop after 1h
    ASSERT_TRUE(h->Truncate(2 * h1).has_value());
    EXPECT_EQ(h->NumSeries(), 50u);
    FillForTruncation(h.get(), &model, 180, 300);
    // The old owners' WAL segments and chunk files are gone after this one.
    ASSERT_TRUE(h->Truncate(4 * h1).has_value());
    FillForTruncation(h.get(), &model, 300, 310);
    // New series get the freed ids.
    Model fresh;
    {
      auto app = h->NewAppender();
      std::set<uint32_t> new_ids;
      for (int i = 1000; i < 1020; ++i) {
        auto r = app->Append(0, SeriesLabels(i), 310 * 60000, double(i));
        ASSERT_TRUE(r.has_value());
        new_ids.insert(uint32_t(*r));
        fresh[SeriesLabels(i).ToString()].push_back({310 * 60000, double(i)});
      }
      ASSERT_TRUE(app->Commit().ok());
      EXPECT_EQ(new_ids, old_ids);
    }
    model = Above(model, 4 * h1);
    for (auto& [k, v] : fresh) model[k] = v;
    EXPECT_EQ(Diff(QueryAll(h.get()), model), "");
    ASSERT_TRUE(h->Close().ok());
  }
  // With and without the DB's min valid time: the old owners never come back.
  for (int64_t mvt : {INT64_MIN, 4 * h1}) {
    HeadOptions ro = o;
    ro.min_valid_time = mvt;
    auto h = OpenHead(ro);
    Model got = QueryAll(h.get());
    EXPECT_EQ(Above(got, 4 * h1), model);
    for (int i = 50; i < 70; ++i) EXPECT_EQ(got.count(SeriesLabels(i).ToString()), 0u);
    for (int i = 1000; i < 1020; ++i) EXPECT_EQ(got[SeriesLabels(i).ToString()].size(), 1u);
    ASSERT_TRUE(h->Close().ok());
  }
}

TEST(HeadTruncate, StaleRefsFallBackToLabelsAndPendingSeriesSurvive) {
  auto h = OpenHead(HeadOptions());
  Labels a = SeriesLabels(1), b = SeriesLabels(2);
  storage::SeriesRef ra, rb;
  {
    auto app = h->NewAppender();
    ra = *app->Append(0, a, 1000, 1);
    rb = *app->Append(0, b, 1000, 1);
    ASSERT_TRUE(app->Commit().ok());
  }
  // b has a sample in flight while the head is truncated past all its data: not removed.
  auto pending = h->NewAppender();
  ASSERT_TRUE(pending->Append(rb, Labels(), 600000, 2).has_value());
  auto st = h->Truncate(500000);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->series_removed, 1u);
  EXPECT_EQ(st->chunks_removed, 2u);
  ASSERT_TRUE(pending->Commit().ok());
  EXPECT_EQ(Diff(QueryAll(h.get()), (Model{{b.ToString(), {{600000, 2}}}})), "");
  // a's ref is stale: without labels it is refused, with labels a new series is made.
  auto app = h->NewAppender();
  EXPECT_EQ(app->Append(ra, Labels(), 700000, 3).error().code(), StatusCode::kInvalidArgument);
  auto ra2 = app->Append(ra, a, 700000, 3);
  ASSERT_TRUE(ra2.has_value());
  EXPECT_NE(*ra2, ra);
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(QueryAll(h.get())[a.ToString()], (std::vector<Sample>{{700000, 3}}));
  EXPECT_EQ(h->Counters().series_removed, 1u);
}

// Writers with churning series, a truncator and queriers at once (run under the tsan
// preset too). Afterwards every committed sample at or after the last truncation's mint is
// there, and nothing else.
void ConcurrentChurn(const std::string& dir) {
  HeadOptions o;
  o.dir = dir;
  o.wal_segment_bytes = 2 * wal::kPageSize;
  o.samples_per_chunk = 16;
  auto h = OpenHead(o);
  const int kWriters = 3;
  std::atomic<int64_t> clock{0};
  std::atomic<bool> stop{false};
  std::vector<Model> models(kWriters);
  std::vector<std::thread> ts;
  for (int w = 0; w < kWriters; ++w) {
    ts.emplace_back([&, w] {
      std::vector<storage::SeriesRef> refs(40, 0);
      for (int r = 0; r < 400; ++r) {
        const int64_t t = int64_t(r) * 1000;
        int64_t c = clock.load();
        while (c < t && !clock.compare_exchange_weak(c, t)) {
        }
        auto app = h->NewAppender();
        std::vector<std::pair<std::string, Sample>> added;
        // Each series lives for 100 rounds, then its name changes (churn).
        for (int i = 0; i < 40; ++i) {
          Labels l{{"__name__", "churn"},
                   {"gen", std::to_string((r + i) / 100)},
                   {"s", std::to_string(w * 100 + i)}};
          if ((r + i) % 100 == 0) refs[size_t(i)] = 0;
          auto ref = app->Append(refs[size_t(i)], l, t, double(r));
          if (!ref.has_value()) {
            ASSERT_EQ(ref.error().code(), StatusCode::kOutOfBounds) << ref.error().ToString();
            continue;
          }
          refs[size_t(i)] = *ref;
          added.emplace_back(l.ToString(), Sample{t, double(r)});
        }
        ASSERT_TRUE(app->Commit().ok());
        for (auto& [k, s] : added) models[size_t(w)][k].push_back(s);
      }
    });
  }
  std::atomic<int64_t> last_mint{INT64_MIN};
  std::thread truncator([&] {
    while (!stop.load()) {
      const int64_t mint = clock.load() - 50000;
      auto st = h->Truncate(mint);
      ASSERT_TRUE(st.has_value()) << st.error().ToString();
      last_mint.store(std::max(last_mint.load(), mint));
      std::this_thread::yield();
    }
  });
  std::thread querier([&] {
    while (!stop.load()) {
      Model m = QueryAll(h.get());
      for (const auto& [k, v] : m) {
        for (size_t i = 1; i < v.size(); ++i) ASSERT_LT(v[i - 1].t, v[i].t) << k;
      }
    }
  });
  for (auto& t : ts) t.join();
  stop.store(true);
  truncator.join();
  querier.join();
  const int64_t mint = last_mint.load();
  Model all;
  for (auto& m : models) all.insert(m.begin(), m.end());
  Model want = Above(all, mint);
  EXPECT_EQ(Diff(QueryAll(h.get()), want), "");
  EXPECT_GT(h->Counters().series_removed, 0u);
  if (!dir.empty()) {
    ASSERT_TRUE(h->Close().ok());
    h.reset();
    HeadOptions ro = o;
    ro.min_valid_time = mint;
    auto h2 = OpenHead(ro);
    EXPECT_EQ(Diff(QueryAll(h2.get()), want), "");
  }
}

TEST(HeadTruncate, ConcurrentChurnTruncateAndQueriesInMemory) { ConcurrentChurn(""); }

TEST(HeadTruncate, ConcurrentChurnTruncateAndQueriesOnDisk) {
  fs::TempDir d;
  ConcurrentChurn(d.path());
}

TEST(HeadWalEncoding, DirectSamplesEncoderMatchesTheWalCodec) {
  std::mt19937_64 rng(7);
  for (size_t n : {1, 2, 17, 1000}) {
    std::vector<WalSample> v;
    for (size_t i = 0; i < n; ++i) {
      // Refs and times both above and below the first sample's (negative deltas), extremes.
      v.push_back(WalSample{rng() % 3 == 0 ? rng() : rng() % 5000,
                            i == 1 ? INT64_MIN : int64_t(rng() % 2000000) - 1000000,
                            std::bit_cast<double>(rng())});
    }
    std::string direct;
    EncodeSamplesRecordTo(&direct, v.size(), [&](size_t i, uint64_t* ref, int64_t* t, double* x) {
      *ref = v[i].ref;
      *t = v[i].t;
      *x = v[i].v;
    });
    EXPECT_EQ(direct, EncodeSamplesRecord(v)) << n;
  }
}

TEST(HeadPersist, OpenRejectsBadWalSegmentSize) {
  fs::TempDir d;
  HeadOptions o = Opts(d.path());
  o.wal_segment_bytes = 1000;
  EXPECT_TRUE(Head::Open(o).error().IsInvalidArgument());
}
}  // namespace
}  // namespace vigil::tsdb
