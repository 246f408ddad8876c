#include "tsdb/db/merge_querier.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "storage/series.h"

namespace vigil::tsdb {
namespace {

using Input = std::map<std::string, std::vector<Sample>>;  // metric name -> samples

std::unique_ptr<storage::SeriesSet> MakeSet(const Input& in) {
  std::vector<std::unique_ptr<storage::Series>> series;
  for (const auto& [name, samples] : in) {
    series.push_back(std::make_unique<storage::ListSeries>(Labels{{"__name__", name}}, samples));
  }
  return std::make_unique<storage::ListSeriesSet>(std::move(series));
}

Input Drain(storage::SeriesSet* set) {
  Input out;
  std::string prev;
  while (set->Next()) {
    std::string name(set->At().labels().Get("__name__"));
    EXPECT_LT(prev, name) << "series not sorted or repeated";
    prev = name;
    auto it = set->At().Iterator();
    while (it->Next()) out[name].push_back(Sample{it->AtT(), it->AtV()});
    EXPECT_TRUE(it->Err().ok());
  }
  EXPECT_TRUE(set->Err().ok());
  return out;
}

// The reference merge: later sets overwrite equal timestamps.
Input Reference(const std::vector<Input>& sets) {
  std::map<std::string, std::map<int64_t, double>> m;
  for (const auto& in : sets) {
    for (const auto& [name, samples] : in) {
      for (const Sample& s : samples) m[name][s.t] = s.v;
    }
  }
  Input out;
  for (const auto& [name, ts] : m) {
    for (const auto& [t, v] : ts) out[name].push_back(Sample{t, v});
  }
  return out;
}

bool Equal(const Input& a, const Input& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, samples] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.size() != samples.size()) return false;
    for (size_t i = 0; i < samples.size(); ++i) {
      if (samples[i].t != it->second[i].t || samples[i].v != it->second[i].v) return false;
    }
  }
  return true;
}

struct Case {
  const char* name;
  std::vector<Input> sets;
};

TEST(MergeSeriesSet, Table) {
  const std::vector<Case> cases = {
      {"empty", {}},
      {"one set", {{{"a", {{1, 1}, {2, 2}}}}}},
      {"disjoint series", {{{"a", {{1, 1}}}}, {{"b", {{1, 2}}}}, {{"c", {{5, 3}}}}}},
      {"same series, disjoint times", {{{"a", {{1, 1}, {2, 2}}}}, {{"a", {{3, 3}, {4, 4}}}}}},
      {"interleaved times", {{{"a", {{1, 1}, {5, 5}, {9, 9}}}}, {{"a", {{2, 2}, {6, 6}}}}}},
      {"equal timestamps: last set wins",
       {{{"a", {{1, 1}, {2, 2}, {3, 3}}}}, {{"a", {{2, 20}, {3, 30}, {4, 40}}}}}},
      {"three sets, overlaps and gaps",
       {{{"a", {{1, 1}}}, {"c", {{1, 1}, {7, 7}}}},
        {{"b", {{2, 2}}}, {"c", {{7, 70}, {8, 8}}}},
        {{"a", {{1, 100}}}, {"c", {{0, 0}}}}}},
      {"empty sets among others", {{}, {{"a", {{1, 1}}}}, {}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    for (const auto& in : c.sets) sets.push_back(MakeSet(in));
    auto merged = NewMergeSeriesSet(std::move(sets));
    Input got = Drain(merged.get());
    EXPECT_TRUE(Equal(got, Reference(c.sets)));
  }
}

// Runs of one set's samples, ties, gaps and overlaps in random mixes (the merge advances
// only the current iterator while it stays below the others: every way out of that path).
TEST(MergeSeriesSet, RandomMixesMatchTheReference) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    SCOPED_TRACE(round);
    const int n_sets = 1 + int(rng() % 4);
    std::vector<Input> inputs(static_cast<size_t>(n_sets));
    for (auto& in : inputs) {
      int64_t t = int64_t(rng() % 20);
      const int n = int(rng() % 30);
      for (int i = 0; i < n; ++i) {
        in["a"].push_back(Sample{t, double(rng() % 1000)});
        t += 1 + int64_t(rng() % (rng() % 2 == 0 ? 2 : 15));
      }
      if (in["a"].empty()) in.clear();
    }
    std::vector<std::unique_ptr<storage::SeriesSet>> sets;
    for (const auto& in : inputs) sets.push_back(MakeSet(in));
    auto merged = NewMergeSeriesSet(std::move(sets));
    EXPECT_TRUE(Equal(Drain(merged.get()), Reference(inputs)));
  }
}

TEST(MergeSeriesSet, SeekAcrossSets) {
  std::vector<Input> in = {{{"a", {{1, 1}, {4, 4}, {8, 8}}}}, {{"a", {{2, 2}, {4, 40}, {9, 9}}}}};
  std::vector<std::unique_ptr<storage::SeriesSet>> sets;
  for (const auto& i : in) sets.push_back(MakeSet(i));
  auto merged = NewMergeSeriesSet(std::move(sets));
  ASSERT_TRUE(merged->Next());
  auto it = merged->At().Iterator();
  ASSERT_TRUE(it->Seek(3));
  EXPECT_EQ(it->AtT(), 4);
  EXPECT_EQ(it->AtV(), 40);
  ASSERT_TRUE(it->Seek(4));  // stays
  EXPECT_EQ(it->AtT(), 4);
  ASSERT_TRUE(it->Next());
  EXPECT_EQ(it->AtT(), 8);
  ASSERT_TRUE(it->Seek(9));
  EXPECT_EQ(it->AtT(), 9);
  EXPECT_FALSE(it->Next());
  EXPECT_FALSE(it->Seek(100));
}

TEST(MergeSeriesSet, ErrorOfAChildIsReported) {
  std::vector<std::unique_ptr<storage::SeriesSet>> sets;
  sets.push_back(MakeSet({{"a", {{1, 1}}}}));
  sets.push_back(std::make_unique<storage::ErrorSeriesSet>(Status::IOError("disk gone")));
  auto merged = NewMergeSeriesSet(std::move(sets));
  while (merged->Next()) {
  }
  EXPECT_EQ(merged->Err().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace vigil::tsdb
