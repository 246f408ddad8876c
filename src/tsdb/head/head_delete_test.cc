// Head::Delete: queries and block cutting leave deleted samples out; the deletion survives a
// restart through WAL replay and through a checkpoint (tombstones of live series only), also
// when the Tombstones record comes from a WAL written like Prometheus'.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "fs/temp_dir.h"
#include "model/value.h"
#include "tsdb/chunkenc/xor.h"
#include "tsdb/head/head.h"
#include "tsdb/wal/format.h"
#include "tsdb/wal/reader.h"
#include "tsdb/wal/records.h"
#include "tsdb/wal/writer.h"

namespace vigil::tsdb {
namespace {

using Model = std::map<std::string, std::vector<std::pair<int64_t, double>>>;

constexpr int64_t kMin = 60000;

Matcher M(MatchType t, std::string_view n, std::string_view v) { return *Matcher::Make(t, n, v); }
const std::vector<Matcher> kAll = {M(MatchType::kRegexMatch, "__name__", ".+")};

Labels SeriesLabels(int i) {
  return Labels{{"__name__", "m" + std::to_string(i % 3)},
                {"instance", "host-" + std::to_string(i)},
                {"job", i % 2 == 0 ? "even" : "odd"}};
}

Model Query(Head* h, int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX) {
  Model out;
  auto q = h->NewQuerier(mint, maxt);
  EXPECT_TRUE(q.has_value());
  auto ss = (*q)->Select(Context::Background(), true, nullptr, kAll);
  while (ss->Next()) {
    auto it = ss->At().Iterator();
    auto& v = out[ss->At().labels().ToString()];
    while (it->Next()) v.emplace_back(it->AtT(), it->AtV());
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  }
  EXPECT_TRUE(ss->Err().ok()) << ss->Err().ToString();
  std::erase_if(out, [](const auto& e) { return e.second.empty(); });
  return out;
}

// What block cutting reads from the head.
Model ChunkSamples(Head* h, int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX) {
  Model out;
  auto set = h->NewChunkSeriesSet(Context::Background(), mint, maxt);
  while (set->Next()) {
    auto& v = out[set->labels().ToString()];
    for (const chunks::Meta& m : set->chunks()) {
      chunkenc::XorIterator it(m.data);
      int64_t first = INT64_MIN, last = INT64_MIN;
      while (it.Next()) {
        if (first == INT64_MIN) first = it.AtT();
        last = it.AtT();
        if (it.AtT() >= mint && it.AtT() <= maxt) v.emplace_back(it.AtT(), it.AtV());
      }
      EXPECT_EQ(m.mint, first);
      EXPECT_EQ(m.maxt, last);
    }
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  std::erase_if(out, [](const auto& e) { return e.second.empty(); });
  return out;
}

void Append(Head* h, Model* model, int n, int64_t from_min, int64_t to_min) {
  for (int64_t m = from_min; m < to_min; ++m) {
    auto app = h->NewAppender();
    for (int i = 0; i < n; ++i) {
      const double v = double(i * 100000 + m);
      ASSERT_TRUE(app->Append(0, SeriesLabels(i), m * kMin, v).has_value());
      (*model)[SeriesLabels(i).ToString()].emplace_back(m * kMin, v);
    }
    ASSERT_TRUE(app->Commit().ok());
  }
}

// `model` without the samples in [mint, maxt] of series matching `ms`.
Model Without(Model model, const std::vector<Matcher>& ms, int64_t mint, int64_t maxt, int n) {
  for (int i = 0; i < n; ++i) {
    if (!MatchesAll(ms, SeriesLabels(i))) continue;
    auto it = model.find(SeriesLabels(i).ToString());
    if (it == model.end()) continue;
    std::erase_if(it->second, [&](const auto& s) { return s.first >= mint && s.first <= maxt; });
    if (it->second.empty()) model.erase(it);
  }
  return model;
}

Model InRange(const Model& m, int64_t mint, int64_t maxt) {
  Model out;
  for (const auto& [k, v] : m) {
    for (const auto& s : v) {
      if (s.first >= mint && s.first <= maxt) out[k].push_back(s);
    }
  }
  return out;
}

HeadOptions Opts(const std::string& dir) {
  HeadOptions o;
  o.dir = dir;
  o.wal_segment_bytes = 4 * wal::kPageSize;
  return o;
}

TEST(HeadDelete, QueriesAndBlockCuttingLeaveDeletedSamplesOut) {
  for (bool on_disk : {false, true}) {
    SCOPED_TRACE(on_disk ? "on disk" : "in memory");
    fs::TempDir d;
    auto h = Head::Open(on_disk ? Opts(d.path()) : HeadOptions());
    ASSERT_TRUE(h.has_value()) << h.error().ToString();
    Head* head = h->get();
    Model model;
    Append(head, &model, 12, 0, 500);  // 500 samples: full chunks in the chunk store + open
    const auto odd = std::vector<Matcher>{M(MatchType::kEqual, "job", "odd")};
    const auto m1 = std::vector<Matcher>{M(MatchType::kEqual, "__name__", "m1")};
    // A querier opened before the deletion selects after it: it sees the deletion too.
    auto before = head->NewQuerier(INT64_MIN, INT64_MAX);
    ASSERT_TRUE(head->Delete(100 * kMin, 130 * kMin - 1, odd).ok());
    ASSERT_TRUE(head->Delete(125 * kMin, 260 * kMin, m1).ok());
    Model want = Without(Without(model, odd, 100 * kMin, 130 * kMin - 1, 12), m1, 125 * kMin,
                         260 * kMin, 12);
    EXPECT_EQ(Query(head), want);
    EXPECT_EQ(Query(head, 120 * kMin, 140 * kMin), InRange(want, 120 * kMin, 140 * kMin));
    EXPECT_EQ(ChunkSamples(head), want);
    EXPECT_EQ(ChunkSamples(head, 110 * kMin, 300 * kMin - 1),
              InRange(want, 110 * kMin, 300 * kMin - 1));
    EXPECT_EQ(head->NumTombstones(), 6u + 4u - 2u);  // odd x6, m1 x4, two of them merged
    ASSERT_TRUE(before.has_value());
    auto ss = (*before)->Select(Context::Background(), true, nullptr, odd);
    size_t n = 0;
    while (ss->Next()) {
      auto it = ss->At().Iterator();
      while (it->Next()) {
        EXPECT_FALSE(it->AtT() >= 100 * kMin && it->AtT() < 130 * kMin) << it->AtT();
        ++n;
      }
    }
    EXPECT_GT(n, 0u);

    // Deleting everything of a series hides it; the interval stops at its newest sample, so
    // later samples show up.
    const auto host0 = std::vector<Matcher>{M(MatchType::kEqual, "instance", "host-0")};
    ASSERT_TRUE(head->Delete(INT64_MIN, INT64_MAX, host0).ok());
    want = Without(want, host0, INT64_MIN, INT64_MAX, 12);
    EXPECT_EQ(Query(head).count(SeriesLabels(0).ToString()), 0u);
    Model later;
    Append(head, &later, 12, 500, 510);
    for (auto& [k, v] : later) want[k].insert(want[k].end(), v.begin(), v.end());
    EXPECT_EQ(Query(head), want);
    EXPECT_EQ(ChunkSamples(head), want);

    // Seek skips deleted samples.
    auto q = head->NewQuerier(INT64_MIN, INT64_MAX);
    auto s1 = (*q)->Select(Context::Background(), true, nullptr,
                           {M(MatchType::kEqual, "instance", "host-1")});
    ASSERT_TRUE(s1->Next());
    auto it = s1->At().Iterator();
    ASSERT_TRUE(it->Seek(100 * kMin));
    EXPECT_EQ(it->AtT(), 261 * kMin);  // odd [100, 130) and m1 [125, 260] merged
    // Nothing matches: nothing deleted, nothing logged.
    const uint64_t bytes = head->Counters().wal_bytes;
    ASSERT_TRUE(head->Delete(0, INT64_MAX, {M(MatchType::kEqual, "job", "nope")}).ok());
    ASSERT_TRUE(head->Delete(600 * kMin, 700 * kMin, kAll).ok());  // after every sample
    EXPECT_EQ(head->Counters().wal_bytes, bytes);
  }
}

TEST(HeadDelete, SurvivesRestartThroughWalReplay) {
  fs::TempDir d;
  Model want;
  const auto even_m0 = std::vector<Matcher>{M(MatchType::kEqual, "job", "even"),
                                            M(MatchType::kEqual, "__name__", "m0")};
  {
    auto h = Head::Open(Opts(d.path()));
    ASSERT_TRUE(h.has_value());
    Model model;
    Append(h->get(), &model, 10, 0, 400);
    ASSERT_TRUE((*h)->Delete(50 * kMin, 350 * kMin, even_m0).ok());
    want = Without(model, even_m0, 50 * kMin, 350 * kMin, 10);
    EXPECT_EQ(Query(h->get()), want);
    ASSERT_TRUE((*h)->Close().ok());
  }
  auto h = Head::Open(Opts(d.path()));
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(Query(h->get()), want);
  EXPECT_EQ(ChunkSamples(h->get()), want);
  EXPECT_EQ((*h)->Counters().replay_tombstones, 2u);  // host-0 and host-6
  EXPECT_EQ((*h)->NumTombstones(), 2u);
  EXPECT_EQ((*h)->Counters().wal_corruptions, 0u);
}

// A WAL as Prometheus writes it (Series, Samples, Tombstones records in segment 0): replay
// restores the intervals; the next checkpoint keeps those of live series that end at or
// after its mint, and a restart from that checkpoint still has them.
TEST(HeadDelete, TombstonesFromAForeignWalSurviveTheNextCheckpoint) {
  fs::TempDir d;
  const std::string wal_dir = d.Sub("wal");
  Model model;
  {
    auto w = wal::Writer::Open(wal_dir, {});
    ASSERT_TRUE(w.has_value()) << w.error().ToString();
    std::vector<wal::RefSeries> series;
    std::vector<wal::RefSample> samples;
    for (int i = 0; i < 3; ++i) series.push_back({uint64_t(i + 1), SeriesLabels(i)});
    for (int64_t m = 0; m < 60; ++m) {
      for (int i = 0; i < 3; ++i) {
        samples.push_back({uint64_t(i + 1), m * kMin, double(m)});
        model[SeriesLabels(i).ToString()].emplace_back(m * kMin, double(m));
      }
    }
    std::string a, b, c;
    wal::EncodeSeries(series, &a);
    wal::EncodeSamples(samples, &b);
    wal::EncodeTombstones(std::vector<wal::RefTombstone>{{1, 10 * kMin, 70 * kMin},
                                                         {2, 5 * kMin, 6 * kMin},
                                                         {3, 10 * kMin, 70 * kMin},
                                                         {99, 0, 1}},  // unknown ref
                          &c);
    std::string_view recs[] = {a, b, c};
    ASSERT_TRUE((*w)->Log(recs).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto del = [&](Model m, int i, int64_t from, int64_t to) {
    std::erase_if(m[SeriesLabels(i).ToString()],
                  [&](const auto& s) { return s.first >= from && s.first <= to; });
    return m;
  };
  HeadOptions o = Opts(d.path());
  const int64_t mint = 65 * kMin;
  Model want;
  {
    auto h = Head::Open(o);
    ASSERT_TRUE(h.has_value()) << h.error().ToString();
    EXPECT_EQ((*h)->Counters().replay_tombstones, 3u);
    EXPECT_EQ((*h)->Counters().replay_unknown_refs, 1u);
    want = del(del(del(model, 0, 10 * kMin, 70 * kMin), 1, 5 * kMin, 6 * kMin), 2, 10 * kMin,
               70 * kMin);
    EXPECT_EQ(Query(h->get()), want);
    // Series 0 and 1 go on; the interval of series 0 hides its new samples up to 70 min.
    {
      auto app = (*h)->NewAppender();
      for (int64_t m = 60; m < 120; ++m) {
        for (int i = 0; i < 2; ++i) {
          ASSERT_TRUE(app->Append(0, SeriesLabels(i), m * kMin, double(m)).has_value());
          if (i == 1 || m > 70) want[SeriesLabels(i).ToString()].emplace_back(m * kMin, double(m));
        }
      }
      ASSERT_TRUE(app->Commit().ok());
    }
    EXPECT_EQ(Query(h->get()), want);
    // Segment 0 (samples < 60 min) goes into a checkpoint; series 2 has no data >= mint and
    // is removed.
    auto st = (*h)->Truncate(mint);
    ASSERT_TRUE(st.has_value()) << st.error().ToString();
    EXPECT_GE(st->checkpoint, 0);
    EXPECT_EQ(st->series_removed, 1u);
    EXPECT_EQ((*h)->NumTombstones(), 1u);  // series 0's; series 1's ended before mint
    Model above;
    for (auto& [k, v] : want) {
      for (auto& s : v) {
        if (s.first >= mint) above[k].push_back(s);
      }
    }
    want = above;
    EXPECT_EQ(Query(h->get()), want);
    ASSERT_TRUE((*h)->Close().ok());
  }
  // The checkpoint holds exactly series 0's tombstone.
  auto cp = wal::ListCheckpoints(fs::DefaultFileSystem(), wal_dir);
  ASSERT_TRUE(cp.has_value() && cp->size() == 1u);
  std::vector<wal::RefTombstone> stones;
  {
    auto r = wal::Reader::Open(fs::DefaultFileSystem(), {wal::SegmentRange{cp->back().path}});
    ASSERT_TRUE(r.has_value());
    while ((*r)->Next()) {
      if (wal::RecordTypeOf((*r)->Record()) == wal::RecordType::kTombstones) {
        ASSERT_TRUE(wal::DecodeTombstones((*r)->Record(), &stones).ok());
      }
    }
  }
  ASSERT_EQ(stones.size(), 1u);
  EXPECT_EQ(stones[0].ref, 1u);
  EXPECT_EQ(stones[0].maxt, 70 * kMin);
  o.min_valid_time = mint;
  auto h = Head::Open(o);
  ASSERT_TRUE(h.has_value()) << h.error().ToString();
  EXPECT_EQ(Query(h->get()), want);
  EXPECT_EQ((*h)->NumTombstones(), 1u);
  EXPECT_EQ((*h)->Counters().wal_corruptions, 0u);
}

// Deletions racing appends, queries and truncations: nothing crashes or tears, a query
// never sees a sample inside an interval deleted before it started, and after a restart the
// surviving deletions are still applied.
TEST(HeadDelete, DeletesRaceAppendsQueriesAndTruncation) {
  for (bool on_disk : {false, true}) {
    SCOPED_TRACE(on_disk ? "on disk" : "in memory");
    fs::TempDir d;
    HeadOptions o = on_disk ? Opts(d.path()) : HeadOptions();
    o.chunk_range_ms = 60 * kMin;
    auto h = Head::Open(o);
    ASSERT_TRUE(h.has_value());
    Head* head = h->get();
    constexpr int kSeries = 40;
    std::atomic<int64_t> written{0};  // minutes appended so far
    std::atomic<bool> stop{false};
    // Series i % 4 == 0 lose [m*kMin, (m+2)*kMin] for every m % 10 == 0: published when done.
    const std::vector<Matcher> victims = {
        M(MatchType::kRegexMatch, "instance", "host-(0|4|8|12|16|20|24|28|32|36)")};
    std::atomic<int64_t> deleted_upto{-1};  // intervals for m <= this are in effect
    std::thread appender([&] {
      for (int64_t m = 0; m < 600 && !stop; ++m) {
        auto app = head->NewAppender();
        for (int i = 0; i < kSeries; ++i) {
          if (!app->Append(0, SeriesLabels(i), m * kMin, double(m)).has_value()) break;
        }
        if (!app->Commit().ok()) break;
        written = m;
      }
    });
    std::thread deleter([&] {
      for (int64_t m = 0; m < 600 && !stop; m += 10) {
        while (written.load() < m + 2 && !stop) std::this_thread::yield();
        if (!head->Delete(m * kMin, (m + 2) * kMin, victims).ok()) break;
        deleted_upto = m;
      }
    });
    std::atomic<int64_t> truncated{INT64_MIN};
    std::thread truncator([&] {
      while (!stop) {
        const int64_t w = written.load();
        if (w > 200 && head->Truncate((w - 150) * kMin).has_value()) truncated = (w - 150) * kMin;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    std::atomic<int> bad{0}, queries{0};
    std::thread reader([&] {
      while (!stop) {
        const int64_t upto = deleted_upto.load();
        auto q = head->NewQuerier(INT64_MIN, INT64_MAX);
        if (!q.has_value()) continue;
        auto ss = (*q)->Select(Context::Background(), false, nullptr, victims);
        while (ss->Next()) {
          auto it = ss->At().Iterator();
          while (it->Next()) {
            const int64_t m = it->AtT() / kMin;
            if (it->AtV() != double(m)) ++bad;
            // Inside an interval deleted before this query started.
            const int64_t base = m - m % 10;
            if (m % 10 <= 2 && base <= upto) ++bad;
          }
          if (!it->Err().ok()) ++bad;
        }
        if (!ss->Err().ok()) ++bad;
        ++queries;
      }
    });
    appender.join();
    deleter.join();
    stop = true;
    truncator.join();
    reader.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GT(queries.load(), 0);
    // The final state: victims have no sample inside any interval, others have all theirs.
    auto check = [&](Head* hh) {
      const Model got = Query(hh);
      for (int i = 0; i < kSeries; ++i) {
        auto it = got.find(SeriesLabels(i).ToString());
        ASSERT_NE(it, got.end()) << i;
        for (const auto& [t, v] : it->second) {
          const int64_t m = t / kMin;
          if (i % 4 == 0) {
            EXPECT_GT(m % 10, 2) << i << " at minute " << m;
          }
        }
        if (i % 4 != 0) {
          const int64_t first = it->second.front().first / kMin;
          EXPECT_EQ(it->second.size(), size_t(599 - first + 1)) << i;
        }
      }
    };
    check(head);
    if (on_disk) {
      ASSERT_TRUE(head->Close().ok());
      h->reset();
      o.min_valid_time = truncated.load();  // as the DB passes its newest block's end
      auto again = Head::Open(o);
      ASSERT_TRUE(again.has_value()) << again.error().ToString();
      check(again->get());
    }
  }
}

}  // namespace
}  // namespace vigil::tsdb
