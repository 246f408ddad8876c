// Tests of the Head: append/commit/rollback, append semantics and counters, limits, chunk
// cutting, queries, concurrency.
#include "tsdb/head/head.h"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <map>
#include <ostream>
#include <random>
#include <thread>

#include "model/value.h"
#include "tsdb/head/head_wal.h"
#include "tsdb/wal/records.h"

namespace vigil {
// Bit-exact sample equality for the tests (NaNs included).
bool operator==(const Sample& a, const Sample& b) {
  return a.t == b.t && std::bit_cast<uint64_t>(a.v) == std::bit_cast<uint64_t>(b.v);
}
std::ostream& operator<<(std::ostream& o, const Sample& s) { return o << s.t << ":" << s.v; }
}  // namespace vigil

namespace vigil::tsdb {
namespace {

using storage::SeriesRef;

std::unique_ptr<Head> MemHead(HeadOptions o = {}) {
  auto h = Head::Open(std::move(o));
  EXPECT_TRUE(h.has_value()) << h.error().ToString();
  return std::move(h).value();
}

Matcher M(MatchType t, std::string_view n, std::string_view v) { return *Matcher::Make(t, n, v); }

// All samples of all series selected by `ms` in [mint, maxt], keyed by label string.
std::map<std::string, std::vector<Sample>> Query(Head* h, const std::vector<Matcher>& ms,
                                                 int64_t mint = INT64_MIN,
                                                 int64_t maxt = INT64_MAX) {
  std::map<std::string, std::vector<Sample>> out;
  auto q = h->NewQuerier(mint, maxt);
  EXPECT_TRUE(q.has_value());
  auto ss = (*q)->Select(Context::Background(), true, nullptr, ms);
  std::string prev;
  while (ss->Next()) {
    std::string key = ss->At().labels().ToString();
    EXPECT_LT(prev, key) << "not sorted";
    prev = key;
    auto it = ss->At().Iterator();
    auto& v = out[key];
    while (it->Next()) v.push_back({it->AtT(), it->AtV()});
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
  }
  EXPECT_TRUE(ss->Err().ok()) << ss->Err().ToString();
  return out;
}

TEST(Head, AppendCommitQuery) {
  auto h = MemHead();
  auto app = h->NewAppender();
  Labels a{{"__name__", "up"}, {"job", "a"}};
  Labels b{{"__name__", "up"}, {"job", "b"}};
  auto ra = app->Append(0, a, 1000, 1);
  ASSERT_TRUE(ra.has_value());
  ASSERT_TRUE(app->Append(0, b, 1000, 2).has_value());
  // A known ref skips the labels entirely.
  ASSERT_TRUE(app->Append(*ra, Labels(), 2000, 3).has_value());
  ASSERT_TRUE(app->Commit().ok());
  auto got = Query(h.get(), {M(MatchType::kEqual, "__name__", "up")});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[a.ToString()], (std::vector<Sample>{{1000, 1}, {2000, 3}}));
  EXPECT_EQ(got[b.ToString()], (std::vector<Sample>{{1000, 2}}));
  EXPECT_EQ(h->NumSeries(), 2u);
  EXPECT_EQ(h->MinTime(), 1000);
  EXPECT_EQ(h->MaxTime(), 2000);
  EXPECT_EQ(h->Counters().samples_appended, 3u);
  EXPECT_EQ(h->Counters().series_created, 2u);
}

TEST(Head, VisibleOnlyAfterCommitAndRollbackDiscards) {
  auto h = MemHead();
  Labels a{{"__name__", "x"}};
  auto app = h->NewAppender();
  ASSERT_TRUE(app->Append(0, a, 10, 1).has_value());
  EXPECT_TRUE(Query(h.get(), {M(MatchType::kEqual, "__name__", "x")}).empty());
  ASSERT_TRUE(app->Rollback().ok());
  EXPECT_TRUE(Query(h.get(), {M(MatchType::kEqual, "__name__", "x")}).empty());
  EXPECT_EQ(h->Counters().samples_appended, 0u);
  // The series may remain (empty), and a later transaction fills it.
  auto app2 = h->NewAppender();
  ASSERT_TRUE(app2->Append(0, a, 20, 2).has_value());
  EXPECT_TRUE(Query(h.get(), {M(MatchType::kEqual, "__name__", "x")}).empty());
  ASSERT_TRUE(app2->Commit().ok());
  EXPECT_EQ(Query(h.get(), {M(MatchType::kEqual, "__name__", "x")})[a.ToString()],
            (std::vector<Sample>{{20, 2}}));
  // An appender destroyed without Commit rolls back.
  {
    auto app3 = h->NewAppender();
    ASSERT_TRUE(app3->Append(0, a, 30, 3).has_value());
  }
  EXPECT_EQ(Query(h.get(), {M(MatchType::kEqual, "__name__", "x")})[a.ToString()].size(), 1u);
}

struct AppendCase {
  const char* name;
  int64_t t;
  double v;
  StatusCode want;
  bool stored;
};

TEST(Head, AppendSemanticsTable) {
  // Committed state before each case: samples at t=1000 (v=1) ... t=100000 (v=2).
  const std::vector<AppendCase> cases = {
      {"newer", 100001, 5, StatusCode::kOk, true},
      {"same t same value is dropped silently", 100000, 2, StatusCode::kOk, false},
      {"same t different value", 100000, 3, StatusCode::kAlreadyExists, false},
      {"older", 99999, 1, StatusCode::kOutOfOrder, false},
      {"too old (before maxt - range/2)", 100000 - 3600 * 1000 - 1, 1, StatusCode::kOutOfBounds,
       false},
      {"stale marker is an ordinary sample", 100001, StaleNaN(), StatusCode::kOk, true},
      {"NaN after NaN at same t differs from stale", 100000, std::nan(""),
       StatusCode::kAlreadyExists, false},
  };
  for (const auto& c : cases) {
    auto h = MemHead();
    Labels l{{"__name__", "m"}};
    {
      auto app = h->NewAppender();
      ASSERT_TRUE(app->Append(0, l, 1000, 1).has_value());
      ASSERT_TRUE(app->Append(0, l, 100000, 2).has_value());
      ASSERT_TRUE(app->Commit().ok());
    }
    auto app = h->NewAppender();
    auto r = app->Append(0, l, c.t, c.v);
    EXPECT_EQ(r.error().code(), c.want) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(app->Commit().ok());
    auto got = Query(h.get(), {M(MatchType::kEqual, "__name__", "m")});
    EXPECT_EQ(got[l.ToString()].size(), c.stored ? 3u : 2u) << c.name;
    auto ctr = h->Counters();
    EXPECT_EQ(ctr.out_of_order_samples, c.want == StatusCode::kOutOfOrder ? 1u : 0u) << c.name;
    EXPECT_EQ(ctr.duplicate_samples, c.want == StatusCode::kAlreadyExists ? 1u : 0u) << c.name;
    EXPECT_EQ(ctr.out_of_bounds_samples, c.want == StatusCode::kOutOfBounds ? 1u : 0u) << c.name;
    if (c.stored && IsStaleNaN(c.v)) {
      EXPECT_TRUE(IsStaleNaN(got[l.ToString()].back().v));
    }
  }
}

TEST(Head, OutOfOrderWithinOneTransactionIsCountedOnCommit) {
  auto h = MemHead();
  Labels l{{"__name__", "m"}};
  auto app = h->NewAppender();
  ASSERT_TRUE(app->Append(0, l, 2000, 2).has_value());
  ASSERT_TRUE(app->Append(0, l, 1000, 1).has_value());  // passes: nothing committed yet
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(Query(h.get(), {M(MatchType::kEqual, "__name__", "m")})[l.ToString()],
            (std::vector<Sample>{{2000, 2}}));
  EXPECT_EQ(h->Counters().out_of_order_samples, 1u);
}

TEST(Head, InvalidLabels) {
  auto h = MemHead();
  auto app = h->NewAppender();
  EXPECT_EQ(app->Append(0, Labels(), 1, 1).error().code(), StatusCode::kInvalidArgument);
  std::string bad;  // unsorted: b before a
  for (auto s : {"b", "1", "a", "2"}) {
    bad.push_back(char(std::strlen(s)));
    bad += s;
  }
  EXPECT_EQ(app->Append(0, Labels::FromEncoded(bad), 1, 1).error().code(),
            StatusCode::kInvalidArgument);
  // A stale/unknown ref falls back to the labels.
  auto r = app->Append(12345, Labels{{"__name__", "ok"}}, 1, 1);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(*r, 12345u);
}

TEST(Head, MaxSeriesLimit) {
  HeadOptions o;
  o.max_series = 3;
  auto h = MemHead(o);
  auto app = h->NewAppender();
  std::vector<SeriesRef> refs;
  for (int i = 0; i < 3; ++i) {
    auto r = app->Append(0, Labels{{"__name__", "m"}, {"i", std::to_string(i)}}, 1000, i);
    ASSERT_TRUE(r.has_value());
    refs.push_back(*r);
  }
  auto r = app->Append(0, Labels{{"__name__", "m"}, {"i", "3"}}, 1000, 3);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.error().message(), "head series limit reached (3): new series dropped");
  // Existing series keep ingesting, by ref and by labels.
  EXPECT_TRUE(app->Append(refs[0], Labels(), 2000, 1).has_value());
  EXPECT_TRUE(app->Append(0, Labels{{"__name__", "m"}, {"i", "1"}}, 2000, 1).has_value());
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(h->NumSeries(), 3u);
  EXPECT_EQ(h->Counters().series_limit_rejections, 1u);
  EXPECT_EQ(h->Counters().samples_appended, 5u);
}

TEST(Head, ChunksAreCutAndReadBackAcrossRanges) {
  HeadOptions o;
  o.chunk_range_ms = 3600 * 1000;  // 1h ranges
  auto h = MemHead(o);
  Labels l{{"__name__", "m"}, {"k", "v"}};
  std::vector<Sample> want;
  std::mt19937_64 rng(7);
  SeriesRef ref = 0;
  // 3h of 15s samples with jittered timestamps and random-walk values, committed in
  // small transactions.
  int64_t t = 1'700'000'000'000;
  double v = 100;
  for (int round = 0; round < 240; ++round) {
    auto app = h->NewAppender();
    for (int j = 0; j < 3; ++j) {
      t += 15000 + int64_t(rng() % 200) - 100;
      v += double(int64_t(rng() % 1000) - 500) / 7;
      auto r = app->Append(ref, l, t, v);
      ASSERT_TRUE(r.has_value());
      ref = *r;
      want.push_back({t, v});
    }
    ASSERT_TRUE(app->Commit().ok());
  }
  ASSERT_EQ(want.size(), 720u);
  auto got = Query(h.get(), {M(MatchType::kEqual, "k", "v")});
  EXPECT_EQ(got[l.ToString()], want);
  HeadStats st = h->Stats();
  // 3h at 1h ranges and 120 samples per chunk: at least 3 ranges, ~6+ chunks.
  EXPECT_GE(st.num_chunks, 6u);
  EXPECT_EQ(h->Counters().chunks_created, st.num_chunks);
  // A range query returns exactly the samples inside it.
  int64_t lo = want[100].t, hi = want[500].t;
  got = Query(h.get(), {M(MatchType::kEqual, "k", "v")}, lo, hi);
  EXPECT_EQ(got[l.ToString()], std::vector<Sample>(want.begin() + 100, want.begin() + 501));
  // Seek.
  auto q = h->NewQuerier(INT64_MIN, INT64_MAX);
  auto ss = (*q)->Select(Context::Background(), false, nullptr, {M(MatchType::kEqual, "k", "v")});
  ASSERT_TRUE(ss->Next());
  auto it = ss->At().Iterator();
  ASSERT_TRUE(it->Seek(want[300].t - 1));
  EXPECT_EQ(it->AtT(), want[300].t);
  ASSERT_TRUE(it->Seek(want[300].t));  // stays
  EXPECT_EQ(it->AtT(), want[300].t);
  ASSERT_TRUE(it->Seek(want[650].t));
  EXPECT_EQ(it->AtT(), want[650].t);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->AtT(), want[651].t);
  EXPECT_FALSE(it->Seek(want.back().t + 1));
}

TEST(Head, ManySeriesChunkListsChainPastLargestCell) {
  // 130 full chunks per series exceed one 1024-byte ref list cell (127 refs).
  HeadOptions o;
  o.samples_per_chunk = 4;  // cut every 8 samples at most (2x target) or at the 1/4 rule
  auto h = MemHead(o);
  Labels l{{"__name__", "m"}};
  std::vector<Sample> want;
  SeriesRef ref = 0;
  for (int i = 0; i < 1500; ++i) {
    auto app = h->NewAppender();
    auto r = app->Append(ref, l, int64_t(i) * 1000, i);
    ASSERT_TRUE(r.has_value());
    ref = *r;
    ASSERT_TRUE(app->Commit().ok());
    want.push_back({int64_t(i) * 1000, double(i)});
  }
  EXPECT_GT(h->Stats().num_chunks, 140u);
  EXPECT_EQ(Query(h.get(), {M(MatchType::kEqual, "__name__", "m")})[l.ToString()], want);
}

TEST(Head, LabelValuesAndNames) {
  auto h = MemHead();
  auto app = h->NewAppender();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(app->Append(0,
                            Labels{{"__name__", i < 5 ? "a" : "b"},
                                   {"i", std::to_string(i)},
                                   {i % 2 ? "odd" : "even", "1"}},
                            1000, i)
                    .has_value());
  }
  ASSERT_TRUE(app->Commit().ok());
  auto q = *h->NewQuerier(0, 5000);
  auto vals =
      q->LabelValues(Context::Background(), "i", {M(MatchType::kEqual, "__name__", "a")}, 0);
  EXPECT_EQ(*vals, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  vals = q->LabelValues(Context::Background(), "__name__", {}, 0);
  EXPECT_EQ(*vals, (std::vector<std::string>{"a", "b"}));
  vals = q->LabelValues(Context::Background(), "i", {}, 3);
  EXPECT_EQ(vals->size(), 3u);
  auto names = q->LabelNames(Context::Background(), {M(MatchType::kEqual, "i", "3")}, 0);
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "i", "odd"}));
  names = q->LabelNames(Context::Background(), {}, 0);
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "even", "i", "odd"}));
  // A querier range outside the head's data sees nothing.
  auto q2 = *h->NewQuerier(10000, 20000);
  EXPECT_TRUE(q2->LabelNames(Context::Background(), {}, 0)->empty());
  auto ss = q2->Select(Context::Background(), true, nullptr, {M(MatchType::kNotEqual, "i", "")});
  EXPECT_FALSE(ss->Next());
}

TEST(Head, StatsAndMemory) {
  auto h = MemHead();
  auto app = h->NewAppender();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(app->Append(0,
                            Labels{{"__name__", i % 4 ? "common" : "rare"},
                                   {"pod", "p" + std::to_string(i % 10)},
                                   {"i", std::to_string(i)}},
                            1000, i)
                    .has_value());
  }
  ASSERT_TRUE(app->Commit().ok());
  HeadStats st = h->Stats(10);
  EXPECT_EQ(st.num_series, 100u);
  ASSERT_EQ(st.series_count_by_metric_name.size(), 2u);
  EXPECT_EQ(st.series_count_by_metric_name[0].name, "common");
  EXPECT_EQ(st.series_count_by_metric_name[0].value, 75u);
  ASSERT_EQ(st.label_value_count_by_label_name.size(), 3u);
  EXPECT_EQ(st.label_value_count_by_label_name[0].name, "i");
  EXPECT_EQ(st.label_value_count_by_label_name[0].value, 100u);
  EXPECT_EQ(st.label_value_count_by_label_name[1].name, "pod");
  EXPECT_EQ(st.label_value_count_by_label_name[1].value, 10u);
  EXPECT_EQ(st.num_chunks, 100u);
  HeadMemory m = h->MemoryByStructure();
  EXPECT_GT(m.symbols, 0u);
  EXPECT_GT(m.labels, 0u);
  EXPECT_GT(m.postings, 0u);
  EXPECT_GT(m.open_chunks, 0u);
  EXPECT_GT(m.series_state, 100u * 56);
  EXPECT_EQ(m.total(), m.symbols + m.labels + m.series_state + m.postings + m.open_chunks +
                           m.series_hash + m.chunk_store + m.wal_buffers);
}

TEST(Head, ConcurrentAppendersAndQueriers) {
  auto h = MemHead();
  constexpr int kWriters = 4, kSeriesPerWriter = 200, kRounds = 150;
  std::atomic<bool> stop{false};
  std::atomic<int> query_errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::vector<SeriesRef> refs(kSeriesPerWriter, 0);
      for (int r = 0; r < kRounds; ++r) {
        auto app = h->NewAppender();
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          // Writers share half of their series, so creation races on the same labels.
          std::string id = std::to_string(s % 2 ? w * 1000 + s : s);
          auto res =
              app->Append(refs[s], Labels{{"__name__", "m"}, {"s", id}}, int64_t(r) * 1000, r);
          if (res.has_value()) refs[s] = *res;
        }
        ASSERT_TRUE(app->Commit().ok());
      }
    });
  }
  for (int q = 0; q < 2; ++q) {
    threads.emplace_back([&, q] {
      while (!stop.load()) {
        auto qr = *h->NewQuerier(INT64_MIN, INT64_MAX);
        auto ss = qr->Select(Context::Background(), q == 0, nullptr,
                             {M(MatchType::kEqual, "__name__", "m")});
        while (ss->Next()) {
          auto it = ss->At().Iterator();
          int64_t prev = INT64_MIN;
          while (it->Next()) {
            // Values equal the round number = t / 1000: a torn read would break this.
            if (it->AtT() <= prev || it->AtV() != double(it->AtT() / 1000)) ++query_errors;
            prev = it->AtT();
          }
          if (!it->Err().ok()) ++query_errors;
        }
        (void)qr->LabelValues(Context::Background(), "s", {}, 0);
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  stop = true;
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(query_errors.load(), 0);
  // Shared series (even s) got one sample per round (duplicates dropped), own series too.
  size_t want_series = kSeriesPerWriter / 2 + kWriters * kSeriesPerWriter / 2;
  EXPECT_EQ(h->NumSeries(), want_series);
  auto got = Query(h.get(), {M(MatchType::kEqual, "__name__", "m")});
  ASSERT_EQ(got.size(), want_series);
  for (const auto& [k, v] : got) EXPECT_EQ(v.size(), size_t(kRounds)) << k;
}

TEST(HeadWal, RecordsRoundTripThroughWalCodec) {
  std::vector<WalSeries> series = {{1, Labels{{"__name__", "up"}, {"job", "a"}}},
                                   {7, Labels{{"__name__", "x"}}}};
  std::vector<wal::RefSeries> got_series;
  ASSERT_TRUE(wal::DecodeSeries(EncodeSeriesRecord(series), &got_series).ok());
  ASSERT_EQ(got_series.size(), 2u);
  EXPECT_EQ(got_series[1].ref, 7u);
  EXPECT_EQ(got_series[0].labels, series[0].labels);
  std::vector<WalSample> samples = {{1, 1000, 1.5}, {7, 2000, StaleNaN()}};
  std::vector<wal::RefSample> got;
  ASSERT_TRUE(wal::DecodeSamples(EncodeSamplesRecord(samples), &got).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].t, 1000);
  EXPECT_EQ(got[0].v, 1.5);
  EXPECT_TRUE(IsStaleNaN(got[1].v));
}

}  // namespace
}  // namespace vigil::tsdb
