// Helpers shared by the DB tests (db, delete, fault, compaction planning, vertical): options
// for a DB without background work, generated series at one sample a minute, appending them,
// reading everything back and comparing, block metas for planner tables. Test-only; header-only;
// not thread-safe (each test uses its own DB and data).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fs/file_system.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/db/db.h"

namespace vigil::tsdb::testing {

// A block meta covering [mint, maxt) and nothing else.
inline block::BlockMeta MetaSpan(int64_t mint, int64_t maxt) {
  block::BlockMeta m;
  m.min_time = mint;
  m.max_time = maxt;
  return m;
}

// A planner table row: blocks by their ranges (sorted by mint) and the indexes to pick.
struct SpanCase {
  const char* name;
  std::vector<std::pair<int64_t, int64_t>> blocks;
  std::vector<size_t> want;

  std::vector<block::BlockMeta> Metas() const {
    std::vector<block::BlockMeta> out;
    for (auto [a, b] : blocks) out.push_back(MetaSpan(a, b));
    return out;
  }
};

// Every series' samples in time order.
using SampleDump = std::map<Labels, std::vector<Sample>>;

// A DB in `dir` on `fs` (POSIX when null) with no background compaction and no retention.
inline DBOptions TestOptions(const std::string& dir, fs::FileSystem* fs = nullptr) {
  DBOptions o;
  o.dir = dir;
  o.fs = fs;
  o.compact_interval_ms = 0;
  o.retention_ms = 0;
  return o;
}

// `n` generated series over [t0, t0 + span_ms) at a mean interval of one minute.
inline block::testing::GenOptions Gen(int64_t span_ms, size_t n) {
  block::testing::GenOptions g;
  g.num_series = n;
  g.t0 = 1700000000000;
  g.span_ms = span_ms;
  g.interval_ms = 60000;
  return g;
}

// Every sample of every series in [mint, maxt]. Expects (gtest) the querier to open, the
// series to come sorted and unrepeated, and no iterator error. Series without samples in
// the range are kept only with `keep_empty`.
inline SampleDump QueryAll(storage::Queryable* q, int64_t mint, int64_t maxt,
                           bool keep_empty = true) {
  auto querier = q->NewQuerier(mint, maxt);
  EXPECT_TRUE(querier.has_value());
  if (!querier.has_value()) return {};
  auto m = Matcher::Make(MatchType::kRegexMatch, "__name__", ".+");
  auto set = (*querier)->Select(Context::Background(), true, nullptr, {*m});
  SampleDump out;
  bool first = true;
  Labels prev;
  while (set->Next()) {
    const Labels& l = set->At().labels();
    if (!first) {
      EXPECT_LT(Labels::Compare(prev, l), 0) << "unsorted or repeated";
    }
    first = false;
    prev = l;
    auto it = set->At().Iterator();
    std::vector<Sample> v;
    while (it->Next()) v.push_back(Sample{it->AtT(), it->AtV()});
    EXPECT_TRUE(it->Err().ok()) << it->Err().ToString();
    if (keep_empty || !v.empty()) out[l] = std::move(v);
  }
  EXPECT_TRUE(set->Err().ok()) << set->Err().ToString();
  return out;
}

// got and want hold the same series with the same samples (values compared by bits).
inline ::testing::AssertionResult SameDump(const SampleDump& got, const SampleDump& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << got.size() << " series, want " << want.size();
  }
  for (const auto& [l, samples] : want) {
    auto it = got.find(l);
    if (it == got.end()) return ::testing::AssertionFailure() << "missing " << l.ToString();
    if (it->second.size() != samples.size()) {
      return ::testing::AssertionFailure()
             << l.ToString() << ": " << it->second.size() << " samples, want " << samples.size();
    }
    for (size_t i = 0; i < samples.size(); ++i) {
      if (!block::testing::SameSample(it->second[i], samples[i])) {
        return ::testing::AssertionFailure() << l.ToString() << " sample " << i << " differs";
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// Appends the series' samples with from <= t < until in one commit, in time order per
// series; asserts (gtest) that every append and the commit succeed.
inline void AppendSeries(DB* db, const std::vector<block::testing::TestSeries>& series,
                         int64_t from = INT64_MIN, int64_t until = INT64_MAX) {
  auto app = db->NewAppender();
  for (const auto& s : series) {
    for (const Sample& x : s.samples) {
      if (x.t < from || x.t >= until) continue;
      ASSERT_TRUE(app->Append(0, s.labels, x.t, x.v).has_value());
    }
  }
  ASSERT_TRUE(app->Commit().ok());
}

// Whether a name in `dir` ends with `suffix` (false when `dir` cannot be listed).
inline bool HasEntryWithSuffix(const std::string& dir, const std::string& suffix) {
  auto names = fs::DefaultFileSystem()->ListDir(dir);
  if (!names.has_value()) return false;
  for (const auto& n : *names) {
    if (n.size() >= suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  }
  return false;
}

}  // namespace vigil::tsdb::testing
